"""Bad input to the learning and action item endpoints, and to the read-only lists, is a 400
naming the field or query parameter at fault, in the API's one error shape; never a 500."""

import pytest

from learnings.models import ActionItem, Learning
from learnings.services import action_item_create, learning_create_from_incidents
from tests.api.test_bad_input import ODD_VALUES, refused

LEARNINGS = "/api/v1/learnings/"
ITEMS = "/api/v1/action-items/"


@pytest.fixture
def learning(member, team):
    found, _ = learning_create_from_incidents(user=member, team=team, incident_ids=[],
                                              title="Check the calendar")
    return found


@pytest.fixture
def item(member, learning):
    return action_item_create(user=member, learning=learning, title="Add a check")


@pytest.mark.parametrize(("body", "field"), [
    ({}, "title"),
    ({"title": ""}, "title"),
    ({"title": "x" * 201}, "title"),
    ({"title": ["a list"]}, "title"),
    ({"title": "nul \u0000 inside"}, "title"),
    ({"title": "x", "lesson": "x" * 20_001}, "lesson"),
    ({"title": "x", "practice": {"text": "x"}}, "practice"),
    ({"title": "x", "review_on": "soon"}, "review_on"),
    ({"title": "x", "review_on": "2999-01-01"}, "review_on"),
    ({"title": "x", "owner": 5}, "owner"),
    ({"title": "x", "owner": ["member@example.com"]}, "owner"),
    ({"title": "x", "owner": "not an email"}, "owner"),
    ({"title": "x", "incidents": "not a list"}, "incidents"),
    ({"title": "x", "incidents": [{"id": 1}]}, "incidents.0"),
    ({"title": "x", "incidents": ["nul\u0000"]}, "incidents.0"),
    ({"title": "x", "team": ["comms"]}, "team"),
    ({"title": "x", "team": "nowhere"}, "team"),
])
def test_a_bad_learning_field_is_a_400_naming_it(api, member, body, field):
    refused(api(member).post(LEARNINGS, body, format="json"), field)
    assert not Learning.objects.exists()


@pytest.mark.parametrize(("body", "field"), [
    ({"status": "done"}, "status"),
    ({"status": None}, "status"),
    ({"status": "retired"}, "status"),  # a draft is adopted before it is retired
    ({"status": "proposed", "reason": "x" * 5_000}, "reason"),
    ({"title": None}, "title"),
    ({"incidents": [None]}, "incidents.0"),
])
def test_a_bad_learning_change_is_a_400_naming_the_field(api, member, learning, body, field):
    refused(api(member).patch(f"{LEARNINGS}{learning.public_id}/", body, format="json"),
            field)
    learning.refresh_from_db()
    assert (learning.title, learning.status) == ("Check the calendar", "draft")


@pytest.mark.parametrize(("body", "field"), [
    ({"title": "x"}, "learning"),
    ({"learning": "not-a-uuid", "title": "x"}, "learning"),
    ({"learning": "{learning}"}, "title"),
    ({"learning": "{learning}", "title": "x", "kind": "lucky"}, "kind"),
    ({"learning": "{learning}", "title": "x", "due_on": "2020-01-01"}, "due_on"),
    ({"learning": "{learning}", "title": "x", "due_on": "2999-01-01"}, "due_on"),
    ({"learning": "{learning}", "title": "x", "done": "maybe"}, "done"),
    ({"learning": "{learning}", "title": "x", "owner": "nobody@example.com"}, "owner"),
])
def test_a_bad_action_item_is_a_400_naming_the_field(api, member, learning, body, field):
    body = {key: value.format(learning=learning.public_id) if isinstance(value, str) else value
            for key, value in body.items()}
    refused(api(member).post(ITEMS, body, format="json"), field)
    assert not ActionItem.objects.exists()


@pytest.mark.parametrize(("url", "params", "name"), [
    (LEARNINGS, {"status": "done"}, "status"),
    (LEARNINGS, {"cause": "bad-luck"}, "cause"),
    (LEARNINGS, {"incident": "not-a-uuid"}, "incident"),
    (LEARNINGS, {"owner": "nobody@example.com"}, "owner"),
    (LEARNINGS, {"team": "nope"}, "team"),
    (LEARNINGS, {"archived": "maybe"}, "archived"),
    (LEARNINGS, {"ordering": "-adopted_at"}, "ordering"),
    (LEARNINGS, {"drawn_from": "mars"}, "drawn_from"),
    (LEARNINGS, {"period": "forever"}, "period"),
    (LEARNINGS, {"created_after": "soon"}, "created_after"),
    (LEARNINGS, {"q": "nul\u0000"}, "q"),
    (LEARNINGS, {"after": "garbled"}, "after"),
    (ITEMS, {"learning": "not-a-uuid"}, "learning"),
    (ITEMS, {"owner": "nobody@example.com"}, "owner"),
    (ITEMS, {"done": "maybe"}, "done"),
    (ITEMS, {"overdue": "1"}, "overdue"),
    (ITEMS, {"archived": "maybe"}, "archived"),
    (ITEMS, {"before": "eyJ4Ijox"}, "before"),
    ("/api/v1/organizations/", {"after": "garbled"}, "after"),
    ("/api/v1/teams/", {"page_size": "0"}, "page_size"),
])
def test_a_bad_query_parameter_is_a_400_naming_it(api, member, item, url, params, name):
    refused(api(member).get(url, params), name)


@pytest.mark.parametrize("path", [
    f"{LEARNINGS}not-a-uuid/", f"{LEARNINGS}12345678-1234-1234-1234-1234567890ab/",
    f"{ITEMS}not-a-uuid/", f"{ITEMS}not-a-uuid/archive/",
    "/api/v1/organizations/nope/", "/api/v1/teams/nope/", "/api/v1/factors/nope/",
])
def test_an_id_that_names_nothing_is_a_json_404(api, member, path):
    method = "post" if path.endswith("archive/") else "get"
    response = getattr(api(member), method)(path)
    assert response.status_code == 404
    assert set(response.json()) == {"detail", "errors"}


def test_no_odd_value_of_any_learning_field_is_a_500(api, member, learning):
    from api.learnings.serializers import LearningInputSerializer

    client = api(member)
    for name in LearningInputSerializer().fields:
        for value in ODD_VALUES:
            created = client.post(LEARNINGS, {"title": "Odd", name: value}, format="json")
            changed = client.patch(f"{LEARNINGS}{learning.public_id}/", {name: value},
                                   format="json")
            assert created.status_code in (201, 400), (name, value, created.content)
            assert changed.status_code in (200, 400), (name, value, changed.content)


def test_no_odd_value_of_any_action_item_field_is_a_500(api, member, learning, item):
    from api.learnings.serializers import ActionItemInputSerializer

    client = api(member)
    for name in ActionItemInputSerializer().fields:
        for value in ODD_VALUES:
            body = {"learning": str(learning.public_id), "title": "Odd", name: value}
            created = client.post(ITEMS, body, format="json")
            changed = client.patch(f"{ITEMS}{item.public_id}/", {name: value}, format="json")
            assert created.status_code in (201, 400), (name, value, created.content)
            assert changed.status_code in (200, 400), (name, value, changed.content)


@pytest.mark.parametrize("url", [LEARNINGS, ITEMS, "/api/v1/organizations/",
                                 "/api/v1/root-causes/", "/api/v1/factors/", "/api/v1/teams/"])
def test_no_odd_value_of_any_filter_is_a_500(api, member, item, url):
    from api.learnings.filters import LearningApiFilter
    from learnings.filters import ActionItemFilter

    names = {LEARNINGS: list(LearningApiFilter.base_filters),
             ITEMS: list(ActionItemFilter.base_filters)}.get(url, [])
    client = api(member)
    for name in [*names, "after", "before", "page_size"]:
        for value in ["", "x", "-1", "0001-01-01", "9999-12-31", "x" * 3_000, "%", "'", "[]"]:
            response = client.get(url, {name: value})
            assert response.status_code in (200, 400), (name, value, response.content)
