"""End to end: a manager turns an incident into a learning, gives it actions, adopts it, and
the next failure with the same cause shows it as a precedent; incidents are linked as one
types."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from learnings.models import ActionItem, Learning

from ..factories import IncidentFactory, OrganizationFactory, cause
from .test_incidents import assert_same_document, fill_log_form, label, mark_document

pytestmark = pytest.mark.e2e


def add_action(page: Page, title: str, owner: str, due_on: str, kind: str) -> None:
    form = page.locator("#action-items form.inline-form")
    form.get_by_label(label("Action")).fill(title)
    form.get_by_label(label("Owner")).select_option(label=owner)
    form.get_by_label(label("Due on")).fill(due_on)
    form.get_by_label(label("Kind")).select_option(kind)
    form.get_by_role("button", name="Add action").click()


def test_incident_becomes_an_adopted_learning_that_the_next_incident_shows_as_a_precedent(
        manager_page, team, manager, member, other_team, outsider, shots_dir):
    manager.display_name, member.display_name = "Maya Manager", "Sam Member"
    manager.save()
    member.save()
    incident = IncidentFactory(team=team, title="Sale post went out with last year's prices",
                               primary_cause=cause("production-slip"),
                               organization=OrganizationFactory(name="Northwind"))
    IncidentFactory(team=other_team, created_by=outsider, visibility="library",
                    origin="external", severity="critical", primary_cause=cause("production-slip"),
                    title="Airline tweeted the wrong destination photo")
    page = manager_page
    page.goto(incident.get_absolute_url())
    expect(page.locator("#incident-learnings")).to_contain_text(
        "No learning drawn from this incident yet.")

    page.get_by_role("link", name="Turn into a learning").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Turn into a learning")
    title = page.get_by_label(label("Title"))
    expect(title).to_have_value("Production or QA slip: Sale post went out with last year's "
                                "prices")
    expect(page.get_by_label(label("What we will do differently"))).not_to_have_value("")
    expect(page.locator("aside")).to_contain_text("Sale post went out with last year's prices")
    title.fill("Second pair of eyes on every price")
    page.get_by_role("button", name="Save draft learning").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Second pair of eyes on every price")
    expect(page.locator(".messages")).to_have_text(
        "Learning drafted. Add the actions it needs, then propose or adopt it.")
    learning = Learning.objects.get()
    expect(page).to_have_url(re.compile(rf"/learnings/{learning.public_id}/$"))
    expect(page.locator("#learning-status .status")).to_have_text("Draft")
    expect(page.locator("#learning-incidents")).to_contain_text(
        "Sale post went out with last year's prices")
    expect(page.locator("#learning-causes li")).to_have_text(
        ["Production or QA slip 1 incident, primary in 1"])

    mark_document(page)
    next_month = (timezone.localdate() + timedelta(days=30)).isoformat()
    add_action(page, "Checklist step: prices checked by a second person", "Sam Member",
               next_month, "preventive")
    items = page.locator("#action-items li.action-item")
    expect(items).to_have_count(1)
    add_action(page, "Alert when a post mentions a price", "Maya Manager", next_month,
               "detective")
    expect(items).to_have_count(2)
    expect(page.locator("#action-items .count")).to_have_text("2 open · 2 in all")

    page.get_by_role("button", name="Mark done: Alert when a post mentions a price").click()
    done = page.locator("#action-items li.action-item.done")
    expect(done).to_have_count(1)
    expect(done).to_contain_text("Alert when a post mentions a price")
    expect(done.locator(".tag-done")).to_contain_text("done")
    assert_same_document(page)
    assert list(ActionItem.objects.filter(done_at__isnull=False).values_list(
        "title", flat=True)) == ["Alert when a post mentions a price"]

    page.get_by_role("button", name="Adopt").click()
    expect(page.locator(".messages")).to_have_text("Adopted: the team now works this way.")
    expect(page.locator("#learning-status .status")).to_have_text("Adopted")
    expect(page.locator("#learning-status")).to_contain_text("by Maya Manager")
    expect(page.locator(".history")).to_contain_text("Maya Manager adopted it")
    page.screenshot(path=str(shots_dir / "learning-page.png"), full_page=True)
    learning.refresh_from_db()
    assert learning.status == "adopted"
    assert learning.adopted_at is not None

    # The next failure with the same cause: logging it shows what was learned before.
    page.get_by_role("link", name="Log an incident").click()
    fill_log_form(page, title="Flyer post listed the wrong opening hours",
                  organization="Northwind", link="https://www.instagram.com/p/hours/",
                  occurred_on=timezone.localdate().isoformat())
    page.get_by_role("button", name="Log incident").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Flyer post listed the wrong opening hours")
    precedents = page.locator("#precedents")
    expect(precedents.locator("ul.cards").first.locator("li a")).to_have_text(
        ["Second pair of eyes on every price"])
    expect(precedents.locator("ul.cards").first).to_contain_text("Adopted")
    expect(precedents.locator("ul.cards").nth(1).locator("li a")).to_have_text(
        ["Airline tweeted the wrong destination photo"])
    page.screenshot(path=str(shots_dir / "incident-precedents.png"), full_page=True)

    page.goto(incident.get_absolute_url())
    expect(page.locator("#incident-learnings li a")).to_have_text(
        ["Second pair of eyes on every price"])


def test_incidents_are_found_as_one_types_and_linked_in_place_and_private_ones_stay_out(
        manager_page, team, other_team, outsider):
    learning_incident = IncidentFactory(team=team, title="Giveaway post tagged the wrong brand")
    IncidentFactory(team=other_team, created_by=outsider, visibility="library",
                    origin="external", title="Hashtag campaign hijacked by critics",
                    primary_cause=cause("participation-hijacked"))
    IncidentFactory(team=other_team, created_by=outsider, visibility="team",
                    title="Hashtag draft that never left Elsewhere")
    page = manager_page
    page.goto(learning_incident.get_absolute_url())
    page.get_by_role("link", name="Turn into a learning").click()
    page.get_by_role("button", name="Save draft learning").click()
    expect(page.locator("#learning-status .status")).to_have_text("Draft")
    mark_document(page)

    page.get_by_label("Link an incident").fill("hashtag")
    results = page.locator("#link-results li")
    expect(results).to_have_count(1)
    expect(results).to_contain_text("Hashtag campaign hijacked by critics")
    page.get_by_role("button", name="Link Hashtag campaign hijacked by critics").click()

    linked = page.locator("#learning-incidents ul.cards > li > a")
    expect(linked).to_have_text(["Hashtag campaign hijacked by critics",  # newest first
                                 "Giveaway post tagged the wrong brand"])
    expect(page.locator("#learning-causes li")).to_have_count(2)  # swapped in out of band
    assert_same_document(page)

    page.get_by_role("button", name="Unlink Giveaway post tagged the wrong brand").click()
    expect(linked).to_have_text(["Hashtag campaign hijacked by critics"])
    expect(page.locator("#learning-causes li")).to_have_text(
        ["Participation campaign hijacked 1 incident, primary in 1"])
    assert_same_document(page)
    assert [i.title for i in Learning.objects.get().incidents.all()] == [
        "Hashtag campaign hijacked by critics"]
