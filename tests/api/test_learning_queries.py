"""The learning, action item, organisation, root cause, factor and team lists and details
read a fixed number of queries, however many rows, incidents and causes they show."""

import pytest

from incidents.models import Organization
from learnings.services import action_item_create, learning_create_from_incidents
from tests.factories import IncidentFactory, cause

# The page; the linked incidents (with their organisation, cause and team); their
# contributing causes.
LEARNING_LIST = 3
# The learning; its incidents; their contributing causes; its action items.
LEARNING_DETAIL = 4
# The page, each row with its learning, team and owner joined.
ITEM_LIST = 1
ITEM_DETAIL = 1
# The rows, read for the person (the page) or its membership (a subquery).
CATALOG = 1


def drawn(member, team, n: int) -> list:
    learnings = []
    for number in range(n):
        incidents = [IncidentFactory(team=team), IncidentFactory(team=team,
                                                                 visibility="library")]
        for incident in incidents:
            incident.contributing_causes.set([cause("insensitive-timing"),
                                              cause("unchecked-trend")])
        learning, _ = learning_create_from_incidents(
            user=member, team=team, incident_ids=[i.public_id for i in incidents],
            title=f"Learning {number}", owner=member)
        for title in ("One", "Two"):
            action_item_create(user=member, learning=learning, title=title, owner=member)
        learnings.append(learning)
    return learnings


@pytest.mark.parametrize("n", [1, 8])
def test_the_learning_list_reads_a_fixed_number_of_queries(
        api, member, team, django_assert_num_queries, n):
    drawn(member, team, n)
    client = api(member)
    with django_assert_num_queries(LEARNING_LIST):
        response = client.get("/api/v1/learnings/")
    assert len(response.json()["results"]) == n
    assert all(len(row["incidents"]) == 2 for row in response.json()["results"])


# A filter naming a row (a cause, an incident, an owner, a team) first looks it up.
@pytest.mark.parametrize(("params", "more"), [
    ({"q": "learning"}, 0), ({"status": "draft", "ordering": "title"}, 0),
    ({"cause": "unchecked-trend"}, 1), ({"owner": "member@example.com"}, 1),
    ({"team": "comms"}, 1), ({"archived": "all"}, 0)])
def test_learning_filters_add_no_query_per_row(api, member, team, django_assert_num_queries,
                                               params, more):
    drawn(member, team, 4)
    client = api(member)
    with django_assert_num_queries(LEARNING_LIST + more):
        assert client.get("/api/v1/learnings/", params).status_code == 200


def test_the_learning_detail_reads_a_fixed_number_of_queries(
        api, member, team, django_assert_num_queries):
    learning = drawn(member, team, 1)[0]
    client = api(member)
    with django_assert_num_queries(LEARNING_DETAIL):
        assert client.get(f"/api/v1/learnings/{learning.public_id}/").status_code == 200


@pytest.mark.parametrize("n", [1, 6])
def test_the_action_item_list_reads_a_fixed_number_of_queries(
        api, member, team, django_assert_num_queries, n):
    drawn(member, team, n)
    client = api(member)
    with django_assert_num_queries(ITEM_LIST):
        response = client.get("/api/v1/action-items/")
    assert len(response.json()["results"]) == 2 * n


# The learning and owner filters look their value up; overdue reads the reader's teams.
@pytest.mark.parametrize(("params", "more"), [
    ({"done": "false"}, 0), ({"overdue": "true"}, 1), ({"owner": "member@example.com"}, 1),
    ({"archived": "all"}, 0)])
def test_action_item_filters_add_no_query_per_row(api, member, team,
                                                  django_assert_num_queries, params, more):
    drawn(member, team, 3)
    client = api(member)
    with django_assert_num_queries(ITEM_LIST + more):
        assert client.get("/api/v1/action-items/", params).status_code == 200


def test_the_action_item_detail_reads_a_fixed_number_of_queries(
        api, member, team, django_assert_num_queries):
    item = drawn(member, team, 1)[0].action_items.first()
    client = api(member)
    with django_assert_num_queries(ITEM_DETAIL):
        assert client.get(f"/api/v1/action-items/{item.public_id}/").status_code == 200


@pytest.mark.parametrize("n", [1, 10])
@pytest.mark.parametrize("path", ["organizations", "root-causes", "factors", "teams"])
def test_the_read_only_lists_read_one_query(api, member, team, django_assert_num_queries,
                                            path, n):
    for number in range(n):
        Organization.objects.create(name=f"Brand {number}", slug=f"brand-{number}",
                                    team=team if number % 2 else None)
    client = api(member)
    with django_assert_num_queries(CATALOG):
        response = client.get(f"/api/v1/{path}/")
    assert response.status_code == 200
    if path == "organizations":
        assert len(response.json()["results"]) == n


@pytest.mark.parametrize("path", ["organizations/brand-0", "root-causes/production-slip",
                                  "factors/{factor}", "teams/comms"])
def test_the_read_only_details_read_one_query(api, member, team, django_assert_num_queries,
                                              path):
    from incidents.models import Factor

    Organization.objects.create(name="Brand 0", slug="brand-0")
    path = path.format(factor=Factor.objects.first().slug)
    client = api(member)
    with django_assert_num_queries(CATALOG):
        assert client.get(f"/api/v1/{path}/").status_code == 200
