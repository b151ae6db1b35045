"""A real `celery -A config worker` process for the integration tests, and waiting for it.

The worker runs in a session (process group) of its own, so that `kill()` takes down the
main process and its pool children at once, like a machine losing power, and `stop()` leaves
no orphan behind. Its log goes to a file (a pipe nobody reads would fill and block it).
"""

import contextlib
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

import redis
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
# Generous for a loaded CI machine, and still well under a test's minute.
START_TIMEOUT = 30.0
TASK = "dashboards.send_digest"


def wait_until(predicate: Callable[[], object], *, timeout: float, what: str,
               detail: Callable[[], str] = lambda: "") -> None:
    """Poll `predicate` until it is true; fail saying `what` did not happen in time."""
    deadline = time.monotonic() + timeout
    while True:
        if predicate():
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"Not within {timeout:.0f} s: {what}. {detail()}")
        time.sleep(0.1)


def current_database_url() -> str:
    """The URL of the database this test runs on (pytest-django's test database)."""
    db = connection.settings_dict
    user = quote(db.get("USER") or "", safe="")
    password = quote(db.get("PASSWORD") or "", safe="")
    auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = db.get("HOST") or "127.0.0.1"
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"postgres://{auth}{host}{port}/{quote(db['NAME'], safe='')}"


# The Redis keys of the Celery broker (kombu's Redis transport): the default queue, the
# messages delivered and not yet acknowledged, and kombu's own bookkeeping.
BROKER_KEYS = ("celery", "unacked", "unacked_index", "unacked_mutex")


def flush_broker(url: str) -> None:
    """Empty the broker: queued messages and unacknowledged ones (the cache's keys in the same
    Redis database are left alone)."""
    client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5)
    try:
        client.delete(*BROKER_KEYS, *client.scan_iter("_kombu.*"))
    finally:
        client.close()


def broker_is_empty(url: str) -> bool:
    """Neither a queued message nor an unacknowledged one left in the broker."""
    client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5)
    try:
        return (client.llen("celery") == 0 and client.hlen("unacked") == 0
                and client.zcard("unacked_index") == 0)
    finally:
        client.close()


class Worker:
    def __init__(self, *, log_dir: Path, redis_url: str, email_url: str, concurrency: int = 2,
                 **env: str) -> None:
        self.name = f"integ-{uuid.uuid4().hex[:8]}@%h"
        self.log_path = log_dir / f"worker-{uuid.uuid4().hex[:8]}.log"
        self.concurrency = concurrency
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "PYTHONUNBUFFERED": "1",
            "DATABASE_URL": current_database_url(),
            "REDIS_URL": redis_url,
            "EMAIL_URL": email_url,
            "EMAIL_TIMEOUT": "20",
            "SECRET_KEY": settings.SECRET_KEY,
            "SITE_URL": settings.SITE_URL,
            # Retries a fraction of a second apart instead of minutes.
            "DIGEST_RETRY_BASE_DELAY": "0.2",
            "DIGEST_RETRY_MAX_DELAY": "1",
            "DIGEST_MAX_RETRIES": "10",
            # A stuck task is cut off well before the test's own time runs out.
            "CELERY_TASK_SOFT_TIME_LIMIT": "25",
            "CELERY_TASK_TIME_LIMIT": "30",
            **env,
        }
        self.process: subprocess.Popen | None = None

    def start(self) -> "Worker":
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(  # noqa: S603 (our own command line)
                [sys.executable, "-m", "celery", "-A", "config", "worker",
                 "--loglevel=INFO", "--pool=prefork", f"--concurrency={self.concurrency}",
                 "--without-gossip", "--without-mingle", "--without-heartbeat",
                 "--hostname", self.name],
                cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, start_new_session=True,
            )
        wait_until(lambda: " ready." in self.log() or self.process.poll() is not None,
                   timeout=START_TIMEOUT, what="the Celery worker started",
                   detail=self.tail)
        if self.process.poll() is not None:
            raise AssertionError(f"The Celery worker exited at start. {self.tail()}")
        return self

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def tail(self, lines: int = 40) -> str:
        return "Worker log:\n" + "\n".join(self.log().splitlines()[-lines:])

    def received(self) -> list[str]:
        """The ids of the digest tasks this worker received, in order (with repeats)."""
        return re.findall(rf"Task {re.escape(TASK)}\[([0-9a-f-]+)\] received", self.log())

    def succeeded(self) -> list[str]:
        return re.findall(rf"Task {re.escape(TASK)}\[([0-9a-f-]+)\] succeeded", self.log())

    def retries(self) -> list[str]:
        return re.findall(rf"Task {re.escape(TASK)}\[([0-9a-f-]+)\] retry:", self.log())

    def wait_for_successes(self, count: int, *, timeout: float = 30.0) -> None:
        wait_until(lambda: len(self.succeeded()) >= count, timeout=timeout,
                   what=f"{count} digest task(s) succeeded", detail=self.tail)

    def _signal_group(self, signum: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signum)

    def pool_processes(self) -> list[int]:
        """The pids of the worker's pool children (the processes that run the tasks)."""
        children = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except (FileNotFoundError, ProcessLookupError, IndexError):
                continue
            if int(fields[1]) == self.process.pid:
                children.append(int(stat.parent.name))
        return children

    def kill(self) -> None:
        """SIGKILL the worker and its pool children at once: nothing is acknowledged,
        nothing is cleaned up."""
        self._signal_group(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        """End the worker (at once, then by force): no process of it outlives the test."""
        if self.process is None:
            return
        if self.process.poll() is None:
            # Cold shutdown: nothing of the test is left to finish.
            self._signal_group(signal.SIGQUIT)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=10)
        # The pool children too, whatever happened to the main process.
        self._signal_group(signal.SIGKILL)
        if self.process.poll() is None:
            self.process.wait(timeout=10)
