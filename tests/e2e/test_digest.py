"""End to end: the digest's pages in a real Chromium. A member changes a digest choice on the
profile; a manager changes the digest hour and sees the digest section follow; the preview
shows the email in its sandboxed frame; the unsubscribe link asks, then unsubscribes. Each
page is looked at 1,280 and 390 px wide (screenshots in /tmp/shots-pages/) and must not
scroll sideways."""

import datetime as dt
import re
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from accounts.models import Membership
from dashboards.digests import unsubscribe_token
from dashboards.models import DeliveryStatus, DigestDelivery

from ..factories import IncidentFactory
from .conftest import signed_in
from .test_incidents import label

pytestmark = pytest.mark.e2e

SHOTS = Path("/tmp/shots-pages")  # noqa: S108  (where the screenshots are looked at)
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture
def shots():
    SHOTS.mkdir(parents=True, exist_ok=True)
    return SHOTS


def look(page: Page, shots: Path, name: str) -> None:
    """Full-page screenshots at desktop and phone widths; the page must not scroll sideways."""
    for size, viewport in (("1280", DESKTOP), ("390", PHONE)):
        page.set_viewport_size(viewport)
        page.screenshot(path=str(shots / f"{name}-{size}.png"), full_page=True)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{name} is {overflow}px wider than a {size}px window"
    page.set_viewport_size(DESKTOP)


def test_a_member_turns_the_digest_on_in_the_profile(page, live_server, team, member, shots):
    signed_in(page, member, live_server.url)
    page.goto("/accounts/profile/#digest")
    comms = page.get_by_role("group", name="Comms")
    receive = comms.get_by_label("Receive the weekly digest")
    expect(receive).not_to_be_checked()
    look(page, shots, "profile-digest")
    receive.check()
    page.get_by_role("button", name="Save digest choices").click()

    expect(page.locator(".messages")).to_have_text("Digest choices saved: Comms, receive it.")
    expect(page.get_by_role("group", name="Comms").get_by_label("Receive the weekly digest")
           ).to_be_checked()
    assert page.url.endswith("/accounts/profile/#digest")
    assert Membership.objects.get(user=member, team=team).receives_digest is True


def test_a_manager_changes_the_digest_hour_and_the_digest_section_follows(
        manager_page, team, manager, member, shots):
    DigestDelivery.objects.create(team=team, user=manager, period_start=dt.date(2026, 11, 9),
                                  status=DeliveryStatus.SENT, sent_at=timezone.now())
    DigestDelivery.objects.create(team=team, user=member, period_start=dt.date(2026, 11, 9),
                                  status=DeliveryStatus.FAILED,
                                  error="550 5.1.1 member@example.com: mailbox unavailable")
    page = manager_page
    page.goto("/accounts/teams/comms/settings/")
    section = page.locator("#digest")
    expect(section).to_contain_text("It goes out every Monday at 09:00, Europe/London time")
    expect(section.locator(f"#delivery-{Membership.objects.get(user=member).public_id}")
           ).to_contain_text("Failed · week of 9 Nov 2026 550 5.1.1 member@example.com: "
                             "mailbox unavailable")
    look(page, shots, "team-settings-digest")
    page.get_by_label(label("Digest hour")).select_option(label="07:00")
    page.get_by_role("button", name="Save settings").click()

    expect(page.locator(".messages")).to_have_text("Team settings saved.")
    expect(page.locator("#digest")).to_contain_text(
        "It goes out every Monday at 07:00, Europe/London time")
    expect(page.get_by_label(label("Digest hour"))).to_have_value("7")
    team.refresh_from_db()
    assert team.digest_hour == 7


def test_the_preview_shows_the_email_in_its_sandboxed_frame(page, live_server, team, member,
                                                            manager, shots):
    week = team.today() - dt.timedelta(days=7)
    IncidentFactory(team=team, created_by=member, title="Spring sale post went out twice",
                    occurred_on=week)
    signed_in(page, member, live_server.url)
    page.goto("/teams/comms/digest/?week=" + (week - dt.timedelta(days=week.weekday()))
              .isoformat())
    expect(page.get_by_role("heading", level=1)).to_have_text("Comms weekly digest")
    expect(page.locator("#digest-subject")).to_contain_text("Comms weekly digest")
    frame = page.frame_locator("iframe.digest-frame")
    expect(frame.get_by_role("heading", level=1)).to_contain_text("Comms:")
    expect(frame.get_by_text("Spring sale post went out twice")).to_be_visible()
    # No script may run in it, and it reads nothing of the page around it.
    assert page.locator("iframe.digest-frame").get_attribute("sandbox") == (
        "allow-popups allow-popups-to-escape-sandbox")
    height = page.locator("iframe.digest-frame").bounding_box()["height"]
    assert height >= 500
    page.get_by_text("Plain-text version").click()
    expect(page.locator(".digest-text pre")).to_contain_text("Spring sale post went out twice")
    look(page, shots, "digest-preview")

    page.get_by_label("Week starting on Monday").fill("2026-11-17")
    page.get_by_role("button", name="Show week").click()
    expect(page.locator("#id_week_error")).to_have_text(
        "A week is named by its Monday: 17 November 2026 is a Tuesday; that week's Monday "
        "is 16 November 2026.")
    look(page, shots, "digest-preview-error")


def test_the_unsubscribe_link_asks_then_unsubscribes(page, team, member, shots):
    membership = Membership.objects.get(user=member, team=team)
    membership.receives_digest = True
    membership.save()
    page.goto(f"/digest/unsubscribe/{unsubscribe_token(membership)}/")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Unsubscribe from the weekly digest?")
    membership.refresh_from_db()
    assert membership.receives_digest is True
    look(page, shots, "unsubscribe-confirm")
    page.get_by_role("button", name="Unsubscribe").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("You are unsubscribed")
    expect(page.get_by_role("link", name="profile")).to_have_attribute(
        "href", re.compile(r"/accounts/profile/#digest$"))
    membership.refresh_from_db()
    assert membership.receives_digest is False
    look(page, shots, "unsubscribe-done")

    page.goto(f"/digest/unsubscribe/{unsubscribe_token(membership)[:-3]}/")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "This unsubscribe link is not valid")
    look(page, shots, "unsubscribe-invalid")
