"""The incident list and detail, and the metrics, read a fixed number of queries, however
many incidents, causes, factors, sources, learnings and action items they show or count."""

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.db import connection

from accounts.services import token_create
from incidents.models import Factor
from learnings.services import (
    action_item_create,
    learning_change_status,
    learning_create_from_incidents,
)
from tests.factories import IncidentFactory, IncidentSourceFactory, cause

LIST = "/api/v1/incidents/"
# The page, with the contributing causes, the factors and the sources of all its rows as
# arrays (selectors.incident_list_rows); on SQLite, those three read after it, one query each.
LIST_QUERIES = 1 if connection.vendor == "postgresql" else 4
# The incident, then its causes, factors, sources and timeline (incident_get).
DETAIL_QUERIES = 5
NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def described(team, n: int) -> list:
    incidents = []
    for _ in range(n):
        incident = IncidentFactory(team=team, visibility="library")
        incident.contributing_causes.set([cause("insensitive-timing"), cause("unchecked-trend")])
        incident.factors.set(Factor.objects.all()[:2])
        IncidentSourceFactory(incident=incident)
        IncidentSourceFactory(incident=incident)
        incidents.append(incident)
    return incidents


@pytest.mark.parametrize("n", [1, 12])
def test_the_list_reads_a_fixed_number_of_queries(api, member, team, other_team,
                                                  django_assert_num_queries, n):
    described(team, n)
    described(other_team, n)
    client = api(member)
    with django_assert_num_queries(LIST_QUERIES):
        response = client.get(LIST)
    assert len(response.json()["results"]) == 2 * n


# A search first finds the organisations named; a cause is first looked up by its slug.
@pytest.mark.parametrize(("params", "more"), [
    ({"q": "incident"}, 1), ({"ordering": "-severity"}, 0),
    ({"cause": "unchecked-trend", "platform": "twitter"}, 1)])
def test_filters_add_no_query_per_row(api, member, team, django_assert_num_queries, params,
                                      more):
    described(team, 6)
    client = api(member)
    if "q" in params and connection.vendor != "postgresql":
        more -= 1  # SQLite matches organisation names in the same query (a LIKE per word)
    with django_assert_num_queries(LIST_QUERIES + more):
        assert client.get(LIST, params).status_code == 200


def test_the_detail_reads_a_fixed_number_of_queries(api, member, team,
                                                    django_assert_num_queries):
    incident = described(team, 1)[0]
    client = api(member)
    with django_assert_num_queries(DETAIL_QUERIES):
        assert client.get(f"{LIST}{incident.public_id}/").status_code == 200


@pytest.mark.parametrize(("limited", "more"), [
    (False, 1),  # the token, with its owner
    (True, 2),  # and whether the owner is still in the token's team, asked once
])
def test_a_token_costs_a_fixed_number_of_queries(client, member, team, django_assert_num_queries,
                                                 limited, more):
    described(team, 3)
    _, key = token_create(user=member, name="Queries", team=team if limited else None)
    auth = {"HTTP_AUTHORIZATION": f"Token {key}"}
    assert client.get(LIST, **auth).status_code == 200  # records the use (once a minute)
    with django_assert_num_queries(LIST_QUERIES + more):
        response = client.get(LIST, **auth)
    assert len(response.json()["results"]) == 3


# The team's numbers: the team (among the caller's), then dashboards.metrics.team_metrics'
# eight queries (its docstring), whatever the incidents, learnings and action items.
TEAM_METRICS_QUERIES = 9
# The library's numbers, counted afresh (the suite runs without their cache,
# tests/dashboards/test_library_cache.py counts the cached path): the root causes (their slugs
# and names), the grouped read of the shared incidents, the organisations with most incidents
# and their names.
LIBRARY_METRICS_QUERIES = 4


def with_numbers(team, member, n: int) -> None:
    """n own incidents (answered, a cause each), n shared external ones, a learning drawn
    from each external one (adopted) with an action item, over several weeks."""
    causes = ["production-slip", "tone-deaf-creative", "insensitive-timing"]
    for i in range(n):
        day = date(2026, 11, 20) - timedelta(days=3 * i)
        detected = datetime(day.year, day.month, day.day, 9, tzinfo=UTC)
        IncidentFactory(team=team, occurred_on=day, primary_cause=cause(causes[i % 3]),
                        detected_at=detected, first_response_at=detected + timedelta(hours=1),
                        acknowledged=True, response_score=1)
        external = IncidentFactory(team=team, occurred_on=day, origin="external",
                                   visibility="library", platform=("twitter", "tiktok")[i % 2],
                                   primary_cause=cause(causes[i % 2]))
        learning, _ = learning_create_from_incidents(
            user=member, team=team, incident_ids=[external.public_id], title=f"Lesson {i}")
        learning_change_status(user=member, learning=learning, status="adopted")
        action_item_create(user=member, learning=learning, title=f"Action {i}",
                           due_on=date(2026, 12, 1), done=i % 2 == 0)


@pytest.mark.parametrize("n", [1, 20])
def test_the_team_metrics_read_a_fixed_number_of_queries(api, member, outsider, team,
                                                         other_team,
                                                         django_assert_num_queries, n):
    with time_machine.travel(NOW, tick=False):
        with_numbers(team, member, n)
        with_numbers(other_team, outsider, n)
        client = api(member)
        with django_assert_num_queries(TEAM_METRICS_QUERIES):
            response = client.get("/api/v1/teams/comms/metrics/")
    assert response.json()["incidents"] == {"own": n, "external": n}


@pytest.mark.parametrize("n", [1, 20])
def test_the_library_metrics_read_a_fixed_number_of_queries(api, member, outsider, team,
                                                           other_team,
                                                           django_assert_num_queries, n):
    with time_machine.travel(NOW, tick=False):
        with_numbers(team, member, n)
        with_numbers(other_team, outsider, n)
        client = api(member)
        with django_assert_num_queries(LIBRARY_METRICS_QUERIES):
            response = client.get("/api/v1/library/metrics/")
    assert response.json()["incidents"] == 2 * n


@pytest.mark.parametrize(("path", "queries"), [
    ("/api/v1/teams/comms/metrics/", TEAM_METRICS_QUERIES),
    ("/api/v1/library/metrics/", LIBRARY_METRICS_QUERIES),
])
def test_a_team_token_costs_the_metrics_two_queries_more(client, member, team,
                                                         django_assert_num_queries, path,
                                                         queries):
    with time_machine.travel(NOW, tick=False):
        with_numbers(team, member, 3)
        _, key = token_create(user=member, name="Queries", team=team)
        auth = {"HTTP_AUTHORIZATION": f"Token {key}"}
        assert client.get(path, **auth).status_code == 200  # records the use (once a minute)
        # The token with its owner, and whether the owner is still in the token's team.
        with django_assert_num_queries(queries + 2):
            assert client.get(path, **auth).status_code == 200
