"""The digest's "elsewhere" list finds the week's shared incidents by a range of stored times
an index can answer, and still keeps exactly those whose local day (the team's) is in the
week, in the time zones furthest from UTC."""

import datetime as dt
import zoneinfo

import pytest
from django.utils import timezone

from dashboards.digests import elsewhere_in_week
from dashboards.schedule import week_from

from ..factories import IncidentFactory, TeamFactory

WEEK = week_from(dt.date(2026, 11, 16))


@pytest.mark.django_db
@pytest.mark.parametrize("zone", ["Pacific/Kiritimati", "Pacific/Pago_Pago", "UTC"])
def test_elsewhere_holds_the_incidents_shared_on_the_weeks_local_days_and_no_other(zone):
    team, other = TeamFactory(slug="reader", timezone=zone), TeamFactory(slug="sharer")
    local = zoneinfo.ZoneInfo(zone)
    times = {
        "day before, last minute": dt.datetime(2026, 11, 15, 23, 59, tzinfo=local),
        "first day, first minute": dt.datetime(2026, 11, 16, 0, 0, tzinfo=local),
        "last day, last minute": dt.datetime(2026, 11, 22, 23, 59, tzinfo=local),
        "day after, first minute": dt.datetime(2026, 11, 23, 0, 0, tzinfo=local),
    }
    for title, moment in times.items():
        IncidentFactory(team=other, title=title, visibility="library", origin="external",
                        created_at=moment.astimezone(dt.UTC))
    with timezone.override(local):
        found = elsewhere_in_week(team=team, period=WEEK)
    assert sorted(incident.title for incident in found) == ["first day, first minute",
                                                            "last day, last minute"]
    assert {incident.total for incident in found} == {2}
