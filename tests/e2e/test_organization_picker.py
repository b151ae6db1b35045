"""End to end: organisations are suggested as one types, a few at a time, in the list's
filter and in the log form, never another team's private ones."""

import pytest
from playwright.sync_api import expect

from ..factories import IncidentFactory, OrganizationFactory
from .test_incidents import label, result_titles

pytestmark = pytest.mark.e2e


@pytest.fixture
def organisations(team, other_team):
    acme = OrganizationFactory(name="Acme Coffee", slug="acme-coffee")
    IncidentFactory(team=team, organization=acme, title="Acme's cold brew post")
    IncidentFactory(team=team, organization=OrganizationFactory(name="Brewster"),
                    title="Brewster's menu slip")
    hidden = OrganizationFactory(name="Acme Secret Labs", slug="acme-secret", team=other_team)
    IncidentFactory(team=other_team, organization=hidden, title="Their private slip")


def test_the_list_filter_suggests_organisations_and_takes_the_typed_name(
        manager_page, organisations):
    page = manager_page
    page.goto("/incidents/")
    page.get_by_text("More filters").click()
    box = page.get_by_label(label("Organisation"))
    box.press_sequentially("acm")
    options = page.locator("#organization-filter-options option")
    expect(options).to_have_count(1)
    expect(options).to_have_attribute("value", "acme-coffee")
    expect(options).to_have_text("Acme Coffee")
    box.fill("Acme Coffee")
    box.press("Enter")
    expect(result_titles(page)).to_have_text(["Acme's cold brew post"])
    expect(page.locator(".chip")).to_have_text(["Organisation: Acme Coffee ×"])


def test_the_log_form_suggests_names_the_team_may_use(manager_page, organisations):
    page = manager_page
    page.goto("/incidents/log/")
    page.get_by_label(label("Organisation")).press_sequentially("acme")
    options = page.locator("#organization-options option")
    expect(options).to_have_count(1)
    expect(options).to_have_attribute("value", "Acme Coffee")
