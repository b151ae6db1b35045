"""End to end: each edit page of learnings is opened from its page, one thing is changed, and
the page shows it saved with everything else as it was (the incident edit page has its own,
tests/e2e/test_incidents.py::test_editing_only_the_severity_keeps_the_causes_and_factor)."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from learnings.models import ActionItem, Learning
from learnings.services import action_item_create, learning_create_from_incidents

from .test_incidents import label

pytestmark = pytest.mark.e2e


@pytest.fixture
def learning(team, manager):
    learning, _ = learning_create_from_incidents(
        user=manager, team=team, incident_ids=[], title="Pause the queue in a crisis",
        lesson="Scheduled posts kept going out during the outage.",
        practice="Pause the queue.")
    return learning


def test_changing_only_the_practice_keeps_the_rest_of_the_learning(manager_page, learning):
    page = manager_page
    page.goto(learning.get_absolute_url())
    page.get_by_role("link", name="Edit", exact=True).click()
    expect(page.get_by_role("heading", name="Edit learning")).to_be_visible()
    page.get_by_label(label("What we will do differently")).fill(
        "Pause the queue, then tell the team on the crisis channel.")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text("Learning saved.")
    expect(page.locator("main")).to_contain_text("tell the team on the crisis channel")
    learning.refresh_from_db()
    assert (learning.title, learning.lesson) == (
        "Pause the queue in a crisis", "Scheduled posts kept going out during the outage.")
    assert learning.practice == "Pause the queue, then tell the team on the crisis channel."


def test_changing_only_an_actions_due_date_keeps_its_owner_and_kind(
        manager_page, learning, manager):
    item = action_item_create(user=manager, learning=learning, title="Write the pause rota",
                              owner=manager, kind="corrective",
                              due_on=timezone.localdate() + timedelta(days=7))
    later = timezone.localdate() + timedelta(days=21)
    page = manager_page
    page.goto(learning.get_absolute_url())
    page.get_by_role("link", name="Edit: Write the pause rota").click()
    expect(page.get_by_role("heading", name="Edit action")).to_be_visible()
    page.get_by_label(label("Due on")).fill(later.isoformat())
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text("Action saved.")
    row = page.locator(f"#item-{item.public_id}")
    expect(row).to_contain_text(f"due {later.day} {later:%b %Y}")
    item = ActionItem.objects.get(pk=item.pk)
    assert (item.due_on, item.owner, item.kind) == (later, manager, "corrective")
    assert Learning.objects.get(pk=learning.pk).title == "Pause the queue in a crisis"
