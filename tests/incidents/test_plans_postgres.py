"""The lists and panels that would otherwise grow with the installation read through the
indexes made for them. The planner is told not to sort or scan the table (on a small table it
might, and that proves nothing), so a plan without the index means the query and the index no
longer match: the page would sort every shared incident again at a million."""

from datetime import date, timedelta

import pytest
from django.db import connection

from incidents.selectors import incident_list, incident_precedents
from tests.factories import IncidentFactory, cause


@pytest.fixture
def shared_cases(other_team, outsider):
    for n in range(30):
        IncidentFactory(team=other_team, created_by=outsider, visibility="library",
                        origin="external", primary_cause=cause("insensitive-timing"),
                        severity=["low", "medium", "high", "critical"][n % 4],
                        occurred_on=date(2025, 1, 1) + timedelta(days=n))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE incidents_incident")


def plan(queryset, *settings: str) -> str:
    with connection.cursor() as cursor:
        for setting in settings:
            cursor.execute(f"SET LOCAL {setting} = off")
        return queryset.explain()


def test_library_precedents_are_read_in_the_order_of_their_index(
        postgres, shared_cases, member, private_incident):
    private_incident.primary_cause = cause("insensitive-timing")
    private_incident.save()
    precedents = incident_precedents(user=member, incident=private_incident)[:5]
    assert "incident_library_precedent" in plan(precedents, "enable_sort", "enable_seqscan")
    assert [p.severity for p in precedents] == ["critical"] * 5
    assert [p.occurred_on for p in precedents] == sorted(
        (p.occurred_on for p in precedents), reverse=True)


def test_the_team_only_list_starts_from_the_readers_teams(
        postgres, shared_cases, member, team, private_incident):
    team_only = incident_list(user=member, filters={"visibility": "team"})[:25]
    # An index on the team (incident_team_occurred at a million rows), not the date index
    # filtered row by row.
    assert "Index Cond: (team_id = " in plan(team_only, "enable_seqscan", "enable_bitmapscan")
    assert [i.title for i in team_only] == [private_incident.title]
