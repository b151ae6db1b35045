"""The weekly digest's benchmark (issue 12, point 8; results in bench/RESULTS.md).

    .venv/bin/python bench/digest.py --rounds 2 > digest.md

1. Data, loaded once and reused: a PostgreSQL database (`--database`, misfire_bench_digest)
   filled by `manage.py generate_data --teams 1000 --incidents 200000` when it is empty, then
   topped up (batched inserts) so that every team has exactly `--managers` (5) managers who
   receive the digest: 5,000 recipients. Before each run every team is made due at that
   moment (its digest day today in its own time zone, from midnight) and every DigestDelivery
   row is deleted, so the same week is sent again.
2. Real: an SMTP sink (aiosmtpd, its own process, bench/harness/smtp_sink.py) counting what
   it receives per recipient and Message-ID; `--processes` (2) `celery -A config worker`
   processes of `--concurrency` (1) each on Redis (`--redis`, db 14), sending with Django's
   SMTP backend (EMAIL_URL=smtp://127.0.0.1:<sink>). The run sends the hourly tick
   (`dashboards.queue_digests`) through the broker, as beat would; a worker runs it and
   queues one `send_digest` per team. Timed from sending the tick to the sink's last email.
   Then checked: duplicates (emails beyond one per recipient), missing recipients, the
   Message-ID each got against its delivery row's, every row `sent`.
3. Floor, in the same run, in this process: the same emails rendered (digest_build once per
   team, digest_message per recipient) and handed to Django's locmem backend in one plain
   loop, no claiming.
4. Interleaved rounds (bench/harness/runner.interleaved_rounds): one warm-up of each side on
   `--warm-teams` teams (which also counts queries), then `--rounds` rounds of one real and
   one floor run each, the side that goes first alternating.

`--profile N` instead profiles digest_send (cProfile) for N teams in this process, sending to
the sink through the SMTP backend: where the real path's time goes without Celery.
"""

import argparse
import cProfile
import io
import os
import pstats
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from harness import serve, stats  # noqa: E402
from harness.runner import (  # noqa: E402
    database_url,
    fmt,
    interleaved_rounds,
    loadavg,
    report_ending,
    report_heading,
)

TARGET = 2.0  # the real path ÷ the floor, at most
NAME = "digest"


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", default="misfire_bench_digest",
                        help="name on 127.0.0.1 or URL (filled when empty, then reused)")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/14")
    parser.add_argument("--teams", type=int, default=1000)
    parser.add_argument("--managers", type=int, default=5,
                        help="digest recipients per team")
    parser.add_argument("--incidents", type=int, default=200_000,
                        help="for generate_data, when the database is empty")
    parser.add_argument("--processes", type=int, default=2, help="celery worker processes")
    parser.add_argument("--concurrency", type=int, default=1, help="each worker's -c")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--warm-teams", type=int, default=20)
    parser.add_argument("--stall", type=float, default=120,
                        help="seconds without a new email before a run is called stalled")
    parser.add_argument("--profile", type=int, metavar="N",
                        help="profile digest_send for N teams in-process instead")
    return parser.parse_args()


def environment(args: argparse.Namespace, secret: str) -> dict[str, str]:
    """The deploy check's settings (harness.serve), with Redis as broker and cache."""
    env = serve.production_env(database_url(args.database), secret)
    env["REDIS_URL"] = args.redis
    env.pop("EMAIL_URL", None)
    return env


def manage(env: dict[str, str], *arguments: str) -> None:
    subprocess.run([sys.executable, "manage.py", *arguments], cwd=ROOT, env=env,  # noqa: S603
                   check=True)


def ensure_data(args: argparse.Namespace, env: dict[str, str]) -> dict:
    """Fill the database when empty, top up the recipients, and describe what is there."""
    from django.contrib.auth.hashers import make_password
    from django.db import transaction
    from django.db.models import Count

    from accounts.models import Membership, Role, Team, User
    from incidents.models import Incident
    from learnings.datagen.safety import GENERATED_DOMAIN

    teams = Team.objects.count()
    if teams == 0:
        print(f"filling {args.database}: generate_data --teams {args.teams} --incidents "
              f"{args.incidents}", file=sys.stderr, flush=True)
        manage(env, "generate_data", "--teams", str(args.teams),
               "--incidents", str(args.incidents))
        teams = Team.objects.count()
    if teams != args.teams:
        sys.exit(f"{args.database} holds {teams} teams, not {args.teams}: drop and recreate it "
                 "(createdb), or name another --database")
    have = dict(Membership.objects.filter(receives_digest=True, user__is_active=True)
                .values("team_id").annotate(n=Count("pk")).values_list("team_id", "n"))
    if any(n > args.managers for n in have.values()):
        sys.exit(f"some teams have more than {args.managers} digest recipients")
    users, team_ids = [], []
    unusable = make_password(None)
    for team in Team.objects.only("pk", "timezone").order_by("pk"):
        for i in range(have.get(team.pk, 0), args.managers):
            users.append(User(email=f"digest.manager.{team.pk}.{i}@{GENERATED_DOMAIN}",
                              password=unusable, display_name=f"Manager {i + 1} of {team.pk}",
                              timezone=team.timezone, is_active=True))
            team_ids.append(team.pk)
    if users:
        print(f"adding {len(users):,} managers who receive the digest", file=sys.stderr,
              flush=True)
        with transaction.atomic():
            made = User.objects.bulk_create(users, batch_size=2000)
            Membership.objects.bulk_create(
                [Membership(user_id=user.pk, team_id=team_id, role=Role.MANAGER,
                            receives_digest=True)
                 for user, team_id in zip(made, team_ids, strict=True)], batch_size=2000)
    recipients = Membership.objects.filter(receives_digest=True, user__is_active=True).count()
    return {"teams": teams, "recipients": recipients, "incidents": Incident.objects.count()}


def start_workers(args: argparse.Namespace, env: dict[str, str], celery_app) -> list:
    """`--processes` celery workers; waits until each answers a ping."""
    serve.LOGS.mkdir(exist_ok=True)
    celery_app.control.purge()
    processes = []
    for number in range(1, args.processes + 1):
        log = open(serve.LOGS / f"digest-worker-{number}.log", "ab")  # noqa: SIM115
        processes.append(subprocess.Popen(  # noqa: S603 (celery from this environment)
            [str(serve.BIN / "celery"), "-A", "config", "worker", "--pool", "prefork",
             "--concurrency", str(args.concurrency), "-n", f"bench-digest-{number}@%h",
             "--without-gossip", "--without-mingle", "--without-heartbeat",
             "--loglevel", "warning"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT))
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if any(p.poll() is not None for p in processes):
            stop_workers(processes)
            sys.exit(f"a celery worker exited; see {serve.LOGS}/digest-worker-*.log")
        if len(celery_app.control.ping(timeout=1.0)) >= args.processes:
            return processes
    stop_workers(processes)
    sys.exit("the celery workers did not answer within 90 s")


def stop_workers(processes: list) -> None:
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def profile(args: argparse.Namespace, sink) -> None:
    """digest_send for the first N teams, in this process, through the SMTP backend."""
    from django.utils import timezone
    from harness.digest_sides import clear_deliveries, set_due

    from accounts.models import Team
    from dashboards.schedule import due_week
    from dashboards.services import digest_send

    clear_deliveries()
    set_due()
    now = timezone.now()
    teams = list(Team.objects.order_by("pk")[:args.profile])
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    for team in teams:
        digest_send(team=team, period=due_week(team, now))
    profiler.disable()
    seconds = time.perf_counter() - started
    received = sink.ask(cmd="count")["received"]
    clear_deliveries()
    print(f"\n### digest_send profiled, {len(teams)} teams in-process, {received} emails to the "
          f"sink in {seconds:.2f} s ({seconds / max(received, 1) * 1000:.1f} ms an email)\n")
    for order in ("cumulative", "tottime"):
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats(order).print_stats(30)
        print(f"```\n{out.getvalue().strip()}\n```\n")


def report(real, floor, times: dict, failed: dict, queries: dict, args, data: dict) -> None:
    print(f"\n### {args.rounds} rounds, interleaved (the side that goes first alternates)\n")
    print("| round | side | wall s | emails | emails/s | duplicates | missing | rows |")
    print("|---|---|---|---|---|---|---|---|")
    for number, (r, f) in enumerate(zip(real.runs, floor.runs, strict=False), 1):
        rows = ", ".join(f"{n:,} {status}" for status, n in sorted(r["statuses"].items()))
        extra = "".join(
            f"; {key} {r[key]}" for key in ("unexpected", "wrong_message_id",
                                            "repeated_message_ids", "recipients_without_row")
            if r[key])
        wall = r["seconds"]
        print(f"| {number} | real | {fmt(wall, 2)} | {r['received']:,} | "
              f"{fmt(r['received'] / wall if wall else None, 0)} | {r['duplicates']} | "
              f"{r['missing']} | {rows}{extra}{' — ' + r['error'] if r['error'] else ''} |")
        print(f"| {number} | floor | {fmt(f['seconds'], 2)} | {f['emails']:,} | "
              f"{fmt(f['emails'] / f['seconds'], 0)} | — | — | — |")
    real_times = [ms / 1000 for ms in times.get((NAME, "real"), [])]
    floor_times = [ms / 1000 for ms in times.get((NAME, "floor"), [])]
    real_median = stats.median(real_times) if real_times else None
    floor_median = stats.median(floor_times) if floor_times else None
    ratio = stats.ratio(real_median, floor_median)
    rounds = [stats.ratio(r["seconds"], f["seconds"])
              for r, f in zip(real.runs, floor.runs, strict=False)]
    print(f"\n- medians: real {fmt(real_median, 2)} s, floor {fmt(floor_median, 2)} s; "
          f"real ÷ floor {fmt(ratio, 2)} (per round: "
          f"{', '.join(fmt(x, 2) for x in rounds)})")
    if real.runs:
        print(f"- the first email reached the sink {fmt(real.runs[-1]['first_after'], 2)} s "
              "after the tick (last round)")
    print(f"- statements per team: real (digest_send for one team of {args.managers}, "
          f"savepoints for transactions) {queries.get((NAME, 'real'), '—')}; floor "
          f"(digest_build) {queries.get((NAME, 'floor'), '—')}")
    if failed:
        print(f"- failed: {failed}")
    duplicates = sum(r["duplicates"] for r in real.runs)
    missing = sum(r["missing"] for r in real.runs)
    all_sent = all(r["statuses"] == {"sent": data["recipients"]} for r in real.runs)
    print("\n### Targets\n")
    print("| target | measured | |")
    print("|---|---|---|")
    print(f"| real ≤ {TARGET:g} × floor (medians) | {fmt(ratio, 2)} | "
          f"{'—' if ratio is None else ('met' if ratio <= TARGET else 'MISSED')} |")
    print(f"| zero duplicates (all rounds) | {duplicates} | "
          f"{'met' if duplicates == 0 and real.runs else 'MISSED'} |")
    print(f"| zero missing (all rounds) | {missing} | "
          f"{'met' if missing == 0 and real.runs else 'MISSED'} |")
    print(f"| every DigestDelivery row `sent` | "
          f"{'; '.join(str(r['statuses']) for r in real.runs)} | "
          f"{'met' if all_sent and real.runs else 'MISSED'} |")


def main() -> None:
    args = parse()
    secret, before = serve.new_secret(), loadavg()
    env = environment(args, secret)
    for key in ("DEBUG", "CONN_MAX_AGE", "EMAIL_URL"):
        os.environ.pop(key, None)
    os.environ.update(env)
    manage(env, "migrate", "-v", "0")
    serve.LOGS.mkdir(exist_ok=True)

    from harness.smtp_sink import SinkProcess

    sink = SinkProcess(serve.LOGS / "digest-smtp-sink.log")
    workers: list = []
    try:
        env["EMAIL_URL"] = os.environ["EMAIL_URL"] = f"smtp://127.0.0.1:{sink.port}"
        import django

        django.setup()
        from django.db import connection
        from harness.digest_sides import FloorSide, RealSide

        from config import celery_app

        data = ensure_data(args, env)
        if args.profile:
            profile(args, sink)
            return
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            postgres = cursor.fetchone()[0].split()[0]
        print(f"starting {args.processes} celery worker(s) of --concurrency "
              f"{args.concurrency}", file=sys.stderr, flush=True)
        workers = start_workers(args, env, celery_app)
        warm_teams = list(range(1, args.warm_teams + 1))
        real = RealSide(celery_app=celery_app, sink=sink, expected=data["recipients"],
                        warm_teams=warm_teams, stall=args.stall)
        floor = FloorSide(warm_teams=warm_teams)
        times, failed, queries = interleaved_rounds(
            [real, floor], [NAME], rounds=args.rounds, repeat=1,
            warm=lambda name, side: {"cmd": "warm"}, timed=lambda name, side: {"cmd": "run"})
        report_heading(before, postgres)
        print(f"- data: {args.database}: {data['teams']:,} teams, {data['recipients']:,} digest "
              f"recipients ({args.managers} managers a team), {data['incidents']:,} incidents "
              "(generate_data, then managers added)")
        if floor.runs:
            shape = floor.runs[0]["shape"]
            print("- the week's digests: " + ", ".join(f"{key} {n:,}"
                                                       for key, n in sorted(shape.items()))
                  + f"; the largest of 50 emails {floor.runs[0]['largest_kb']:.0f} KB")
        print(f"- real: the tick through Redis ({args.redis}) to {args.processes} `celery -A "
              f"config worker --pool prefork --concurrency {args.concurrency}` process(es), "
              "Django's SMTP backend to an aiosmtpd sink in its own process; floor: "
              "digest_build per team and digest_message per recipient to the locmem backend "
              "in one loop in one process")
        report(real, floor, times, failed, queries, args, data)
    finally:
        stop_workers(workers)
        sink.close()
    report_ending()


if __name__ == "__main__":
    main()
