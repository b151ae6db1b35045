"""The permission matrix of every page and action of learnings/urls.py (the pattern, roles and
targets are described in tests/matrix.py).

Learnings are always their team's own: viewers read them, members and managers change them,
and anyone else gets 404 for the learning and for its action items.

"Turn into a learning" (learning-create) runs against the four incidents of the incidents
matrix, and with none. An incident the reader cannot read answers 404; one they can read but
no team of theirs may draw from answers 403.
"""

import uuid
from html import escape

import pytest
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from learnings.models import ActionItem, Learning, LearningStatus
from learnings.services import NOT_READABLE
from tests.factories import MembershipFactory
from tests.matrix import (
    INCIDENTS,
    LINKABLE,
    LINKED,
    TEAMS,
    WRITERS,
    Cell,
    Row,
    cells,
    everyone,
    reads,
    run_cell,
    snapshot,
    writes,
)

# URL arguments, posted data, and the change a successful write leaves.


def learning(cell: Cell) -> dict:
    return {"public_id": cell.world.learnings[cell.target].public_id}


def linked_incident(cell: Cell) -> dict:
    return {**learning(cell), "incident_id": cell.world.incidents[LINKED[cell.target]].public_id}


def item(which: str = "open"):
    def kwargs(cell: Cell) -> dict:
        return {"item_id": cell.world.items[cell.target][which].public_id}
    return kwargs


def _learning(cell: Cell) -> Learning:
    return Learning.objects.get(pk=cell.world.learnings[cell.target].pk)


def _item(cell: Cell, which: str = "open") -> ActionItem:
    return ActionItem.objects.get(pk=cell.world.items[cell.target][which].pk)


def edit_data(cell: Cell) -> dict:
    return {"title": cell.world.learnings[cell.target].title + " (edited)",
            "lesson": "Read the room.", "practice": "Check the news first.", "owner": "",
            "review_on": ""}


def status_data(cell: Cell) -> dict:
    return {"status": LearningStatus.PROPOSED}


def link_data(cell: Cell) -> dict:
    return {"incident": str(cell.world.incidents[LINKABLE[cell.target]].public_id)}


def item_data(cell: Cell) -> dict:
    return {"item-title": "Added by the matrix", "item-owner": "", "item-due_on": "",
            "item-kind": "detective"}


def item_edit_data(cell: Cell) -> dict:
    return {"title": "Edited by the matrix", "owner": "", "due_on": "", "kind": "corrective"}


def edited(cell: Cell) -> bool:
    return _learning(cell).title.endswith("(edited)")


def proposed(cell: Cell) -> bool:
    return _learning(cell).status == LearningStatus.PROPOSED


def archived(cell: Cell) -> bool:
    return _learning(cell).archived_at is not None


def archive_first(cell: Cell) -> None:
    Learning.objects.filter(pk=cell.world.learnings[cell.target].pk).update(
        archived_at=timezone.now())


def restored(cell: Cell) -> bool:
    return _learning(cell).archived_at is None


def linked(cell: Cell) -> bool:
    return _learning(cell).incidents.filter(
        pk=cell.world.incidents[LINKABLE[cell.target]].pk).exists()


def unlinked(cell: Cell) -> bool:
    return not _learning(cell).incidents.filter(
        pk=cell.world.incidents[LINKED[cell.target]].pk).exists()


def item_added(cell: Cell) -> bool:
    return _learning(cell).action_items.filter(title="Added by the matrix").exists()


def item_edited(cell: Cell) -> bool:
    return _item(cell).title == "Edited by the matrix"


def item_completed(cell: Cell) -> bool:
    return _item(cell).done_at is not None


def item_reopened(cell: Cell) -> bool:
    return _item(cell, "done").done_at is None


def item_archived(cell: Cell) -> bool:
    return _item(cell).archived_at is not None


def remove_item_first(cell: Cell) -> None:
    ActionItem.objects.filter(pk=cell.world.items[cell.target]["open"].pk).update(
        archived_at=timezone.now())


def item_restored(cell: Cell) -> bool:
    return _item(cell).archived_at is None


# Drawing a learning from an incident (or from none).

CREATE_KEY = "5b0c1d5e-3f52-4d0e-9a57-6a1f7d0b2c11"
# Who can read each incident: its team's people, and everyone for the library.
READERS = {
    "own": {"viewer", "member", "manager"},
    "own-library": {"viewer", "member", "manager", "outsider"},
    "other": {"outsider"},
    "other-library": {"viewer", "member", "manager", "outsider"},
}


def draws(success: int):
    """Writers draw learnings from what they can read; viewers get 403; an incident the
    reader cannot read is 404."""
    def expect(role: str, target: str | None) -> int:
        if role == "anonymous":
            return 302
        if target is not None and role not in READERS[target]:
            return 404
        return success if role in WRITERS else 403
    return expect


def from_incident(cell: Cell) -> dict:
    return {"incident": str(cell.world.incidents[cell.target].public_id)}


def create_data(world, role: str, target: str | None) -> dict:
    data = {"team": world.own_team(role).pk, "title": "Drawn by the matrix", "lesson": "",
            "practice": "", "owner": "", "review_on": "", "idempotency_key": CREATE_KEY}
    if target is not None:
        data["incidents"] = [str(world.incidents[target].public_id)]
    return data


def drawn(cell: Cell) -> bool:
    learnings = list(Learning.objects.filter(title="Drawn by the matrix"))
    if len(learnings) != 1:
        return False
    wanted = [] if cell.target is None else [cell.world.incidents[cell.target].pk]
    return (learnings[0].team == cell.world.own_team(cell.role)
            and list(learnings[0].incidents.values_list("pk", flat=True)) == wanted)


ROWS = [
    # Learnings, for each team's learning.
    Row("learnings:learning-detail", reads(), targets=TEAMS, kwargs=learning),
    Row("learnings:learning-history", reads(), targets=TEAMS, kwargs=learning),
    Row("learnings:learning-update", writes(200), targets=TEAMS, kwargs=learning),
    Row("learnings:learning-update", writes(), "post", TEAMS, learning, data=edit_data,
        changed=edited),
    Row("learnings:learning-status", writes(), "post", TEAMS, learning, data=status_data,
        changed=proposed),
    Row("learnings:learning-archive", writes(), "post", TEAMS, learning, changed=archived),
    Row("learnings:learning-restore", writes(), "post", TEAMS, learning,
        prepare=archive_first, changed=restored),
    Row("learnings:learning-incident-search", writes(200), targets=TEAMS, kwargs=learning),
    Row("learnings:learning-incident-create", writes(), "post", TEAMS, learning,
        data=link_data, changed=linked),
    Row("learnings:learning-incident-delete", writes(), "post", TEAMS, linked_incident,
        changed=unlinked),

    # Action items, for each team's learning's items.
    Row("learnings:action-item-create", writes(), "post", TEAMS, learning, data=item_data,
        changed=item_added),
    Row("learnings:action-item-update", writes(200), targets=TEAMS, kwargs=item()),
    Row("learnings:action-item-update", writes(), "post", TEAMS, item(),
        data=item_edit_data, changed=item_edited),
    Row("learnings:action-item-complete", writes(), "post", TEAMS, item(),
        changed=item_completed),
    Row("learnings:action-item-reopen", writes(), "post", TEAMS, item("done"),
        changed=item_reopened),
    Row("learnings:action-item-archive", writes(), "post", TEAMS, item(),
        changed=item_archived),
    Row("learnings:action-item-restore", writes(), "post", TEAMS, item(),
        prepare=remove_item_first, changed=item_restored),

    # Lists.
    Row("learnings:learning-list", everyone(200)),
    Row("learnings:action-item-mine", everyone(200)),

    # "Turn into a learning": the form, from each incident and from none, and what it posts.
    Row("learnings:learning-create", draws(200), targets=(None, *INCIDENTS),
        query=lambda cell: {} if cell.target is None else from_incident(cell)),
    Row("learnings:learning-create", draws(302), "post", (None, *INCIDENTS),
        data=lambda cell: create_data(cell.world, cell.role, cell.target), changed=drawn),
]


@pytest.mark.parametrize(("row", "target", "role"), cells(ROWS))
def test_each_role_gets_what_the_matrix_says(
        client, world, row, target, role, mailoutbox, django_capture_on_commit_callbacks):
    run_cell(Cell(world, role, target, client, mailoutbox), row,
             django_capture_on_commit_callbacks)


def create_url(world, target: str) -> str:
    return (f"{reverse('learnings:learning-create')}"
            f"?incident={world.incidents[target].public_id}")


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
    response = client.get(create_url(world, "other"))
    assert response.status_code == 200
    assert list(response.context["form"].fields["team"].queryset) == [world.other_team]
    assert (f'<input type="hidden" name="team" value="{world.other_team.pk}">'
            in response.content.decode())
    # A library incident may be drawn into either team.
    shared = client.get(create_url(world, "other-library"))
    assert set(shared.context["form"].fields["team"].queryset) == {world.team,
                                                                     world.other_team}


def test_member_of_both_teams_cannot_draw_a_team_a_learning_from_team_bs_private_incident(
        client, world):
    member = world.people["member"]
    MembershipFactory(user=member, team=world.other_team, role=Role.MEMBER)
    client.force_login(member)
    before = snapshot()
    response = client.post(reverse("learnings:learning-create"),
                           create_data(world, "member", "other"))
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
    data = create_data(world, "member", None)
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
