"""End to end: a manager invites someone from team settings, the invitee follows the emailed
link, chooses a password and lands signed in as a member; the team settings form saves."""

import re

import pytest
from django.core import mail
from playwright.sync_api import Page, expect

from accounts.models import Membership, Role, User
from accounts.services import NAME_TAKEN

from .conftest import sign_in
from .test_incidents import label

pytestmark = pytest.mark.e2e

NEW_PASSWORD = "a-brand-new-long-passphrase"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def shoot(page: Page, shots_dir, name: str) -> None:
    """Full-page screenshots at desktop and phone widths; the page must not scroll sideways."""
    for size, viewport in (("1280", DESKTOP), ("390", PHONE)):
        page.set_viewport_size(viewport)
        page.screenshot(path=str(shots_dir / f"{name}-{size}.png"), full_page=True)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{name} is {overflow}px wider than a {size}px window"
    page.set_viewport_size(DESKTOP)


def test_manager_signs_in_on_the_login_page_and_lands_on_the_incident_list(page, manager):
    sign_in(page, manager.email)
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def test_invited_person_accepts_by_choosing_a_password_and_lands_in_the_team(
        manager_page, browser, live_server, team, manager, shots_dir):
    page = manager_page
    page.goto("/accounts/teams/comms/settings/")
    page.get_by_label(label("Email address")).fill("Newcomer@Example.com")
    page.get_by_label(label("Role")).select_option("viewer")
    page.get_by_role("button", name="Send invitation").click()

    expect(page.locator(".messages")).to_have_text(
        "An invitation has been sent to newcomer@example.com. If they accept it within 7 days, "
        "they join Comms as a viewer.")
    row = page.locator("tr.invitation")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("newcomer@example.com")
    expect(row).to_contain_text("invited, not yet accepted")
    expect(row.get_by_role("button", name="Resend the invitation to newcomer@example.com")
           ).to_be_visible()
    expect(row.get_by_role("button", name="Revoke the invitation to newcomer@example.com")
           ).to_be_visible()
    assert not User.objects.filter(email="newcomer@example.com").exists()
    shoot(page, shots_dir, "team-settings")

    assert [m.to for m in mail.outbox] == [["newcomer@example.com"]]
    link = re.search(r"https?://\S+/accounts/invitation/[\w-]+/", mail.outbox[0].body).group(0)
    path = re.sub(r"^https?://[^/]+", "", link)

    context = browser.new_context(viewport=DESKTOP, base_url=live_server.url)
    invitee = context.new_page()
    try:
        invitee.goto(path)
        expect(invitee.get_by_role("heading", level=1)).to_have_text("Join Comms on Misfire")
        expect(invitee.locator("main, body").first).to_contain_text(
            f"({manager.email}) invited newcomer@example.com to join Comms as a viewer.")
        shoot(invitee, shots_dir, "invitation-accept")
        invitee.get_by_label(label("Your name")).fill("Nia Newcomer")
        invitee.get_by_label(label("Password"), exact=True).fill(NEW_PASSWORD)
        invitee.get_by_label(label("Password again")).fill(NEW_PASSWORD)
        invitee.get_by_role("button", name="Create account and join").click()

        expect(invitee.get_by_role("heading", level=1, name="Incidents")).to_be_visible()
        expect(invitee.locator(".messages")).to_have_text(
            "Welcome to Comms. You joined as a viewer.")
        newcomer = User.objects.get(email="newcomer@example.com")
        assert newcomer.display_name == "Nia Newcomer"
        assert Membership.objects.get(user=newcomer, team=team).role == Role.VIEWER

        invitee.goto(path)
        expect(invitee.get_by_role("heading", level=1)).to_have_text(
            "This invitation has already been used")
    finally:
        context.close()

    page.goto("/accounts/teams/comms/settings/")
    expect(page.locator("tr.invitation")).to_have_count(0)
    expect(page.locator("table.members")).to_contain_text("newcomer@example.com")


def test_manager_changes_the_digest_hour_and_sees_it_saved(manager_page, team):
    page = manager_page
    page.goto("/accounts/teams/comms/settings/")
    expect(page.get_by_label(label("Time zone"))).to_have_value("Europe/London")
    page.get_by_label(label("Digest hour")).select_option(label="16:00")
    page.get_by_role("button", name="Save settings").click()

    expect(page.locator(".messages")).to_have_text("Team settings saved.")
    expect(page.get_by_label(label("Digest hour"))).to_have_value("16")
    team.refresh_from_db()
    assert team.digest_hour == 16


def test_a_look_alike_team_name_is_refused_beside_the_field(manager_page, team, other_team):
    page = manager_page
    page.goto("/accounts/teams/comms/settings/")
    page.get_by_label(label("Name")).fill("E.L.S.E where")
    page.get_by_role("button", name="Save settings").click()

    expect(page.locator("#id_name_error")).to_have_text(NAME_TAKEN)
    expect(page.get_by_label(label("Name"))).to_have_value("E.L.S.E where")
    team.refresh_from_db()
    assert team.name == "Comms"
