"""Browser fixtures: one headless Debian Chromium per session, a fresh context and page per
test, the taxonomy re-seeded after live-server flushes, and a manager already signed in (a
session cookie, as after signing in; sign_in goes through the real login page for the tests
about signing in).

Playwright's sync API runs an event loop in the test thread, so Django's ORM calls made from
the test (factories, counts) would trip Django's async-safety check: allow them.
"""

import importlib
import os
from pathlib import Path

import pytest
from django.apps import apps as django_apps
from django.conf import settings
from django.test import Client
from playwright.sync_api import Page, expect, sync_playwright

from incidents.models import RootCause

from ..conftest import PASSWORD

# Read by Django at each ORM call, so setting it here (before any test runs) is enough.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT_MS = 10_000
SHOTS = Path("/tmp/misfire-shots")  # noqa: S108  (where the screenshots are looked at)
expect.set_options(timeout=TIMEOUT_MS)


@pytest.fixture(scope="session")
def browser(chromium_path):
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def taxonomy(live_server):
    """The 13 root causes and the factors. The data migration seeds them, but the flush after
    each live-server (transactional) test removes them: seed again when they are missing."""
    if RootCause.objects.count() != 13:
        migration = importlib.import_module("incidents.migrations.0002_seed_taxonomy")
        migration.seed(django_apps, None)
    assert RootCause.objects.count() == 13


@pytest.fixture
def page(browser, live_server, taxonomy):
    context = browser.new_context(viewport={"width": 1280, "height": 900},
                                  base_url=live_server.url)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.set_default_navigation_timeout(TIMEOUT_MS)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


def sign_in(page: Page, email: str, password: str = PASSWORD) -> None:
    page.goto("/accounts/login/")
    page.locator("input[name=username]").fill(email)
    page.locator("input[name=password]").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1, name="Incidents")).to_be_visible()


def signed_in(page: Page, user, base_url: str) -> None:
    """Give the page's browser context the session cookie a sign-in would have set: one page
    load instead of three, for the tests that are not about signing in."""
    client = Client()
    client.force_login(user)
    page.context.add_cookies([{
        "name": settings.SESSION_COOKIE_NAME,
        "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
        "url": base_url,
    }])


@pytest.fixture
def manager_page(page, manager, live_server):
    """A page signed in as the Comms team's manager, on the incident list."""
    signed_in(page, manager, live_server.url)
    page.goto("/incidents/")
    expect(page.get_by_role("heading", level=1, name="Incidents")).to_be_visible()
    return page


@pytest.fixture
def shots_dir():
    SHOTS.mkdir(parents=True, exist_ok=True)
    return SHOTS
