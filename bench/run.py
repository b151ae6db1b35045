"""The benchmark harness, in one command (issue 9; results in bench/RESULTS.md).

    .venv/bin/python bench/run.py --databases misfire_gen_100k,misfire_gen_1m --rounds 5 --serve

1. Pages: every scenario (bench/harness/scenarios.py) against every database, in interleaved
   rounds: each round runs each scenario on each database in turn, the first database of the
   round rotating so that neither always goes first. One warm-up request per scenario and
   database first (which also counts its queries). Reports the median and p95 per database
   and the ratio of the medians of each pair (later database ÷ earlier: name the smaller one
   first).
2. Served (--serve): for each database, the app under gunicorn (2 sync workers, DEBUG=false,
   the deploy check's settings) and the floor (bench/floor.py, same gunicorn settings) on
   127.0.0.1, each driven for --seconds by --connections connections, alternating app and
   floor --serve-rounds times. Reports requests/s, p50 and p99, and app ÷ floor.

Databases are names on 127.0.0.1:5432 (user postgres) or full URLs. Nothing is written to
them but one session row for the member the harness reads as.
"""

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import load, serve, stats  # noqa: E402
from harness.runner import (  # noqa: E402
    Worker,
    add_run_options,
    add_serve_options,
    database_urls,
    fmt,
    interleaved_rounds,
    prepare,
    report_ending,
    report_heading,
    short,
)

HERE = Path(__file__).resolve().parent


def pages(workers: list[Worker], infos: dict[str, dict], args) -> None:
    names = [w.name for w in workers]
    scenario_names = [name for name, _ in infos[names[0]]["scenarios"]]
    for worker in workers[1:]:
        for name, _ in infos[worker.name]["scenarios"]:
            if name not in scenario_names:
                scenario_names.append(name)
    if args.only:
        scenario_names = [n for n in scenario_names if any(o in n for o in args.only)]
    urls = {w.name: dict(infos[w.name]["scenarios"]) for w in workers}
    missing = {(scenario, worker.name): "no such page here" for scenario in scenario_names
               for worker in workers if scenario not in urls[worker.name]}
    times, failed, queries = interleaved_rounds(
        workers, scenario_names, rounds=args.rounds, repeat=args.repeat, failed=missing,
        warm=lambda scenario, worker: {"cmd": "warm", "url": urls[worker.name][scenario]},
        timed=lambda scenario, worker: {"cmd": "time", "url": urls[worker.name][scenario]})

    pair_list = stats.pairs(names)
    header = ["page"]
    for name in names:
        header += [f"{short(name)} median ms", f"{short(name)} p95 ms"]
    header += [f"{short(b)} ÷ {short(a)}" for a, b in pair_list]
    header += [f"queries {short(n)}" for n in names]
    print(f"\n### Pages: {args.rounds} rounds × {args.repeat} requests per scenario and "
          "database (medians and p95 in ms, in-process through Django's test client)\n")
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for scenario in scenario_names:
        row = [scenario]
        medians = {}
        for name in names:
            values = times[(scenario, name)]
            error = failed.get((scenario, name))
            if error and not values:
                row += [error, "—"]
                medians[name] = None
                continue
            medians[name] = stats.median(values)
            row += [fmt(medians[name]) + (f" ({error})" if error else ""),
                    fmt(stats.p95(values))]
        row += [fmt(stats.ratio(medians[b], medians[a]), 2) for a, b in pair_list]
        row += [str(queries.get((scenario, name), "—")) for name in names]
        print("| " + " | ".join(row) + " |")


def served(workers: list[Worker], envs: dict[str, dict], args) -> None:
    print(f"\n### Served: incident list, first page; gunicorn, {args.workers} sync workers, "
          f"{args.connections} connections, {args.serve_rounds} × {args.seconds:g} s each\n")
    print("| database | app req/s | app p50 ms | app p99 ms | floor req/s | floor p50 ms "
          "| floor p99 ms | app ÷ floor req/s | app p99 ÷ floor p99 | same rows |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    logs = serve.LOGS
    logs.mkdir(exist_ok=True)
    for worker in workers:
        session = worker.ask(cmd="session")
        env = envs[worker.name]
        floor_env = {**env, "FLOOR_DATABASE_URL": env["DATABASE_URL"]}
        app_port, floor_port = serve.free_port(), serve.free_port()
        app = serve.gunicorn("config.wsgi:application", app_port, env, workers=args.workers,
                             chdir=HERE.parent, log=logs / f"app-{short(worker.name)}.log")
        try:
            floor = serve.gunicorn("floor:application", floor_port, floor_env,
                                   workers=args.workers, chdir=HERE,
                                   log=logs / f"floor-{short(worker.name)}.log")
        except Exception:
            serve.stop(app)
            raise
        try:
            app_headers = {"Host": "127.0.0.1", "X-Forwarded-Proto": "https",
                           "Cookie": f"{session['name']}={session['value']}"}
            floor_path = f"/?user={session['user_id']}"
            status, page = load.get(app_port, "/incidents/", app_headers)
            if status != 200:
                # Signed out (the database was refilled under the run?): said, not measured.
                print(f"| {short(worker.name)} | app answered {status} to the signed-in "
                      "list: not measured |" + " |" * 8, flush=True)
                continue
            _, floor_page = load.get(floor_port, floor_path, {})
            app_ids, floor_ids = load.incident_ids(page), load.incident_ids(floor_page)
            # Equal dates and creation times may be listed in either order by both.
            same = ("yes" if app_ids == floor_ids else
                    "same set, order differs" if set(app_ids) == set(floor_ids) else "NO")
            for _ in range(args.workers * 3):  # both workers warm
                load.get(app_port, "/incidents/", app_headers)
                load.get(floor_port, floor_path, {})
            results = {"app": [], "floor": []}
            for _ in range(args.serve_rounds):
                results["app"].append(load.drive(app_port, "/incidents/", app_headers,
                                                 connections=args.connections,
                                                 seconds=args.seconds))
                results["floor"].append(load.drive(floor_port, floor_path, {},
                                                   connections=args.connections,
                                                   seconds=args.seconds))
        finally:
            serve.stop(app)
            serve.stop(floor)
        merged = {
            side: load.Load(requests=sum(r.requests for r in runs),
                            errors=sum(r.errors for r in runs),
                            seconds=sum(r.seconds for r in runs),
                            latencies_ms=[ms for r in runs for ms in r.latencies_ms])
            for side, runs in results.items()
        }
        a, f = merged["app"], merged["floor"]
        errors = f" ({a.errors} app errors)" if a.errors else ""
        errors += f" ({f.errors} floor errors)" if f.errors else ""
        print(f"| {short(worker.name)}{errors} | {fmt(a.per_second)} | {fmt(a.p50)} | "
              f"{fmt(a.p99)} | {fmt(f.per_second)} | {fmt(f.p50)} | {fmt(f.p99)} | "
              f"1/{f.per_second / a.per_second:,.0f} ({a.per_second / f.per_second:.4f}) | "
              f"{fmt(stats.ratio(a.p99, f.p99))} | {same} |", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_run_options(
        parser, databases={"required": True, "help": "comma-separated, smallest first: "
                                                     "names on 127.0.0.1 or URLs"},
        rounds_help=None, repeat_help="requests per scenario and database in each round",
        timeout_help="seconds a page's SQL statement may run before it counts as timed out "
                     "(PostgreSQL statement_timeout)")
    parser.add_argument("--word", default="",
                        help="the broad word to search for (default: the word in the most "
                             "incidents of a sample of each database)")
    parser.add_argument("--only", action="append",
                        help="run only scenarios whose name contains this (repeatable)")
    parser.add_argument("--no-pages", action="store_true", help="skip the in-process pages")
    parser.add_argument("--serve", action="store_true",
                        help="also serve the app and the floor and drive them")
    add_serve_options(parser)
    args = parser.parse_args()
    names = database_urls(args)

    secret, before = prepare(names[0])
    envs = {n: serve.production_env(n, secret) for n in names}
    for env in envs.values():
        env["BENCH_TIMEOUT"] = str(args.timeout)
        env["BENCH_WORD"] = args.word
    workers = []
    try:
        for name in names:
            print(f"resolving scenarios on {short(name)}", file=sys.stderr, flush=True)
            workers.append(Worker(name, envs[name]))
        infos = {w.name: w.ask(cmd="resolve") for w in workers}
        report_heading(before, infos[workers[0].name]["postgres"])
        for worker in workers:
            info = infos[worker.name]
            print(f"- {short(worker.name)}: {info['incidents']:,} incidents; reads as "
                  f"{info['user']} of team {info['team']} ({info['readable']:,} readable); "
                  f"broad word '{info['word']}', cause {info['cause']}")
            for scenario, url in info["scenarios"]:
                print(f"  - {scenario}: `{url}`")
        sys.stdout.flush()
        if not args.no_pages:
            pages(workers, infos, args)
        if args.serve:
            served(workers, envs, args)
    finally:
        for worker in workers:
            worker.close()
    report_ending()


if __name__ == "__main__":
    main()
