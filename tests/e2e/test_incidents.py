"""End to end: a manager logs, finds, archives and annotates incidents in a real Chromium."""

import re
from datetime import date

import pytest
from playwright.sync_api import Page, expect

from incidents.models import Incident, TimelineEvent

from ..factories import IncidentFactory, OrganizationFactory, SourceFactory, cause

pytestmark = pytest.mark.e2e

SUMMARY = "A scheduled post went out with the wrong image."


def mark_document(page: Page) -> None:
    """Tag the current document; a full page load loses the tag, an htmx swap keeps it."""
    page.evaluate("window.__misfireSameDocument = true")


def assert_same_document(page: Page) -> None:
    assert page.evaluate("window.__misfireSameDocument === true"), "the page was reloaded"


def label(text: str) -> re.Pattern:
    """A field's label exactly, with or without the required-field asterisk."""
    return re.compile(rf"^{re.escape(text)}( \*)?$")


def result_titles(page: Page):
    return page.locator("#incident-results tbody tr td:nth-child(2) a")


def fill_log_form(page: Page, *, title: str, organization: str, link: str,
                  occurred_on: str = "2025-03-14") -> None:
    """Fill the log form, waiting for the platform guessed from the link in between."""
    page.get_by_label(label("Title")).fill(title)
    page.get_by_label(label("Organisation")).fill(organization)
    page.get_by_label(label("Link")).fill(link)
    expect(page.locator("#id_platform")).not_to_have_value("")
    page.get_by_label(label("Occurred on")).fill(occurred_on)
    page.get_by_label(label("What happened")).fill(SUMMARY)
    page.get_by_label(label("Primary cause")).select_option("production-slip")


def test_manager_logs_an_incident_and_the_platform_is_guessed_from_the_link(
        manager_page, team, shots_dir):
    page = manager_page
    page.get_by_role("link", name="Log an incident").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Log an incident")
    platform = page.locator("#id_platform")
    expect(platform).to_have_value("")

    fill_log_form(page, title="Wrong image in the launch post", organization="Brand New Brand",
                  link="https://x.com/brand/status/1")
    expect(platform).to_have_value("twitter")  # set by misfire.js from the panel's HX-Trigger
    expect(page.locator("#similar-panel")).to_have_text(
        "No similar incident found for this organisation and date or this link.")
    page.screenshot(path=str(shots_dir / "log-form.png"), full_page=True)

    page.get_by_role("button", name="Log incident").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Wrong image in the launch post")
    incident = Incident.objects.get()
    expect(page).to_have_url(re.compile(rf"/incidents/{incident.public_id}/$"))
    expect(page.locator(".messages")).to_have_text(
        "Incident logged. Add the details whenever you can.")
    expect(page.locator(".crumbs")).to_contain_text("Brand New Brand")
    expect(page.locator(".meta")).to_contain_text("X / Twitter")
    expect(page.locator(".meta time")).to_have_text("14 March 2025")
    expect(page.locator("#what-heading + .prose")).to_have_text(SUMMARY)
    # Stored under its one normalised spelling.
    expect(page.locator("#sources")).to_contain_text("https://twitter.com/brand/status/1")
    page.screenshot(path=str(shots_dir / "incident-page.png"), full_page=True)
    assert (incident.platform, incident.team, incident.organization.name) == (
        "twitter", team, "Brand New Brand")


def test_log_form_warns_of_possible_duplicates_by_organisation_date_and_link(
        manager_page, team, other_team, outsider):
    IncidentFactory(team=other_team, created_by=outsider, visibility="library",
                    origin="external", organization=OrganizationFactory(name="Qantas"),
                    occurred_on=date(2011, 11, 1), title="QantasLuxury hashtag hijacked")
    sourced = IncidentFactory(team=team, title="Pricing error post shared widely")
    sourced.sources.add(SourceFactory(url="https://www.facebook.com/brand/posts/42"))
    page = manager_page
    page.goto("/incidents/log/")
    panel = page.locator("#similar-panel")
    expect(panel).to_have_text("No similar incident found.")

    page.get_by_label(label("Organisation")).fill("Qantas")
    page.get_by_label(label("Occurred on")).fill("2011-11-10")
    expect(panel.locator(".warning")).to_have_text(
        "1 possible duplicate. Check before logging the same failure twice.")
    expect(panel.locator(".similar-list li a")).to_have_text(["QantasLuxury hashtag hijacked"])
    expect(panel.locator(".similar-list li small")).to_have_text(
        "Qantas · 1 Nov 2011 · X / Twitter · library")

    page.get_by_label(label("Organisation")).fill("Someone Else")
    expect(panel).to_have_text(
        "No similar incident found for this organisation and date or this link.")
    page.get_by_label(label("Link")).fill("https://www.facebook.com/brand/posts/42")
    expect(panel.locator(".similar-list li a")).to_have_text(["Pricing error post shared widely"])
    expect(page.locator("#id_platform")).to_have_value("facebook")


def test_search_box_and_cause_filter_update_the_list_in_place(manager_page, team):
    IncidentFactory(team=team, title="Newsletter sent with the wrong attachment",
                    primary_cause=cause("production-slip"))
    IncidentFactory(team=team, title="Hashtag taken over by angry customers",
                    primary_cause=cause("participation-hijacked"))
    contributing = IncidentFactory(team=team, title="Typo in a giveaway that critics mocked",
                                   primary_cause=cause("production-slip"))
    contributing.contributing_causes.add(cause("participation-hijacked"))
    page = manager_page
    page.goto("/incidents/")
    expect(result_titles(page)).to_have_count(3)

    mark_document(page)
    page.get_by_role("searchbox", name="Search").fill("newsletter")
    expect(result_titles(page)).to_have_text(["Newsletter sent with the wrong attachment"])
    expect(page.locator("#incident-results .count")).to_have_text("1 incident")
    expect(page).to_have_url(re.compile(r"/incidents/\?(.*&)?q=newsletter(&|$)"))
    assert_same_document(page)

    page.goto("/incidents/")
    mark_document(page)
    page.get_by_label(label("Cause")).select_option("participation-hijacked")
    expect(result_titles(page)).to_have_text(
        ["Typo in a giveaway that critics mocked", "Hashtag taken over by angry customers"])
    expect(page.locator("#incident-results .count")).to_have_text("2 incidents")
    expect(page).to_have_url(re.compile(r"/incidents/\?(.*&)?cause=participation-hijacked(&|$)"))
    assert_same_document(page)


def test_archive_hides_an_incident_from_the_list_and_restore_brings_it_back(manager_page, team):
    IncidentFactory(team=team, title="Another incident that stays put")
    incident = IncidentFactory(team=team, title="Reply sent from the wrong account")
    page = manager_page
    page.goto(incident.get_absolute_url())

    page.get_by_role("button", name="Archive").click()
    expect(page.locator(".messages")).to_have_text(
        "Incident archived. It is out of lists and search; restore it here at any time.")
    expect(page.locator(".alert-warning")).to_contain_text("Archived on ")
    expect(page.get_by_role("button", name="Restore")).to_be_visible()
    expect(page.get_by_role("button", name="Archive")).to_have_count(0)
    page.goto("/incidents/")
    expect(result_titles(page)).to_have_text(["Another incident that stays put"])

    page.goto(incident.get_absolute_url())
    page.get_by_role("button", name="Restore").click()
    expect(page.locator(".messages")).to_have_text("Incident restored.")
    expect(page.locator(".alert-warning")).to_have_count(0)
    expect(page.get_by_role("button", name="Archive")).to_be_visible()
    page.goto("/incidents/")
    expect(result_titles(page)).to_contain_text(["Reply sent from the wrong account"])
    expect(result_titles(page)).to_have_count(2)


def test_timeline_entry_is_added_and_removed_in_place(manager_page, team):
    incident = IncidentFactory(team=team, title="Apology posted hours late")
    page = manager_page
    page.goto(incident.get_absolute_url())
    timeline = page.locator("#timeline")
    expect(timeline).to_contain_text("No timeline yet.")
    first_response = page.locator("#response-times dt:text-is('First public response') + dd")
    expect(first_response).to_have_text("—")
    mark_document(page)

    form = timeline.locator("form.inline-form")
    form.get_by_label(label("When")).fill("2025-01-05T09:30")
    form.get_by_label(label("Kind")).select_option("apology")
    form.get_by_label(label("What happened then")).fill("Brand apologised on X")
    form.get_by_role("button", name="Add to timeline").click()

    entries = page.locator("#timeline ol.timeline > li")
    expect(entries).to_have_count(1)
    expect(entries.first).to_contain_text("5 Jan 2025, 09:30 Apology Brand apologised on X")
    expect(first_response).to_have_text("5 Jan 2025, 09:30")  # swapped in out of band
    assert_same_document(page)
    assert TimelineEvent.objects.filter(incident=incident).count() == 1

    page.get_by_role("button", name="Remove timeline entry: Brand apologised on X").click()
    expect(entries).to_have_count(0)
    expect(page.locator("#timeline")).to_contain_text("No timeline yet.")
    expect(first_response).to_have_text("—")
    assert_same_document(page)
    assert TimelineEvent.objects.filter(incident=incident).count() == 0


def test_double_click_on_log_submits_once(manager_page):
    page = manager_page
    page.goto("/incidents/log/")
    fill_log_form(page, title="Double-clicked launch post", organization="Clicky Co",
                  link="https://www.instagram.com/p/abc/")
    expect(page.locator("#id_platform")).to_have_value("instagram")
    posts: list[str] = []
    page.on("request", lambda request: posts.append(request.url)
            if request.method == "POST" else None)

    page.get_by_role("button", name="Log incident").dblclick()

    expect(page.get_by_role("heading", level=1)).to_have_text("Double-clicked launch post")
    expect(page.locator(".messages")).to_have_text(
        "Incident logged. Add the details whenever you can.")
    assert Incident.objects.count() == 1
    assert len(posts) == 1, f"the form was sent {len(posts)} times"  # misfire.js held it back


def test_log_form_keeps_what_was_typed_across_a_reload_until_it_is_saved(manager_page):
    page = manager_page
    page.goto("/incidents/log/")
    page.get_by_label(label("Title")).fill("Half-typed before the train went into a tunnel")
    page.get_by_label(label("What happened")).fill(SUMMARY)
    page.get_by_label(label("Primary cause")).select_option("unchecked-trend")

    page.reload()
    expect(page.get_by_role("status").filter(has_text="We restored what you typed")).to_be_visible()
    expect(page.get_by_label(label("Title"))).to_have_value(
        "Half-typed before the train went into a tunnel")
    expect(page.get_by_label(label("What happened"))).to_have_value(SUMMARY)
    expect(page.get_by_label(label("Primary cause"))).to_have_value("unchecked-trend")

    page.get_by_label(label("Organisation")).fill("Tunnel Rail")
    page.get_by_label(label("Platform")).select_option("instagram")
    page.get_by_role("button", name="Log incident").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Half-typed before the train went into a tunnel")
    assert Incident.objects.filter(title__startswith="Half-typed").count() == 1

    page.goto("/incidents/log/")  # saved: the next form starts empty
    expect(page.get_by_label(label("Title"))).to_have_value("")
    expect(page.get_by_text("We restored what you typed")).to_have_count(0)
