"""One definition of "Last 30 days" (common.dates.period_range) for incidents, learnings and
the coming metrics: the N days ending today, today included, in the reader's calendar."""

from datetime import UTC, date, datetime

import pytest
import time_machine
from django.utils import timezone

from common.dates import period_range
from incidents.filters import IncidentFilter
from incidents.models import Incident
from learnings.filters import LearningFilter
from learnings.models import Learning
from tests.factories import IncidentFactory


@pytest.mark.parametrize(("period", "first"), [
    ("30d", date(2026, 10, 24)), ("90d", date(2026, 8, 25)), ("12m", date(2025, 11, 23))])
def test_a_period_is_the_n_days_ending_today_today_included(period, first):
    assert period_range(period, today=date(2026, 11, 22)) == (first, date(2026, 11, 22))


def test_an_unknown_period_is_refused():
    with pytest.raises(KeyError):
        period_range("7y", today=date(2026, 11, 22))


# 23:30 on 22 November in Auckland (UTC+13 in summer).
LATE_IN_AUCKLAND = datetime(2026, 11, 22, 10, 30, tzinfo=UTC)


def test_incidents_and_learnings_count_the_same_days(member, team):
    inside = date(2026, 10, 24)   # 30th day back, today included
    outside = date(2026, 10, 23)
    for day in (inside, outside):
        IncidentFactory(team=team, occurred_on=day, title=f"Incident {day}")
        learning = Learning.objects.create(team=team, title=f"Learning {day}")
        # 13:00 in Auckland on that day.
        Learning.objects.filter(pk=learning.pk).update(
            created_at=datetime(day.year, day.month, day.day, 0, 0, tzinfo=UTC))
    with time_machine.travel(LATE_IN_AUCKLAND, tick=False), \
            timezone.override("Pacific/Auckland"):
        incidents = IncidentFilter({"period": "30d"}, queryset=Incident.objects.all()).qs
        learnings = LearningFilter({"period": "30d"}, queryset=Learning.objects.all()).qs
        assert [i.title for i in incidents] == [f"Incident {inside}"]
        assert [learning.title for learning in learnings] == [f"Learning {inside}"]
