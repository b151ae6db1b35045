"""Actions of a retired or archived learning are closed: nobody is expected to do them any
more, so they are neither open nor overdue anywhere (the learning's page, My actions, the
learnings list), cannot be ticked off, and open again when the learning is reopened."""

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse

from learnings.models import ActionItem, Learning, LearningStatus
from learnings.selectors import action_item_list, learning_list
from learnings.services import (
    action_item_complete,
    action_item_create,
    learning_archive,
    learning_change_status,
    learning_create_from_incidents,
)

NOW = datetime(2026, 11, 10, 12, 0, tzinfo=UTC)
TODAY = date(2026, 11, 10)
CLOSED_NOTE = "This learning is retired; its actions are closed."
ARCHIVED_NOTE = "This learning is archived; its actions are closed."


@pytest.fixture(autouse=True)
def frozen_now():
    with time_machine.travel(NOW, tick=True):
        yield


def make(team, member, title, status=LearningStatus.ADOPTED):
    learning, _ = learning_create_from_incidents(user=member, team=team, incident_ids=[],
                                                 title=title)
    # Two open actions (one overdue) and a done one.
    action_item_create(user=member, learning=learning, title=f"{title}: overdue", owner=member,
                       due_on=TODAY - timedelta(days=3), done=True)
    ActionItem.objects.filter(title=f"{title}: overdue").update(done_at=None, done_by=None)
    action_item_create(user=member, learning=learning, title=f"{title}: later", owner=member,
                       due_on=TODAY + timedelta(days=3))
    action_item_create(user=member, learning=learning, title=f"{title}: done", owner=member,
                       done=True)
    if status != LearningStatus.DRAFT:
        learning_change_status(user=member, learning=learning, status=LearningStatus.ADOPTED)
    if status == LearningStatus.RETIRED:
        learning_change_status(user=member, learning=learning, status=status,
                               reason="The scheduler is gone.")
    learning.refresh_from_db()
    return learning


@pytest.fixture
def learnings(team, member):
    return {
        "in_force": make(team, member, "In force"),
        "retired": make(team, member, "Retired", LearningStatus.RETIRED),
        "archived": learning_archive(user=member, learning=make(team, member, "Archived")),
    }


def test_my_actions_leave_out_the_actions_of_retired_and_archived_learnings(member, learnings):
    titles = [item.title for item in action_item_list(user=member, owner=member)]
    assert titles == ["In force: overdue", "In force: later"]


def test_the_learnings_list_counts_no_open_actions_on_retired_or_archived_ones(
    member, learnings
):
    counts = {learning.title: learning.open_item_count
              for archived in ("", "true")
              for learning in learning_list(user=member, filters={"archived": archived})}
    assert counts == {"In force": 2, "Retired": 0, "Archived": 0}


def test_an_action_of_a_retired_learning_is_not_overdue(learnings):
    item = learnings["retired"].action_items.get(title="Retired: overdue")
    assert item.is_closed
    assert not item.is_overdue(TODAY)
    assert learnings["in_force"].action_items.get(title="In force: overdue").is_overdue(TODAY)


def test_reopening_a_retired_learning_opens_its_actions_again(member, learnings):
    learning_change_status(user=member, learning=learnings["retired"],
                           status=LearningStatus.DRAFT)
    titles = {item.title for item in action_item_list(user=member, owner=member)}
    assert titles == {"Retired: overdue", "In force: overdue", "In force: later",
                      "Retired: later"}


def test_an_action_of_a_retired_learning_cannot_be_ticked_off(member, learnings):
    item = learnings["retired"].action_items.get(title="Retired: later")
    with pytest.raises(ValidationError) as excinfo:
        action_item_complete(user=member, item=item)
    assert excinfo.value.message_dict == {"done": [CLOSED_NOTE]}
    item.refresh_from_db()
    assert item.done_at is None


def test_no_action_is_added_to_a_retired_learning(member, learnings):
    with pytest.raises(ValidationError) as excinfo:
        action_item_create(user=member, learning=learnings["retired"], title="One more")
    assert excinfo.value.message_dict == {"title": [
        "This learning is retired; its actions are closed. Reopen it to add actions."]}
    assert not ActionItem.objects.filter(title="One more").exists()


@pytest.mark.parametrize(("key", "note"), [("retired", CLOSED_NOTE),
                                           ("archived", ARCHIVED_NOTE)])
def test_the_page_of_a_retired_or_archived_learning_shows_its_actions_closed(
    client, member, learnings, key, note
):
    learning = learnings[key]
    client.force_login(member)
    response = client.get(learning.get_absolute_url())
    html = response.content.decode()
    assert note in html
    assert '<p class="count">0 open · 3 in all</p>' in html
    assert "Mark done:" not in html
    assert "tag-overdue" not in html
    assert "Add action" not in html
    assert html.count('class="action-item closed') == 2
    # Done ones still say so.
    assert html.count('class="action-item done') == 1


def test_the_page_of_a_learning_in_force_offers_to_tick_actions_off(client, member, learnings):
    client.force_login(member)
    html = client.get(learnings["in_force"].get_absolute_url()).content.decode()
    assert CLOSED_NOTE not in html
    assert '<p class="count">2 open · <strong class="overdue-count">1 overdue</strong> · ' \
           '3 in all</p>' in html
    assert html.count("Mark done:") == 2


def test_ticking_off_an_action_of_a_retired_learning_is_refused_with_a_message(
    client, member, learnings
):
    item = learnings["retired"].action_items.get(title="Retired: later")
    client.force_login(member)
    url = reverse("learnings:action-item-complete", kwargs={"item_id": item.public_id})
    response = client.post(url, follow=True)
    assert response.status_code == 200
    assert CLOSED_NOTE in [str(m) for m in response.context["messages"]]
    htmx = client.post(url, headers={"HX-Request": "true"})
    assert htmx.status_code == 400
    assert CLOSED_NOTE in htmx.content.decode()
    item.refresh_from_db()
    assert item.done_at is None
    assert Learning.objects.get(pk=learnings["retired"].pk).status == "retired"
