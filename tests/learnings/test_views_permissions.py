"""One permission matrix for every page and action of learnings/urls.py.

Each row names a URL (built from the objects of the fixture world), a method, the data it
posts, and the status each person gets: anonymous (302 to the login page), a viewer, a member
and a manager of the team "comms", and an outsider (the manager of the team "elsewhere").

Learning and action-item URLs run against two learnings, each with an open and a done action:
- ``comms``: comms' learning, drawn from comms' team-only incident;
- ``elsewhere``: elsewhere's learning (the outsider's team), drawn from its team-only incident.

Learnings are always their team's own: viewers read them, members and managers change them,
and anyone else gets 404 for the learning and for its action items. A refused write leaves
nothing behind, not even a history record.

"Turn into a learning" (learning-create) runs against the four incidents of the incidents
matrix: comms' team-only and library incidents, and elsewhere's. An incident the reader
cannot read answers 404; one they can read but no team of theirs may draw from answers 403.
"""

import uuid
from dataclasses import dataclass
from html import escape
from typing import Any

import pytest
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from incidents.models import Incident
from learnings.models import ActionItem, Learning, LearningStatus
from learnings.services import NOT_READABLE, action_item_create, learning_create_from_incidents
from tests.factories import IncidentFactory, MembershipFactory

ROLES = ("anonymous", "viewer", "member", "manager", "outsider")
TEAM_OF_ROLE = {"viewer": "comms", "member": "comms", "manager": "comms",
                "outsider": "elsewhere"}
WRITERS = {"member", "manager", "outsider"}  # the outsider manages elsewhere
Link = Learning.incidents.through

# What each learning is drawn from, and the library incident of the other team it may link.
LINKED = {"comms": "own", "elsewhere": "other"}
LINKABLE = {"comms": "other-library", "elsewhere": "own-library"}


@dataclass
class World:
    """Everything the URLs and data of the matrix are built from."""

    team: Any
    other_team: Any
    people: dict
    incidents: dict
    learnings: dict
    items: dict


@pytest.fixture
def world(team, other_team, manager, member, viewer, outsider, private_incident,
          library_incident, outsider_private_incident):
    own_library = IncidentFactory(team=team, created_by=member, visibility="library",
                                  origin="external", title="Comms' shared case")
    incidents = {
        "own": private_incident,
        "own-library": own_library,
        "other": outsider_private_incident,
        "other-library": library_incident,
    }
    learnings, items = {}, {}
    for target, owner_team, person in (("comms", team, member),
                                       ("elsewhere", other_team, outsider)):
        learning, _ = learning_create_from_incidents(
            user=person, team=owner_team, incident_ids=[incidents[LINKED[target]].public_id],
            title=f"{owner_team.name} learning", owner=person,
        )
        learnings[target] = learning
        items[target] = {
            "open": action_item_create(user=person, learning=learning, title="Open action",
                                       owner=person),
            "done": action_item_create(user=person, learning=learning, title="Done action",
                                       owner=person, done=True),
        }
    return World(
        team=team, other_team=other_team,
        people={"viewer": viewer, "member": member, "manager": manager, "outsider": outsider},
        incidents=incidents, learnings=learnings, items=items,
    )


def learning_url(name, incident=None):
    def build(w: World, target: str) -> str:
        kwargs = {"public_id": w.learnings[target].public_id}
        if incident is not None:
            kwargs["incident_id"] = w.incidents[incident[target]].public_id
        return reverse(f"learnings:{name}", kwargs=kwargs)
    return build


def item_url(name, which="open"):
    def build(w: World, target: str) -> str:
        return reverse(f"learnings:{name}", kwargs={"item_id": w.items[target][which].public_id})
    return build


def no_data(w, target):
    return {}


def edit_data(w: World, target: str) -> dict:
    learning = w.learnings[target]
    return {"title": learning.title + " (edited)", "lesson": "Read the room.",
            "practice": "Check the news first.", "owner": "", "review_on": ""}


def status_data(w, target):
    return {"status": LearningStatus.PROPOSED}


def link_data(w: World, target: str) -> dict:
    return {"incident": str(w.incidents[LINKABLE[target]].public_id)}


def item_data(w, target):
    return {"item-title": "Added by the matrix", "item-owner": "", "item-due_on": "",
            "item-kind": "detective"}


def item_edit_data(w, target):
    return {"title": "Edited by the matrix", "owner": "", "due_on": "", "kind": "corrective"}


def _learning(w: World, target: str) -> Learning:
    return Learning.objects.get(pk=w.learnings[target].pk)


def _item(w: World, target: str, which: str = "open") -> ActionItem:
    return ActionItem.objects.get(pk=w.items[target][which].pk)


# The change a successful write leaves (True once made).
def edited(w, target):
    return _learning(w, target).title.endswith("(edited)")


def proposed(w, target):
    return _learning(w, target).status == LearningStatus.PROPOSED


def archived(w, target):
    return _learning(w, target).archived_at is not None


def restored(w, target):
    return _learning(w, target).archived_at is None


def linked(w, target):
    return w.learnings[target].incidents.filter(pk=w.incidents[LINKABLE[target]].pk).exists()


def unlinked(w, target):
    return not w.learnings[target].incidents.filter(pk=w.incidents[LINKED[target]].pk).exists()


def item_added(w, target):
    return w.learnings[target].action_items.filter(title="Added by the matrix").exists()


def item_edited(w, target):
    return _item(w, target).title == "Edited by the matrix"


def item_completed(w, target):
    return _item(w, target).done_at is not None


def item_reopened(w, target):
    return _item(w, target, "done").done_at is None


def item_archived(w, target):
    return _item(w, target).archived_at is not None


def item_restored(w, target):
    return _item(w, target).archived_at is None


def remove_item_first(w: World, target: str) -> None:
    ActionItem.objects.filter(pk=w.items[target]["open"].pk).update(archived_at=timezone.now())


def archive_first(w: World, target: str) -> None:
    Learning.objects.filter(pk=w.learnings[target].pk).update(archived_at=timezone.now())


LEARNING_ACTIONS = [
    # (label, method, url builder, data builder, read-only?, status on success,
    #  the change a successful write leaves or None, what to set up before the request)
    ("learning-detail", "get", learning_url("learning-detail"), no_data, True, 200, None, None),
    ("learning-history", "get", learning_url("learning-history"), no_data, True, 200, None,
     None),
    ("learning-update-page", "get", learning_url("learning-update"), no_data, False, 200, None,
     None),
    ("learning-update", "post", learning_url("learning-update"), edit_data, False, 302, edited,
     None),
    ("learning-status", "post", learning_url("learning-status"), status_data, False, 302,
     proposed, None),
    ("learning-archive", "post", learning_url("learning-archive"), no_data, False, 302,
     archived, None),
    ("learning-restore", "post", learning_url("learning-restore"), no_data, False, 302,
     restored, archive_first),
    ("learning-incident-search", "get", learning_url("learning-incident-search"), no_data,
     False, 200, None, None),
    ("learning-incident-create", "post", learning_url("learning-incident-create"), link_data,
     False, 302, linked, None),
    ("learning-incident-delete", "post", learning_url("learning-incident-delete", LINKED),
     no_data, False, 302, unlinked, None),
    ("action-item-create", "post", learning_url("action-item-create"), item_data, False, 302,
     item_added, None),
    ("action-item-update-page", "get", item_url("action-item-update"), no_data, False, 200,
     None, None),
    ("action-item-update", "post", item_url("action-item-update"), item_edit_data, False, 302,
     item_edited, None),
    ("action-item-complete", "post", item_url("action-item-complete"), no_data, False, 302,
     item_completed, None),
    ("action-item-reopen", "post", item_url("action-item-reopen", "done"), no_data, False, 302,
     item_reopened, None),
    ("action-item-archive", "post", item_url("action-item-archive"), no_data, False, 302,
     item_archived, None),
    ("action-item-restore", "post", item_url("action-item-restore"), no_data, False, 302,
     item_restored, remove_item_first),
]


def expected_for_learning(role: str, target: str, read_only: bool, success: int) -> int:
    if role == "anonymous":
        return 302
    if TEAM_OF_ROLE[role] != target:
        return 404  # learnings are never shared: another team's do not exist for you
    if read_only or role in WRITERS:
        return success
    return 403


def _learning_cells():
    for label, method, url, data, read_only, success, change, prepare in LEARNING_ACTIONS:
        for target in ("comms", "elsewhere"):
            for role in ROLES:
                expected = expected_for_learning(role, target, read_only, success)
                yield pytest.param(
                    method,
                    lambda w, url=url, target=target: url(w, target),
                    lambda w, role, data=data, target=target: data(w, target),
                    role,
                    expected,
                    None if change is None else (
                        lambda w, change=change, target=target: change(w, target)),
                    expected == success and role != "anonymous",
                    None if prepare is None else (
                        lambda w, prepare=prepare, target=target: prepare(w, target)),
                    id=f"{label}-{target}-{role}",
                )


# Who can read each incident (its team's people; everyone for the library).
READERS = {
    "own": {"viewer", "member", "manager"},
    "own-library": {"viewer", "member", "manager", "outsider"},
    "other": {"outsider"},
    "other-library": {"viewer", "member", "manager", "outsider"},
}
CREATE_KEY = "5b0c1d5e-3f52-4d0e-9a57-6a1f7d0b2c11"


def create_url(target: str | None):
    def build(w: World) -> str:
        path = reverse("learnings:learning-create")
        if target is None:
            return path
        return f"{path}?incident={w.incidents[target].public_id}"
    return build


def create_data(target: str | None):
    def build(w: World, role: str) -> dict:
        team = w.other_team if role == "outsider" else w.team
        data = {"team": team.pk, "title": "Drawn by the matrix", "lesson": "", "practice": "",
                "owner": "", "review_on": "", "idempotency_key": CREATE_KEY}
        if target is not None:
            data["incidents"] = [str(w.incidents[target].public_id)]
        return data
    return build


def drawn(target: str | None):
    def check(w: World) -> bool:
        learning = Learning.objects.filter(title="Drawn by the matrix").first()
        if learning is None:
            return False
        wanted = [] if target is None else [w.incidents[target].pk]
        return list(learning.incidents.values_list("pk", flat=True)) == wanted
    return check


def expected_for_create(role: str, target: str | None, success: int) -> int:
    if role == "anonymous":
        return 302
    if target is not None and role not in READERS[target]:
        return 404
    return success if role in WRITERS else 403


def _create_cells():
    for target in (None, "own", "own-library", "other", "other-library"):
        name = target or "blank"
        for role in ROLES:
            yield pytest.param(
                "get", create_url(target), lambda w, role: {}, role,
                expected_for_create(role, target, 200), None, False,
                id=f"learning-create-page-{name}-{role}",
            )
            expected = expected_for_create(role, target, 302)
            yield pytest.param(
                "post", create_url(None), create_data(target), role, expected,
                drawn(target), expected == 302 and role != "anonymous",
                id=f"learning-create-{name}-{role}",
            )


def everyone(status: int) -> dict:
    return {"anonymous": 302, "viewer": status, "member": status, "manager": status,
            "outsider": status}


PAGES = {
    "learnings:learning-list": everyone(200),
    "learnings:action-item-mine": everyone(200),
}


def snapshot() -> tuple:
    """Everything a learnings URL could change, history included."""
    return (
        list(Learning.objects.order_by("pk").values_list(
            "title", "lesson", "status", "owner_id", "archived_at", "updated_at")),
        sorted(Link.objects.values_list("learning_id", "incident_id")),
        list(ActionItem.objects.order_by("pk").values_list(
            "title", "kind", "owner_id", "due_on", "done_at", "archived_at", "updated_at")),
        Learning.history.count(),
        ActionItem.history.count(),
        Incident.objects.count(),
    )


def _login(client, world: World, role: str) -> None:
    if role != "anonymous":
        client.force_login(world.people[role])


def _check(response, role, expected, before, method, change, should_change):
    assert response.status_code == expected
    refused = role == "anonymous" or expected in (403, 404)
    if role == "anonymous":
        assert response.url.startswith(reverse("accounts:login") + "?next=")
    if change is not None:
        assert change() is should_change
    if refused or method == "get":
        assert snapshot() == before


@pytest.mark.parametrize(
    ("method", "url", "data", "role", "expected", "change", "should_change", "prepare"),
    list(_learning_cells()))
def test_learning_action_answers_the_expected_status_for_each_role(
        client, world, method, url, data, role, expected, change, should_change, prepare):
    if prepare is not None:
        prepare(world)
    _login(client, world, role)
    path = url(world)
    before = snapshot()
    response = client.get(path) if method == "get" else client.post(path, data(world, role))
    _check(response, role, expected, before, method,
           None if change is None else (lambda: change(world)), should_change)


@pytest.mark.parametrize(("method", "url", "data", "role", "expected", "change",
                          "should_change"), list(_create_cells()))
def test_learning_create_answers_the_expected_status_for_each_role_and_incident(
        client, world, method, url, data, role, expected, change, should_change):
    _login(client, world, role)
    path = url(world)
    before = snapshot()
    response = client.get(path) if method == "get" else client.post(path, data(world, role))
    _check(response, role, expected, before, method,
           None if change is None else (lambda: change(world)), should_change)


@pytest.mark.parametrize(("name", "role"), [(name, role) for name in PAGES for role in ROLES])
def test_learning_page_answers_the_expected_status_for_each_role(client, world, name, role):
    expected = PAGES[name][role]
    _login(client, world, role)
    before = snapshot()
    response = client.get(reverse(name))
    _check(response, role, expected, before, "get", None, False)


@pytest.mark.parametrize("name", ["learnings:learning-list", "learnings:learning-create",
                                  "learnings:action-item-mine"])
def test_anonymous_visitor_is_sent_to_the_login_page_with_next(client, db, name):
    path = reverse(name)
    response = client.get(path)
    assert response.status_code == 302
    assert response.url == f"{reverse('accounts:login')}?next={path}"


# Linking: a learning may point only at incidents its own team can read.


def link(client, learning, incident_id, **kwargs):
    return client.post(reverse("learnings:learning-incident-create",
                               kwargs={"public_id": learning.public_id}),
                       {"incident": str(incident_id)}, **kwargs)


@pytest.mark.parametrize(("role", "target", "incident"), [
    pytest.param("outsider", "elsewhere", "own", id="outsider-links-comms-private"),
    pytest.param("member", "comms", "other", id="member-links-elsewhere-private"),
    pytest.param("manager", "comms", "other", id="manager-links-elsewhere-private"),
])
@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_linking_another_teams_private_incident_is_refused_with_400_and_the_reason(
        client, world, role, target, incident, htmx):
    learning = world.learnings[target]
    client.force_login(world.people[role])
    before = snapshot()
    response = link(client, learning, world.incidents[incident].public_id,
                    headers={"HX-Request": "true"} if htmx else {})
    html = response.content.decode()
    assert response.status_code == 400
    assert escape(NOT_READABLE) in html
    assert 'id="link-error"' in html
    assert ("<html" in html) is not htmx
    assert snapshot() == before
    assert world.incidents[incident].title not in html


def test_member_of_both_teams_cannot_link_team_bs_private_incident_to_team_as_learning(
        client, world):
    member = world.people["member"]
    MembershipFactory(user=member, team=world.other_team, role=Role.MEMBER)
    client.force_login(member)
    before = snapshot()
    response = link(client, world.learnings["comms"], world.incidents["other"].public_id)
    assert response.status_code == 400
    assert escape(NOT_READABLE) in response.content.decode()
    assert snapshot() == before
    # Their team B's library incident is another matter: comms can read it.
    assert link(client, world.learnings["comms"],
                world.incidents["other-library"].public_id).status_code == 302


def test_member_of_both_teams_is_offered_only_the_team_that_can_read_a_private_incident(
        client, world):
    member = world.people["member"]
    MembershipFactory(user=member, team=world.other_team, role=Role.MEMBER)
    client.force_login(member)
    response = client.get(create_url("other")(world))
    assert response.status_code == 200
    assert list(response.context["form"].fields["team"].queryset) == [world.other_team]
    assert (f'<input type="hidden" name="team" value="{world.other_team.pk}">'
            in response.content.decode())
    # A library incident may be drawn into either team.
    shared = client.get(create_url("other-library")(world))
    assert set(shared.context["form"].fields["team"].queryset) == {world.team,
                                                                     world.other_team}


def test_member_of_both_teams_cannot_draw_a_team_a_learning_from_team_bs_private_incident(
        client, world):
    member = world.people["member"]
    MembershipFactory(user=member, team=world.other_team, role=Role.MEMBER)
    client.force_login(member)
    before = snapshot()
    response = client.post(reverse("learnings:learning-create"),
                           create_data("other")(world, "member"))
    html = response.content.decode()
    assert response.status_code == 200
    assert response.context["form"].errors["team"] == [
        "Select a valid choice. That choice is not one of the available choices."]
    assert ('<ul class="errorlist" id="id_team_error" role="alert"><li>Select a valid choice. '
            "That choice is not one of the available choices.</li></ul>") in html
    assert snapshot() == before


@pytest.mark.parametrize("bad", ["not-a-uuid", "1234", "' OR 1=1 --"])
def test_linking_a_malformed_incident_address_is_refused_with_400(client, world, bad):
    client.force_login(world.people["member"])
    before = snapshot()
    response = link(client, world.learnings["comms"], bad)
    html = response.content.decode()
    assert response.status_code == 400
    assert ('<ul class="errorlist" id="link-error" role="alert">'
            "<li>No incident your team can read has that address.</li></ul>") in html
    assert snapshot() == before


def test_linking_an_unknown_incident_is_refused_with_400(client, world):
    client.force_login(world.people["member"])
    before = snapshot()
    response = link(client, world.learnings["comms"], uuid.uuid4())
    assert response.status_code == 400
    assert escape(NOT_READABLE) in response.content.decode()
    assert snapshot() == before


def test_drawing_a_learning_from_a_malformed_or_unknown_incident_address_is_404(client, world):
    client.force_login(world.people["member"])
    path = reverse("learnings:learning-create")
    assert client.get(path, {"incident": "not-a-uuid"}).status_code == 404
    assert client.get(path, {"incident": str(uuid.uuid4())}).status_code == 404
    before = snapshot()
    data = create_data(None)(world, "member")
    assert client.post(path, {**data, "incidents": ["not-a-uuid"]}).status_code == 404
    assert snapshot() == before


@pytest.mark.parametrize("name", ["action-item-update", "action-item-complete",
                                  "action-item-reopen", "action-item-archive",
                                  "action-item-restore"])
def test_unknown_action_item_is_404(client, world, name):
    client.force_login(world.people["member"])
    path = reverse(f"learnings:{name}", kwargs={"item_id": uuid.uuid4()})
    assert client.post(path).status_code == 404


def test_unlinking_an_incident_that_is_not_linked_is_404_and_changes_nothing(client, world):
    client.force_login(world.people["member"])
    before = snapshot()
    response = client.post(reverse("learnings:learning-incident-delete", kwargs={
        "public_id": world.learnings["comms"].public_id,
        "incident_id": world.incidents["own-library"].public_id}))
    assert response.status_code == 404
    assert snapshot() == before


def test_viewer_is_told_why_a_change_is_refused(client, world):
    client.force_login(world.people["viewer"])
    response = client.post(reverse("learnings:learning-status", kwargs={
        "public_id": world.learnings["comms"].public_id}), {"status": "adopted"})
    assert response.status_code == 403
    assert "Only members and managers" in response.content.decode()


def test_status_of_an_archived_learning_stays_put(client, world):
    """An archived learning keeps its status until restored; the refusal says so."""
    Learning.objects.filter(pk=world.learnings["comms"].pk).update(
        archived_at=timezone.now(), updated_at=F("updated_at"))
    client.force_login(world.people["member"])
    before = snapshot()
    response = client.post(reverse("learnings:learning-status", kwargs={
        "public_id": world.learnings["comms"].public_id}), {"status": "adopted"})
    assert response.status_code == 400
    assert ('<div class="alert alert-error" role="alert" id="status-error">'
            "<p>Restore this learning before changing its status.</p></div>"
            ) in response.content.decode()
    assert snapshot() == before
