"""The one definition of which dates Misfire accepts, for forms, services, commands and the API.

Dates of things that happened (an incident, its detection or resolution, a timeline moment, a
source's capture) fall between 1990-01-01 and now; planned dates (an action's due date, a
learning's review) fall between 1990-01-01 and ten years from today. Outside these ranges a
date is a typo, and some of them (year 1 seen from a UTC+ time zone) are stored as BC
timestamps that PostgreSQL's driver cannot read back, breaking every page that lists them.
"""

import datetime as dt
import zoneinfo

from django.core.exceptions import ValidationError
from django.utils import timezone

EARLIEST_DATE = dt.date(1990, 1, 1)
# The first instant that is 1990 somewhere (UTC+14): 1 January 1990 typed anywhere is accepted.
EARLIEST_DATETIME = dt.datetime(1990, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=14)))
PLANNED_YEARS = 10

TOO_EARLY = "Misfire records failures from 1990 on: check the year."
DATE_IN_FUTURE = "That date is in the future."
TIME_IN_FUTURE = "That time is in the future."
TOO_FAR_AHEAD = f"Plan within {PLANNED_YEARS} years from today: check the year."


def today_in(tz_name: str | None = None) -> dt.date:
    """Today where tz_name is (the active time zone when None)."""
    tz = zoneinfo.ZoneInfo(tz_name) if tz_name else timezone.get_current_timezone()
    return timezone.localdate(timezone=tz)


def incident_today(team_tz: str | None, person_tz: str | None = None) -> dt.date:
    """The latest "today" for a failure's date: the team's, or the person's logging it when
    theirs is already later (someone working from Kiritimati logs what happened on their
    today, which may be tomorrow in London)."""
    return max(today_in(team_tz), today_in(person_tz))


def latest_planned_date(today: dt.date) -> dt.date:
    """Ten years from today (28 February when today is 29 February)."""
    try:
        return today.replace(year=today.year + PLANNED_YEARS)
    except ValueError:
        return today.replace(year=today.year + PLANNED_YEARS, day=28)


def past_date_error(value: dt.date, *, today: dt.date) -> str | None:
    """Why a date of something that happened is refused, or None when it is fine."""
    if value < EARLIEST_DATE:
        return TOO_EARLY
    if value > today:
        return DATE_IN_FUTURE
    return None


def past_datetime_error(value: dt.datetime, *, now: dt.datetime | None = None) -> str | None:
    """Why a moment that happened is refused, or None when it is fine.

    Compared as aware datetimes, never converted: converting year 1 across time zones can
    overflow.
    """
    # Before 1990 everywhere, or before 1990 in the zone it was typed in (a zone's offset
    # then may differ from today's: Kiritimati was UTC-10 until 1995).
    if value < EARLIEST_DATETIME or value.date() < EARLIEST_DATE:
        return TOO_EARLY
    if value > (now or timezone.now()):
        return TIME_IN_FUTURE
    return None


def planned_date_error(value: dt.date, *, today: dt.date) -> str | None:
    """Why a planned date is refused, or None when it is fine (past ones are the caller's
    call: a done action may carry a past due date)."""
    if value < EARLIEST_DATE:
        return TOO_EARLY
    if value > latest_planned_date(today):
        return TOO_FAR_AHEAD
    return None


def check_past_dates(*, today: dt.date, **values: dt.date | None) -> None:
    """Raise ValidationError({field: message}) for every date of these that is out of range."""
    _raise({name: past_date_error(value, today=today)
            for name, value in values.items() if value is not None})


def check_past_datetimes(**values: dt.datetime | None) -> None:
    now = timezone.now()
    _raise({name: past_datetime_error(value, now=now)
            for name, value in values.items() if value is not None})


def check_planned_dates(*, today: dt.date, **values: dt.date | None) -> None:
    _raise({name: planned_date_error(value, today=today)
            for name, value in values.items() if value is not None})


def _raise(errors: dict[str, str | None]) -> None:
    errors = {name: message for name, message in errors.items() if message}
    if errors:
        raise ValidationError(errors)


def clean_past_date(value: dt.date | None, *, today: dt.date) -> dt.date | None:
    """For a form's clean_<field>: the value, or a ValidationError beside the field."""
    if value is not None and (message := past_date_error(value, today=today)):
        raise ValidationError(message)
    return value


def clean_past_datetime(value: dt.datetime | None) -> dt.datetime | None:
    if value is not None and (message := past_datetime_error(value)):
        raise ValidationError(message)
    return value


def clean_planned_date(value: dt.date | None, *, today: dt.date) -> dt.date | None:
    if value is not None and (message := planned_date_error(value, today=today)):
        raise ValidationError(message)
    return value


def bounded_date(value: dt.date | None) -> dt.date | None:
    """A date a search may use (e.g. "within 30 days of"), None when it is out of any range:
    arithmetic on year 1 or 9999 overflows."""
    if value is None or not EARLIEST_DATE <= value <= latest_planned_date(today_in("UTC")):
        return None
    return value


# The periods lists, dashboards and the digest offer: the N days ending today, today included.
PERIOD_DAYS = {"30d": 30, "90d": 90, "12m": 365}
PERIOD_CHOICES = [("30d", "Last 30 days"), ("90d", "Last 90 days"), ("12m", "Last 12 months")]


def period_range(period: str, *, today: dt.date) -> tuple[dt.date, dt.date]:
    """The first and last day of a named period ending `today`, both included: "30d" on
    22 November is 24 October to 22 November. KeyError for an unknown name."""
    return today - dt.timedelta(days=PERIOD_DAYS[period] - 1), today
