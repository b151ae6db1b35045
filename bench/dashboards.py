"""The dashboards' benchmark (issue 11; results in bench/RESULTS.md), on the harness.

    .venv/bin/python bench/dashboards.py --databases misfire_gen_100k,misfire_gen_1m > dash.md

One worker process per database (bench/harness/worker.py, BENCH_MODE=dashboards; Django's
test client with the deploy check's settings, as bench/run.py's pages), reading as a member
of one team (bench/harness/dashboard_scenarios.py: the team whose incidents in the last 90
days are closest in number to the median team's of the first database).

1. Check: on every database, the floor (bench/dashboards_floor.py, hand-written SQL through
   its own psycopg2 connection) must compute exactly the selectors' numbers, for the chosen
   team and the largest one in both periods, and for the library; and the library's
   (cached) numbers must follow a write: in a transaction that is rolled back, one shared
   incident archived and one team-only incident shared, then the selector equal to the floor
   again. A difference stops the run (exit status 1) and is printed.
2. Measure, in interleaved rounds (each round runs every scenario on every database in
   turn, the first database rotating): the team dashboard page (`?period=90d` and `12m`),
   `team_metrics` alone, its floor; the library dashboard page and `library_metrics` alone,
   each as served (from the cache after the first view) and counted (the cache off, as the
   first view after a change), and the floor. One warm-up each first (which counts its
   queries). Pages the URLconf does not have yet are left out, and said so.
3. Report medians and p95 per database, each scenario ÷ its floor in the same run, the
   larger database ÷ the smaller for each scenario, and the issue's targets.

--explain adds EXPLAIN (ANALYZE, BUFFERS) of each query team_metrics sends for the team with
the most incidents of the last database, and the tables each plan reads by sequential scan.
"""

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import serve, stats  # noqa: E402
from harness.dashboard_scenarios import (  # noqa: E402
    AGAINST,
    LIBRARY_PAGE,
    LIBRARY_PAGE_COUNTED,
    LIBRARY_SELECTOR,
    LIBRARY_SELECTOR_COUNTED,
    NAMES,
    PERIODS,
    TEAM_PAGE,
    TEAM_REPLAY,
    TEAM_SELECTOR,
)
from harness.runner import (  # noqa: E402
    Worker,
    add_run_options,
    database_urls,
    fmt,
    interleaved_rounds,
    prepare,
    report_ending,
    report_heading,
    short,
)

# The targets.
FLOOR_RATIO = 1.5  # a dashboard ÷ its floor, at most
SIZE_RATIO = 1.2  # the team's dashboard at 1M ÷ at 100k, at most
SLOW_MS = 300  # the library page, in absolute terms
DIAGNOSTIC = {TEAM_REPLAY.format(period=p) for p in PERIODS}


def floor_ratios(medians: dict[tuple[str, str], float | None], names: list[str],
                 database: str) -> dict[str, float | None]:
    """Each measured scenario's median ÷ its floor's median on one database."""
    return {name: stats.ratio(medians.get((name, database)),
                              medians.get((AGAINST[name], database)))
            for name in names if name in AGAINST}


def targets(medians: dict[tuple[str, str], float | None], names: list[str],
            databases: list[str]) -> list[tuple[str, float | None, bool | None]]:
    """(target, measured, met) for the issue's bounds: each page and selector within
    FLOOR_RATIO × its floor on every database; the team's page and selector on the largest
    database within SIZE_RATIO × the smallest; the library page under SLOW_MS."""
    out = []
    for database in databases:
        for name, ratio in floor_ratios(medians, names, database).items():
            if name in DIAGNOSTIC:
                continue
            out.append((f"{name} ≤ {FLOOR_RATIO:g} × its floor ({short(database)})", ratio,
                        None if ratio is None else ratio <= FLOOR_RATIO))
    if len(databases) > 1:
        small, large = databases[0], databases[-1]
        for period in PERIODS:
            for name in (TEAM_PAGE.format(period=period), TEAM_SELECTOR.format(period=period)):
                if name not in names:
                    continue
                ratio = stats.ratio(medians.get((name, large)), medians.get((name, small)))
                out.append((f"{name}: {short(large)} ≤ {SIZE_RATIO:g} × {short(small)}", ratio,
                            None if ratio is None else ratio <= SIZE_RATIO))
    for database in databases:
        for name in (LIBRARY_PAGE, LIBRARY_SELECTOR, LIBRARY_PAGE_COUNTED,
                     LIBRARY_SELECTOR_COUNTED):
            value = medians.get((name, database))
            if name in names and value is not None:
                out.append((f"{name} under {SLOW_MS} ms ({short(database)}), ms", value,
                            value < SLOW_MS))
    return out


def measure(workers: list[Worker], names: list[str], args) -> tuple[dict, dict, dict]:
    return interleaved_rounds(
        workers, names, rounds=args.rounds, repeat=args.repeat,
        warm=lambda name, worker: {"cmd": "dash_warm", "name": name},
        timed=lambda name, worker: {"cmd": "dash_time", "name": name})


def report(workers: list[Worker], names: list[str], times, failed, queries, args) -> dict:
    databases = [w.name for w in workers]
    medians = {key: (stats.median(values) if values else None) for key, values in times.items()}
    header = ["scenario"]
    for database in databases:
        header += [f"{short(database)} median ms", f"{short(database)} p95 ms",
                   f"{short(database)} ÷ floor"]
    header += [f"{short(b)} ÷ {short(a)}" for a, b in stats.pairs(databases)]
    header += [f"queries {short(d)}" for d in databases]
    print(f"\n### {args.rounds} rounds × {args.repeat} per scenario and database (medians and "
          "p95 in ms, in-process; pages through Django's test client)\n")
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    ratios = {d: floor_ratios(medians, names, d) for d in databases}
    for name in names:
        row = [name]
        for database in databases:
            values = times[(name, database)]
            error = failed.get((name, database))
            if not values:
                row += [error or "—", "—", "—"]
                continue
            row += [fmt(stats.median(values)) + (f" ({error})" if error else ""),
                    fmt(stats.p95(values)), fmt(ratios[database].get(name), 2)]
        row += [fmt(stats.ratio(medians[(name, b)], medians[(name, a)]), 2)
                for a, b in stats.pairs(databases)]
        row += [str(queries.get((name, d), "—")) for d in databases]
        print("| " + " | ".join(row) + " |")
    print("\n### Targets\n")
    print("| target | measured | |")
    print("|---|---|---|")
    for label, value, met in targets(medians, names, databases):
        verdict = "—" if met is None else ("met" if met else "MISSED")
        print(f"| {label} | {fmt(value, 2)} | {verdict} |")
    return medians


def explain(worker: Worker, period: str) -> None:
    plans = worker.ask(cmd="dash_explain", period=period)["queries"]
    print(f"\n### EXPLAIN (ANALYZE, BUFFERS) of team_metrics ({period}) for the team with "
          f"the most incidents, {short(worker.name)}\n")
    for number, plan in enumerate(plans, 1):
        scans = ", ".join(plan["seq_scans"]) or "none"
        print(f"Query {number} ({plan['ms']:.1f} ms; sequential scans: {scans}):\n\n```\n"
              f"{plan['sql']}\n\n{plan['plan']}\n```\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_run_options(
        parser, databases={"default": "misfire_gen_100k,misfire_gen_1m",
                           "help": "comma-separated, smallest first: names on 127.0.0.1 or "
                                   "URLs; the first one's median team sets the target"},
        rounds_help=None, repeat_help="runs of each scenario per database in each round",
        timeout_help="PostgreSQL statement_timeout, seconds")
    parser.add_argument("--only", action="append",
                        help="measure only scenarios whose name contains this (repeatable; "
                             "their floors are kept)")
    parser.add_argument("--target", type=int,
                        help="incidents in 90 days of the team to read as (default: the "
                             "first database's median team)")
    parser.add_argument("--no-check", action="store_true",
                        help="skip comparing the floor's numbers with the selectors'")
    parser.add_argument("--explain", action="store_true",
                        help="add EXPLAIN ANALYZE of team_metrics for the largest team")
    parser.add_argument("--explain-period", default="90d")
    args = parser.parse_args()
    urls = database_urls(args)
    secret, before = prepare(urls[0])
    workers: list[Worker] = []
    try:
        infos = {}
        target = args.target
        for url in urls:
            env = {**serve.production_env(url, secret), "BENCH_MODE": "dashboards",
                   "BENCH_TIMEOUT": str(args.timeout)}
            print(f"choosing the team on {short(url)}", file=sys.stderr, flush=True)
            worker = Worker(url, env)
            workers.append(worker)
            infos[url] = worker.ask(cmd="dash_resolve", target=target)
            target = infos[url]["target"]
        report_heading(before, infos[urls[0]]["postgres"])
        print(f"- target: the team with closest to {target} own active incidents in the last "
              f"90 days (the median team of {short(urls[0])} when not given)")
        for url in urls:
            info = infos[url]
            rows = ", ".join(f"{key} {value:,}" for key, value in info["rows"].items())
            print(f"- {short(url)}: {info['incidents']:,} incidents, {info['library']:,} "
                  f"active in the library, {info['teams']:,} teams; reads as {info['user']} "
                  f"of team {info['team']} ({info['timezone']}): {rows}")
            for name, address in info["scenarios"]:
                if address:
                    print(f"  - {name}: `{address}`")
        available = {name for info in infos.values() for name, _ in info["scenarios"]}
        missing = [n for n in NAMES if n not in available]
        if missing:
            print(f"- not measured (no such page in this code yet): {', '.join(missing)}")
        sys.stdout.flush()
        if not args.no_check:
            problems = {}
            for worker in workers:
                print(f"checking the floor against the selectors on {short(worker.name)}",
                      file=sys.stderr, flush=True)
                problems[worker.name] = worker.ask(cmd="dash_check")["problems"]
            if any(problems.values()):
                print("\n### The floor and the selectors disagree: not measured\n")
                for name, lines in problems.items():
                    for line in lines:
                        print(f"- {short(name)}: {line}")
                sys.exit(1)
            print("- check: the floor's numbers equal the selectors' on every database (chosen "
                  "and largest team, both periods; the library)")
            for worker in workers:
                # A write in a transaction that is rolled back: the database is left as it was.
                answer = worker.ask(cmd="dash_after_write")
                counts = answer["counts"]
                # Each step moves the count by one: down when archived, up when shared.
                moved = [b - a for a, b in zip(counts, counts[1:], strict=False)] == [
                    -1 if "archived" in step else 1 for step in answer["steps"]]
                ok = moved and not answer["problems"]
                print(f"- library after writes ({short(worker.name)}, in a transaction rolled "
                      f"back): {', then '.join(answer['steps'])}: shared incidents "
                      f"{' → '.join(f'{n:,}' for n in counts)}, "
                      + ("each time equal to the floor's numbers" if ok else
                         "NOT the floor's: " + "; ".join(answer["problems"][:10]
                                                         or ["the count did not move"])))
                if not ok:
                    sys.exit(1)
        names = [n for n in NAMES if n in available]
        if args.only:
            wanted = {n for n in names if any(o in n for o in args.only)}
            wanted |= {AGAINST[n] for n in wanted if n in AGAINST}
            names = [n for n in names if n in wanted]
        times, failed, queries = measure(workers, names, args)
        report(workers, names, times, failed, queries, args)
        if args.explain:
            explain(workers[-1], args.explain_period)
    finally:
        for worker in workers:
            worker.close()
    report_ending()


if __name__ == "__main__":
    main()
