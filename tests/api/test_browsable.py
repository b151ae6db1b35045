"""The browsable API (a signed-in browser) shows every endpoint of learnings, action items
and the read-only resources, its forms filled in with the object as the input takes it; and
OPTIONS describes them."""

import pytest

from learnings.services import action_item_create, learning_create_from_incidents


@pytest.fixture
def paths(member, team, private_incident):
    learning, _ = learning_create_from_incidents(
        user=member, team=team, incident_ids=[private_incident.public_id],
        title="Check the calendar", owner=member)
    item = action_item_create(user=member, learning=learning, title="Add a check",
                              owner=member)
    return {"learning": learning, "item": item}


@pytest.mark.parametrize("path", [
    "learnings/", "learnings/{learning}/", "action-items/", "action-items/{item}/",
    "organizations/", "root-causes/", "root-causes/production-slip/", "factors/", "teams/",
    "teams/comms/", "teams/comms/metrics/", "library/metrics/"])
def test_the_browsable_api_and_options_answer(client, member, paths, path):
    path = "/api/v1/" + path.format(learning=paths["learning"].public_id,
                                    item=paths["item"].public_id)
    client.force_login(member)
    page = client.get(path, HTTP_ACCEPT="text/html")
    assert page.status_code == 200
    assert page["Content-Type"].startswith("text/html")
    assert client.options(path).status_code == 200


def test_the_edit_forms_hold_the_owner_by_email(client, member, paths):
    client.force_login(member)
    for path in (f"/api/v1/learnings/{paths['learning'].public_id}/",
                 f"/api/v1/action-items/{paths['item'].public_id}/"):
        html = client.get(path, HTTP_ACCEPT="text/html").content.decode()
        assert "&quot;owner&quot;: &quot;member@example.com&quot;" in html
