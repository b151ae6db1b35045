"""Owners of learnings and action items are people who can act on them: members and managers
of the learning's team. Viewers are neither offered nor accepted."""

from datetime import UTC, datetime

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts.models import Membership, Role
from learnings.forms import ActionItemCreateForm, ActionItemForm, LearningCreateForm, LearningForm
from learnings.models import ActionItem, Learning
from learnings.services import (
    action_item_create,
    action_item_update,
    learning_create_from_incidents,
    learning_update,
)
from tests.factories import MembershipFactory

NOW = datetime(2026, 11, 10, 12, 0, tzinfo=UTC)
VIEWER_OWNS_ACTION = "{person} is a viewer in Comms and cannot complete actions: choose a " \
                     "member or manager."
VIEWER_OWNS_LEARNING = "{person} is a viewer in Comms and cannot edit learnings: choose a " \
                       "member or manager."


@pytest.fixture(autouse=True)
def frozen_now():
    with time_machine.travel(NOW, tick=True):
        yield


@pytest.fixture
def learning(team, member, private_incident):
    learning, _ = learning_create_from_incidents(
        user=member, team=team, incident_ids=[private_incident.public_id],
        title="Pause the queue when the news turns")
    return learning


def offered(form) -> set:
    return set(form.fields["owner"].queryset)


def test_action_owner_choices_are_the_teams_members_and_managers_only(
    team, learning, manager, member, viewer, outsider
):
    assert offered(ActionItemCreateForm(prefix="item", team=team)) == {manager, member}
    assert offered(ActionItemForm(team=team)) == {manager, member}


def test_a_viewer_of_the_team_who_is_a_member_elsewhere_is_not_offered(
    team, other_team, learning, manager, member, viewer
):
    MembershipFactory(user=viewer, team=other_team, role=Role.MEMBER)
    assert offered(ActionItemForm(team=team)) == {manager, member}


def test_learning_owner_choices_are_the_teams_members_and_managers_only(
    team, learning, manager, member, viewer, outsider
):
    assert offered(LearningForm(instance=learning)) == {manager, member}
    teams = team.__class__.objects.filter(pk=team.pk)
    assert offered(LearningCreateForm(teams=teams)) == {manager, member}


def test_an_owner_since_made_viewer_stays_offered_on_their_own_item_only(
    team, learning, manager, member
):
    item = action_item_create(user=manager, learning=learning, title="Watch", owner=member)
    Membership.objects.filter(user=member, team=team).update(role=Role.VIEWER)
    # Editing the item's other fields must not force a new owner on it.
    assert offered(ActionItemForm(team=team, current_owner=item.owner)) == {manager, member}
    assert offered(ActionItemForm(team=team)) == {manager}


def test_service_refuses_a_viewer_as_action_owner(learning, member, viewer):
    with pytest.raises(ValidationError) as excinfo:
        action_item_create(user=member, learning=learning, title="Watch", owner=viewer)
    assert excinfo.value.message_dict == {"owner": [VIEWER_OWNS_ACTION.format(person=viewer)]}
    assert ActionItem.objects.count() == 0


def test_service_refuses_a_viewer_as_new_owner_of_an_action_and_saves_nothing(
    learning, member, viewer
):
    item = action_item_create(user=member, learning=learning, title="Watch", owner=member)
    with pytest.raises(ValidationError) as excinfo:
        action_item_update(user=member, item=item, data={"title": "New", "owner": viewer})
    assert excinfo.value.message_dict == {"owner": [VIEWER_OWNS_ACTION.format(person=viewer)]}
    item.refresh_from_db()
    assert (item.title, item.owner) == ("Watch", member)


def test_an_action_owner_since_made_viewer_does_not_block_other_changes(
    team, learning, manager, member
):
    item = action_item_create(user=manager, learning=learning, title="Watch", owner=member)
    Membership.objects.filter(user=member, team=team).update(role=Role.VIEWER)
    action_item_update(user=manager, item=item, data={"title": "Watch closely", "owner": member})
    item.refresh_from_db()
    assert (item.title, item.owner) == ("Watch closely", member)


def test_service_refuses_a_viewer_as_learning_owner(team, member, viewer, private_incident):
    with pytest.raises(ValidationError) as excinfo:
        learning_create_from_incidents(user=member, team=team,
                                       incident_ids=[private_incident.public_id],
                                       title="Pause", owner=viewer)
    assert excinfo.value.message_dict == {"owner": [VIEWER_OWNS_LEARNING.format(person=viewer)]}
    assert Learning.objects.count() == 0


def test_service_refuses_a_viewer_as_new_learning_owner(learning, member, viewer):
    with pytest.raises(ValidationError) as excinfo:
        learning_update(user=member, learning=learning, data={"owner": viewer})
    assert excinfo.value.message_dict == {"owner": [VIEWER_OWNS_LEARNING.format(person=viewer)]}
    learning.refresh_from_db()
    assert learning.owner is None


def test_posting_a_viewer_as_action_owner_is_refused_beside_the_owner(
    client, learning, member, viewer
):
    client.force_login(member)
    response = client.post(
        reverse("learnings:action-item-create", kwargs={"public_id": learning.public_id}),
        {"item-title": "Watch", "item-owner": viewer.pk, "item-due_on": "",
         "item-kind": "preventive"}, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert ('<ul class="errorlist" id="id_item-owner_error" role="alert"><li>Select a valid '
            'choice. That choice is not one of the available choices.</li></ul>') in html
    assert ActionItem.objects.count() == 0
