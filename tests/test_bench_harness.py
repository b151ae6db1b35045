"""The benchmark harness (bench/) measures honestly: its statistics are the ones it names, its
floor lists the same incidents as the app's first page, and its scenarios resolve to pages a
member can open."""

import sys
from datetime import date, timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from accounts.models import Role
from learnings.models import Learning

from .factories import IncidentFactory, MembershipFactory, TeamFactory, UserFactory

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

import floor  # noqa: E402
from harness import load, scenarios, stats  # noqa: E402


def test_the_median_is_the_middle_value_or_the_mean_of_the_middle_two():
    assert stats.median([30.0, 10.0, 20.0]) == 20.0
    assert stats.median([40.0, 10.0, 30.0, 20.0]) == 25.0


def test_p95_is_the_nearest_rank_and_the_largest_of_few_samples():
    assert stats.p95([float(n) for n in range(1, 101)]) == 95.0
    assert stats.p95([float(n) for n in range(20, 0, -1)]) == 19.0
    assert stats.p95([5.0, 1.0, 3.0]) == 5.0
    assert stats.p99([float(n) for n in range(1, 201)]) == 198.0


def test_the_ratio_divides_the_later_database_by_the_earlier_and_skips_a_missing_one():
    assert stats.ratio(300.0, 120.0) == pytest.approx(2.5)
    assert stats.ratio(None, 120.0) is None
    assert stats.ratio(300.0, None) is None
    assert stats.pairs(["100k", "1m", "10m"]) == [("100k", "1m"), ("100k", "10m"),
                                                  ("1m", "10m")]


@pytest.fixture
def installation(postgres):
    """A member's team with own incidents (shared and not), another team's library incidents,
    and what the member must not see: the other team's private ones and archived ones, all
    newer than anything readable. Some readable incidents share a date, so the order by
    creation time decides between them."""
    team, other = TeamFactory(slug="bench"), TeamFactory(slug="bench-other")
    member = MembershipFactory(team=team, role=Role.MEMBER,
                               user=UserFactory(email="bench@example.com")).user
    start = date(2026, 1, 1)
    for n in range(20):
        IncidentFactory(team=team, occurred_on=start + timedelta(days=n // 2),
                        visibility="library" if n % 3 else "team")
        IncidentFactory(team=other, occurred_on=start + timedelta(days=n), visibility="library",
                        origin="external")
    later = start + timedelta(days=100)
    IncidentFactory.create_batch(3, team=other, occurred_on=later, visibility="team")
    IncidentFactory.create_batch(3, team=team, occurred_on=later, archived_at=timezone.now())
    return member


def test_the_floor_lists_the_same_incidents_as_the_apps_first_page(installation, client):
    client.force_login(installation)
    page = client.get("/incidents/").content.decode()

    with connection.cursor() as cursor:
        rows = floor.floor_rows(cursor, installation.pk)

    app_ids = load.incident_ids(page)
    assert len(app_ids) == 25
    assert [str(row[0]) for row in rows] == app_ids


def test_every_scenario_resolves_to_a_page_the_member_can_open(installation, client):
    # The newest active own incident, linked to a learning: the page with the most to show.
    incident = installation.memberships.get().team.incidents.active().first()
    learning = Learning.objects.create(team=incident.team, title="Check before posting",
                                       created_by=installation, owner=installation)
    learning.incidents.add(incident)

    setting, found = scenarios.resolve()

    assert setting.user == installation
    assert [s.name for s in found] == list(scenarios.NAMES)
    assert f"/incidents/{incident.public_id}/" in [s.url for s in found]
    client.force_login(installation)
    for scenario in found:
        assert client.get(scenario.url).status_code == 200, scenario
