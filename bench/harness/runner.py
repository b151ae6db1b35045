"""What the harness's commands (bench/run.py, bench/api.py, bench/dashboards.py) share: their
common options, naming databases, the per-database worker process, the interleaved rounds,
and the lines every report starts and ends with."""

import argparse
import json
import os
import platform
import shlex
import subprocess
import sys
import time
from pathlib import Path

from . import serve

HERE = Path(__file__).resolve().parent


def interleaved_rounds(workers: list, names: list[str], *, rounds: int, repeat: int,
                       warm: dict, timed: dict, failed: dict | None = None
                       ) -> tuple[dict, dict, dict]:
    """Warm every scenario on every worker once (its query count), then run `rounds` rounds of
    `repeat` timings each, the worker that goes first rotating from round to round so that
    drift (another job, a cache warming) falls evenly. `warm` and `timed`: the worker command
    and arguments for a scenario name (a callable), without `repeat`. `failed` may name
    scenarios a worker lacks. Returns (times, failed, queries), keyed by (name, worker)."""
    times: dict[tuple[str, str], list[float]] = {}
    failed = dict(failed or {})
    queries: dict[tuple[str, str], int] = {}
    for name in names:
        for worker in workers:
            key = (name, worker.name)
            times[key] = []
            if key in failed:
                continue
            answer = worker.ask(**warm(name, worker))
            queries[key] = answer["queries"]
            if answer["error"]:
                failed[key] = answer["error"]
    for round_number in range(rounds):
        order = workers[round_number % len(workers):] + workers[:round_number % len(workers)]
        started = time.monotonic()
        for name in names:
            for worker in order:
                key = (name, worker.name)
                if key in failed:
                    continue
                answer = worker.ask(**timed(name, worker), repeat=repeat)
                times[key].extend(answer["ms"])
                if answer["error"]:
                    failed[key] = answer["error"]
        print(f"round {round_number + 1}/{rounds}: {time.monotonic() - started:.0f} s",
              file=sys.stderr, flush=True)
    return times, failed, queries


def database_url(name: str) -> str:
    return name if "://" in name else f"postgres://postgres@127.0.0.1:5432/{name}"


def short(name: str) -> str:
    return name.rsplit("/", 1)[-1]


def add_run_options(parser: argparse.ArgumentParser, *, databases: dict, rounds_help: str | None,
                    repeat_help: str, timeout_help: str) -> None:
    """--databases (its `required` or `default` and help in `databases`), --rounds, --repeat
    and --timeout, each command saying what they mean for it."""
    parser.add_argument("--databases", **databases)
    parser.add_argument("--rounds", type=int, default=5, help=rounds_help)
    parser.add_argument("--repeat", type=int, default=3, help=repeat_help)
    parser.add_argument("--timeout", type=float, default=120, help=timeout_help)


def add_serve_options(parser: argparse.ArgumentParser) -> None:
    """How the app and the floor are served and driven: gunicorn's --workers, and
    --connections for --seconds, --serve-rounds times."""
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--serve-rounds", type=int, default=2)


def database_urls(args: argparse.Namespace) -> list[str]:
    """--databases, comma-separated, as URLs."""
    return [database_url(n) for n in args.databases.split(",") if n]


def prepare(first_database: str) -> tuple[str, str]:
    """Before anything runs: a new secret key for the served app and the load average, then
    the static files collected (with the first database's settings). Returns both."""
    secret = serve.new_secret()
    before = loadavg()
    print(f"collecting static files into {serve.STATIC_ROOT}", file=sys.stderr, flush=True)
    serve.collectstatic(serve.production_env(first_database, secret))
    return secret, before


def report_heading(before: str, postgres: str | None = None) -> None:
    """The report's first lines: when, the machine (when the PostgreSQL version is known by
    then), the load average before, the command."""
    print(f"## Run of {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}\n")
    if postgres is not None:
        print(machine_line(postgres))
    print(f"- load average before: {before}")
    print(f"- command: `{shlex.join([Path(sys.executable).name, *sys.argv])}`")


def report_ending() -> None:
    print(f"\n- load average after: {loadavg()}")


class Worker:
    """One database's process (bench/harness/worker.py), spoken to one JSON line at a time."""

    def __init__(self, name: str, env: dict[str, str]):
        self.name = name
        self.process = subprocess.Popen(  # noqa: S603  (this interpreter, the harness's worker)
            [sys.executable, str(HERE / "worker.py")], env=env, text=True,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE)

    def ask(self, **request) -> dict:
        self.process.stdin.write(json.dumps(request) + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"the worker for {self.name} stopped; see its errors above")
        return json.loads(line)

    def close(self) -> None:
        try:
            if self.process.poll() is None:
                self.ask(cmd="quit")
                self.process.wait(timeout=30)
        except (OSError, RuntimeError, subprocess.TimeoutExpired):
            self.process.kill()
            self.process.wait()


def machine() -> dict:
    meminfo = Path("/proc/meminfo").read_text().split("\n")[0].split()
    return {
        "cpus": os.cpu_count(),
        "cpu": next((line.split(":", 1)[1].strip() for line in
                     Path("/proc/cpuinfo").read_text().splitlines()
                     if line.startswith("model name")), platform.processor()),
        "ram_gb": round(int(meminfo[1]) / 1024 / 1024, 1),
        "python": platform.python_version(),
    }


def machine_line(postgres: str) -> str:
    box = machine()
    return (f"- machine: {box['cpus']} CPUs ({box['cpu']}), {box['ram_gb']} GB RAM, "
            f"Python {box['python']}, PostgreSQL {postgres}")


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def fmt(value: float | None, digits: int = 1) -> str:
    if value is None:
        return "—"
    return f"{value:,.{digits}f}"
