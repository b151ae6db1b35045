"""The REST API's benchmark (issue 10, item 10; results in bench/RESULTS.md), on the harness.

    .venv/bin/python bench/api.py --databases misfire_gen_1m > api.md

For each database, as the member of the team with the most incidents (bench/harness/
scenarios.py resolve_api), with a read-only API token made for them through the token
service when the run starts and revoked when it ends:

1. In-process: the JSON scenarios through Django's test client (bench/harness/worker.py),
   one warm-up each (which counts its queries), then --rounds × --repeat requests.
2. Served: the app under gunicorn (--workers sync workers, DEBUG=false, the deploy check's
   settings, as bench/run.py --serve) beside the floor (bench/api_floor.py: WSGI,
   psycopg2, hand-written SQL, orjson) with the same gunicorn settings, each JSON scenario
   driven for --seconds by --connections connections, app and floor alternating
   --serve-rounds times, after checking that both answer the same rows in the same order.
3. CSV: the app and the floor each under gunicorn with one worker, the whole filtered set
   downloaded --csv-rounds times each (alternating), timed from request to last byte; the
   worker's peak resident memory (VmHWM) is read after a first JSON request and after the
   downloads. The API's `?format=csv` answering 4xx is reported as not available.

Then the issue's targets, met or not. --profile adds cProfile and EXPLAIN ANALYZE of each
JSON scenario, in-process.
"""

import argparse
import csv
import io
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
    machine_line,
    prepare,
    report_ending,
    report_heading,
    short,
)

HERE = Path(__file__).resolve().parent
# The scenarios' roles, in the order the worker lists them (harness.scenarios.API_NAMES,
# which imports Django: the names come with the worker's answer, into LABELS).
LIST, FIRST, DEEP, CSV = "list", "first", "deep", "csv"
LABELS = {LIST: LIST, FIRST: FIRST, DEEP: DEEP, CSV: CSV}
JSON_SCENARIOS = (LIST, FIRST, DEEP)
# The targets.
LIST_THROUGHPUT = 0.35  # × the floor's requests/s, at least
LIST_P99 = 3.0  # × the floor's p99, at most
DEEP_RATIO = 1.5  # × the first page, at most
CSV_TIME = 2.5  # × the floor's time, at most
CSV_RSS_MB = 150  # the worker's peak, below
# The served app's API_RATE_TOKEN (config/settings.py): far above any run's requests.
UNREACHED_RATE = "1000000/minute"


def floor_path(url: str, user_id: int) -> str:
    """The floor's address for an API address: the same path and parameters, and the member."""
    path, _, query = url.partition("?")
    return f"{path}?user={user_id}" + (f"&{query}" if query else "")


def same(app: list[str], floor: list[str]) -> str:
    if not app:
        return "NO (the app listed nothing)"
    return "yes" if app == floor else ("same set, order differs" if set(app) == set(floor)
                                       else "NO")


def in_process(worker: Worker, urls: dict[str, str], args) -> dict[str, list[float]]:
    times = {name: [] for name in JSON_SCENARIOS}
    queries, failed = {}, {}
    for name in JSON_SCENARIOS:
        answer = worker.ask(cmd="warm", url=urls[name])
        queries[name] = answer["queries"]
        if answer["error"]:
            failed[name] = answer["error"]
    for round_number in range(args.rounds):
        for name in JSON_SCENARIOS:
            if name in failed:
                continue
            answer = worker.ask(cmd="time", url=urls[name], repeat=args.repeat)
            times[name].extend(answer["ms"])
            if answer["error"]:
                failed[name] = answer["error"]
        print(f"in-process round {round_number + 1}/{args.rounds}", file=sys.stderr, flush=True)
    print(f"\n### In-process: {args.rounds} rounds × {args.repeat} requests (Django's test "
          "client, token authentication)\n")
    print("| scenario | median ms | p95 ms | queries |")
    print("|---|---|---|---|")
    for name in JSON_SCENARIOS:
        values = times[name]
        if not values:
            print(f"| {LABELS[name]} | {failed.get(name, '—')} | — | "
                  f"{queries.get(name, '—')} |")
            continue
        print(f"| {LABELS[name]} | {fmt(stats.median(values))} | {fmt(stats.p95(values))} | "
              f"{queries[name]} |")
    return times


def merged(runs: list[load.Load]) -> load.Load:
    return load.Load(requests=sum(r.requests for r in runs), errors=sum(r.errors for r in runs),
                     seconds=sum(r.seconds for r in runs),
                     latencies_ms=[ms for r in runs for ms in r.latencies_ms])


def start_pair(env: dict, floor_env: dict, workers: int, label: str):
    logs = serve.LOGS
    logs.mkdir(exist_ok=True)
    app_port, floor_port = serve.free_port(), serve.free_port()
    app = serve.gunicorn("config.wsgi:application", app_port, env, workers=workers,
                         chdir=HERE.parent, log=logs / f"api-app-{label}.log")
    try:
        floor = serve.gunicorn("api_floor:application", floor_port, floor_env,
                               workers=workers, chdir=HERE, log=logs / f"api-floor-{label}.log")
    except Exception:
        serve.stop(app)
        raise
    return (app, app_port), (floor, floor_port)


def served(info: dict, urls: dict[str, str], env: dict, floor_env: dict, headers: dict,
           args) -> dict[str, dict[str, load.Load]]:
    label = short(env["DATABASE_URL"])
    (app, app_port), (floor, floor_port) = start_pair(env, floor_env, args.workers, label)
    results: dict[str, dict[str, list[load.Load]]] = {}
    checks: dict[str, str] = {}
    try:
        for name in JSON_SCENARIOS:
            status, page = load.get(app_port, urls[name], headers)
            _, floor_page = load.get(floor_port, floor_path(urls[name], info["user_id"]), {})
            if status != 200:
                checks[name] = f"app answered {status}: not measured"
                continue
            checks[name] = same(load.result_ids(page), load.result_ids(floor_page))
            for _ in range(args.workers * 3):  # every worker warm
                load.get(app_port, urls[name], headers)
                load.get(floor_port, floor_path(urls[name], info["user_id"]), {})
            results[name] = {"app": [], "floor": []}
            for _ in range(args.serve_rounds):
                results[name]["app"].append(load.drive(
                    app_port, urls[name], headers, connections=args.connections,
                    seconds=args.seconds))
                results[name]["floor"].append(load.drive(
                    floor_port, floor_path(urls[name], info["user_id"]), {},
                    connections=args.connections, seconds=args.seconds))
            print(f"served: {LABELS[name]}", file=sys.stderr, flush=True)
    finally:
        serve.stop(app)
        serve.stop(floor)
    print(f"\n### Served: gunicorn, {args.workers} sync workers each, {args.connections} "
          f"connections, {args.serve_rounds} × {args.seconds:g} s per side\n")
    print("| scenario | app req/s | app p50 ms | app p99 ms | floor req/s | floor p50 ms "
          "| floor p99 ms | app ÷ floor req/s | app p99 ÷ floor p99 | same rows |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    out = {}
    for name in JSON_SCENARIOS:
        if name not in results:
            print(f"| {LABELS[name]} | {checks[name]} |" + " |" * 8)
            continue
        a, f = merged(results[name]["app"]), merged(results[name]["floor"])
        out[name] = {"app": a, "floor": f}
        errors = f" ({a.errors} app errors)" if a.errors else ""
        errors += f" ({f.errors} floor errors)" if f.errors else ""
        print(f"| {LABELS[name]}{errors} | {fmt(a.per_second)} | {fmt(a.p50)} | {fmt(a.p99)} | "
              f"{fmt(f.per_second)} | {fmt(f.p50)} | {fmt(f.p99)} | "
              f"{fmt(stats.ratio(a.per_second, f.per_second), 3)} | "
              f"{fmt(stats.ratio(a.p99, f.p99), 2)} | {checks[name]} |", flush=True)
    return out


def csv_ids(body: bytes) -> list[str]:
    reader = csv.reader(io.StringIO(body.decode()))
    header = next(reader, [])
    if "id" not in header:
        return []
    column = header.index("id")
    return [row[column] for row in reader]


def csv_export(info: dict, url: str, env: dict, floor_env: dict, headers: dict, args) -> dict:
    """Time and the one worker's peak memory for the CSV, app and floor."""
    label = short(env["DATABASE_URL"]) + "-csv"
    (app, app_port), (floor, floor_port) = start_pair(env, floor_env, 1, label)
    sides = {"app": (app, app_port, url, headers),
             "floor": (floor, floor_port, floor_path(url, info["user_id"]), {})}
    out = {side: {"seconds": [], "bytes": 0, "rows": 0, "status": None} for side in sides}
    try:
        for side, (process, port, path, side_headers) in sides.items():
            # A first JSON request imports and connects everything: the worker's resting size.
            small = floor_path("/api/v1/incidents/", info["user_id"]) if side == "floor" \
                else "/api/v1/incidents/"
            load.get(port, small, side_headers)
            (pid,) = serve.worker_pids(process)
            out[side]["pid"] = pid
            out[side]["rest_mb"] = serve.peak_rss_mb(pid)
            # The first download checks the rows (and is not timed).
            status, size, _, body = load.fetch(port, path, side_headers, keep=True)
            out[side]["status"] = status
            out[side]["bytes"] = size
            out[side]["ids"] = csv_ids(body) if status == 200 else []
            out[side]["rows"] = len(out[side]["ids"])
            del body
            print(f"CSV {side}: status {status}, {size:,} bytes", file=sys.stderr, flush=True)
        for _ in range(args.csv_rounds):
            for side, (_, port, path, side_headers) in sides.items():
                if out[side]["status"] != 200:
                    continue
                status, _, seconds, _ = load.fetch(port, path, side_headers)
                if status == 200:
                    out[side]["seconds"].append(seconds)
        for side in sides:
            out[side]["peak_mb"] = serve.peak_rss_mb(out[side]["pid"])
    finally:
        serve.stop(app)
        serve.stop(floor)
    a, f = out["app"], out["floor"]
    print(f"\n### CSV: gunicorn, 1 sync worker each, {args.csv_rounds} downloads per side "
          "(after one that checks the rows)\n")
    print("| side | status | rows | MB | median s | worker at rest MB | worker peak MB |")
    print("|---|---|---|---|---|---|---|")
    for side, row in out.items():
        if row["status"] != 200:
            print(f"| {side} | {row['status']}: not available | — | — | — | "
                  f"{fmt(row['rest_mb'])} | — |")
            continue
        print(f"| {side} | 200 | {row['rows']:,} | {fmt(row['bytes'] / 1e6)} | "
              f"{fmt(stats.median(row['seconds']), 2)} | {fmt(row['rest_mb'])} | "
              f"{fmt(row['peak_mb'])} |")
    if a["status"] == 200 and f["status"] == 200:
        print(f"\n- same rows: {same(a['ids'], f['ids'])}")
    elif a["status"] is not None and 400 <= a["status"] < 500:
        print(f"\n- The API's CSV export is not available (`{url}` answered {a['status']}): "
              "its time and memory are not measured; the floor's are above.")
    return out


def profile(worker: Worker, urls: dict[str, str]) -> None:
    print("\n### Profiles (in-process, one request each)\n")
    for name in JSON_SCENARIOS:
        print(f"#### {LABELS[name]}: `{urls[name]}`\n")
        plans = worker.ask(cmd="explain", url=urls[name])["queries"]
        for number, plan in enumerate(plans, 1):
            print(f"Query {number} ({plan['ms']:.1f} ms):\n\n```\n{plan['sql']}\n\n"
                  f"{plan['plan']}\n```\n")
        text = worker.ask(cmd="profile", url=urls[name], limit=40)["text"]
        print(f"cProfile, by cumulative time:\n\n```\n{text.strip()}\n```\n")


def targets(out: dict, times: dict, csv_out: dict | None) -> None:
    def verdict(ok: bool | None) -> str:
        return "—" if ok is None else ("met" if ok else "MISSED")

    print("\n### Targets\n")
    print("| target | measured | |")
    print("|---|---|---|")
    if LIST in out:
        a, f = out[LIST]["app"], out[LIST]["floor"]
        share = a.per_second / f.per_second
        p99 = a.p99 / f.p99
        print(f"| {LABELS[LIST]}: ≥ {LIST_THROUGHPUT} × the floor's requests/s | {share:.3f} × | "
              f"{verdict(share >= LIST_THROUGHPUT)} |")
        print(f"| {LABELS[LIST]}: p99 ≤ {LIST_P99:g} × the floor's | {p99:.2f} × | "
              f"{verdict(p99 <= LIST_P99)} |")
    if times.get(DEEP) and times.get(FIRST):
        ratio = stats.median(times[DEEP]) / stats.median(times[FIRST])
        print(f"| {LABELS[DEEP]} ≤ {DEEP_RATIO:g} × the first page (in-process medians) | "
              f"{ratio:.2f} × | {verdict(ratio <= DEEP_RATIO)} |")
    if DEEP in out and FIRST in out:
        ratio = out[DEEP]["app"].p50 / out[FIRST]["app"].p50
        print(f"| {LABELS[DEEP]} ≤ {DEEP_RATIO:g} × the first page (served p50) | {ratio:.2f} × | "
              f"{verdict(ratio <= DEEP_RATIO)} |")
    if csv_out is not None:
        a, f = csv_out["app"], csv_out["floor"]
        if a["status"] == 200 and a["seconds"] and f["seconds"]:
            ratio = stats.median(a["seconds"]) / stats.median(f["seconds"])
            print(f"| {LABELS[CSV]}: time ≤ {CSV_TIME:g} × the floor's | {ratio:.2f} × | "
                  f"{verdict(ratio <= CSV_TIME)} |")
            print(f"| {LABELS[CSV]}: worker's peak RSS < {CSV_RSS_MB} MB | "
                  f"{fmt(a['peak_mb'])} MB | "
                  f"{verdict(a['peak_mb'] < CSV_RSS_MB)} |")
        else:
            print(f"| {LABELS[CSV]}: time ≤ {CSV_TIME:g} × the floor's, peak RSS < {CSV_RSS_MB} MB "
                  f"| not available (status {a['status']}) | — |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_run_options(
        parser, databases={"default": "misfire_gen_1m",
                           "help": "comma-separated names on 127.0.0.1 or URLs"},
        rounds_help="in-process rounds",
        repeat_help="in-process requests per scenario in each round",
        timeout_help="PostgreSQL statement_timeout of the in-process requests, seconds")
    add_serve_options(parser)
    parser.add_argument("--csv-rounds", type=int, default=3)
    parser.add_argument("--no-serve", action="store_true", help="in-process only")
    parser.add_argument("--no-csv", action="store_true", help="skip the CSV scenario")
    parser.add_argument("--profile", action="store_true",
                        help="add cProfile and EXPLAIN ANALYZE of each JSON scenario")
    args = parser.parse_args()
    names = database_urls(args)

    secret, before = prepare(names[0])
    report_heading(before)
    for name in names:
        # The throttle (api/throttles.py) still counts every request, as in production, but
        # at a rate no run reaches: at the default 600/minute a token, a fast run is answered
        # 429 (not measured), and the 429s, answered at once, would flatter the throughput.
        env = {**serve.production_env(name, secret), "API_RATE_TOKEN": UNREACHED_RATE}
        worker_env = {**env, "BENCH_MODE": "api", "BENCH_TIMEOUT": str(args.timeout)}
        floor_env = {**env, "FLOOR_DATABASE_URL": name, "FLOOR_SITE": "https://127.0.0.1"}
        print(f"resolving the API's scenarios on {short(name)}", file=sys.stderr, flush=True)
        worker = Worker(name, worker_env)
        try:
            info = worker.ask(cmd="resolve")
            roles = (LIST, FIRST, DEEP, CSV)
            LABELS.update({role: label for role, (label, _) in zip(roles, info["scenarios"],
                                                                   strict=True)})
            urls = {role: url for role, (_, url) in zip(roles, info["scenarios"], strict=True)}
            print(machine_line(info["postgres"]))
            print(f"- {short(name)}: {info['incidents']:,} incidents; reads as {info['user']} "
                  f"of team {info['team']} ({info['readable']:,} readable) with a read-only "
                  f"API token made for the run; the team list holds {info['team_rows']:,} "
                  f"rows, the deep page starts after {info['deep']:,}, the CSV holds "
                  f"{info['csv_rows']:,} (since {info['csv_since']})")
            for scenario, url in info["scenarios"]:
                print(f"  - {scenario}: `{url}`")
            sys.stdout.flush()
            headers = {"Host": "127.0.0.1", "X-Forwarded-Proto": "https",
                       "Authorization": f"Token {info['key']}"}
            times = in_process(worker, urls, args)
            out = {} if args.no_serve else served(info, urls, env, floor_env, headers, args)
            csv_out = None
            if not (args.no_serve or args.no_csv):
                csv_out = csv_export(info, urls[CSV], env, floor_env, headers, args)
            targets(out, times, csv_out)
            if args.profile:
                profile(worker, urls)
        finally:
            worker.close()  # revokes the run's token
    report_ending()


if __name__ == "__main__":
    main()
