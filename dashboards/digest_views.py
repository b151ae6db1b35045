"""The digest's pages: the one-click unsubscribe link of every email, and the preview."""

import datetime as dt
import logging
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import time_format
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from accounts.current import memberships_of
from accounts.models import Membership
from accounts.services import (
    membership_unsubscribe_digest,
    throttle_count,
    throttle_oldest,
    throttle_record,
)
from common.dates import EARLIEST_DATE
from common.tasks import queue_now

from .digests import (
    digest_build,
    digest_message,
    digest_recipients,
    new_message_id,
    unsubscribe_membership_id,
)
from .periods import Period, monday_of, read_iso_date
from .schedule import WEEK, current_week, latest_week, period_start, week_label, week_named
from .tasks import send_digest_preview

logger = logging.getLogger(__name__)

UNSUBSCRIBE_PAGE = "dashboards/digest_unsubscribe.html"
PREVIEW_PAGE = "dashboards/digest_preview.html"

# "Email me this preview": at most this many an hour per person (each is a real email).
PREVIEWS_PER_HOUR = 5
PREVIEW_WINDOW = dt.timedelta(hours=1)
PREVIEW_SCOPE = "digest-preview"
NOT_QUEUED = ("The preview could not be queued: the task queue is not answering. Nothing was "
              "sent; try again in a few minutes.")

WEEK_NOT_A_DATE = "Give the week as its Monday, YYYY-MM-DD (e.g. 2026-11-16)."
WEEK_NOT_MONDAY = ("A week is named by its Monday: {day:%-d %B %Y} is a {day:%A}; that week's "
                   "Monday is {monday:%-d %B %Y}.")
WEEK_TOO_EARLY = "Misfire has digests from 1990 on: check the year."
WEEK_IN_FUTURE = "That week has not started yet: the latest is this week so far ({monday})."


def _membership(token: str) -> Membership | None:
    public_id = unsubscribe_membership_id(token)
    if public_id is None:
        return None
    return (Membership.objects.select_related("team", "user")
            .filter(public_id=public_id).first())


# No sign-in and no CSRF token: the link's signature is the proof (RFC 8058 one-click), and a
# mail client's POST carries neither cookie nor token. A GET only shows the question, because
# mail scanners follow links.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def digest_unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    membership = _membership(token)
    if membership is None:
        # The same answer for a forged, altered or outdated link (the membership is gone).
        return render(request, UNSUBSCRIBE_PAGE, {"invalid": True}, status=404)
    if request.method == "POST":
        membership = membership_unsubscribe_digest(membership=membership)
        return render(request, UNSUBSCRIBE_PAGE, {"membership": membership, "done": True})
    return render(request, UNSUBSCRIBE_PAGE, {"membership": membership})


# ---------------------------------------------------------------------------------------------
# Preview


class WeekError(ValueError):
    """A `week` that names no week a digest can report."""


def _week_asked(value: str, *, latest_monday: dt.date) -> dt.date:
    """The Monday `value` names, strictly: YYYY-MM-DD, a Monday, from 1990 to this week."""
    day = read_iso_date(value)
    if day is None:
        raise WeekError(WEEK_NOT_A_DATE)
    if day.weekday() != 0:
        raise WeekError(WEEK_NOT_MONDAY.format(day=day, monday=monday_of(day)))
    if day < EARLIEST_DATE:
        raise WeekError(WEEK_TOO_EARLY)
    if day > latest_monday:
        raise WeekError(WEEK_IN_FUTURE.format(monday=latest_monday.isoformat()))
    return day


def _preview_address(team_slug: str, monday: dt.date | None = None) -> str:
    path = reverse("dashboards:digest-preview", kwargs={"slug": team_slug})
    return f"{path}?{urlencode({'week': monday.isoformat()})}" if monday else path


def _html_for_frame(html: str) -> str:
    """The email's HTML for the page's sandboxed frame: its links open in a new tab (a link
    followed inside the frame would show the app in a box with no way back)."""
    return html.replace("<head>", '<head>\n<base target="_blank">', 1)


def _preview_context(membership: Membership, week: dt.date | None) -> dict:
    team = membership.team
    now = timezone.now()
    latest, current = latest_week(team, now), current_week(team, now)
    period: Period = week_named(team, week) if week is not None else latest
    monday = period_start(period)
    digest = digest_build(team=team, period=period)
    message = digest_message(digest, membership, message_id=new_message_id())
    html = next(content for content, mimetype in message.alternatives
                if mimetype == "text/html")
    earlier, later = monday - WEEK, monday + WEEK
    current_monday = period_start(current)
    return {
        "team": team, "membership": membership, "period": period, "monday": monday,
        "week_label": week_label(period), "digest": digest,
        "subject": message.subject, "text": message.body, "html": _html_for_frame(html),
        "size_kb": round(len(html.encode()) / 1024),
        "recipients": digest_recipients(team).count(),
        "is_latest": period == latest, "is_current": period == current,
        "latest_address": _preview_address(team.slug),
        "current_address": _preview_address(team.slug, current_monday),
        "earlier_address": (_preview_address(team.slug, earlier)
                            if earlier >= monday_of(EARLIEST_DATE) else ""),
        "later_address": _preview_address(team.slug, later) if later <= current_monday else "",
        "latest_monday": current_monday,
        "previews_per_hour": PREVIEWS_PER_HOUR,
    }


def _preview_refused(request: HttpRequest, membership: Membership, asked: str,
                     error: str) -> HttpResponse:
    team = membership.team
    current_monday = period_start(current_week(team, timezone.now()))
    return render(request, PREVIEW_PAGE, {
        "team": team, "membership": membership, "asked": asked, "week_error": error,
        "latest_address": _preview_address(team.slug),
        "current_address": _preview_address(team.slug, current_monday),
        "latest_monday": current_monday,
    }, status=400)


def _email_preview(request: HttpRequest, membership: Membership, monday: dt.date
                   ) -> HttpResponse:
    """Queue the preview email to the signed-in member (at most PREVIEWS_PER_HOUR an hour),
    then back to the same week's page with what happened."""
    user, team = request.user, membership.team
    scope = {"scope": PREVIEW_SCOPE, "value": str(user.pk), "window": PREVIEW_WINDOW}
    if throttle_count(**scope) >= PREVIEWS_PER_HOUR:
        oldest = throttle_oldest(**scope)
        again = time_format(timezone.localtime(oldest + PREVIEW_WINDOW), "H:i")
        messages.error(request, f"You have had {PREVIEWS_PER_HOUR} previews emailed in the "
                                f"last hour, the most allowed. Try again after {again}.")
        return redirect(_preview_address(team.slug, monday))
    period = week_named(team, monday)
    # queue_now, not queue_on_commit: nothing is written for the task to wait for, and the
    # page must say whether the broker took it (queue_on_commit keeps that to its log).
    if not queue_now(send_digest_preview, membership.pk, period.start.isoformat()):
        messages.error(request, NOT_QUEUED)
        return redirect(_preview_address(team.slug, monday))
    throttle_record(**scope)
    messages.success(request, f"A preview of the digest of {week_label(period)} is on its way "
                              f"to {user.email}. It takes a minute or two to arrive.")
    return redirect(_preview_address(team.slug, monday))


@login_required
@require_http_methods(["GET", "POST"])
def digest_preview(request: HttpRequest, slug: str) -> HttpResponse:
    """A team's digest as the signed-in member would receive it, for any of its people; to
    anyone else the team does not exist."""
    membership = next((membership for membership in memberships_of(request)
                       if membership.team.slug == slug), None)
    if membership is None:
        raise Http404("No team of yours has this address.")
    # The digest is rendered for the reader: their name and their own unsubscribe link.
    membership.user = request.user
    source = request.POST if request.method == "POST" else request.GET
    asked = source.get("week", "")
    monday = None
    if asked or request.method == "POST":
        latest = period_start(current_week(membership.team, timezone.now()))
        try:
            monday = _week_asked(asked, latest_monday=latest)
        except WeekError as error:
            return _preview_refused(request, membership, asked, str(error))
    if request.method == "POST":
        return _email_preview(request, membership, monday)
    return render(request, PREVIEW_PAGE, _preview_context(membership, monday))
