"""End to end: an action's owner is chosen among those who can tick it off, and a retired
learning shows its actions closed."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from learnings.models import ActionItem, LearningStatus
from learnings.services import (
    action_item_create,
    learning_change_status,
    learning_create_from_incidents,
)

from .test_incidents import label

pytestmark = pytest.mark.e2e


def named(*people):
    for person, name in people:
        person.display_name = name
        person.save()


def test_action_owners_offered_are_members_and_managers_and_one_is_saved(
        manager_page, team, manager, member, viewer, outsider):
    named((manager, "Maya Manager"), (member, "Sam Member"), (viewer, "Val Viewer"),
          (outsider, "Otto Outsider"))
    learning, _ = learning_create_from_incidents(user=manager, team=team, incident_ids=[],
                                                 title="Second pair of eyes on every price")
    page = manager_page
    page.goto(learning.get_absolute_url())
    form = page.locator("#action-items form.inline-form")
    owner = form.get_by_label(label("Owner"))
    expect(owner.locator("option")).to_have_text(["Nobody yet", "Maya Manager", "Sam Member"])

    form.get_by_label(label("Action")).fill("Prices checked by a second person")
    owner.select_option(label="Sam Member")
    form.get_by_label(label("Due on")).fill(
        (timezone.localdate() + timedelta(days=30)).isoformat())
    form.get_by_role("button", name="Add action").click()
    row = page.locator("#action-items li.action-item")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Prices checked by a second person")
    expect(row).to_contain_text("Sam Member")
    assert ActionItem.objects.get().owner == member


def test_a_retired_learnings_actions_show_closed_without_a_done_button(
        manager_page, team, manager, shots_dir):
    learning, _ = learning_create_from_incidents(user=manager, team=team, incident_ids=[],
                                                 title="Brand accounts on work phones only")
    action_item_create(user=manager, learning=learning, title="Log out personal phones",
                       owner=manager, due_on=timezone.localdate() + timedelta(days=3))
    page = manager_page
    page.goto(learning.get_absolute_url())
    expect(page.get_by_role("button", name="Mark done: Log out personal phones")).to_be_visible()
    learning_change_status(user=manager, learning=learning, status=LearningStatus.ADOPTED)
    learning_change_status(user=manager, learning=learning, status=LearningStatus.RETIRED,
                           reason="Superseded by the scheduling tool.")
    page.reload()
    actions = page.locator("#action-items")
    expect(actions).to_contain_text("This learning is retired; its actions are closed.")
    expect(actions.locator(".count")).to_have_text("0 open · 1 in all")
    expect(actions.locator("li.action-item.closed .tag-closed")).to_have_text("closed")
    expect(page.get_by_role("button", name="Mark done: Log out personal phones")).to_have_count(0)
    expect(page.get_by_role("button", name="Add action")).to_have_count(0)
    page.screenshot(path=str(shots_dir / "learning-retired-actions.png"), full_page=True)
    page.get_by_role("link", name="My actions").click()
    expect(page.get_by_text("Nothing on your list.")).to_be_visible()
