"""The period a dashboard, the metrics API and the digest count over, read from a query string.

`?period=30d|90d|12m` (default 90d) or `?from=YYYY-MM-DD&to=YYYY-MM-DD`, both days included, in
the team's calendar. Anything else is refused with a message naming the parameter."""

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass

from common.dates import EARLIEST_DATE, PERIOD_CHOICES, PERIOD_DAYS, period_range

DEFAULT_PERIOD = "90d"
CUSTOM = "custom"
# A custom range may not span more than this: a year of weeks is what a chart can show, and
# the counts' cost stays bounded whatever a URL asks for.
LONGEST_DAYS = 3 * 366
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)


def read_iso_date(text: str) -> dt.date | None:
    """`text` as a date if it is written YYYY-MM-DD and is a real day, else None
    (`fromisoformat` alone also takes 20261101 and 2026-W47-7)."""
    if not ISO_DATE.fullmatch(text):
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


def monday_of(day: dt.date) -> dt.date:
    """The Monday that starts the week of `day` (weeks run Monday to Sunday)."""
    return day - dt.timedelta(days=day.weekday())


class PeriodError(ValueError):
    """A query string's period that cannot be read; `errors` maps each parameter to why."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{name}: {message}" for name, message in errors.items()))
        self.errors = errors


@dataclass(frozen=True)
class Period:
    """A run of days, `start` to `end`, both included; `name` is 30d/90d/12m or custom."""

    start: dt.date
    end: dt.date
    name: str = CUSTOM

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> "Period":
        """The period of the same length that ends the day before this one starts."""
        end = self.start - dt.timedelta(days=1)
        return Period(start=end - dt.timedelta(days=self.days - 1), end=end)

    def weeks(self) -> list[dt.date]:
        """The Monday of every Monday-start week that overlaps the period, in order."""
        monday = monday_of(self.start)
        weeks = []
        while monday <= self.end:
            weeks.append(monday)
            monday += dt.timedelta(days=7)
        return weeks

    @property
    def label(self) -> str:
        named = dict(PERIOD_CHOICES)
        if self.name in named:
            return named[self.name]
        return f"{self.start:%-d %b %Y} – {self.end:%-d %b %Y}"

    def query(self) -> dict[str, str]:
        """The query string that asks for this period again (a shareable address)."""
        if self.name in PERIOD_DAYS:
            return {"period": self.name}
        return {"from": self.start.isoformat(), "to": self.end.isoformat()}


def period_from(params: Mapping[str, str], *, today: dt.date) -> Period:
    """The period a query string asks for, counted back from `today` (the team's today).

    `period` and `from`/`to` are alternatives: giving both is an error, as are an unknown
    period, a date that is not YYYY-MM-DD, one without the other, `from` after `to`, a day
    before 1990 or after today, and a range longer than LONGEST_DAYS."""
    name = params.get("period") or ""
    start_text, end_text = params.get("from") or "", params.get("to") or ""
    if name and (start_text or end_text):
        raise PeriodError({"period": "Give either period or from and to, not both."})
    if not (start_text or end_text):
        name = name or DEFAULT_PERIOD
        if name not in PERIOD_DAYS:
            choices = ", ".join(PERIOD_DAYS)
            raise PeriodError({"period": f"Choose one of {choices}, or give from and to."})
        start, end = period_range(name, today=today)
        return Period(start=start, end=end, name=name)
    errors: dict[str, str] = {}
    dates: dict[str, dt.date] = {}
    for key, text in (("from", start_text), ("to", end_text)):
        if not text:
            errors[key] = f"Give {key} as well, as YYYY-MM-DD."
            continue
        day = read_iso_date(text)
        if day is None:
            errors[key] = "Enter a date as YYYY-MM-DD."
            continue
        dates[key] = day
        if dates[key] < EARLIEST_DATE:
            errors[key] = "Misfire counts from 1990 on: check the year."
        elif dates[key] > today:
            errors[key] = "That date is in the future."
    if not errors and dates["from"] > dates["to"]:
        errors["from"] = "The range must start on or before its last day."
    if not errors and (dates["to"] - dates["from"]).days + 1 > LONGEST_DAYS:
        errors["to"] = f"A range can span at most {LONGEST_DAYS} days."
    if errors:
        raise PeriodError(errors)
    return Period(start=dates["from"], end=dates["to"])
