"""End to end: out-of-range dates and NUL characters are refused in the page, and what was
typed stays in the form to be corrected."""

import re

import pytest
from playwright.sync_api import expect

from common.dates import TOO_EARLY, TOO_FAR_AHEAD
from common.middleware import MESSAGE
from incidents.models import TimelineEvent
from learnings.models import Learning
from learnings.services import learning_create_from_incidents

from ..factories import IncidentFactory

pytestmark = pytest.mark.e2e


def label(text: str) -> re.Pattern:
    return re.compile(rf"^{re.escape(text)}( \*)?$")


def test_a_year_one_timeline_entry_is_refused_beside_the_field_then_corrected(
        manager_page, team):
    incident = IncidentFactory(team=team, title="Apology posted hours late")
    page = manager_page
    page.goto(incident.get_absolute_url())
    form = page.locator("#timeline form.inline-form")
    form.get_by_label(label("When")).fill("0001-01-01T00:30")
    form.get_by_label(label("What happened then")).fill("Brand apologised on X")
    form.get_by_role("button", name="Add to timeline").click()

    error = page.locator("#id_timeline-at_error")
    expect(error).to_have_text(TOO_EARLY)
    expect(page.locator("#timeline").get_by_label(label("What happened then"))).to_have_value(
        "Brand apologised on X")
    assert not TimelineEvent.objects.exists()

    page.locator("#timeline form.inline-form").get_by_label(label("When")).fill(
        "2025-01-05T09:30")
    page.locator("#timeline").get_by_role("button", name="Add to timeline").click()
    expect(page.locator("#timeline ol.timeline > li")).to_have_count(1)
    expect(error).to_have_count(0)
    assert TimelineEvent.objects.get().text == "Brand apologised on X"


def test_a_review_date_in_year_9999_is_refused_beside_the_field(manager_page, manager, team):
    learning, _ = learning_create_from_incidents(user=manager, team=team, incident_ids=[],
                                                 title="Pause the queue")
    page = manager_page
    page.goto(f"/learnings/{learning.public_id}/edit/")
    page.get_by_label(label("Review on")).fill("9999-12-31")
    page.get_by_role("button", name=re.compile("Save")).click()
    expect(page.locator("#id_review_on_error")).to_have_text(TOO_FAR_AHEAD)
    assert Learning.objects.get().review_on is None

    page.get_by_label(label("Review on")).fill("2027-03-01")
    page.get_by_role("button", name=re.compile("Save")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Pause the queue")
    assert str(Learning.objects.get().review_on) == "2027-03-01"


def test_a_nul_in_the_organisation_search_shows_why_it_was_refused(manager_page):
    page = manager_page
    response = page.goto("/organizations/?q=Acme%00")
    assert response.status == 400
    expect(page.get_by_role("heading", level=1)).to_have_text("Misfire could not read that")
    expect(page.get_by_text(MESSAGE)).to_be_visible()
