"""Sending the weekly digest: claim each member's delivery, then send it, once.

A delivery row per (team, user, period_start) is inserted as `claimed` before anything is
sent; the insert ignores rows that exist, so a second beat, a retry or a re-run finds the
week already claimed. Each claimed row is then locked (SELECT … FOR UPDATE SKIP LOCKED),
sent and marked sent in one transaction: two runs of the same team never send the same row,
and a run that dies between claim and send leaves its rows claimed and unlocked, for the next
run (a retry, the broker's redelivery or the next tick) to send once.

The one window left is the moment between the SMTP server's acceptance and the commit of
`sent`: a worker killed exactly then sends that email again on the next run, with the same
Message-ID (chosen at claim time), which mail systems use to fold the two into one.
"""

import datetime as dt
import logging
import smtplib
from dataclasses import dataclass, field

from django.core.mail import get_connection
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from accounts.models import Membership, Team

from .digests import Digest, digest_build, digest_message, digest_recipients, new_message_id
from .models import DeliveryStatus, DigestDelivery
from .periods import Period
from .schedule import due_week, period_start

logger = logging.getLogger(__name__)


class TransientSendError(Exception):
    """The mail server could not take the email now (4xx, refused or dropped connection)."""


class PermanentSendError(Exception):
    """The mail server refused the email for good (5xx)."""


def classify(error: Exception) -> type[Exception]:
    """Whether an SMTP failure is worth retrying: 4xx replies and connection failures are;
    5xx replies are not."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in error.recipients.values()]
        return TransientSendError if any(400 <= code < 500 for code in codes) \
            else PermanentSendError
    if isinstance(error, smtplib.SMTPResponseException):
        return TransientSendError if 400 <= error.smtp_code < 500 else PermanentSendError
    return TransientSendError


def describe(error: Exception) -> str:
    """An SMTP failure in words for the team settings page."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return "; ".join(f"{address}: {code} {message.decode(errors='replace')}"
                         for address, (code, message) in error.recipients.items())
    if isinstance(error, smtplib.SMTPResponseException):
        message = error.smtp_error
        if isinstance(message, bytes):
            message = message.decode(errors="replace")
        return f"{error.smtp_code} {message}"
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__


@dataclass
class RunResult:
    """What one run of a team's week did."""

    sent: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    # Rows another run held locked, or already settled when this run reached them.
    passed: int = 0
    # The transient failure that stopped the run, to be retried later ("" if none).
    transient_error: str = ""


def _claim(team: Team, start: dt.date, recipients: list[Membership]) -> None:
    DigestDelivery.objects.bulk_create(
        [DigestDelivery(team=team, user=membership.user, period_start=start,
                        message_id=new_message_id())
         for membership in recipients],
        ignore_conflicts=True,
    )


def _send_one(row_pk: int, digest: Digest, membership: Membership, connection,
              result: RunResult) -> None:
    """Lock one claimed row, send its email and record the outcome, in one transaction."""
    email = membership.user.email
    with transaction.atomic():
        row = (DigestDelivery.objects.select_for_update(skip_locked=True)
               .filter(pk=row_pk, status=DeliveryStatus.CLAIMED).first())
        if row is None:
            result.passed += 1
            return
        if digest.is_quiet and membership.skip_quiet_weeks:
            row.status, row.error = DeliveryStatus.SKIPPED, ""
            row.save(update_fields=["status", "error", "updated_at"])
            result.skipped.append(email)
            return
        row.attempts += 1
        message = digest_message(digest, membership, message_id=row.message_id,
                                 connection=connection)
        try:
            # One SMTP session for the whole run, opened by its first email (Django's backend
            # would otherwise open and close one per email: a connection, EHLO and QUIT each).
            connection.open()
            message.send()
        except (smtplib.SMTPException, OSError) as error:
            row.error = describe(error)
            if classify(error) is PermanentSendError:
                row.status = DeliveryStatus.FAILED
                result.failed.append(email)
            else:
                result.transient_error = row.error
            row.save(update_fields=["status", "error", "attempts", "updated_at"])
            logger.warning("Digest of %s for %s to %s not sent: %s", digest.team.slug,
                           digest.period_start, email, row.error)
            return
        row.status, row.error, row.sent_at = DeliveryStatus.SENT, "", timezone.now()
        row.save(update_fields=["status", "error", "attempts", "sent_at", "updated_at"])
        result.sent.append(email)


def digest_send(*, team: Team, period: Period) -> RunResult:
    """Send the team's digest of `period` to every recipient who has not had it: claim their
    rows, build the digest once, then send row by row. Stops at the first transient failure
    (the server is likely down for all), leaving the rest claimed for a retry."""
    start = period_start(period)
    result = RunResult()
    recipients = list(digest_recipients(team))
    if not recipients:
        return result
    _claim(team, start, recipients)
    claimed = dict(DigestDelivery.objects.filter(
        team=team, period_start=start, status=DeliveryStatus.CLAIMED,
        user_id__in=[membership.user_id for membership in recipients],
    ).values_list("user_id", "pk"))
    if not claimed:
        result.passed = len(recipients)
        return result
    digest = digest_build(team=team, period=period)
    connection = get_connection()
    try:
        for membership in recipients:
            if membership.user_id not in claimed:
                result.passed += 1
                continue
            _send_one(claimed[membership.user_id], digest, membership, connection, result)
            if result.transient_error:
                break
    finally:
        connection.close()
    return result


@transaction.atomic
def digest_give_up(*, team: Team, period: Period, error: str) -> int:
    """After the last retry: the week's deliveries still claimed are recorded as failed, with
    the last error. Rows another run holds locked are left to it."""
    rows = (DigestDelivery.objects.select_for_update(skip_locked=True)
            .filter(team=team, period_start=period_start(period), status=DeliveryStatus.CLAIMED))
    return DigestDelivery.objects.filter(pk__in=[row.pk for row in rows]).update(
        status=DeliveryStatus.FAILED, error=f"Gave up after retrying: {error}",
        updated_at=timezone.now())


def digests_due(*, now: dt.datetime) -> list[tuple[Team, Period]]:
    """The teams whose digest is due at `now` (their digest day, from their digest hour) and
    that still have a recipient without a settled delivery of the week (none yet, or one
    claimed and not sent), each with its week. One query for the teams, one per distinct week
    (a handful: the weeks differ only across time zones)."""
    due: dict[dt.date, list[tuple[Team, Period]]] = {}
    for team in Team.objects.only("pk", "slug", "timezone", "digest_weekday", "digest_hour"):
        week = due_week(team, now)
        if week is not None:
            due.setdefault(period_start(week), []).append((team, week))
    pending = []
    for start, teams in due.items():
        by_id = {team.pk: (team, week) for team, week in teams}
        settled = DigestDelivery.objects.settled().filter(
            team_id=OuterRef("team_id"), user_id=OuterRef("user_id"), period_start=start)
        waiting = set(
            Membership.objects.filter(team_id__in=by_id, receives_digest=True,
                                      user__is_active=True)
            .exclude(Exists(settled)).values_list("team_id", flat=True).distinct()
        )
        pending.extend(by_id[team_id] for team_id in sorted(waiting))
    return pending


@dataclass(frozen=True)
class Planned:
    """What a run would do for one recipient (send_digests --dry-run)."""

    email: str
    action: str


def digest_plan(*, team: Team, period: Period) -> list[Planned]:
    """What digest_send would do for each recipient of the team's week, claiming nothing."""
    start = period_start(period)
    recipients = list(digest_recipients(team))
    rows = dict(DigestDelivery.objects.filter(team=team, period_start=start)
                .values_list("user_id", "status"))
    quiet = None
    plan = []
    for membership in recipients:
        status = rows.get(membership.user_id)
        if status == DeliveryStatus.CLAIMED:
            action = "claimed but not sent: would send"
        elif status is not None:
            action = f"already {status}: nothing to do"
        else:
            if quiet is None:
                quiet = digest_build(team=team, period=period).is_quiet
            action = ("quiet week, skips quiet weeks: would skip"
                      if quiet and membership.skip_quiet_weeks else "would send")
        plan.append(Planned(email=membership.user.email, action=action))
    return plan
