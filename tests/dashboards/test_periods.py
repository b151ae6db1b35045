"""The period a dashboard or the metrics API counts over, read from a query string."""

from datetime import date

import pytest

from dashboards.periods import LONGEST_DAYS, Period, PeriodError, period_from

TODAY = date(2026, 11, 22)


@pytest.mark.parametrize(("params", "start", "name"), [
    ({}, date(2026, 8, 25), "90d"),
    ({"period": "30d"}, date(2026, 10, 24), "30d"),
    ({"period": "90d"}, date(2026, 8, 25), "90d"),
    ({"period": "12m"}, date(2025, 11, 23), "12m"),
])
def test_named_periods_are_the_days_ending_today_today_included(params, start, name):
    assert period_from(params, today=TODAY) == Period(start=start, end=TODAY, name=name)


def test_a_range_includes_both_days_and_can_be_one_day():
    assert period_from({"from": "2026-01-05", "to": "2026-01-05"}, today=TODAY).days == 1
    period = period_from({"from": "2025-12-29", "to": "2026-01-11"}, today=TODAY)
    assert (period.start, period.end, period.days) == (date(2025, 12, 29), date(2026, 1, 11),
                                                       14)


@pytest.mark.parametrize(("params", "errors"), [
    ({"period": "7d"}, {"period": "Choose one of 30d, 90d, 12m, or give from and to."}),
    ({"period": "30d", "from": "2026-01-01"},
     {"period": "Give either period or from and to, not both."}),
    ({"from": "2026-01-01"}, {"to": "Give to as well, as YYYY-MM-DD."}),
    ({"to": "2026-01-01"}, {"from": "Give from as well, as YYYY-MM-DD."}),
    ({"from": "01/02/2026", "to": "2026-13-01"},
     {"from": "Enter a date as YYYY-MM-DD.", "to": "Enter a date as YYYY-MM-DD."}),
    ({"from": "\x00\udcff", "to": "2026-01-01"}, {"from": "Enter a date as YYYY-MM-DD."}),
    ({"from": "2026-02-01", "to": "2026-01-01"},
     {"from": "The range must start on or before its last day."}),
    ({"from": "1989-12-31", "to": "2026-01-01"},
     {"from": "Misfire counts from 1990 on: check the year."}),
    ({"from": "2026-11-01", "to": "2026-11-23"}, {"to": "That date is in the future."}),
    ({"from": "2020-01-01", "to": "2026-11-01"},
     {"to": f"A range can span at most {LONGEST_DAYS} days."}),
])
def test_anything_else_is_refused_naming_the_parameter(params, errors):
    with pytest.raises(PeriodError) as refused:
        period_from(params, today=TODAY)
    assert refused.value.errors == errors


def test_the_previous_period_has_the_same_length_and_ends_the_day_before():
    period = period_from({"period": "30d"}, today=TODAY)
    assert period.previous() == Period(start=date(2026, 9, 24), end=date(2026, 10, 23))


def test_weeks_are_the_mondays_of_every_week_the_period_touches():
    sunday_to_monday = Period(start=date(2026, 11, 1), end=date(2026, 11, 9))
    assert sunday_to_monday.weeks() == [date(2026, 10, 26), date(2026, 11, 2),
                                        date(2026, 11, 9)]


def test_a_period_gives_back_the_query_that_asks_for_it():
    for params in ({"period": "12m"}, {"from": "2026-01-01", "to": "2026-03-31"}):
        period = period_from(params, today=TODAY)
        assert period.query() == params
        assert period_from(period.query(), today=TODAY) == period


def test_labels_say_the_period_as_people_do():
    assert period_from({"period": "30d"}, today=TODAY).label == "Last 30 days"
    assert period_from({"from": "2026-01-01", "to": "2026-03-31"},
                       today=TODAY).label == "1 Jan 2026 – 31 Mar 2026"
