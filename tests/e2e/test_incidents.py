"""End to end: a manager logs, finds, archives and annotates incidents in a real Chromium."""

import re
from datetime import date

import pytest
from playwright.sync_api import Page, expect

from incidents.models import Factor, Incident, TimelineEvent

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
    share, keep = (page.get_by_role("radio", name="Yes, visible to every team"),
                   page.get_by_role("radio", name="No, only my team"))
    expect(keep).to_be_checked()  # our own failure: kept to the team unless asked
    page.get_by_role("radio", name="Another organisation's").check()
    expect(share).to_be_checked()  # another organisation's: offered to the library
    expect(page.get_by_label(label("Severity"))).to_have_value("medium")
    page.get_by_label(label("Severity")).select_option("high")
    expect(page.locator("#similar-panel")).to_have_text(
        "No similar incident found for this title, organisation or link.")
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
    expect(page.locator(".meta .sev")).to_have_text("High")
    expect(page.locator(".meta")).to_contain_text("shared in the library by Comms")
    assert (incident.platform, incident.team, incident.organization.name) == (
        "twitter", team, "Brand New Brand")
    assert (incident.origin, incident.visibility, incident.severity) == (
        "external", "library", "high")


def test_an_external_incident_is_kept_to_the_team_when_the_form_says_so(manager_page, team):
    page = manager_page
    page.goto("/incidents/log/")
    fill_log_form(page, title="Rival's hashtag backfired", organization="Rival Co",
                  link="https://www.instagram.com/p/rival/")
    page.get_by_role("radio", name="Another organisation's").check()
    expect(page.get_by_role("radio", name="Yes, visible to every team")).to_be_checked()
    page.get_by_role("radio", name="No, only my team").check()
    page.get_by_role("radio", name="Our own").check()
    page.get_by_role("radio", name="Another organisation's").check()
    expect(page.get_by_role("radio", name="No, only my team")).to_be_checked()  # as answered
    page.get_by_role("button", name="Log incident").click()

    expect(page.locator(".meta")).to_contain_text("visible to Comms only")
    expect(page.locator(".meta .sev")).to_have_text("Medium")
    incident = Incident.objects.get()
    assert (incident.origin, incident.visibility, incident.severity) == (
        "external", "team", "medium")


def test_clicking_the_sharing_answer_already_chosen_keeps_it_when_the_origin_changes(
        manager_page, team):
    page = manager_page
    page.goto("/incidents/log/")
    page.get_by_role("radio", name="No, only my team").click()  # already chosen: no change
    page.get_by_role("radio", name="Another organisation's").check()
    expect(page.get_by_role("radio", name="No, only my team")).to_be_checked()


def test_back_then_save_again_warns_instead_of_logging_twice(manager_page, team, shots_dir):
    page = manager_page
    page.goto("/incidents/log/")
    fill_log_form(page, title="Flash sale post during the flood", organization="Umbrella Mart",
                  link="https://x.com/umbrella/status/77")
    page.get_by_role("button", name="Log incident").click()
    expect(page.locator(".messages")).to_have_text(
        "Incident logged. Add the details whenever you can.")
    first = Incident.objects.get()

    page.go_back()
    expect(page.get_by_role("heading", level=1)).to_have_text("Log an incident")
    # Chromium brings the page back with what was typed, the organisation included.
    for field, value in (("Title", "Flash sale post during the flood"),
                         ("Organisation", "Umbrella Mart"),
                         ("Link", "https://x.com/umbrella/status/77")):
        expect(page.get_by_label(label(field))).to_have_value(value)
    page.get_by_role("button", name="Log incident").click()

    page.wait_for_load_state("load")
    warning = page.locator("#duplicate-warning")
    expect(warning).to_contain_text("This looks already logged.")
    expect(warning.get_by_role("link", name="Flash sale post during the flood")).to_have_attribute(
        "href", first.get_absolute_url())
    expect(page.get_by_label(label("Title"))).to_have_value("Flash sale post during the flood")
    expect(page.get_by_label(label("What happened"))).to_have_value(SUMMARY)
    assert Incident.objects.count() == 1
    page.screenshot(path=str(shots_dir / "log-form-already-logged.png"), full_page=True)

    page.get_by_label("Log it anyway: this is a different failure").check()
    page.get_by_role("button", name="Log incident").click()
    expect(page.locator(".messages")).to_have_text(
        "Incident logged. Add the details whenever you can.")
    assert Incident.objects.count() == 2


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
    hint = ("Possible duplicates appear here as you type the title or the organisation, "
            "or paste a link.")
    page.wait_for_load_state("load")
    # Mark the hint: once the panel's answer to the date is swapped in, the mark is gone.
    panel.locator("p").evaluate("hint => hint.dataset.before = 'date'")
    with page.expect_response(re.compile(r"/incidents/log/similar/")):
        page.get_by_label(label("Occurred on")).fill("2011-11-10")
    expect(panel.locator("[data-before]")).to_have_count(0)
    expect(panel).to_have_text(hint)  # only a date, the default's neighbour: nothing typed yet

    page.get_by_label(label("Organisation")).fill("Qantas")
    expect(panel.locator(".warning")).to_have_text(
        "1 possible duplicate. Check before logging the same failure twice.")
    expect(panel.locator(".similar-list li a")).to_have_text(["QantasLuxury hashtag hijacked"])
    expect(panel.locator(".similar-list li small")).to_have_text(
        "Qantas · 1 Nov 2011 · X / Twitter · library · same organisation")

    page.get_by_label(label("Organisation")).fill("Someone Else")
    expect(panel).to_have_text(
        "No similar incident found for this title, organisation or link.")
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


def test_editing_only_the_severity_keeps_the_causes_and_factor(manager_page, team, shots_dir):
    incident = IncidentFactory(team=team, title="Countdown post during the memorial",
                               primary_cause=cause("insensitive-timing"), severity="medium")
    incident.contributing_causes.add(cause("automation-misfire"))
    incident.factors.add(Factor.objects.get(slug="scheduled-queue-not-paused"))
    page = manager_page
    page.goto(incident.get_absolute_url())
    page.get_by_role("link", name="Edit").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Edit incident")
    expect(page.get_by_label(label("Primary cause"))).to_have_value("insensitive-timing")
    page.screenshot(path=str(shots_dir / "edit-form.png"), full_page=True)

    page.get_by_label(label("Severity")).select_option("high")
    page.get_by_role("button", name="Save").click()

    expect(page.locator(".messages")).to_have_text("Incident saved.")
    expect(page.locator(".meta .sev")).to_have_text("High")
    causes = page.locator("#causes-heading + dl")
    expect(causes).to_contain_text("Insensitive timing")
    expect(causes).to_contain_text("Automation gone wrong")
    expect(causes).to_contain_text("Scheduled queue not paused")
    incident.refresh_from_db()
    assert (incident.severity, incident.primary_cause.slug) == ("high", "insensitive-timing")
    assert [c.slug for c in incident.contributing_causes.all()] == ["automation-misfire"]
    assert [f.slug for f in incident.factors.all()] == ["scheduled-queue-not-paused"]


def test_looks_like_panel_sits_beside_the_fields_and_above_the_button_on_a_phone(
        manager_page, team, shots_dir):
    IncidentFactory(team=team, title="Flash sale post during the flood",
                    organization=OrganizationFactory(name="Umbrella Mart"))
    page = manager_page
    page.goto("/incidents/log/")
    panel, button = page.locator("aside.similar"), page.get_by_role("button", name="Log incident")
    title = page.get_by_label(label("Title"))
    wide_panel, wide_title = panel.bounding_box(), title.bounding_box()
    assert wide_panel["x"] > wide_title["x"] + wide_title["width"]  # a column of its own

    page.set_viewport_size({"width": 390, "height": 844})
    title.fill("Flash sale post in the flood")
    expect(panel.locator(".similar-list li a")).to_have_text(["Flash sale post during the flood"])
    box, button_box = panel.bounding_box(), button.bounding_box()
    assert box["y"] + box["height"] <= button_box["y"]
    assert box["x"] + box["width"] <= 390
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(shots_dir / "log-form-390.png"), full_page=True)


def test_a_linked_filter_shows_as_a_chip_and_a_backwards_date_range_is_explained(
        manager_page, team, other_team, outsider, shots_dir):
    IncidentFactory(team=other_team, created_by=outsider, visibility="library",
                    origin="external", title="Memorial countdown backlash",
                    primary_cause=cause("insensitive-timing"), occurred_on=date(2025, 6, 1))
    IncidentFactory(team=other_team, created_by=outsider, visibility="library",
                    origin="external", title="Hacked brand account",
                    primary_cause=cause("account-compromise"), occurred_on=date(2025, 7, 1))
    page = manager_page
    # Where the precedents panel's "All library incidents with this cause" leads.
    page.goto("/library/?primary_cause=insensitive-timing&sort=-severity")
    expect(result_titles(page)).to_have_text(["Memorial countdown backlash"])
    chip = page.get_by_role("link", name="Remove the filter Primary cause: Insensitive timing")
    expect(chip).to_have_text("Primary cause: Insensitive timing ×")
    page.screenshot(path=str(shots_dir / "library-chip.png"), full_page=True)

    chip.click()
    expect(page).to_have_url(re.compile(r"/library/\?sort=-severity$"))
    expect(result_titles(page)).to_have_text(["Hacked brand account",
                                              "Memorial countdown backlash"])
    expect(page.locator(".chip")).to_have_count(0)

    page.get_by_text("More filters").click()
    page.get_by_label(label("To")).fill("2025-01-01")
    expect(result_titles(page)).to_have_count(0)  # nothing before 2025: right, and no message
    page.get_by_label(label("From")).fill("2025-12-31")
    expect(page.locator("#id_occurred_after_errors")).to_have_text(
        "From must be on or before To.")
    expect(result_titles(page)).to_have_count(2)  # the range is set aside, not an empty list
    page.get_by_label(label("From")).fill("2024-12-01")
    expect(page.locator("#id_occurred_after_errors")).to_have_text("")
    expect(page.get_by_role("link", name="Remove the filter From: 1 Dec 2024")).to_be_visible()
