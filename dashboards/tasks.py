"""The digest's Celery tasks: they read their arguments and call the services, nothing more.

`dashboards.queue_digests` runs hourly (config/celery.py) and queues one
`dashboards.send_digest` per team that is due. Both are safe to run twice: the deliveries'
claimed rows decide what is sent.
"""

import datetime as dt
import logging
import random

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import Membership, Team
from common.tasks import queue_on_commit

from . import services
from .digests import digest_build, digest_message, new_message_id
from .schedule import week_from

logger = logging.getLogger(__name__)


def retry_delay(retries: int) -> float:
    """Seconds before retry number `retries` + 1: the base delay doubled each time, capped,
    then a random part of it kept ("equal jitter"), so many teams retrying at once spread out
    instead of knocking on the mail server together."""
    ceiling = min(settings.DIGEST_RETRY_MAX_DELAY, settings.DIGEST_RETRY_BASE_DELAY * 2 ** retries)
    return ceiling / 2 + random.uniform(0, ceiling / 2)  # noqa: S311 (timing, not secrecy)


@shared_task(name="dashboards.queue_digests")
def queue_digests() -> int:
    """The hourly tick: queue one send_digest per team whose digest is due, on commit."""
    due = services.digests_due(now=timezone.now())
    with transaction.atomic():
        for team, week in due:
            queue_on_commit(send_digest, team.pk, week.start.isoformat())
    if due:
        logger.info("Queued the digests of %d team(s).", len(due))
    return len(due)


@shared_task(name="dashboards.send_digest", bind=True, acks_late=True,
             reject_on_worker_lost=True, max_retries=None)
def send_digest(self, team_id: int, first_day: str) -> dict:
    """Send one team's digest of the week starting `first_day` (a date in its calendar) to
    every recipient who has not had it; retry transient SMTP failures with backoff."""
    team = Team.objects.filter(pk=team_id).first()
    if team is None:
        return {}
    week = week_from(dt.date.fromisoformat(first_day))
    try:
        result = services.digest_send(team=team, period=week)
    except SoftTimeLimitExceeded:
        # Stopped between two emails: what is sent is recorded; the rest goes on later.
        raise self.retry(countdown=retry_delay(self.request.retries)) from None
    if result.transient_error:
        if self.request.retries < settings.DIGEST_MAX_RETRIES:
            raise self.retry(countdown=retry_delay(self.request.retries))
        services.digest_give_up(team=team, period=week, error=result.transient_error)
    return {"sent": len(result.sent), "skipped": len(result.skipped),
            "failed": len(result.failed), "passed": result.passed}


@shared_task(name="dashboards.send_digest_preview", acks_late=True)
def send_digest_preview(membership_id: int, first_day: str) -> bool:
    """Email one member a preview of the team's digest of a week, outside the weekly run:
    nothing is claimed or recorded, and the subject says it is a preview."""
    membership = (Membership.objects.select_related("team", "user")
                  .filter(pk=membership_id, user__is_active=True).first())
    if membership is None:
        return False
    week = week_from(dt.date.fromisoformat(first_day))
    digest = digest_build(team=membership.team, period=week)
    digest_message(digest, membership, message_id=new_message_id(),
                   subject_prefix="[Preview] ").send()
    return True
