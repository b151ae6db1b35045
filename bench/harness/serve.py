"""Starting and stopping gunicorn for the app and the floor, with production-like settings."""

import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
BIN = Path(sys.executable).parent
TMP = Path(tempfile.gettempdir())
STATIC_ROOT = TMP / "misfire-bench-static"
LOGS = TMP / "misfire-bench-logs"


def production_env(database_url: str, secret_key: str) -> dict[str, str]:
    """The deploy check's settings (.ci/run): DEBUG off, a real secret, named hosts. The
    harness speaks plain http on 127.0.0.1 and says https the way a proxy in front would
    (X-Forwarded-Proto, SECURE_PROXY_SSL_HEADER), so every secure default stays on."""
    env = {key: value for key, value in os.environ.items()
           if key not in ("DEBUG", "CONN_MAX_AGE", "REDIS_URL")}
    env.update({
        "DATABASE_URL": database_url,
        "DEBUG": "false",
        "SECRET_KEY": secret_key,
        "ALLOWED_HOSTS": "misfire.example.com,127.0.0.1,testserver",
        "SITE_URL": "https://misfire.example.com",
        "STATIC_ROOT": str(STATIC_ROOT),
        "LOG_LEVEL": "WARNING",
        "DJANGO_SETTINGS_MODULE": "config.settings",
    })
    return env


def new_secret() -> str:
    return secrets.token_urlsafe(64)


def collectstatic(env: dict[str, str]) -> None:
    """The manifest that production's static storage needs for {% static %}."""
    subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
                   cwd=ROOT, env=env, check=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def gunicorn(app: str, port: int, env: dict[str, str], *, workers: int, chdir: Path,
             log: Path) -> subprocess.Popen:
    command = [str(BIN / "gunicorn"), app, "--chdir", str(chdir), "--workers", str(workers),
               "--bind", f"127.0.0.1:{port}", "--timeout", "600", "--log-level", "warning"]
    with open(log, "ab") as out:
        # The command is ours: gunicorn and an app name from this harness.
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out,  # noqa: S603
                                   stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn {app} exited; see {log}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return process
        time.sleep(0.2)
    stop(process)
    raise RuntimeError(f"gunicorn {app} did not listen on {port}; see {log}")


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def worker_pids(process: subprocess.Popen) -> list[int]:
    """The gunicorn master's worker processes (its children), from /proc."""
    pids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            # "pid (comm) state ppid …": comm may hold spaces, so read after its ")".
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # ended while we looked
        if int(fields[1]) == process.pid:
            pids.append(int(stat.parent.name))
    return sorted(pids)


def peak_rss_mb(pid: int) -> float:
    """A process's peak resident memory so far (VmHWM), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmHWM for process {pid}")
