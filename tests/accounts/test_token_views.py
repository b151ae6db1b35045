"""The API tokens section of the profile page: make a token and see its key once, list one's
own tokens (never anyone else's), revoke one; with and without htmx."""

import hashlib
import re
from datetime import UTC, datetime

import pytest
from django.urls import reverse

from accounts.models import ApiToken, Role, User
from accounts.services import (
    TOKEN_NAME_REQUIRED,
    TOKEN_TEAM_REFUSED,
    token_create,
    token_for_key,
)
from tests.conftest import built_once
from tests.factories import MembershipFactory, TeamFactory, UserFactory

PROFILE = reverse("accounts:profile")
CREATE = reverse("accounts:token-create")
KEY = re.compile(r"mf_[a-z0-9]{8}_[A-Za-z0-9]{40}")
HTMX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "api-tokens"}


class World:
    """Maya (Comms member, Press viewer), Nina her Comms teammate, Omar of Elsewhere; Nina and
    Omar already hold tokens Maya must never see."""

    def __init__(self):
        self.comms = TeamFactory(name="Comms", slug="comms")
        self.press = TeamFactory(name="Press", slug="press")
        self.elsewhere = TeamFactory(name="Elsewhere", slug="elsewhere")
        self.maya = UserFactory(email="maya@example.com", timezone="Europe/London")
        self.nina = UserFactory(email="nina@example.com")
        self.omar = UserFactory(email="omar@example.com")
        MembershipFactory(user=self.maya, team=self.comms, role=Role.MEMBER)
        MembershipFactory(user=self.maya, team=self.press, role=Role.VIEWER)
        MembershipFactory(user=self.nina, team=self.comms, role=Role.MANAGER)
        MembershipFactory(user=self.omar, team=self.elsewhere, role=Role.MANAGER)
        self.ninas, _ = token_create(user=self.nina, name="Nina's comms export",
                                     team=self.comms)
        self.omars, _ = token_create(user=self.omar, name="Omar's secret pipeline")


@pytest.fixture(scope="module")
def built(django_db_setup, django_db_blocker):
    with built_once(django_db_blocker):
        yield World()


@pytest.fixture
def world(built, db):
    return built


@pytest.fixture
def maya(client, world):
    client.force_login(world.maya)
    return client


def text(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode())).strip()


def assert_others_hidden(response, world) -> None:
    html = response.content.decode()
    for token in (world.ninas, world.omars):
        assert token.name.replace("'", "&#x27;") not in html
        assert token.prefix not in html


def test_a_person_without_tokens_is_told_how_to_make_one(maya, world):
    response = maya.get(PROFILE)
    assert response.status_code == 200
    body = text(response)
    assert "API tokens" in body
    assert "You have no API tokens yet." in body
    assert_others_hidden(response, world)
    html = response.content.decode()
    # Labelled fields; the team choice offers Maya's own teams only.
    for field, label in (("name", "Token name"), ("read_only", "Read-only"), ("team", "Team")):
        assert f'<label for="id_{field}">{label}' in html
    assert re.findall(r'<option value="([^"]*)"', html.split('id="id_team"')[1].split(
        "</select>")[0]) == ["", "comms", "press"]
    assert "All your teams" in html


def test_making_a_token_shows_its_key_once_then_only_its_prefix(maya, world):
    response = maya.post(CREATE, {"name": "Quarterly notebook", "read_only": "on",
                                  "team": "press"})
    assert response.status_code == 200
    html = response.content.decode()
    keys = set(KEY.findall(html))
    assert len(keys) == 1
    key = keys.pop()
    token = ApiToken.objects.get(user=world.maya)
    assert (token.name, token.read_only, token.team) == ("Quarterly notebook", True,
                                                         world.press)
    assert token.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert f'id="new-token-key" value="{key}" readonly' in html
    assert "you will not see it again" in text(response)
    assert set(response.headers["Cache-Control"].replace(" ", "").split(",")) >= {
        "private", "no-store"}
    # The profile form on this page still saves the profile, not another token.
    assert f'action="{PROFILE}"' in html

    again = maya.get(PROFILE)
    assert key not in again.content.decode()
    assert key.split("_")[2][:6] not in again.content.decode()
    body = text(again)
    assert f"Quarterly notebook mf_{token.prefix}_… Read-only Press only" in body
    assert "Last used never" in body
    assert_others_hidden(again, world)


def test_with_htmx_only_the_tokens_section_comes_back(maya, world):
    response = maya.post(CREATE, {"name": "Sheets"}, **HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    assert '<section id="api-tokens"' in html
    assert len(set(KEY.findall(html))) == 1
    assert "Sheets mf_" in text(response)
    assert "Read and write All your teams" in text(response)


def test_the_list_says_when_each_token_was_made_and_last_used_in_the_persons_time(
        maya, world, time_machine):
    time_machine.move_to(datetime(2026, 7, 1, 8, 30, tzinfo=UTC), tick=False)
    token, key = token_create(user=world.maya, name="Used one")
    time_machine.move_to(datetime(2026, 7, 2, 16, 5, tzinfo=UTC), tick=False)
    token_for_key(key)
    body = text(maya.get(PROFILE))
    # Europe/London is UTC+1 in July.
    assert "Created 1 Jul 2026, 09:30 · Last used 2 Jul 2026, 17:05" in body


def test_a_blank_name_is_refused_beside_the_field_and_nothing_is_made(maya, world):
    response = maya.post(CREATE, {"name": "  ", "team": ""})
    assert response.status_code == 422
    html = response.content.decode()
    assert re.search(r'<ul class="errorlist" id="id_name_error" role="alert"><li>'
                     + re.escape(TOKEN_NAME_REQUIRED), html)
    assert not KEY.search(html)
    assert not ApiToken.objects.filter(user=world.maya).exists()


def test_a_name_too_long_is_refused_beside_the_field(maya, world):
    response = maya.post(CREATE, {"name": "x" * 81}, **HTMX)
    assert response.status_code == 200  # so that htmx swaps the errors in
    assert "A token name has at most 80 characters (this one has 81)." in text(response)
    assert not ApiToken.objects.filter(user=world.maya).exists()


def test_a_duplicate_name_is_refused_beside_the_field_keeping_what_was_typed(maya, world):
    token_create(user=world.maya, name="Sheets")
    response = maya.post(CREATE, {"name": "sheets"})
    assert response.status_code == 422
    html = response.content.decode()
    assert "You already have a token called “sheets”." in text(response)
    assert 'id="id_name_error"' in html
    assert 'value="sheets"' in html
    assert ApiToken.objects.filter(user=world.maya).count() == 1


@pytest.mark.parametrize("team", ["elsewhere", "no-such-team", "'; drop table x", "x" * 300])
def test_another_teams_slug_is_refused_in_the_same_words_as_a_missing_one(maya, world, team):
    response = maya.post(CREATE, {"name": "Sneaky", "team": team})
    assert response.status_code == 422
    errors = re.findall(r'id="id_team_error" role="alert"><li>([^<]*)</li>',
                        response.content.decode())
    assert errors == [TOKEN_TEAM_REFUSED]
    assert "Elsewhere" not in text(response)
    assert not ApiToken.objects.filter(user=world.maya).exists()


def test_revoking_takes_the_token_off_the_list_and_says_so(maya, world):
    token, _ = token_create(user=world.maya, name="Old script")
    kept, _ = token_create(user=world.maya, name="Kept script")
    response = maya.post(reverse("accounts:token-revoke", args=[token.public_id]))
    assert response.status_code == 302
    assert response.url == PROFILE
    page = maya.get(PROFILE)
    body = text(page)
    assert "The token “Old script” was revoked" in body
    assert "Old script mf_" not in body
    assert "Kept script mf_" in body
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_revoking_with_htmx_answers_the_section_with_a_notice(maya, world):
    token, _ = token_create(user=world.maya, name="Old script")
    response = maya.post(reverse("accounts:token-revoke", args=[token.public_id]), **HTMX)
    assert response.status_code == 200
    assert "<html" not in response.content.decode()
    body = text(response)
    assert body.count("The token “Old script” was revoked") == 1
    assert "You have no API tokens yet." in body


def test_revoking_twice_changes_nothing_more(maya, world):
    token, _ = token_create(user=world.maya, name="Old script")
    url = reverse("accounts:token-revoke", args=[token.public_id])
    maya.post(url)
    revoked_at = ApiToken.objects.get(pk=token.pk).revoked_at
    assert maya.post(url).status_code == 302
    assert ApiToken.objects.get(pk=token.pk).revoked_at == revoked_at
    assert token.history.count() == 2


@pytest.mark.parametrize("whose", ["ninas", "omars"])
def test_nobody_can_revoke_or_see_anothers_token(maya, world, whose):
    token = getattr(world, whose)
    response = maya.post(reverse("accounts:token-revoke", args=[token.public_id]))
    assert response.status_code == 404
    assert ApiToken.objects.get(pk=token.pk).revoked_at is None
    assert_others_hidden(maya.get(PROFILE), world)


def test_revoke_answers_only_post(maya, world):
    token, _ = token_create(user=world.maya, name="Old script")
    url = reverse("accounts:token-revoke", args=[token.public_id])
    assert maya.get(url).status_code == 405
    assert maya.get(CREATE).status_code == 405


def test_a_token_for_a_team_left_is_marked_as_no_longer_working(maya, world):
    token_create(user=world.maya, name="Press feed", team=world.press)
    world.maya.memberships.filter(team=world.press).delete()
    body = text(maya.get(PROFILE))
    assert "Press feed mf_" in body
    assert "You are no longer in Press, so this token no longer works." in body


@pytest.mark.parametrize("count", [1, 6])
def test_the_profile_page_reads_the_tokens_in_a_fixed_number_of_queries(
        maya, world, count, django_assert_num_queries):
    for n in range(count):
        token_create(user=world.maya, name=f"Script {n}",
                     team=world.comms if n % 2 else None)
    maya.get(PROFILE)  # warm the session and the time zone list
    with django_assert_num_queries(PROFILE_QUERIES):
        assert maya.get(PROFILE).status_code == 200


# session, user, memberships (header), the tokens with their teams, the team choices.
PROFILE_QUERIES = 5


def test_the_admin_lists_tokens_without_their_hash_and_changes_none(client, world):
    staff = User.objects.create_superuser("admin@example.com", "correct-horse-battery")
    client.force_login(staff)
    listing = client.get(reverse("admin:accounts_apitoken_changelist"))
    assert listing.status_code == 200
    assert "Omar&#x27;s secret pipeline" in listing.content.decode()
    detail = client.get(reverse("admin:accounts_apitoken_change", args=[world.omars.pk]))
    assert detail.status_code == 200
    assert world.omars.key_hash not in detail.content.decode()
    assert client.post(reverse("admin:accounts_apitoken_delete", args=[world.omars.pk]),
                       {"post": "yes"}).status_code == 403
    assert ApiToken.objects.filter(pk=world.omars.pk).exists()
