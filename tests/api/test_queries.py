"""The incident list and detail read a fixed number of queries, however many incidents,
causes, factors and sources they show."""

import pytest
from django.db import connection

from accounts.services import token_create
from incidents.models import Factor
from tests.factories import IncidentFactory, IncidentSourceFactory, cause

LIST = "/api/v1/incidents/"
# The page, with the contributing causes, the factors and the sources of all its rows as
# arrays (selectors.incident_list_rows); on SQLite, those three read after it, one query each.
LIST_QUERIES = 1 if connection.vendor == "postgresql" else 4
# The incident, then its causes, factors, sources and timeline (incident_get).
DETAIL_QUERIES = 5


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
