"""When a team's weekly digest is due, and which days it reports, in the team's calendar.

A team chooses a weekday and an hour (`Team.digest_weekday`, `Team.digest_hour`) in its time
zone. The digest reports the seven local days that ended when its digest day began, and the
week is named by the Monday of its first day (`period_start`): for a Monday digest, the
Monday-to-Sunday week just ended. The hourly tick finds the teams whose local day is their
digest day and whose local hour has reached the digest hour, so a tick missed (beat down for a
few hours) is caught up by the next one the same local day; the deliveries' unique row per
(team, user, period_start) keeps a week from being sent twice.
"""

import datetime as dt
import zoneinfo

from accounts.models import Team

from .periods import Period, monday_of

WEEK = dt.timedelta(days=7)


def local_now(team: Team, now: dt.datetime) -> dt.datetime:
    return now.astimezone(zoneinfo.ZoneInfo(team.timezone))


def week_before(digest_day: dt.date) -> Period:
    """The seven days that end the day before `digest_day`."""
    return Period(start=digest_day - WEEK, end=digest_day - dt.timedelta(days=1))


def week_from(first_day: dt.date) -> Period:
    """The seven days from `first_day`."""
    return Period(start=first_day, end=first_day + WEEK - dt.timedelta(days=1))


def week_named(team: Team, monday: dt.date) -> Period:
    """The week a team's digest names by `monday`: the seven days from its digest weekday in
    the week that starts on that Monday."""
    return week_from(monday_of(monday) + dt.timedelta(days=team.digest_weekday))


def period_start(period: Period) -> dt.date:
    """The Monday a digest week is named by."""
    return monday_of(period.start)


def due_week(team: Team, now: dt.datetime) -> Period | None:
    """The week whose digest is due at `now`: on the team's digest day, from its digest hour
    to midnight (local time, daylight saving included); None at any other time."""
    local = local_now(team, now)
    if local.weekday() != team.digest_weekday or local.hour < team.digest_hour:
        return None
    return week_before(local.date())


def latest_week(team: Team, now: dt.datetime) -> Period:
    """The week of the latest digest due at or before `now`: this week's if today is the
    digest day and its hour has come, else the one before."""
    local = local_now(team, now)
    days_back = (local.weekday() - team.digest_weekday) % 7
    if days_back == 0 and local.hour < team.digest_hour:
        days_back = 7
    return week_before(local.date() - dt.timedelta(days=days_back))


def current_week(team: Team, now: dt.datetime) -> Period:
    """The week being gathered now, which the next digest will report."""
    latest = latest_week(team, now)
    return Period(start=latest.start + WEEK, end=latest.end + WEEK)


def week_label(period: Period) -> str:
    """The week's days, e.g. "16–22 November 2026" or "30 November – 6 December 2026"."""
    start, end = period.start, period.end
    if start.year != end.year:
        return f"{start:%-d %B %Y} – {end:%-d %B %Y}"
    if start.month != end.month:
        return f"{start:%-d %B} – {end:%-d %B %Y}"
    return f"{start:%-d}–{end:%-d %B %Y}"
