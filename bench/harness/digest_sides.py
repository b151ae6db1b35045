"""The digest benchmark's two sides (bench/digest.py), each answering the harness's
interleaved rounds (runner.interleaved_rounds) the way a database's worker does: `ask(cmd=…)`
returns {"ms": [...], "error": ..., "queries": ...}.

- RealSide: the tick (`dashboards.queue_digests`) sent through Redis to `celery -A config
  worker` processes, which send through Django's SMTP backend to the sink
  (bench/harness/smtp_sink.py); timed from the tick to the sink's last email, then checked.
- FloorSide: the same emails rendered (digest_build once per team, digest_message per
  recipient) and handed to the locmem backend in one plain loop, in this process, no claim.

Django must be set up (bench/digest.py does it) before this module is imported.
"""

import time
from collections import Counter, defaultdict

from django.core import mail
from django.core.mail import get_connection
from django.db import connection, transaction
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Membership, Team
from dashboards.digests import digest_build, digest_message, new_message_id
from dashboards.models import DeliveryStatus, DigestDelivery
from dashboards.schedule import due_week
from dashboards.services import digest_send

from . import smtp_sink

LOCMEM = "django.core.mail.backends.locmem.EmailBackend"


def set_due(team_ids: list[int] | None = None) -> None:
    """Make every team (or only `team_ids`) due now: its digest day today in its own time
    zone, from midnight; the other teams' digest day tomorrow, so the tick leaves them. "Now"
    is this process's clock (timezone.now()), as the tick's is its own."""
    with connection.cursor() as cursor:
        cursor.execute(
            """UPDATE accounts_team SET digest_hour = 0, digest_weekday =
                   (extract(isodow FROM %s::timestamptz AT TIME ZONE timezone)::int - 1
                    + CASE WHEN %s::bigint[] IS NULL OR id = ANY(%s) THEN 0 ELSE 1 END) %% 7""",
            [timezone.now(), team_ids, team_ids])


def recipients_by_team(team_ids: list[int] | None = None) -> dict[int, list[Membership]]:
    """Every team's digest recipients (as digest_recipients orders them), in one query."""
    rows = (Membership.objects.filter(receives_digest=True, user__is_active=True)
            .select_related("user", "team").order_by("team_id", "user__email"))
    if team_ids is not None:
        rows = rows.filter(team_id__in=team_ids)
    grouped: dict[int, list[Membership]] = defaultdict(list)
    for membership in rows:
        grouped[membership.team_id].append(membership)
    return grouped


def clear_deliveries() -> int:
    """Delete every DigestDelivery row, so the week can be sent again."""
    return DigestDelivery.objects.all().delete()[0]


class RealSide:
    """The tick through Redis to the Celery workers, into the SMTP sink."""

    name = "real"

    def __init__(self, *, celery_app, sink: smtp_sink.SinkProcess, expected: int,
                 warm_teams: list[int], stall: float):
        self.app = celery_app
        self.sink = sink
        self.expected = expected
        self.warm_teams = warm_teams
        self.stall = stall
        self.runs: list[dict] = []

    def ask(self, cmd: str, **_) -> dict:
        if cmd == "warm":
            run = self.run(self.warm_teams)
            queries = self.queries_per_team()
            return {"ms": [], "queries": queries, "error": run["error"], "run": run}
        run = self.run(None)
        self.runs.append(run)
        return {"ms": [run["seconds"] * 1000], "error": run["error"]}

    def queries_per_team(self) -> int:
        """Statements digest_send sends for the first team (5 recipients), rolled back, with
        the locmem backend: claims, locks and updates, and the digest's reads. Savepoints
        stand for the real run's transactions (BEGIN/COMMIT are not counted)."""
        team = Team.objects.get(pk=self.warm_teams[0])
        week = due_week(team, timezone.now())
        with override_settings(EMAIL_BACKEND=LOCMEM), transaction.atomic():
            DigestDelivery.objects.filter(team=team).delete()
            with CaptureQueriesContext(connection) as queries:
                digest_send(team=team, period=week)
            transaction.set_rollback(True)
        return len(queries)

    def run(self, team_ids: list[int] | None) -> dict:
        clear_deliveries()
        self.sink.ask(cmd="reset")
        expected = (self.expected if team_ids is None
                    else sum(len(v) for v in recipients_by_team(team_ids).values()))
        set_due(team_ids)
        started = time.time()
        self.app.send_task("dashboards.queue_digests")
        error = None
        seen, progress_at = 0, time.monotonic()
        while True:
            count = self.sink.ask(cmd="count")
            if count["received"] >= expected:
                break
            if count["received"] > seen:
                seen, progress_at = count["received"], time.monotonic()
            elif time.monotonic() - progress_at > self.stall:
                error = f"stalled at {count['received']} of {expected} emails"
                break
            time.sleep(0.02)
        last = self.sink.ask(cmd="count")["last"]
        seconds = (last - started) if last else None
        # Let anything late (a duplicate) arrive, and every row settle, before checking.
        deadline = time.monotonic() + 30
        while (DigestDelivery.objects.filter(status=DeliveryStatus.CLAIMED).exists()
               and time.monotonic() < deadline):
            time.sleep(0.1)
        time.sleep(1.0)
        return {**self.check(), "seconds": seconds, "error": error, "expected": expected,
                "first_after": (self.sink.ask(cmd="count")["first"] or started) - started}

    def check(self) -> dict:
        """The sink's tally against the delivery rows and the recipients."""
        summary = self.sink.ask(cmd="tally")
        rows = list(DigestDelivery.objects.values_list("user__email", "message_id", "status"))
        statuses = Counter(status for _, _, status in rows)
        problems = smtp_sink.check(summary, {email: mid for email, mid, _ in rows})
        recipients = {m.user.email.lower() for team in recipients_by_team().values()
                      for m in team}
        due = {email.lower() for email, _, _ in rows}
        return {
            "received": summary["received"],
            "duplicates": problems["duplicates"],
            "repeated_message_ids": summary["repeated_message_ids"],
            "missing": len(problems["missing"]),
            "unexpected": len(problems["unexpected"]),
            "wrong_message_id": len(problems["wrong_message_id"]),
            "rows": len(rows), "statuses": dict(statuses),
            "recipients_without_row": len(recipients - due),
        }


class FloorSide:
    """The same emails rendered and handed to the locmem backend in one plain loop."""

    name = "floor"

    def __init__(self, *, warm_teams: list[int]):
        self.warm_teams = warm_teams
        self.runs: list[dict] = []

    def ask(self, cmd: str, **_) -> dict:
        if cmd == "warm":
            run = self.run(self.warm_teams)
            team = Team.objects.get(pk=self.warm_teams[0])
            with CaptureQueriesContext(connection) as queries:
                digest_build(team=team, period=due_week(team, timezone.now()))
            return {"ms": [], "queries": len(queries), "error": None, "run": run}
        run = self.run(None)
        self.runs.append(run)
        return {"ms": [run["seconds"] * 1000], "error": None}

    def run(self, team_ids: list[int] | None) -> dict:
        set_due(team_ids)
        now = timezone.now()
        backend = get_connection(LOCMEM)
        mail.outbox = []
        shape: Counter[str] = Counter()
        started = time.perf_counter()
        teams = Team.objects.only("pk", "slug", "name", "timezone", "digest_weekday",
                                  "digest_hour").order_by("pk")
        if team_ids is not None:
            teams = teams.filter(pk__in=team_ids)
        recipients = recipients_by_team(team_ids)
        for team in teams:
            week = due_week(team, now)
            if week is None:
                continue
            digest = digest_build(team=team, period=week)
            for membership in recipients.get(team.pk, []):
                digest_message(digest, membership, message_id=new_message_id(),
                               connection=backend).send()
            shape["quiet" if digest.is_quiet else "not quiet"] += 1
            shape["own incidents"] += bool(digest.own_total)
            shape["elsewhere"] += bool(digest.elsewhere_total)
            shape["learnings"] += bool(digest.created_total or digest.adopted_total)
            shape["overdue"] += bool(digest.overdue_total)
        seconds = time.perf_counter() - started
        sizes = [len(message.message().as_bytes()) for message in mail.outbox[:50]]
        emails = len(mail.outbox)
        mail.outbox = []
        return {"seconds": seconds, "emails": emails, "shape": dict(shape),
                "largest_kb": max(sizes, default=0) / 1024}
