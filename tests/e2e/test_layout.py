"""End to end: the layout holds at a laptop's 1,280 px and a phone's 390 px. Long links and
unbroken words wrap instead of widening the page, and the header is one line on the laptop
and a menu behind an accessible button on the phone (links shown as they are without JS)."""

import pytest
from playwright.sync_api import Page, expect

from learnings.services import learning_create_from_incidents

from ..factories import IncidentFactory, OrganizationFactory, SourceFactory, cause
from .conftest import TIMEOUT_MS, sign_in

pytestmark = pytest.mark.e2e

LONG_URL = "https://news.example.com/" + "a" * 150 + "/" + "b" * 124  # 300 characters
LONG_WORD = "Unbelievably" + "long" * 22  # 100 letters without a space
WIDTHS = (1280, 390)


@pytest.fixture
def long_pages(team, manager, member, other_team, outsider):
    """An own incident and a library one with a 300-character source link and unbroken words,
    and a learning drawn from them: the four pages the long words reach."""
    assert len(LONG_URL) == 300
    own = IncidentFactory(team=team, created_by=member, title=f"Post {LONG_WORD} went out",
                          summary=f"It said {LONG_WORD * 3} to everyone. See {LONG_URL}",
                          primary_cause=cause("production-slip"),
                          organization=OrganizationFactory(name="Northwind"))
    own.sources.add(SourceFactory(url=LONG_URL))
    library = IncidentFactory(team=other_team, created_by=outsider, visibility="library",
                              origin="external", title=f"Library {LONG_WORD} case",
                              summary=LONG_WORD * 2, primary_cause=cause("production-slip"))
    library.sources.add(SourceFactory(url=LONG_URL + "/library"))
    learning, _ = learning_create_from_incidents(
        user=member, team=team, incident_ids=[own.public_id, library.public_id],
        title=f"Check {LONG_WORD} first", lesson=f"{LONG_WORD} {LONG_URL}",
        practice=LONG_WORD * 2)
    return {
        "incident page": own.get_absolute_url(),
        "library incident page": library.get_absolute_url(),
        "incident list": "/incidents/",
        "library": "/library/",
        "learning page": learning.get_absolute_url(),
        "learnings list": "/learnings/",
    }


def page_width(page: Page) -> tuple[int, int]:
    return tuple(page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]"))


@pytest.mark.parametrize("width", WIDTHS)
def test_long_links_and_words_never_widen_the_page(manager_page, long_pages, width, shots_dir):
    page = manager_page
    page.set_viewport_size({"width": width, "height": 900})
    widths = {}
    for name, url in long_pages.items():
        page.goto(url)
        expect(page.locator("main h1")).to_be_visible()
        widths[name] = page_width(page)
        page.screenshot(path=shots_dir / f"long-{name.replace(' ', '-')}-{width}.png",
                        full_page=True)
    assert widths == dict.fromkeys(long_pages, (width, width))
    # The long link is on the incident page, whole, and inside its section.
    page.goto(long_pages["incident page"])
    link = page.locator(f'main a[href="{LONG_URL}"]').first
    expect(link).to_be_visible()
    box = link.bounding_box()
    assert box["x"] >= 0
    assert box["x"] + box["width"] <= width


def header_height(page: Page) -> float:
    return page.locator("header.topbar").bounding_box()["height"]


def test_the_header_is_one_line_at_1280_px(manager_page, team, manager, shots_dir):
    page = manager_page
    team.name = "Northwind Coffee communications"
    team.save()
    page.goto("/learnings/")
    menu_button = page.get_by_role("button", name="Menu")
    expect(menu_button).to_be_hidden()
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="My actions")).to_be_visible()
    expect(page.get_by_role("link", name="Log an incident")).to_be_visible()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    # One line: as tall as one button row, and every item on the same row.
    assert header_height(page) < 64
    tops = page.locator("header.topbar a, header.topbar button:visible").evaluate_all(
        "els => els.filter(e => e.offsetParent).map(e => Math.round("
        "e.getBoundingClientRect().top + e.getBoundingClientRect().height / 2))")
    assert max(tops) - min(tops) <= 4, tops
    assert page_width(page) == (1280, 1280)
    page.screenshot(path=shots_dir / "header-1280.png")


def test_the_header_collapses_behind_a_menu_button_on_a_phone(manager_page, shots_dir):
    page = manager_page
    page.set_viewport_size({"width": 390, "height": 800})
    page.goto("/learnings/")
    nav = page.get_by_role("navigation", name="Main")
    menu_button = page.get_by_role("button", name="Menu")
    expect(menu_button).to_be_visible()
    expect(menu_button).to_have_attribute("aria-expanded", "false")
    expect(nav).to_be_hidden()
    expect(page.get_by_role("button", name="Sign out")).to_be_hidden()
    closed = header_height(page)
    assert closed < 64
    page.screenshot(path=shots_dir / "header-390-closed.png")

    menu_button.click()
    expect(menu_button).to_have_attribute("aria-expanded", "true")
    expect(nav.get_by_role("link", name="My actions")).to_be_visible()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    assert header_height(page) > closed + 100
    assert page_width(page) == (390, 390)
    page.screenshot(path=shots_dir / "header-390-open.png")
    nav.get_by_role("link", name="My actions").click()
    expect(page.get_by_role("heading", level=1, name="My actions")).to_be_visible()
    expect(page.get_by_role("button", name="Menu")).to_have_attribute("aria-expanded", "false")

    # By keyboard: Enter opens it, Escape closes it and gives the focus back to the button.
    menu_button = page.get_by_role("button", name="Menu")
    menu_button.focus()
    page.keyboard.press("Enter")
    expect(menu_button).to_have_attribute("aria-expanded", "true")
    page.keyboard.press("Tab")
    expect(nav.get_by_role("link", name="Dashboard")).to_be_focused()  # the first link
    page.keyboard.press("Escape")
    expect(menu_button).to_have_attribute("aria-expanded", "false")
    expect(menu_button).to_be_focused()
    expect(nav).to_be_hidden()


def test_without_javascript_the_phone_header_shows_its_links(browser, live_server, taxonomy,
                                                             manager, shots_dir):
    context = browser.new_context(viewport={"width": 390, "height": 800},
                                  base_url=live_server.url, java_script_enabled=False)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    try:
        sign_in(page, manager.email)
        expect(page.get_by_role("button", name="Menu")).to_be_hidden()
        nav = page.get_by_role("navigation", name="Main")
        expect(nav.get_by_role("link", name="My actions")).to_be_visible()
        expect(page.get_by_role("button", name="Sign out")).to_be_visible()
        assert page_width(page) == (390, 390)
        page.screenshot(path=shots_dir / "header-390-nojs.png")
    finally:
        context.close()
