"""The weekly digest through the real parts: Redis as broker, a `celery -A config worker`
process started by the test, and an SMTP server (aiosmtpd, tests/integration/smtp.py) that
Django's SMTP backend delivers to. Each manager must get exactly one email per week, whatever
the worker, the broker or the mail server does.

The tests are transactional (the worker is another process and reads committed rows only).
The hourly tick is called here, in the test process, as beat would call it; each team's
digest weekday, hour and time zone are set so that its digest is due now, in real time.
"""

import datetime as dt
import importlib
import os
import re
import signal
import time
import zoneinfo
from collections import Counter

import pytest
from django.apps import apps as django_apps
from django.conf import settings
from django.core.management import call_command
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import Membership, Role
from dashboards.digests import unsubscribe_token
from dashboards.models import DeliveryStatus, DigestDelivery
from dashboards.schedule import due_week, period_start
from dashboards.tasks import queue_digests, send_digest
from incidents.models import RootCause
from tests.factories import IncidentFactory, MembershipFactory, TeamFactory, UserFactory

from .smtp import SMTPServer
from .worker import Worker, broker_is_empty, flush_broker, wait_until

pytestmark = pytest.mark.django_db(transaction=True)

MANAGERS = 3
# Time zones far apart (one a half-hour zone), each team's digest due at its local hour now.
ZONES = ["Europe/Paris", "America/New_York", "Asia/Kolkata", "Pacific/Auckland", "UTC"]
DELIVERY_TIMEOUT = 30.0
PRIVATE_TITLE = "Storm sale post went out"


@pytest.fixture
def broker(postgres, redis_url):
    """The Redis database the worker and the tick share, empty before and after."""
    flush_broker(redis_url)
    yield redis_url
    flush_broker(redis_url)


@pytest.fixture
def smtp(settings):
    """The SMTP server; the test process (send_digests) delivers to it too."""
    with SMTPServer() as server:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", server.port
        settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        settings.EMAIL_TIMEOUT = 20
        yield server


@pytest.fixture
def start_worker(broker, smtp, tmp_path):
    """Start a real worker (any number of times); every one is ended after the test."""
    started: list[Worker] = []

    def start(**options) -> Worker:
        worker = Worker(log_dir=tmp_path, redis_url=broker, email_url=smtp.url, **options)
        started.append(worker)
        return worker.start()

    yield start
    for worker in started:
        worker.stop()
    assert all(worker.process.poll() is not None for worker in started)


def seed_taxonomy() -> None:
    """The seeded root causes, which the flush after each transactional test removes."""
    if RootCause.objects.count() != 13:
        importlib.import_module("incidents.migrations.0002_seed_taxonomy").seed(django_apps, None)


def _due_now_zones(now: dt.datetime, count: int) -> list[str]:
    """Zones whose local day does not end within the next five minutes: the team's digest day
    stays today for the whole test."""
    def late(local: dt.datetime) -> bool:
        return local.hour == 23 and local.minute >= 55

    return [zone for zone in ZONES
            if not late(now.astimezone(zoneinfo.ZoneInfo(zone)))][:count]


@pytest.fixture
def teams(transactional_db):
    """Three teams whose digest is due now, each with three managers who receive it and a
    member who does not. Team A logged a private incident in the reported week; the others
    had a quiet week."""
    seed_taxonomy()
    now = timezone.now()
    made = []
    for index, zone in enumerate(_due_now_zones(now, 3)):
        local = now.astimezone(zoneinfo.ZoneInfo(zone))
        team = TeamFactory(name=f"Team {'ABC'[index]}", slug=f"team-{'abc'[index]}",
                           timezone=zone, digest_weekday=local.weekday(),
                           digest_hour=local.hour)
        for number in range(1, MANAGERS + 1):
            MembershipFactory(team=team, role=Role.MANAGER, user=UserFactory(
                email=f"{team.slug}-manager{number}@example.com"))
        MembershipFactory(team=team, role=Role.MEMBER,
                          user=UserFactory(email=f"{team.slug}-member@example.com"))
        week = due_week(team, now)
        assert week is not None
        if index == 0:
            IncidentFactory(team=team, visibility="team", occurred_on=week.start,
                            title=PRIVATE_TITLE)
        made.append(team)
    assert len(made) == 3
    return made


def managers_of(teams) -> list[str]:
    return sorted(f"{team.slug}-manager{number}@example.com"
                  for team in teams for number in range(1, MANAGERS + 1))


def rows():
    return list(DigestDelivery.objects.select_related("team", "user").order_by("user__email"))


def statuses() -> Counter:
    return Counter(row.status for row in rows())


def all_sent(smtp, count: int = 9):
    return lambda: (len(smtp.received) >= count
                    and DigestDelivery.objects.filter(status=DeliveryStatus.SENT).count() >= count)


def deliver_the_week(smtp, worker, teams) -> None:
    """One tick, and its nine emails sent and recorded."""
    assert queue_digests() == len(teams)
    wait_until(all_sent(smtp), timeout=DELIVERY_TIMEOUT, what="nine digests sent and recorded",
               detail=worker.tail)
    worker.wait_for_successes(len(teams))


# (a) -----------------------------------------------------------------------------------------


def test_a_tick_for_three_teams_of_three_managers_delivers_nine_emails_once_each(
        teams, smtp, start_worker):
    worker = start_worker(concurrency=2)
    deliver_the_week(smtp, worker, teams)

    assert smtp.per_recipient() == Counter(dict.fromkeys(managers_of(teams), 1))
    assert len(smtp.received) == 9
    # One SMTP session per team's run, not one per email.
    assert smtp.sessions == 3
    deliveries = rows()
    assert [(row.user.email, row.status, row.attempts, row.error) for row in deliveries] == [
        (email, DeliveryStatus.SENT, 1, "") for email in managers_of(teams)]
    for row in deliveries:
        membership = Membership.objects.get(team=row.team, user=row.user)
        assert row.period_start == period_start(due_week(row.team, timezone.now()))
        [message] = smtp.to(row.user.email)
        assert message["To"] == row.user.email
        assert message["Message-ID"] == row.message_id
        unsubscribe = reverse("dashboards:digest-unsubscribe",
                              args=[unsubscribe_token(membership)])
        # Folded after the colon, as a long header may be: the value is the link in <>.
        assert message["List-Unsubscribe"].strip() == f"<{settings.SITE_URL}{unsubscribe}>"
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert message.get_content_type() == "multipart/alternative"
        assert [part.get_content_type() for part in message.iter_parts()] == [
            "text/plain", "text/html"]
        html = message.get_body(preferencelist=("html",)).get_content()
        assert f"{settings.SITE_URL}{unsubscribe}" in html
        assert row.team.name in message["Subject"]
        text = message.get_body(preferencelist=("plain",)).get_content()
        # Team A's week, its own private incident in it; a quiet week for the others, who
        # never see team A's incident.
        if row.team.slug == "team-a":
            assert "YOUR INCIDENTS THIS WEEK" in text
            assert PRIVATE_TITLE in text
            assert PRIVATE_TITLE in html
        else:
            assert "A quiet week" in text
            assert PRIVATE_TITLE not in text
            assert PRIVATE_TITLE not in html
    # The member who does not receive the digest has neither an email nor a row.
    assert not smtp.to("team-a-member@example.com")
    assert worker.retries() == []


# (b) -----------------------------------------------------------------------------------------


def test_a_second_tick_a_repeated_task_and_a_manual_rerun_deliver_nothing_new(
        teams, smtp, start_worker, capsys):
    worker = start_worker(concurrency=2)
    deliver_the_week(smtp, worker, teams)
    before = rows()

    # The next tick finds every recipient settled: nothing is queued.
    assert queue_digests() == 0
    # The same team tasks again (beat running twice, a message delivered twice): they run,
    # find every row sent, and send nothing.
    now = timezone.now()
    for team in teams:
        send_digest.apply_async(args=[team.pk, due_week(team, now).start.isoformat()])
    worker.wait_for_successes(2 * len(teams))
    assert worker.log().count("'sent': 0, 'skipped': 0, 'failed': 0, 'passed': 3}") == 3
    # And a manual run of the week, in this process, through the same SMTP server.
    call_command("send_digests")
    output = capsys.readouterr().out
    for team in teams:
        assert f"{team.slug}: week of " in output
    assert output.count("sent 0, skipped 0, failed 0, already done 3") == 3

    # Every message acknowledged (the worker acks just after the task returns).
    wait_until(lambda: broker_is_empty(worker.env["REDIS_URL"]), timeout=10,
               what="the broker emptied", detail=worker.tail)
    assert smtp.per_recipient() == Counter(dict.fromkeys(managers_of(teams), 1))
    assert [(row.pk, row.status, row.attempts, row.message_id, row.sent_at) for row in rows()] \
        == [(row.pk, row.status, row.attempts, row.message_id, row.sent_at) for row in before]


# (c) -----------------------------------------------------------------------------------------


HELD = "team-b-manager2@example.com"


def _hold_a_send(teams, smtp, start_worker):
    """Start a one-process worker and tick; answer once the SMTP server holds the conversation
    of team-b's second manager at RCPT (before any content is sent)."""
    smtp.hold(HELD)
    worker = start_worker(concurrency=1)
    assert queue_digests() == len(teams)
    assert smtp.wait_until_holding(DELIVERY_TIMEOUT), worker.tail()
    return worker


def _kill_mid_send(teams, smtp, start_worker):
    """SIGKILL the worker, main process and pool child at once, while a send is held: that
    email is never delivered and its row stays claimed. Answers the worker, the held address
    and the id of the task that was running."""
    worker = _hold_a_send(teams, smtp, start_worker)
    worker.kill()
    smtp.release()
    running = [task for task in worker.received() if task not in worker.succeeded()]
    assert len(running) == 1, worker.tail()
    # PostgreSQL rolls back the killed worker's transaction: the row is claimed, unlocked.
    wait_until(lambda: claimed_and_unlocked(HELD), timeout=10,
               what="the killed worker's transaction rolled back")
    assert HELD not in smtp.per_recipient()
    assert smtp.per_recipient()["team-b-manager1@example.com"] == 1
    return worker, HELD, running[0]


def claimed_and_unlocked(email: str) -> bool:
    with transaction.atomic():
        return (DigestDelivery.objects.select_for_update(skip_locked=True, of=("self",))
                .filter(user__email=email, status=DeliveryStatus.CLAIMED).exists())


def test_a_worker_killed_mid_send_is_redelivered_by_the_broker_after_restart(
        teams, smtp, start_worker):
    first, held, orphan = _kill_mid_send(teams, smtp, start_worker)
    held_row = DigestDelivery.objects.get(user__email=held)
    assert (held_row.status, held_row.attempts) == (DeliveryStatus.CLAIMED, 0)
    # The message of the killed run is still unacknowledged in Redis; a worker restores such
    # messages older than its visibility timeout when it starts. Wait past a short one.
    time.sleep(2.5)
    second = start_worker(concurrency=1, CELERY_VISIBILITY_TIMEOUT="2")

    # No tick after the kill: only the broker's redelivery can send the held email.
    wait_until(all_sent(smtp), timeout=DELIVERY_TIMEOUT, what="all nine digests sent",
               detail=second.tail)
    second.wait_for_successes(len(set(second.received())))
    assert orphan in second.received()
    assert smtp.per_recipient() == Counter(dict.fromkeys(managers_of(teams), 1))
    held_row.refresh_from_db()
    assert (held_row.status, held_row.attempts) == (DeliveryStatus.SENT, 1)
    [message] = smtp.to(held)
    assert message["Message-ID"] == held_row.message_id
    assert statuses() == Counter({DeliveryStatus.SENT: 9})
    assert first.process.returncode == -9


def test_a_pool_process_killed_mid_send_has_its_task_requeued_at_once_by_its_worker(
        teams, smtp, start_worker):
    # The kernel's OOM killer takes the process running the task, not the worker: the worker
    # sees it lost (reject_on_worker_lost) and puts the message back on the queue.
    worker = _hold_a_send(teams, smtp, start_worker)
    [child] = worker.pool_processes()
    os.kill(child, signal.SIGKILL)
    smtp.release()

    wait_until(all_sent(smtp), timeout=DELIVERY_TIMEOUT, what="all nine digests sent",
               detail=worker.tail)
    worker.wait_for_successes(len(teams))
    assert "WorkerLostError" in worker.log()
    # Three tasks, one of them received twice: the one whose process was killed.
    assert sorted(Counter(worker.received()).values()) == [1, 1, 2], worker.tail()
    assert smtp.per_recipient() == Counter(dict.fromkeys(managers_of(teams), 1))
    held_row = DigestDelivery.objects.get(user__email=HELD)
    assert (held_row.status, held_row.attempts) == (DeliveryStatus.SENT, 1)
    assert statuses() == Counter({DeliveryStatus.SENT: 9})
    assert worker.process.poll() is None


def test_a_later_tick_sends_the_rows_a_killed_worker_left_claimed_once(
        teams, smtp, start_worker):
    _, held, _ = _kill_mid_send(teams, smtp, start_worker)
    held_row = DigestDelivery.objects.get(user__email=held)
    message_id = held_row.message_id
    # The killed run's message is lost with the broker's data (Redis restarted empty): no
    # redelivery can come; only the next tick can finish the week.
    flush_broker(settings.REDIS_URL)
    assert broker_is_empty(settings.REDIS_URL)
    unfinished = {row.team_id for row in rows() if row.status == DeliveryStatus.CLAIMED} | {
        team.pk for team in teams if not DigestDelivery.objects.filter(team=team).exists()}
    assert held_row.team_id in unfinished
    worker = start_worker(concurrency=2)

    assert queue_digests() == len(unfinished)
    wait_until(all_sent(smtp), timeout=DELIVERY_TIMEOUT, what="all nine digests sent",
               detail=worker.tail)
    worker.wait_for_successes(len(unfinished))
    assert smtp.per_recipient() == Counter(dict.fromkeys(managers_of(teams), 1))
    held_row.refresh_from_db()
    assert (held_row.status, held_row.attempts, held_row.message_id) == (
        DeliveryStatus.SENT, 1, message_id)
    assert statuses() == Counter({DeliveryStatus.SENT: 9})
    assert queue_digests() == 0


# (d) -----------------------------------------------------------------------------------------


def test_a_mail_server_refusing_for_a_while_gets_every_email_once_after_retries(
        teams, smtp, start_worker):
    # Busy at connect three times, then "try again later" at MAIL three times, then fine.
    smtp.refuse(connections=3, mail=3)
    worker = start_worker(concurrency=2)
    deliver_the_week(smtp, worker, teams)

    assert len(smtp.refused) == 6
    assert smtp.per_recipient() == Counter(dict.fromkeys(managers_of(teams), 1))
    deliveries = rows()
    assert [(row.status, row.error) for row in deliveries] == [(DeliveryStatus.SENT, "")] * 9
    # Each refusal cost the row being sent one attempt and its team's run one retry.
    assert sum(row.attempts for row in deliveries) == 9 + 6
    assert any(row.attempts > 1 for row in deliveries)
    assert len(worker.retries()) == 6
    assert len(set(worker.succeeded())) == 3


def test_a_mail_server_that_stalls_mid_conversation_times_out_and_the_email_is_retried(
        teams, smtp, start_worker):
    # The server never answers RCPT for one recipient: the send times out (EMAIL_TIMEOUT),
    # counts as a transient failure, and the retry delivers it.
    smtp.hold(HELD)
    worker = start_worker(concurrency=2, EMAIL_TIMEOUT="2")
    deliver_the_week(smtp, worker, teams)

    assert smtp.per_recipient() == Counter(dict.fromkeys(managers_of(teams), 1))
    by_email = {row.user.email: row for row in rows()}
    held_row = by_email.pop(HELD)
    assert (held_row.status, held_row.attempts, held_row.error) == (DeliveryStatus.SENT, 2, "")
    assert [(row.status, row.attempts) for row in by_email.values()] == [
        (DeliveryStatus.SENT, 1)] * 8
    assert len(worker.retries()) == 1
    assert re.findall(r"Digest of team-b for \S+ to (\S+) not sent: (.*)", worker.log()) == [
        (HELD, "SMTPServerDisconnected: Connection unexpectedly closed: timed out")]


def test_a_mail_server_that_stays_down_has_the_week_recorded_failed_after_the_last_retry(
        teams, smtp, start_worker):
    smtp.refuse(connections=1000)
    worker = start_worker(concurrency=2, DIGEST_MAX_RETRIES="2")
    assert queue_digests() == 3
    wait_until(lambda: DigestDelivery.objects.settled().count() == 9,
               timeout=DELIVERY_TIMEOUT, what="nine deliveries settled", detail=worker.tail)
    worker.wait_for_successes(3)

    assert smtp.received == []
    # Each team's run tried its first recipient three times (two retries), then gave up.
    assert len(smtp.refused) == 9
    assert len(worker.retries()) == 6
    deliveries = rows()
    assert {(row.status, row.error) for row in deliveries} == {
        (DeliveryStatus.FAILED, "Gave up after retrying: 421 4.3.2 Service not available, "
                                "try again later")}
    assert sorted(row.attempts for row in deliveries) == [0] * 6 + [3] * 3
    assert [row.user.email for row in deliveries if row.attempts == 3] == [
        f"team-{letter}-manager1@example.com" for letter in "abc"]
    # Failed is settled: the next tick does not start the week again.
    assert queue_digests() == 0


def test_a_permanent_refusal_records_that_delivery_failed_and_the_others_are_sent(
        teams, smtp, start_worker):
    refused = "team-b-manager2@example.com"
    reply = "550 5.1.1 <team-b-manager2@example.com>: Recipient address rejected"
    smtp.refuse_recipient(refused, reply)
    worker = start_worker(concurrency=2)
    assert queue_digests() == 3
    wait_until(lambda: DigestDelivery.objects.settled().count() == 9,
               timeout=DELIVERY_TIMEOUT, what="nine deliveries settled", detail=worker.tail)
    worker.wait_for_successes(3)

    assert smtp.per_recipient() == Counter(
        {email: 1 for email in managers_of(teams) if email != refused})
    by_email = {row.user.email: row for row in rows()}
    failed = by_email.pop(refused)
    assert (failed.status, failed.attempts, failed.error, failed.sent_at) == (
        DeliveryStatus.FAILED, 1, f"{refused}: {reply}", None)
    assert [(row.status, row.attempts) for row in by_email.values()] == [
        (DeliveryStatus.SENT, 1)] * 8
    # A permanent failure is not retried, by the task or by the next tick.
    assert worker.retries() == []
    assert queue_digests() == 0
