"""Action items in the API: the JSON contract, writes through learnings.services (done and
reopened, closed with their learning, owners by email), archive and restore, filters."""

import datetime as dt

import pytest

from learnings.models import ActionItem
from learnings.services import (
    action_item_create,
    learning_change_status,
    learning_create_from_incidents,
)

LIST = "/api/v1/action-items/"


def detail(item) -> str:
    return f"{LIST}{item.public_id}/"


@pytest.fixture
def learning(member, team):
    found, _ = learning_create_from_incidents(user=member, team=team, incident_ids=[],
                                              title="Check the calendar")
    return found


@pytest.fixture
def item(member, learning):
    return action_item_create(user=member, learning=learning, title="Add a calendar check",
                              owner=member, due_on=dt.date(2030, 1, 31), kind="detective")


def test_an_action_item_in_json(api, member, learning, item):
    response = api(member).get(detail(item))
    assert response.status_code == 200
    assert response.json() == {
        "id": str(item.public_id),
        "learning": str(learning.public_id),
        "title": "Add a calendar check",
        "owner": "member@example.com",
        "due_on": "2030-01-31",
        "kind": "detective",
        "done_at": None,
        "overdue": False,
        "archived": False,
        "url": f"http://testserver/learnings/{learning.public_id}/#item-{item.public_id}",
    }
    assert api(member).get(LIST).json()["results"] == [response.json()]


def test_an_item_past_its_date_is_overdue(api, member, item):
    ActionItem.objects.filter(pk=item.pk).update(due_on=dt.date(2020, 1, 1))
    assert api(member).get(detail(item)).json()["overdue"] is True


def test_create_adds_an_item_to_a_learning(api, member, learning):
    response = api(member).post(LIST, {"learning": str(learning.public_id),
                                       "title": "Brief the night shift",
                                       "owner": "Member@Example.com"}, format="json")
    assert response.status_code == 201, response.json()
    made = ActionItem.objects.get(public_id=response.json()["id"])
    assert (made.learning, made.title, made.owner.email, made.kind, made.created_by) == (
        learning, "Brief the night shift", "member@example.com", "preventive", made.owner)
    assert made.history.get().history_user == made.owner


def test_an_item_already_done_may_carry_a_past_date(api, member, learning):
    response = api(member).post(LIST, {"learning": str(learning.public_id), "title": "Done",
                                       "due_on": "2025-01-01", "done": True}, format="json")
    assert response.status_code == 201
    assert response.json()["done_at"] is not None
    refused = api(member).post(LIST, {"learning": str(learning.public_id), "title": "Late",
                                      "due_on": "2025-01-01"}, format="json")
    assert refused.status_code == 400
    assert list(refused.json()["errors"]) == ["due_on"]


def test_another_teams_learning_is_refused_like_an_unknown_one(api, member, outsider,
                                                                other_team):
    theirs, _ = learning_create_from_incidents(user=outsider, team=other_team,
                                               incident_ids=[], title="Theirs")
    client = api(member)
    answers = [client.post(LIST, {"learning": value, "title": "x"}, format="json")
               for value in (str(theirs.public_id), "12345678-1234-1234-1234-1234567890ab")]
    assert answers[0].status_code == answers[1].status_code == 400
    assert answers[0].json() == answers[1].json() == {
        "detail": "learning: No learning you can read has this id.",
        "errors": {"learning": ["No learning you can read has this id."]}}
    assert not theirs.action_items.exists()


def test_an_owner_outside_the_team_is_refused_like_an_unknown_one(api, member, outsider,
                                                                   learning, item):
    client = api(member)
    answers = [client.patch(detail(item), {"owner": email}, format="json")
               for email in (outsider.email, "nobody@example.com")]
    assert answers[0].status_code == answers[1].status_code == 400
    assert answers[0].json() == answers[1].json()
    assert list(answers[0].json()["errors"]) == ["owner"]


def test_done_completes_and_reopens(api, member, item):
    client = api(member)
    done = client.patch(detail(item), {"done": True}, format="json")
    assert done.status_code == 200
    assert done.json()["done_at"] is not None
    item.refresh_from_db()
    assert item.done_by == member
    reopened = client.patch(detail(item), {"done": False}, format="json")
    assert reopened.json()["done_at"] is None
    assert item.history.count() == 3


def test_a_retired_learnings_actions_are_closed(api, member, learning, item):
    learning_change_status(user=member, learning=learning, status="adopted")
    learning_change_status(user=member, learning=learning, status="retired", reason="Old.")
    response = api(member).patch(detail(item), {"done": True}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "done": ["This learning is retired; its actions are closed."]}
    assert api(member).post(LIST, {"learning": str(learning.public_id), "title": "x"},
                            format="json").status_code == 400


def test_patch_and_put_change_fields(api, member, item, learning):
    client = api(member)
    patched = client.patch(detail(item), {"kind": "corrective", "due_on": None},
                           format="json")
    assert (patched.json()["kind"], patched.json()["due_on"]) == ("corrective", None)
    put = client.put(detail(item), {"title": "Renamed"}, format="json")
    assert put.status_code == 200
    assert put.json()["title"] == "Renamed"
    assert put.json()["kind"] == "corrective"
    moved = client.patch(detail(item), {"learning": "12345678-1234-1234-1234-1234567890ab"},
                         format="json")
    assert moved.json()["errors"] == {"learning": ["An action item's learning cannot change."]}


def test_archive_restore_and_never_delete(api, member, item):
    client = api(member)
    assert client.post(f"{detail(item)}archive/").json()["archived"] is True
    assert client.get(LIST).json()["results"] == []
    assert client.get(detail(item)).status_code == 200
    assert client.post(f"{detail(item)}restore/").json()["archived"] is False
    response = client.delete(detail(item))
    assert response.status_code == 405
    assert ActionItem.objects.filter(pk=item.pk).exists()


@pytest.fixture
def several(member, manager, team, learning):
    """Open (the member's, due later), overdue (the manager's), done, archived, and one on
    an archived learning."""
    def add(title, **kwargs):
        return action_item_create(user=member, learning=learning, title=title, **kwargs)

    items = {"open": add("Open", owner=member, due_on=dt.date(2030, 1, 1)),
             "overdue": add("Overdue", owner=manager, due_on=dt.date(2030, 1, 1)),
             "done": add("Done", owner=member, done=True),
             "archived": add("Archived")}
    ActionItem.objects.filter(pk=items["overdue"].pk).update(due_on=dt.date(2020, 1, 1))
    ActionItem.objects.filter(pk=items["archived"].pk).update(archived_at="2026-01-01T00:00Z")
    shelved, _ = learning_create_from_incidents(user=member, team=team, incident_ids=[],
                                                title="Shelved")
    items["shelved"] = action_item_create(user=member, learning=shelved, title="Shelved")
    type(shelved).objects.filter(pk=shelved.pk).update(archived_at="2026-01-01T00:00Z")
    items["shelved_learning"] = shelved
    return items


def titles(response) -> set[str]:
    assert response.status_code == 200, response.json()
    return {row["title"] for row in response.json()["results"]}


@pytest.mark.parametrize(("params", "expected"), [
    ({}, {"Open", "Overdue", "Done"}),
    ({"done": "true"}, {"Done"}),
    ({"done": "false"}, {"Open", "Overdue"}),
    ({"overdue": "true"}, {"Overdue"}),
    ({"overdue": "false"}, {"Open", "Done"}),
    ({"owner": "manager@example.com"}, {"Overdue"}),
    ({"archived": "true"}, {"Archived"}),
    ({"archived": "all"}, {"Open", "Overdue", "Done", "Archived", "Shelved"}),
])
def test_filters(api, member, several, params, expected):
    assert titles(api(member).get(LIST, params)) == expected


def test_the_learning_filter(api, member, several, learning):
    client = api(member)
    assert titles(client.get(LIST, {"learning": str(learning.public_id)})) == {
        "Open", "Overdue", "Done"}
    shelved = str(several["shelved_learning"].public_id)
    assert titles(client.get(LIST, {"learning": shelved, "archived": "all"})) == {"Shelved"}
