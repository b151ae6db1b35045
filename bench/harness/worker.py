"""One database's side of the interleaved rounds: a process with Django set up on the database
that DATABASE_URL names, answering the orchestrator (bench/run.py) one JSON line at a time.

One process per database rather than switching connections in one process: each database
keeps its own warm connection, template and query caches, so neither run pays for or profits
from the other's state, and settings stay exactly what the served app reads from the
environment. An idle worker waits on its pipe and takes no CPU while the other measures.

Requests go through Django's test client (the real URLconf, middleware, session, views and
templates) as https (secure=True), since production settings redirect plain http.
"""

import cProfile
import io
import json
import logging
import os
import pstats
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import OperationalError, connection  # noqa: E402
from django.db.backends.signals import connection_created  # noqa: E402
from django.test import Client, override_settings  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from accounts.services import token_create, token_revoke  # noqa: E402
from harness import dashboard_scenarios, scenarios  # noqa: E402

# PostgreSQL's code for a statement cancelled by statement_timeout.
QUERY_CANCELED = "57014"


def _statement_timeout(sender=None, connection=connection, **kwargs):
    # A page that would run for minutes (the organisations page at 1M) is cut off and reported
    # as timed out, instead of stalling the whole run. Pages only: choosing the scenarios may
    # take longer on a large database.
    seconds = float(os.environ.get("BENCH_TIMEOUT", "0"))
    if seconds and connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET statement_timeout = %s", [int(seconds * 1000)])


def _not_a_timeout(record: logging.LogRecord) -> bool:
    # A timed-out page is reported in the table; its traceback would only bury real errors.
    error = record.exc_info[1] if record.exc_info else None
    return getattr(getattr(error, "__cause__", None), "pgcode", None) != QUERY_CANCELED


logging.getLogger("django.request").addFilter(_not_a_timeout)


def _timed_get(client: Client, url: str) -> tuple[float | None, str | None]:
    started = time.perf_counter()
    try:
        response = client.get(url, secure=True)
    except OperationalError as error:
        if getattr(error.__cause__, "pgcode", None) == QUERY_CANCELED:
            return None, "timeout"
        raise
    elapsed = (time.perf_counter() - started) * 1000
    if response.status_code != 200:
        return None, f"status {response.status_code}"
    return elapsed, None


def _api_setting(found_setting) -> dict:
    """What bench/api.py reports of the API's setting."""
    return {"user_id": found_setting.user.pk, "user": found_setting.user.email,
            "team": found_setting.team.slug, "incidents": found_setting.incidents,
            "readable": found_setting.readable, "team_rows": found_setting.team_rows,
            "deep": found_setting.deep, "csv_since": found_setting.csv_since,
            "csv_rows": found_setting.csv_rows}


def _profile(client: Client, url: str, limit: int, *, times: int = 1,
             sort: str = "cumulative") -> str:
    """`times` requests under cProfile: the functions that took the most time (`sort`)."""
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(times):
        _timed_get(client, url)
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats(sort).print_stats(limit)
    return out.getvalue()


def _explain(client: Client, url: str) -> list[dict]:
    """The request's queries, each with PostgreSQL's EXPLAIN ANALYZE of it."""
    with CaptureQueriesContext(connection) as queries:
        _timed_get(client, url)
    plans = []
    with connection.cursor() as cursor:
        for query in queries.captured_queries:
            sql = query["sql"]
            if not sql.lstrip().upper().startswith("SELECT"):
                plans.append({"sql": sql, "ms": float(query["time"]) * 1000, "plan": ""})
                continue
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
            plans.append({"sql": sql, "ms": float(query["time"]) * 1000,
                          "plan": "\n".join(row[0] for row in cursor.fetchall())})
    return plans


class Dashboards:
    """BENCH_MODE=dashboards (bench/dashboards.py): the team is chosen on request (its target
    comes from the first database), the floor has its own psycopg2 connection, and each
    measurement is a page (through the client) or a call (a selector or the floor)."""

    def __init__(self, client: Client):
        import psycopg2

        self.client = client
        self.setting = None
        self.floor = psycopg2.connect(os.environ["DATABASE_URL"])
        self.floor.autocommit = True
        seconds = float(os.environ.get("BENCH_TIMEOUT", "0"))
        if seconds:
            with self.floor.cursor() as cursor:
                cursor.execute("SET statement_timeout = %s", [int(seconds * 1000)])
        self.cursor = self.floor.cursor()
        self.urls: dict[str, str] = {}
        self.calls: dict = {}

    def resolve(self, target: int | None) -> dict:
        setting = self.setting = dashboard_scenarios.resolve(target)
        self.client.force_login(setting.user)
        self.urls = dashboard_scenarios.page_urls(setting.team)
        self.calls = dashboard_scenarios.calls(setting, self.cursor)
        names = [n for n in dashboard_scenarios.NAMES if n in self.urls or n in self.calls]
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            version = cursor.fetchone()[0]
        return {"postgres": version, "user": setting.user.email, "team": setting.team.slug,
                "timezone": setting.team.timezone, "target": setting.target,
                "teams": setting.teams, "incidents": setting.incidents,
                "library": setting.library, "rows": setting.rows,
                "biggest": setting.biggest.slug, "biggest_rows":
                dashboard_scenarios.team_rows(setting.biggest),
                "scenarios": [[n, self.urls.get(n, "")] for n in names]}

    def once(self, name: str) -> tuple[float | None, str | None]:
        if name in dashboard_scenarios.COUNTED:
            with override_settings(LIBRARY_METRICS_CACHE_SECONDS=0):
                return self._once(name)
        return self._once(name)

    def _once(self, name: str) -> tuple[float | None, str | None]:
        if name in self.urls:
            return _timed_get(self.client, self.urls[name])
        started = time.perf_counter()
        try:
            self.calls[name]()
        except OperationalError as error:
            if getattr(error.__cause__, "pgcode", None) == QUERY_CANCELED:
                return None, "timeout"
            raise
        return (time.perf_counter() - started) * 1000, None

    def warm(self, name: str) -> dict:
        with CaptureQueriesContext(connection) as queries:
            ms, error = self.once(name)
        return {"ms": ms, "error": error, "queries": len(queries)}

    def time(self, name: str, repeat: int) -> dict:
        times, error = [], None
        for _ in range(repeat):
            ms, error = self.once(name)
            if error:
                break
            times.append(ms)
        return {"ms": times, "error": error}

    def check(self) -> dict:
        extra = [] if self.setting.biggest == self.setting.team else [self.setting.biggest]
        return {"problems": dashboard_scenarios.check(self.setting, self.cursor, teams=extra)}

    def after_a_write(self) -> dict:
        return dashboard_scenarios.library_after_a_write(self.setting)

    def explain(self, period: str) -> dict:
        return {"queries": dashboard_scenarios.explain(self.setting.biggest, period)}


def main() -> None:
    reply_to = sys.stdout
    sys.stdout = sys.stderr  # nothing but replies on the pipe
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    # BENCH_MODE=api: the REST API's scenarios (bench/api.py), read with a personal API token
    # made for the member now and revoked when the worker quits.
    api = os.environ.get("BENCH_MODE") == "api"
    dashboards = None
    token = None
    if os.environ.get("BENCH_MODE") == "dashboards":
        setting = None
        client = Client()
        dashboards = Dashboards(client)
    elif api:
        setting, found = scenarios.resolve_api()
        token, key = token_create(user=setting.user, name=f"benchmark {uuid.uuid4()}",
                                  read_only=True)
        client = Client(headers={"Authorization": f"Token {key}"})
    else:
        setting, found = scenarios.resolve(os.environ.get("BENCH_WORD", ""))
        client = Client()
        client.force_login(setting.user)
    _statement_timeout()
    connection_created.connect(_statement_timeout)  # the same on a new connection

    def reply(message: dict) -> None:
        reply_to.write(json.dumps(message) + "\n")
        reply_to.flush()

    try:
        for line in sys.stdin:
            request = json.loads(line)
            command = request["cmd"]
            if dashboards is not None and command.startswith("dash_"):
                action = command.removeprefix("dash_")
                if action == "resolve":
                    reply(dashboards.resolve(request.get("target")))
                elif action == "warm":
                    reply(dashboards.warm(request["name"]))
                elif action == "time":
                    reply(dashboards.time(request["name"], request["repeat"]))
                elif action == "check":
                    reply(dashboards.check())
                elif action == "after_write":
                    reply(dashboards.after_a_write())
                elif action == "explain":
                    reply(dashboards.explain(request.get("period", "90d")))
                else:
                    reply({"error": f"unknown command {command}"})
                continue
            if command == "resolve":
                with connection.cursor() as cursor:
                    cursor.execute("SHOW server_version")
                    version = cursor.fetchone()[0]
                if api:
                    reply({**_api_setting(setting), "postgres": version, "key": key,
                           "scenarios": [[s.name, s.url] for s in found]})
                    continue
                reply({
                    "user_id": setting.user.pk, "user": setting.user.email,
                    "team": setting.team.slug, "incidents": setting.incidents,
                    "readable": setting.readable, "word": setting.word,
                    "cause": setting.cause, "postgres": version,
                    "scenarios": [[s.name, s.url] for s in found],
                })
            elif command == "warm":
                with CaptureQueriesContext(connection) as queries:
                    ms, error = _timed_get(client, request["url"])
                reply({"ms": ms, "error": error, "queries": len(queries)})
            elif command == "time":
                times = []
                error = None
                for _ in range(request["repeat"]):
                    ms, error = _timed_get(client, request["url"])
                    if error:
                        break
                    times.append(ms)
                reply({"ms": times, "error": error})
            elif command == "profile":
                reply({"text": _profile(client, request["url"], request.get("limit", 30),
                                        times=request.get("times", 1),
                                        sort=request.get("sort", "cumulative"))})
            elif command == "explain":
                reply({"queries": _explain(client, request["url"])})
            elif command == "session":
                reply({"name": settings.SESSION_COOKIE_NAME,
                       "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                       "user_id": setting.user.pk})
            elif command == "quit":
                reply({})
                return
            else:
                reply({"error": f"unknown command {command}"})
    finally:
        if token is not None:
            token_revoke(user=setting.user, token=token)


if __name__ == "__main__":
    main()
