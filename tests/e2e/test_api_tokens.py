"""End to end: on the profile page a manager makes an API token, copies its key (shown once),
finds only its prefix after a reload, sees when it was last used, and revokes it; the tokens of
a teammate and of another team's manager never show."""

import re

import pytest
from playwright.sync_api import Page, expect

from accounts.models import ApiToken
from accounts.services import TOKEN_NAME_REQUIRED, token_create, token_for_key

from .test_accounts import shoot
from .test_incidents import label

pytestmark = pytest.mark.e2e

KEY = re.compile(r"^mf_[a-z0-9]{8}_[A-Za-z0-9]{40}$")


def tokens_section(page: Page):
    return page.locator("#api-tokens")


def test_a_manager_makes_copies_uses_and_revokes_a_token_seeing_only_their_own(
        manager_page, manager, member, outsider, live_server, shots_dir):
    token_create(user=member, name="Member's export")
    token_create(user=outsider, name="Elsewhere pipeline")
    page = manager_page
    page.context.grant_permissions(["clipboard-read", "clipboard-write"],
                                   origin=live_server.url)
    page.goto("/accounts/profile/")
    section = tokens_section(page)
    expect(section.get_by_role("heading", name="API tokens")).to_be_visible()
    expect(section).to_contain_text("You have no API tokens yet.")

    # A name is required: said beside the field, in place.
    section.get_by_role("button", name="Create token").click()
    expect(page.locator("#id_name_error")).to_have_text(TOKEN_NAME_REQUIRED)
    assert not ApiToken.objects.filter(user=manager).exists()

    page.get_by_label(label("Token name")).fill("Quarterly notebook")
    page.get_by_label(label("Read-only")).check()
    page.get_by_label(label("Team")).select_option(label="Comms")
    page.get_by_role("button", name="Create token").click()

    key_field = page.get_by_label("Key of “Quarterly notebook”")
    expect(key_field).to_be_visible()
    key = key_field.input_value()
    assert KEY.match(key)
    expect(section).to_contain_text("you will not see it again")
    page.get_by_role("button", name="Copy key").click()
    expect(section.locator(".copy-status")).to_have_text("Copied to the clipboard.")
    assert page.evaluate("navigator.clipboard.readText()") == key
    shoot(page, shots_dir, "profile-new-token")

    token = ApiToken.objects.get(user=manager)
    assert (token.name, token.read_only, token.team.slug) == ("Quarterly notebook", True,
                                                               "comms")

    page.reload()
    expect(page.get_by_label("Key of “Quarterly notebook”")).to_have_count(0)
    assert key not in page.content()
    row = section.locator(f"#token-{token.public_id}")
    expect(row).to_contain_text(f"Quarterly notebook mf_{token.prefix}_…")
    expect(row).to_contain_text("Read-only")
    expect(row).to_contain_text("Comms only")
    expect(row).to_contain_text("Last used never")
    expect(section.locator("li")).to_have_count(1)
    for others in ("Member's export", "Elsewhere pipeline"):
        expect(page.locator("main")).not_to_contain_text(others)

    assert token_for_key(key) == token  # as an API request would
    page.reload()
    expect(row).not_to_contain_text("Last used never")
    expect(row).to_contain_text(re.compile(r"Last used \d{1,2} \w{3} \d{4}, \d\d:\d\d"))
    shoot(page, shots_dir, "profile-tokens")

    # Revoking asks first.
    confirm = row.get_by_role("button", name="Yes, revoke “Quarterly notebook”")
    expect(confirm).to_be_hidden()
    row.get_by_text("Revoke…").click()
    confirm.click()
    expect(section.get_by_role("status")).to_contain_text(
        "The token “Quarterly notebook” was revoked")
    expect(section).to_contain_text("You have no API tokens yet.")
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert token_for_key(key) is None
    page.reload()
    expect(section).not_to_contain_text("Quarterly notebook")
