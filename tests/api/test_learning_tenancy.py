"""Another team's learnings and action items (never shared) never reach the API, whichever
door is tried: the list, one object by any method, filters and search. Naming them, or that
team's people or private incidents, in a filter is refused as an unknown value is."""

import uuid

import pytest

from accounts.models import Membership
from learnings.models import ActionItem, Learning
from learnings.services import action_item_create, learning_create_from_incidents

LEARNINGS = "/api/v1/learnings/"
ITEMS = "/api/v1/action-items/"


@pytest.fixture
def ours(member, team, private_incident):
    learning, _ = learning_create_from_incidents(
        user=member, team=team, incident_ids=[private_incident.public_id],
        title="Our zebra lesson", owner=member)
    item = action_item_create(user=member, learning=learning, title="Our zebra action",
                              owner=member)
    return learning, item


@pytest.fixture
def theirs(outsider, other_team, outsider_private_incident):
    learning, _ = learning_create_from_incidents(
        user=outsider, team=other_team, incident_ids=[outsider_private_incident.public_id],
        title="Their zebra lesson", owner=outsider)
    item = action_item_create(user=outsider, learning=learning, title="Their zebra action",
                              owner=outsider)
    return learning, item


def ids(response) -> set[str]:
    assert response.status_code == 200, response.json()
    return {row["id"] for row in response.json()["results"]}


REQUESTS = [("get", ""), ("put", ""), ("patch", ""), ("post", "archive/"),
            ("post", "restore/")]


@pytest.mark.parametrize(("method", "suffix"), REQUESTS)
def test_another_teams_learning_is_a_404_by_every_method(api, manager, theirs, method,
                                                         suffix):
    learning, _ = theirs
    response = getattr(api(manager), method)(f"{LEARNINGS}{learning.public_id}/{suffix}",
                                             {"title": "Taken over"}, format="json")
    assert response.status_code == 404
    assert response.json() == {"detail": "No such learning.", "errors": {}}
    learning.refresh_from_db()
    assert (learning.title, learning.archived_at) == ("Their zebra lesson", None)


@pytest.mark.parametrize(("method", "suffix"), REQUESTS)
def test_another_teams_action_item_is_a_404_by_every_method(api, manager, theirs, method,
                                                            suffix):
    _, item = theirs
    response = getattr(api(manager), method)(f"{ITEMS}{item.public_id}/{suffix}",
                                             {"title": "Taken over", "done": True},
                                             format="json")
    assert response.status_code == 404
    assert response.json() == {"detail": "No such action item.", "errors": {}}
    item.refresh_from_db()
    assert (item.title, item.done_at, item.archived_at) == ("Their zebra action", None, None)


def test_delete_says_the_same_of_theirs_of_none_and_of_ours(api, manager, ours, theirs):
    """DELETE is no operation of learnings or action items: the same 405 whatever the id,
    so it tells an outsider nothing of another team's rows; and nothing is deleted."""
    learning, item = theirs
    mine, my_item = ours
    client = api(manager)
    for base, rows in ((LEARNINGS, [learning, mine]), (ITEMS, [item, my_item])):
        answers = {(response.status_code, response["Allow"], response.json()["detail"])
                   for response in [client.delete(f"{base}{row.public_id}/") for row in rows]
                   + [client.delete(f"{base}{uuid.uuid4()}/")]}
        assert len(answers) == 1
        status, allowed, detail = answers.pop()
        assert (status, allowed) == (405, "GET, PUT, PATCH, HEAD, OPTIONS")
        assert "never deleted" in detail
    learning.refresh_from_db()
    item.refresh_from_db()
    assert (learning.archived_at, item.archived_at) == (None, None)


@pytest.mark.parametrize("params", [
    {}, {"q": "zebra"}, {"archived": "all"}, {"status": "draft"},
    {"cause": "production-slip"}, {"ordering": "title"}, {"drawn_from": "own"},
])
def test_no_learning_filter_or_search_reaches_another_teams(api, member, ours, theirs,
                                                            params):
    assert ids(api(member).get(LEARNINGS, params)) == {str(ours[0].public_id)}


@pytest.mark.parametrize("params", [{}, {"archived": "all"}, {"done": "false"},
                                    {"overdue": "false"}])
def test_no_action_item_filter_reaches_another_teams(api, member, ours, theirs, params):
    assert ids(api(member).get(ITEMS, params)) == {str(ours[1].public_id)}


@pytest.mark.parametrize(("url", "name", "their_value", "unknown"), [
    (LEARNINGS, "incident", lambda t, i: str(i.public_id),
     "12345678-1234-1234-1234-1234567890ab"),
    (LEARNINGS, "owner", lambda t, i: "outsider@example.com", "nobody@example.com"),
    (LEARNINGS, "team", lambda t, i: "elsewhere", "nowhere"),
    (ITEMS, "learning", lambda t, i: str(t[0].public_id),
     "12345678-1234-1234-1234-1234567890ab"),
    (ITEMS, "owner", lambda t, i: "outsider@example.com", "nobody@example.com"),
])
def test_naming_another_teams_things_in_a_filter_is_refused_like_an_unknown_value(
        api, member, ours, theirs, outsider_private_incident, url, name, their_value,
        unknown):
    client = api(member)
    refused = client.get(url, {name: their_value(theirs, outsider_private_incident)})
    unknown_answer = client.get(url, {name: unknown})
    assert refused.status_code == unknown_answer.status_code == 400
    assert refused.json() == unknown_answer.json()
    assert list(refused.json()["errors"]) == [name]


def test_an_action_item_cannot_be_added_to_another_teams_learning(api, manager, theirs):
    learning, _ = theirs
    response = api(manager).post(ITEMS, {"learning": str(learning.public_id), "title": "x"},
                                 format="json")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["learning"]
    assert learning.action_items.count() == 1


def test_a_token_limited_to_a_team_reads_and_writes_only_that_team(
        api_token, api, member, team, ours, theirs):
    from accounts.models import Role
    from tests.factories import MembershipFactory, TeamFactory

    second = TeamFactory(name="Second", slug="second")
    MembershipFactory(team=second, user=member, role=Role.MEMBER)
    seconds, _ = learning_create_from_incidents(user=member, team=second, incident_ids=[],
                                                title="Second's lesson")
    limited = api_token(member, team=team)
    assert ids(limited.get(LEARNINGS)) == {str(ours[0].public_id)}
    assert limited.get(f"{LEARNINGS}{seconds.public_id}/").status_code == 404
    assert limited.get(LEARNINGS, {"team": "second"}).status_code == 400
    made = limited.post(LEARNINGS, {"title": "With a team token"}, format="json")
    assert made.status_code == 201
    assert made.json()["team"] == "comms"
    refused = limited.post(ITEMS, {"learning": str(seconds.public_id), "title": "x"},
                           format="json")
    assert refused.status_code == 400
    assert list(refused.json()["errors"]) == ["learning"]


def test_a_token_whose_person_left_its_team_is_refused_and_changes_nothing(
        api_token, member, team, ours):
    learning, item = ours
    client = api_token(member, team=team)
    Membership.objects.filter(user=member, team=team).delete()
    for response in (client.get(LEARNINGS), client.get(ITEMS),
                     client.get(f"{LEARNINGS}{learning.public_id}/"),
                     client.post(f"{ITEMS}{item.public_id}/archive/")):
        assert response.status_code == 401
    assert not ActionItem.objects.filter(archived_at__isnull=False).exists()


def test_a_read_only_token_reads_but_cannot_write(api, api_token, member, ours):
    learning, item = ours
    client = api_token(member, read_only=True)
    assert client.get(f"{LEARNINGS}{learning.public_id}/").status_code == 200
    for response in (client.patch(f"{LEARNINGS}{learning.public_id}/", {"title": "x"},
                                  format="json"),
                     client.patch(f"{ITEMS}{item.public_id}/", {"done": True}, format="json"),
                     client.post(LEARNINGS, {"title": "x"}, format="json")):
        assert response.status_code == 403
    assert Learning.objects.get(pk=learning.pk).title == "Our zebra lesson"


def test_a_viewer_reads_but_cannot_write(api, viewer, ours):
    learning, item = ours
    client = api(viewer)
    assert client.get(f"{ITEMS}{item.public_id}/").status_code == 200
    assert client.patch(f"{ITEMS}{item.public_id}/", {"done": True},
                        format="json").status_code == 403
    assert client.post(ITEMS, {"learning": str(learning.public_id), "title": "x"},
                       format="json").status_code == 403


def test_options_says_nothing_of_another_teams_learning_or_item(api, manager, theirs):
    learning, item = theirs
    client = api(manager)
    for path in (f"{LEARNINGS}{learning.public_id}/", f"{ITEMS}{item.public_id}/"):
        response = client.options(path)
        assert response.status_code in (200, 404)
        assert "zebra" not in response.content.decode()
        assert "actions" not in response.json()
