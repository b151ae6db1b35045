"""manage.py send_digests: the same service as the hourly run, by hand, with a dry run.

Frozen at Monday 23 November 2026, 09:30 in London. Comms (London, Monday digest) has two
recipients; Midweek (London, Wednesday digest) has one, and its latest due week is Wednesday
11 to Tuesday 17 November, named by Monday 9 November.
"""

import smtplib
from datetime import UTC, date, datetime
from io import StringIO

import pytest
import time_machine
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend
from django.core.management import CommandError, call_command

from accounts.models import Role
from dashboards.models import DeliveryStatus, DigestDelivery
from tests.factories import IncidentFactory, MembershipFactory, TeamFactory, UserFactory

NOW = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    mail.outbox = []
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def teams(db):
    comms = TeamFactory(name="Comms", slug="comms", timezone="Europe/London")
    midweek = TeamFactory(name="Midweek", slug="midweek", timezone="Europe/London",
                          digest_weekday=2)
    people = {
        "ann": MembershipFactory(team=comms, role=Role.MANAGER,
                                 user=UserFactory(email="ann@example.com")),
        "bo": MembershipFactory(team=comms, role=Role.MANAGER, skip_quiet_weeks=True,
                                user=UserFactory(email="bo@example.com")),
        "cy": MembershipFactory(team=midweek, role=Role.MANAGER,
                                user=UserFactory(email="cy@example.com")),
    }
    MembershipFactory(team=comms, role=Role.MEMBER, user=UserFactory(email="dee@example.com"))
    IncidentFactory(team=comms, occurred_on=date(2026, 11, 18))
    return {"comms": comms, "midweek": midweek, **people}


def run(*args) -> str:
    out = StringIO()
    call_command("send_digests", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_a_dry_run_prints_each_recipients_planned_action_and_claims_nothing(teams):
    assert run("--dry-run") == (
        "comms: week of 2026-11-16 (16–22 November 2026), 2 recipient(s)\n"
        "  ann@example.com: would send\n"
        "  bo@example.com: would send\n"
        "midweek: week of 2026-11-09 (11–17 November 2026), 1 recipient(s)\n"
        "  cy@example.com: would send\n")
    assert DigestDelivery.objects.count() == 0
    assert mail.outbox == []


@pytest.mark.django_db
def test_a_dry_run_tells_rows_already_settled_claimed_and_quiet_skips_apart(teams):
    comms = teams["comms"]
    DigestDelivery.objects.create(team=comms, user=teams["ann"].user,
                                  period_start=date(2026, 11, 2), status=DeliveryStatus.SENT)
    # 2–8 November was quiet: Bo skips quiet weeks.
    assert run("--dry-run", "--team", "comms", "--week", "2026-11-02") == (
        "comms: week of 2026-11-02 (2–8 November 2026), 2 recipient(s)\n"
        "  ann@example.com: already sent: nothing to do\n"
        "  bo@example.com: quiet week, skips quiet weeks: would skip\n")
    DigestDelivery.objects.create(team=comms, user=teams["bo"].user,
                                  period_start=date(2026, 11, 2))
    assert run("--dry-run", "--team", "comms", "--week", "2026-11-02").endswith(
        "  bo@example.com: claimed but not sent: would send\n")
    assert DigestDelivery.objects.count() == 2
    assert mail.outbox == []


@pytest.mark.django_db
def test_a_run_sends_one_email_per_recipient_and_a_second_run_reports_already_done(teams):
    assert run("--team", "comms") == (
        "comms: week of 2026-11-16 (16–22 November 2026): sent 2, skipped 0, failed 0, "
        "already done 0\n")
    assert sorted(message.to[0] for message in mail.outbox) == ["ann@example.com",
                                                                "bo@example.com"]
    assert sorted(DigestDelivery.objects.values_list("user__email", "status")) == [
        ("ann@example.com", "sent"), ("bo@example.com", "sent")]
    assert run("--team", "comms") == (
        "comms: week of 2026-11-16 (16–22 November 2026): sent 0, skipped 0, failed 0, "
        "already done 2\n")
    assert len(mail.outbox) == 2


@pytest.mark.django_db
def test_a_run_of_every_team_sends_each_its_latest_due_week(teams):
    assert run() == (
        "comms: week of 2026-11-16 (16–22 November 2026): sent 2, skipped 0, failed 0, "
        "already done 0\n"
        "midweek: week of 2026-11-09 (11–17 November 2026): sent 1, skipped 0, failed 0, "
        "already done 0\n")
    assert sorted(DigestDelivery.objects.values_list("team__slug", "period_start")) == [
        ("comms", date(2026, 11, 16)), ("comms", date(2026, 11, 16)),
        ("midweek", date(2026, 11, 9))]


@pytest.mark.django_db
def test_a_quiet_week_skips_those_who_chose_so(teams):
    assert run("--team", "comms", "--week", "2026-11-02") == (
        "comms: week of 2026-11-02 (2–8 November 2026): sent 1, skipped 1, failed 0, "
        "already done 0\n")
    assert [message.to for message in mail.outbox] == [["ann@example.com"]]


@pytest.mark.django_db
def test_a_week_not_yet_due_says_so_and_sends_nothing(teams):
    assert run("--week", "2026-11-23") == (
        "comms: the week of 23–29 November 2026 ends on 29 November; its digest is due on "
        "30 November 2026, not yet.\n"
        "midweek: the week of 25 November – 1 December 2026 ends on 1 December; its digest is "
        "due on 2 December 2026, not yet.\n")
    # Midweek's week named by 16 November runs to Tuesday 24: due on Wednesday 25.
    assert run("--team", "midweek", "--week", "2026-11-16") == (
        "midweek: the week of 18–24 November 2026 ends on 24 November; its digest is due on "
        "25 November 2026, not yet.\n")
    assert DigestDelivery.objects.count() == 0
    assert mail.outbox == []


@pytest.mark.django_db
def test_an_unknown_team_is_an_error(teams):
    with pytest.raises(CommandError, match=r"^--team nope: no team has this slug\.$"):
        run("--team", "nope")


@pytest.mark.django_db
@pytest.mark.parametrize(("week", "message"), [
    ("2026-11-18", "--week 2026-11-18: give the Monday that names the week, e.g. 2026-11-16."),
    ("2026-11-22", "--week 2026-11-22: give the Monday that names the week, e.g. 2026-11-16."),
    ("last monday", "--week last monday: give a date as YYYY-MM-DD."),
    ("2026-02-30", "--week 2026-02-30: give a date as YYYY-MM-DD."),
    ("20261116", "--week 20261116: give a date as YYYY-MM-DD."),
    ("2026-W47-1", "--week 2026-W47-1: give a date as YYYY-MM-DD."),
])
def test_a_week_that_is_not_a_monday_or_not_a_date_is_an_error(teams, week, message):
    with pytest.raises(CommandError) as raised:
        run("--week", week)
    assert str(raised.value) == message
    assert DigestDelivery.objects.count() == 0


class RefusingBackend(LocmemBackend):
    def send_messages(self, messages):
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")


@pytest.mark.django_db
def test_a_mail_server_that_is_down_fails_the_command_and_leaves_the_rows_claimed(
        teams, settings):
    settings.EMAIL_BACKEND = f"{__name__}.RefusingBackend"
    with pytest.raises(CommandError) as raised:
        run("--team", "comms")
    assert str(raised.value) == (
        "The mail server did not take every email: comms (SMTPServerDisconnected: Connection "
        "unexpectedly closed). The rest stay claimed; run this again to send them.")
    assert sorted(DigestDelivery.objects.values_list("user__email", "status", "attempts")) == [
        ("ann@example.com", "claimed", 1), ("bo@example.com", "claimed", 0)]
