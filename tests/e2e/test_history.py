"""End to end: the History section follows changes made in place (sources, timeline, action
items) without a reload, and another team reads only what was shared."""

from datetime import date

import pytest
from playwright.sync_api import expect

from incidents.services import incident_create, incident_update, source_add
from learnings.services import learning_create_from_incidents

from ..factories import cause
from .conftest import sign_in
from .test_incidents import assert_same_document, mark_document

pytestmark = pytest.mark.e2e

LONG_LINK = ("https://news.example.com/2026/11/10/brand-apologises-after-scheduled-post-"
             "went-out-during-flood-warnings-and-customers-asked-whether-anyone-was-watching")


@pytest.fixture
def incident(team, manager):
    incident, _ = incident_create(
        user=manager, team=team, title="Scheduled post during the flood warnings",
        organization_name="Northwind Coffee", platform="instagram",
        occurred_on=date(2026, 10, 1), primary_cause=cause("insensitive-timing"),
        summary="A countdown post went out while the region was under flood warnings.")
    incident_update(user=manager, incident=incident, data={"severity": "high"})
    source_add(user=manager, incident=incident, url=LONG_LINK, kind="article",
               title="Local paper: brand apologises")
    return incident


def test_adding_a_source_and_a_timeline_entry_refreshes_the_history(
        manager_page, incident, shots_dir):
    page = manager_page
    page.goto(incident.get_absolute_url())
    history = page.locator("#history")
    expect(history).to_contain_text("added a source")
    mark_document(page)

    page.locator("#id_source-url").fill("https://x.com/northwind/status/77?s=20")
    page.locator("#id_source-kind").select_option("post")
    page.locator("#id_source-title").fill("Our countdown post")
    page.get_by_role("button", name="Add source").click()
    expect(page.locator("#sources")).to_contain_text("Our countdown post")
    expect(history.locator("li").first).to_contain_text("added a source")
    expect(history.locator("li").first).to_contain_text("Our countdown post")

    page.locator("#id_timeline-at").fill("2026-10-01T09:30")
    page.locator("#id_timeline-kind").select_option("apology")
    page.locator("#id_timeline-text").fill("We paused every scheduled post")
    page.get_by_role("button", name="Add to timeline").click()
    expect(history.locator("li").first).to_contain_text("added to the timeline")
    expect(history.locator("li").first).to_contain_text("We paused every scheduled post")
    assert_same_document(page)

    page.screenshot(path=str(shots_dir / "incident-sources-history-1280.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=str(shots_dir / "incident-sources-history-390.png"), full_page=True)
    page.locator("#sources").screenshot(path=str(shots_dir / "incident-sources-390.png"))
    page.locator("#history").screenshot(path=str(shots_dir / "incident-history-390.png"))
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def test_another_team_reads_only_the_shared_history_under_the_teams_name(
        page, incident, manager, outsider, shots_dir):
    incident_update(user=manager, incident=incident,
                    data={"visibility": "library", "title": "Countdown post in a flood"})
    sign_in(page, outsider.email)
    page.goto(incident.get_absolute_url())
    history = page.locator("#history")
    expect(history).to_contain_text("Comms shared it in the library")
    expect(history).not_to_contain_text("Scheduled post during the flood warnings")
    expect(history).not_to_contain_text(manager.display_name)
    expect(history).not_to_contain_text("added a source")
    # The source is this incident's, with its team's title, on the page itself.
    expect(page.locator("#sources")).to_contain_text("Local paper: brand apologises")
    page.locator("#history").screenshot(path=str(shots_dir / "incident-history-outsider.png"))


def test_adding_an_action_refreshes_the_learning_history(manager_page, team, manager, incident):
    learning, _ = learning_create_from_incidents(
        user=manager, team=team, incident_ids=[incident.public_id],
        title="Pause the queue when the news turns")
    page = manager_page
    page.goto(learning.get_absolute_url())
    history = page.locator("#history")
    expect(history).to_contain_text("drafted it")
    mark_document(page)
    page.locator("#id_item-title").fill("Check the queue every morning")
    page.get_by_role("button", name="Add action").click()
    expect(history.locator("li").first).to_contain_text("added an action")
    expect(history.locator("li").first).to_contain_text("Check the queue every morning")
    assert_same_document(page)
