"""Sending the weekly digest: claim, send once, record; SMTP failures; retries; the hourly tick;
and the signed unsubscribe link every email carries.

Emails go to Django's in-memory (locmem) backend, or to a backend here that fails the way an
SMTP server does, with the real smtplib exceptions.
"""

import smtplib
from datetime import UTC, date, datetime

import pytest
import time_machine
from django.core import mail, signing
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend
from django.urls import reverse

from accounts.models import Membership, Role
from config.celery import app as celery_app
from dashboards import services, tasks
from dashboards.digests import (
    UNSUBSCRIBE_SALT,
    unsubscribe_membership_id,
    unsubscribe_token,
)
from dashboards.models import DigestDelivery
from dashboards.periods import Period
from tests.factories import IncidentFactory, MembershipFactory, TeamFactory, UserFactory

NOW = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)        # Monday, 09:30 in London
WEEK = Period(start=date(2026, 11, 16), end=date(2026, 11, 22))
MONDAY = date(2026, 11, 16)
LOCMEM = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture(autouse=True)
def frozen(settings):
    settings.EMAIL_BACKEND = LOCMEM
    mail.outbox = []
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def comms(db):
    """A London team with two managers and a viewer who receive its digest, a member who does
    not, a manager whose account is closed, and one incident this week (not quiet)."""
    team = TeamFactory(name="Comms", slug="comms", timezone="Europe/London")
    people = {
        "ann": MembershipFactory(team=team, role=Role.MANAGER,
                                 user=UserFactory(email="ann@example.com")),
        "bo": MembershipFactory(team=team, role=Role.MANAGER,
                                user=UserFactory(email="bo@example.com"), skip_quiet_weeks=True),
        "cy": MembershipFactory(team=team, role=Role.VIEWER, receives_digest=True,
                                user=UserFactory(email="cy@example.com")),
    }
    MembershipFactory(team=team, role=Role.MEMBER, user=UserFactory(email="dee@example.com"))
    MembershipFactory(team=team, role=Role.MANAGER,
                      user=UserFactory(email="gone@example.com", is_active=False))
    IncidentFactory(team=team, occurred_on=date(2026, 11, 18), title="A slip this week")
    return team, people


RECIPIENTS = ["ann@example.com", "bo@example.com", "cy@example.com"]


def rows(team) -> list[tuple[str, str, int, str]]:
    return [(row.user.email, row.status, row.attempts, row.error)
            for row in DigestDelivery.objects.filter(team=team).select_related("user")
            .order_by("user__email")]


# ---------------------------------------------------------------------------------------------
# Sending once


@pytest.mark.django_db
def test_a_run_claims_then_sends_one_email_per_recipient_and_records_it(comms):
    team, _ = comms
    result = services.digest_send(team=team, period=WEEK)
    assert (result.sent, result.skipped, result.failed, result.passed) == (RECIPIENTS, [], [], 0)
    assert sorted(message.to[0] for message in mail.outbox) == RECIPIENTS
    assert rows(team) == [(email, "sent", 1, "") for email in RECIPIENTS]
    for message in mail.outbox:
        row = DigestDelivery.objects.get(team=team, user__email=message.to[0])
        assert row.period_start == MONDAY
        assert row.sent_at == NOW
        assert message.extra_headers["Message-ID"] == row.message_id
        assert message.message()["Message-ID"] == row.message_id
        assert message.message()["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert message.subject.startswith("Comms weekly digest, 16–22 November 2026: 1 own")
    assert len({message.extra_headers["Message-ID"] for message in mail.outbox}) == 3


@pytest.mark.django_db
def test_a_second_run_of_the_same_week_sends_nothing(comms):
    team, _ = comms
    services.digest_send(team=team, period=WEEK)
    before = rows(team)
    result = services.digest_send(team=team, period=WEEK)
    assert (result.sent, result.passed) == ([], 3)
    assert len(mail.outbox) == 3
    assert rows(team) == before


@pytest.mark.django_db
def test_a_claimed_row_left_by_a_killed_worker_is_sent_once_with_its_message_id(comms):
    team, people = comms
    DigestDelivery.objects.create(team=team, user=people["ann"].user, period_start=MONDAY,
                                  message_id="<claimed.before@misfire.example.org>")
    services.digest_send(team=team, period=WEEK)
    to_ann = [message for message in mail.outbox if message.to == ["ann@example.com"]]
    assert [message.extra_headers["Message-ID"] for message in to_ann] == [
        "<claimed.before@misfire.example.org>"]
    assert rows(team) == [(email, "sent", 1, "") for email in RECIPIENTS]


@pytest.mark.django_db
def test_in_a_quiet_week_those_who_skip_quiet_weeks_get_a_skipped_row_and_no_email(comms):
    team, _ = comms
    quiet = Period(start=date(2026, 11, 2), end=date(2026, 11, 8))
    result = services.digest_send(team=team, period=quiet)
    assert (result.sent, result.skipped) == (["ann@example.com", "cy@example.com"],
                                             ["bo@example.com"])
    assert sorted(message.to[0] for message in mail.outbox) == ["ann@example.com",
                                                                "cy@example.com"]
    assert all(message.subject == "Comms weekly digest, 2–8 November 2026: a quiet week"
               for message in mail.outbox)
    assert "A quiet week: Comms logged no incident" in mail.outbox[0].body
    assert rows(team) == [("ann@example.com", "sent", 1, ""),
                          ("bo@example.com", "skipped", 0, ""),
                          ("cy@example.com", "sent", 1, "")]


@pytest.mark.django_db
def test_a_team_without_recipients_claims_nothing(db):
    team = TeamFactory(name="Nobody", slug="nobody")
    MembershipFactory(team=team, role=Role.MEMBER)
    result = services.digest_send(team=team, period=WEEK)
    assert (result.sent, result.passed) == ([], 0)
    assert DigestDelivery.objects.count() == 0
    assert mail.outbox == []


# ---------------------------------------------------------------------------------------------
# SMTP failures


def refused(code: int) -> smtplib.SMTPRecipientsRefused:
    return smtplib.SMTPRecipientsRefused(
        {"ann@example.com": (code, b"5.1.1 No such user" if code >= 500 else b"Try later")})


@pytest.mark.parametrize(("error", "kind", "words"), [
    (refused(450), services.TransientSendError, "ann@example.com: 450 Try later"),
    (refused(550), services.PermanentSendError, "ann@example.com: 550 5.1.1 No such user"),
    (smtplib.SMTPDataError(451, b"4.3.0 Temporary failure"), services.TransientSendError,
     "451 4.3.0 Temporary failure"),
    (smtplib.SMTPDataError(554, b"5.7.1 Message rejected"), services.PermanentSendError,
     "554 5.7.1 Message rejected"),
    (smtplib.SMTPSenderRefused(421, b"Too busy", "misfire@localhost"),
     services.TransientSendError, "421 Too busy"),
    (smtplib.SMTPServerDisconnected("Connection unexpectedly closed"),
     services.TransientSendError, "SMTPServerDisconnected: Connection unexpectedly closed"),
    (ConnectionRefusedError(111, "Connection refused"), services.TransientSendError,
     "ConnectionRefusedError: [Errno 111] Connection refused"),
    (TimeoutError(), services.TransientSendError, "TimeoutError"),
])
def test_smtp_failures_are_classified_and_described(error, kind, words):
    assert services.classify(error) is kind
    assert services.describe(error) == words


def test_a_refusal_of_several_recipients_is_transient_if_any_may_succeed_later():
    error = smtplib.SMTPRecipientsRefused({"a@example.com": (550, b"No"),
                                           "b@example.com": (452, b"Full")})
    assert services.classify(error) is services.TransientSendError
    assert services.describe(error) == "a@example.com: 550 No; b@example.com: 452 Full"


class FailingBackend(LocmemBackend):
    """Fails the listed recipients' emails with the given exceptions, sends the others."""

    failures: dict[str, Exception] = {}

    def send_messages(self, messages):
        for message in messages:
            error = self.failures.get(message.to[0])
            if error is not None:
                raise error
        return super().send_messages(messages)


@pytest.fixture
def failing(settings):
    settings.EMAIL_BACKEND = f"{__name__}.FailingBackend"
    FailingBackend.failures = {}
    yield FailingBackend.failures
    FailingBackend.failures = {}


@pytest.mark.django_db
def test_a_permanent_refusal_is_recorded_failed_and_the_others_are_sent(comms, failing):
    team, _ = comms
    failing["bo@example.com"] = smtplib.SMTPRecipientsRefused(
        {"bo@example.com": (550, b"5.1.1 No such user")})
    result = services.digest_send(team=team, period=WEEK)
    assert (result.sent, result.failed, result.transient_error) == (
        ["ann@example.com", "cy@example.com"], ["bo@example.com"], "")
    assert rows(team) == [("ann@example.com", "sent", 1, ""),
                          ("bo@example.com", "failed", 1,
                           "bo@example.com: 550 5.1.1 No such user"),
                          ("cy@example.com", "sent", 1, "")]
    # A failed row is settled: a later run does not try it again.
    assert services.digest_send(team=team, period=WEEK).passed == 3


@pytest.mark.django_db
def test_a_transient_failure_stops_the_run_and_leaves_the_rest_claimed_for_a_retry(
        comms, failing):
    team, _ = comms
    failing["bo@example.com"] = smtplib.SMTPDataError(451, b"4.3.0 Try again later")
    result = services.digest_send(team=team, period=WEEK)
    assert (result.sent, result.transient_error) == (["ann@example.com"],
                                                     "451 4.3.0 Try again later")
    assert rows(team) == [("ann@example.com", "sent", 1, ""),
                          ("bo@example.com", "claimed", 1, "451 4.3.0 Try again later"),
                          ("cy@example.com", "claimed", 0, "")]
    # The server is back: the retry sends the two left, once.
    failing.clear()
    result = services.digest_send(team=team, period=WEEK)
    assert (result.sent, result.passed) == (["bo@example.com", "cy@example.com"], 1)
    assert rows(team) == [("ann@example.com", "sent", 1, ""), ("bo@example.com", "sent", 2, ""),
                          ("cy@example.com", "sent", 1, "")]
    assert sorted(message.to[0] for message in mail.outbox) == RECIPIENTS


@pytest.mark.django_db
def test_giving_up_marks_the_claimed_rows_failed_with_the_error_and_leaves_the_sent(
        comms, failing):
    team, _ = comms
    failing["bo@example.com"] = ConnectionRefusedError(111, "Connection refused")
    services.digest_send(team=team, period=WEEK)
    assert services.digest_give_up(team=team, period=WEEK,
                                   error="ConnectionRefusedError: Connection refused") == 2
    gave_up = "Gave up after retrying: ConnectionRefusedError: Connection refused"
    assert rows(team) == [("ann@example.com", "sent", 1, ""),
                          ("bo@example.com", "failed", 1, gave_up),
                          ("cy@example.com", "failed", 0, gave_up)]


@pytest.fixture
def retries_in_process():
    """apply() runs each retry in-process at once, unless the Retry is raised to the caller
    (as CELERY_TASK_EAGER_PROPAGATES asks)."""
    propagates = celery_app.conf.task_eager_propagates
    celery_app.conf.task_eager_propagates = False
    yield
    celery_app.conf.task_eager_propagates = propagates


@pytest.mark.django_db
def test_the_task_retries_a_transient_failure_then_gives_up_after_the_last_retry(
        comms, failing, settings, retries_in_process):
    settings.DIGEST_MAX_RETRIES = 2
    team, _ = comms
    failing["ann@example.com"] = smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
    tasks.send_digest.apply(args=[team.pk, WEEK.start.isoformat()])
    # Three runs (the first and two retries), each stopped at Ann; then the rest failed.
    gave_up = "Gave up after retrying: SMTPServerDisconnected: Connection unexpectedly closed"
    assert rows(team) == [("ann@example.com", "failed", 3, gave_up),
                          ("bo@example.com", "failed", 0, gave_up),
                          ("cy@example.com", "failed", 0, gave_up)]
    assert mail.outbox == []


@pytest.mark.django_db
def test_the_task_sends_a_teams_week_named_by_its_first_day(comms):
    team, _ = comms
    result = tasks.send_digest.apply(args=[team.pk, "2026-11-16"]).get()
    assert result == {"sent": 3, "skipped": 0, "failed": 0, "passed": 0}
    assert tasks.send_digest.apply(args=[team.pk, "2026-11-16"]).get() == {
        "sent": 0, "skipped": 0, "failed": 0, "passed": 3}
    assert tasks.send_digest.apply(args=[999_999, "2026-11-16"]).get() == {}


# ---------------------------------------------------------------------------------------------
# Retry delays


@pytest.mark.parametrize(("retries", "ceiling"), [(0, 10), (1, 20), (2, 40), (3, 60), (4, 60),
                                                  (10, 60)])
def test_retry_delays_double_up_to_the_cap_and_keep_at_least_half(
        retries, ceiling, settings, monkeypatch):
    settings.DIGEST_RETRY_BASE_DELAY = 10
    settings.DIGEST_RETRY_MAX_DELAY = 60
    monkeypatch.setattr(tasks.random, "uniform", lambda low, high: low)
    assert tasks.retry_delay(retries) == ceiling / 2
    monkeypatch.setattr(tasks.random, "uniform", lambda low, high: high)
    assert tasks.retry_delay(retries) == ceiling


def test_retry_delays_stay_between_half_the_ceiling_and_the_ceiling(settings):
    settings.DIGEST_RETRY_BASE_DELAY = 60
    settings.DIGEST_RETRY_MAX_DELAY = 1800
    for retries, ceiling in enumerate([60, 120, 240, 480, 960, 1800, 1800]):
        delays = [tasks.retry_delay(retries) for _ in range(200)]
        assert all(ceiling / 2 <= delay <= ceiling for delay in delays)
        assert len(set(delays)) > 1        # jittered, not one fixed value


# ---------------------------------------------------------------------------------------------
# The hourly tick


@pytest.fixture
def three_teams(db):
    """London and Paris are due at Monday 09:30 UTC (09:30 and 10:30 there); New York is not
    (04:30)."""
    made = {}
    for slug, zone in (("london", "Europe/London"), ("paris", "Europe/Paris"),
                       ("new-york", "America/New_York")):
        made[slug] = TeamFactory(name=slug, slug=slug, timezone=zone)
        MembershipFactory(team=made[slug], role=Role.MANAGER,
                          user=UserFactory(email=f"boss@{slug}.example.com"))
    return made


@pytest.mark.django_db
def test_the_tick_queues_one_send_digest_per_due_team_on_commit(
        three_teams, monkeypatch):
    queued = []
    monkeypatch.setattr(tasks, "queue_on_commit",
                        lambda task, *args: queued.append((task.name, *args)))
    assert tasks.queue_digests() == 2
    assert queued == [
        ("dashboards.send_digest", three_teams["london"].pk, "2026-11-16"),
        ("dashboards.send_digest", three_teams["paris"].pk, "2026-11-16"),
    ]


@pytest.mark.django_db
def test_the_tick_waits_for_the_commit_before_queueing(
        three_teams, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert tasks.queue_digests() == 2
    assert len(callbacks) == 2
    assert mail.outbox == []


@pytest.mark.django_db
def test_in_eager_mode_a_tick_sends_the_due_teams_digests(
        three_teams, django_capture_on_commit_callbacks, eager_tasks):
    # As in the embedded default (no REDIS_URL); with a broker, tests/integration runs a worker.
    with django_capture_on_commit_callbacks(execute=True):
        tasks.queue_digests()
    assert sorted(message.to[0] for message in mail.outbox) == [
        "boss@london.example.com", "boss@paris.example.com"]
    assert sorted(DigestDelivery.objects.values_list("team__slug", "status")) == [
        ("london", "sent"), ("paris", "sent")]
    # The next tick finds nothing left to do.
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.queue_digests() == 0
    assert len(mail.outbox) == 2


# ---------------------------------------------------------------------------------------------
# Unsubscribe tokens


@pytest.mark.django_db
def test_a_token_names_its_membership_and_round_trips(comms):
    _, people = comms
    token = unsubscribe_token(people["ann"])
    assert unsubscribe_membership_id(token) == str(people["ann"].public_id)
    assert token.startswith(str(people["ann"].public_id) + ":")


@pytest.mark.django_db
def test_a_tampered_altered_or_foreign_token_names_nobody(comms):
    _, people = comms
    ann, bo = people["ann"], people["bo"]
    token = unsubscribe_token(ann)
    public_id, signature = token.rsplit(":", 1)
    flipped = signature[:-1] + ("A" if signature[-1] != "A" else "B")
    assert unsubscribe_membership_id(f"{public_id}:{flipped}") is None
    # Bo's id under Ann's signature.
    assert unsubscribe_membership_id(f"{bo.public_id}:{signature}") is None
    # Signed with the same key for another purpose.
    assert unsubscribe_membership_id(
        signing.Signer(salt="misfire.something.else").sign(str(ann.public_id))) is None
    assert unsubscribe_membership_id(signing.Signer().sign(str(ann.public_id))) is None
    assert unsubscribe_membership_id(str(ann.public_id)) is None
    assert unsubscribe_membership_id("") is None
    # Bo's own token names Bo, never Ann.
    assert unsubscribe_membership_id(unsubscribe_token(bo)) == str(bo.public_id)
    assert UNSUBSCRIBE_SALT == "misfire.digest.unsubscribe"


@pytest.mark.django_db
def test_a_posted_token_unsubscribes_its_own_membership_only(comms, client):
    _, people = comms
    other_team = TeamFactory(name="Other", slug="other")
    MembershipFactory(team=other_team, role=Role.MANAGER, user=people["ann"].user)
    bo_token = unsubscribe_token(people["bo"])
    response = client.post(reverse("dashboards:digest-unsubscribe", args=[bo_token]))
    assert response.status_code == 200
    # A forged one (Ann's id, Bo's signature) changes nothing.
    forged = f"{people['ann'].public_id}:{bo_token.rsplit(':', 1)[1]}"
    assert client.post(reverse("dashboards:digest-unsubscribe",
                               args=[forged])).status_code == 404
    assert sorted(Membership.objects.filter(receives_digest=True)
                  .values_list("user__email", "team__slug")) == [
        ("ann@example.com", "comms"), ("ann@example.com", "other"), ("cy@example.com", "comms"),
        ("gone@example.com", "comms")]
    assert Membership.objects.get(pk=people["bo"].pk).receives_digest is False
