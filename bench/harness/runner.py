"""What the harness's commands (bench/run.py, bench/api.py) share: naming databases, the
per-database worker process, and the lines every report starts and ends with."""

import json
import os
import platform
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def database_url(name: str) -> str:
    return name if "://" in name else f"postgres://postgres@127.0.0.1:5432/{name}"


def short(name: str) -> str:
    return name.rsplit("/", 1)[-1]


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
