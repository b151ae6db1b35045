"""End to end: the team dashboard and the library dashboard in a real Chromium: the charts are
drawn without a console error, the period changes in place and in the address, and a bar
opens the incident list of what it counts."""

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Page, expect

from ..factories import IncidentFactory, cause

pytestmark = pytest.mark.e2e

DASHBOARD = "/teams/comms/dashboard/"


def console_errors(page: Page) -> list[str]:
    """Every console error of the page from now on (a failed load, an exception)."""
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text)
            if message.type == "error" else None)
    return errors


def chart_drawn(page: Page, canvas_id: str) -> bool:
    return page.evaluate(
        "id => Boolean(window.Chart && Chart.getChart(document.getElementById(id)))", canvas_id)


def mark_document(page: Page) -> None:
    """Tag the current document; a full page load loses the tag, an htmx swap keeps it."""
    page.evaluate("window.__misfireSameDocument = true")


def assert_same_document(page: Page) -> None:
    assert page.evaluate("window.__misfireSameDocument === true"), "the page was reloaded"


@pytest.fixture
def incidents(team, manager, other_team, outsider):
    today = team.today()
    own = IncidentFactory(team=team, created_by=manager, title="Our own slip this month",
                          occurred_on=today - timedelta(days=3), primary_cause=cause())
    external = IncidentFactory(team=team, created_by=manager, title="Their failure we logged",
                               origin="external", visibility="library",
                               occurred_on=today - timedelta(days=40),
                               primary_cause=cause("insensitive-timing"))
    IncidentFactory(team=team, created_by=manager, title="Our older slip",
                    occurred_on=today - timedelta(days=200), primary_cause=cause())
    IncidentFactory(team=other_team, created_by=outsider, title="Elsewhere's secret misstep",
                    occurred_on=today - timedelta(days=3), primary_cause=cause())
    return {"own": own, "external": external}


def test_the_dashboard_draws_its_charts_without_console_errors(manager_page, incidents):
    page = manager_page
    errors = console_errors(page)
    page.get_by_role("link", name="Dashboard", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Comms dashboard")
    expect(page.locator("canvas#chart-weeks")).to_be_visible()
    expect(page.locator("canvas#chart-causes")).to_be_visible()
    assert chart_drawn(page, "chart-weeks")
    assert chart_drawn(page, "chart-causes")
    # The chart holds the numbers of the table under it.
    own = page.evaluate("Chart.getChart(document.getElementById('chart-weeks'))"
                        ".data.datasets[0].data.reduce((a, b) => a + b, 0)")
    assert own == 1
    expect(page.get_by_text("Elsewhere's secret misstep")).to_have_count(0)
    assert errors == []


def test_changing_the_period_updates_the_dashboard_in_place_and_the_address(
        manager_page, incidents, team):
    page = manager_page
    errors = console_errors(page)
    page.goto(DASHBOARD)
    expect(page.locator(".period-title")).to_contain_text("Last 90 days")
    mark_document(page)

    page.get_by_role("button", name="12 months").click()
    expect(page.locator(".period-title")).to_contain_text("Last 12 months")
    expect(page).to_have_url(f"{DASHBOARD}?period=12m")  # relative: base_url is the server
    expect(page.get_by_role("button", name="12 months")).to_have_attribute("aria-pressed", "true")
    expect(page.get_by_role("link", name="Our older slip")).to_be_visible()
    assert_same_document(page)
    assert chart_drawn(page, "chart-weeks")  # drawn again on the new canvas

    today = team.today()
    start, end = today - timedelta(days=10), today - timedelta(days=1)
    page.get_by_label("From").fill(start.isoformat())
    page.get_by_label("To").fill(end.isoformat())
    page.get_by_role("button", name="Show range").click()
    expect(page).to_have_url(f"{DASHBOARD}?from={start.isoformat()}&to={end.isoformat()}")
    expect(page.locator(".count")).to_contain_text("1 own and 0 external incidents")
    assert_same_document(page)

    # The address is shareable: loaded afresh, it shows the same period.
    page.reload()
    expect(page.locator(".count")).to_contain_text("1 own and 0 external incidents")
    expect(page.get_by_label("From")).to_have_value(start.isoformat())
    assert errors == []


def test_a_refused_range_is_shown_beside_the_field_in_place(manager_page, incidents, team):
    page = manager_page
    page.goto(DASHBOARD)
    mark_document(page)
    today = team.today()
    page.get_by_label("From").fill((today - timedelta(days=1)).isoformat())
    page.get_by_label("To").fill((today - timedelta(days=5)).isoformat())
    page.get_by_role("button", name="Show range").click()
    expect(page.locator("#id_from_error")).to_have_text(
        "The range must start on or before its last day.")
    expect(page.get_by_text("Choose a period above to see the numbers.")).to_be_visible()
    assert_same_document(page)


def test_clicking_a_bar_opens_the_incident_list_of_that_week(
        browser, live_server, taxonomy, manager, incidents, team):
    from .conftest import signed_in

    # Without animation, the bars stand where Chart.js says they are from the first frame.
    context = browser.new_context(viewport={"width": 1280, "height": 900},
                                  base_url=live_server.url, reduced_motion="reduce")
    page = context.new_page()
    errors = console_errors(page)
    signed_in(page, manager, live_server.url)
    page.goto(DASHBOARD + "?period=30d")
    canvas = page.locator("canvas#chart-weeks")
    expect(canvas).to_be_visible()
    # The week with the own incident, and the middle of its own (first) bar in the canvas.
    bar = page.evaluate("""() => {
        const chart = Chart.getChart(document.getElementById('chart-weeks'));
        const index = chart.data.datasets[0].data.findIndex(n => n > 0);
        const props = chart.getDatasetMeta(0).data[index].getProps(['x', 'y', 'base'], true);
        return {index, x: props.x, y: (props.y + props.base) / 2,
                link: chart.data.datasets[0].links[index]};
    }""")
    canvas.click(position={"x": bar["x"], "y": bar["y"]})
    expect(page.get_by_role("heading", level=1)).to_have_text("Incidents")

    own = incidents["own"].occurred_on
    monday = own - timedelta(days=own.weekday())
    start = team.today() - timedelta(days=29)
    query = parse_qs(urlsplit(page.url).query)
    assert urlsplit(page.url).path == "/incidents/"
    assert query == {
        "team": ["comms"], "origin": ["own"],
        "occurred_after": [max(monday, start).isoformat()],
        "occurred_before": [min(monday + timedelta(days=6), team.today()).isoformat()],
    }
    assert page.url.endswith(bar["link"])
    rows = page.locator("#incident-results tbody tr td:nth-child(2) a")
    expect(rows).to_have_text(["Our own slip this month"])
    expect(page.locator("#id_team")).to_have_value("comms")
    context.close()
    assert errors == []


def test_clicking_a_table_row_opens_the_list_of_that_cause(manager_page, incidents):
    page = manager_page
    page.goto(DASHBOARD)
    page.locator("section[aria-labelledby=causes-title] tbody tr").filter(
        has_text="Insensitive timing").locator("td").last.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Incidents")
    rows = page.locator("#incident-results tbody tr td:nth-child(2) a")
    expect(rows).to_have_text(["Their failure we logged"])


def test_the_library_dashboard_draws_its_charts_without_console_errors(
        manager_page, incidents):
    page = manager_page
    errors = console_errors(page)
    page.get_by_role("link", name="Library", exact=True).click()
    page.get_by_role("link", name="Library stats").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Library stats")
    for name in ("causes-by-year", "platforms", "organizations", "responses", "scores"):
        expect(page.locator(f"canvas#chart-{name}")).to_be_visible()
        assert chart_drawn(page, f"chart-{name}")
    expect(page.get_by_text("Elsewhere's secret misstep")).to_have_count(0)
    assert errors == []


def test_going_back_reloads_the_earlier_period_and_keeps_no_page_in_the_tabs_storage(
        manager_page, incidents):
    """htmx would keep copies of the pages it swapped in the tab's sessionStorage, private
    numbers included, until the tab closes; with no such cache, Back loads the earlier
    address from the server."""
    page = manager_page
    errors = console_errors(page)
    page.goto(DASHBOARD)
    page.get_by_role("button", name="12 months").click()
    expect(page).to_have_url(f"{DASHBOARD}?period=12m")
    expect(page.get_by_role("link", name="Our older slip")).to_be_visible()
    assert page.evaluate("sessionStorage.getItem('htmx-history-cache')") is None

    page.go_back()
    expect(page).to_have_url(DASHBOARD)
    expect(page.locator(".period-title")).to_contain_text("Last 90 days")
    expect(page.get_by_role("link", name="Our older slip")).to_have_count(0)
    assert chart_drawn(page, "chart-weeks")
    assert page.evaluate("sessionStorage.getItem('htmx-history-cache')") is None
    assert errors == []
