"""Personal API tokens: made with a key shown once and stored hashed, found by the key's
prefix, refused once revoked, limited to the owner's own teams, and each use recorded at most
once a minute."""

import hashlib
import re
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.utils import timezone

from accounts.models import ApiToken, Membership, Role, Team
from accounts.services import (
    TOKEN_NAME_REQUIRED,
    TOKEN_TEAM_REFUSED,
    TOKENS_PER_USER,
    token_create,
    token_for_key,
    token_revoke,
)
from tests.conftest import built_once
from tests.factories import MembershipFactory, TeamFactory, UserFactory

KEY_SHAPE = re.compile(r"mf_[a-z0-9]{8}_[A-Za-z0-9]{40}")


class People:
    """Maya is in Comms and Press; Omar is in Elsewhere; Nina is Maya's teammate in Comms."""

    def __init__(self):
        self.comms = TeamFactory(name="Comms", slug="comms")
        self.press = TeamFactory(name="Press", slug="press")
        self.elsewhere = TeamFactory(name="Elsewhere", slug="elsewhere")
        self.maya = UserFactory(email="maya@example.com")
        self.nina = UserFactory(email="nina@example.com")
        self.omar = UserFactory(email="omar@example.com")
        MembershipFactory(user=self.maya, team=self.comms, role=Role.MEMBER)
        MembershipFactory(user=self.maya, team=self.press, role=Role.VIEWER)
        MembershipFactory(user=self.nina, team=self.comms, role=Role.MANAGER)
        MembershipFactory(user=self.omar, team=self.elsewhere, role=Role.MANAGER)


@pytest.fixture(scope="module")
def built(django_db_setup, django_db_blocker):
    with built_once(django_db_blocker):
        yield People()


@pytest.fixture
def people(built, db):
    return built


def make(people, name="Notebook", **options):
    return token_create(user=options.pop("user", people.maya), name=name,
                        read_only=options.pop("read_only", False),
                        team=options.pop("team", None))


def reload(token) -> ApiToken:
    return ApiToken.objects.get(pk=token.pk)


# Making a token


def test_the_key_is_given_once_and_only_its_hash_is_stored(people):
    token, key = make(people, read_only=True, team=people.comms)

    assert KEY_SHAPE.fullmatch(key)
    prefix = key.split("_")[1]
    stored = reload(token)
    assert (stored.user, stored.name, stored.prefix, stored.read_only, stored.team) == (
        people.maya, "Notebook", prefix, True, people.comms)
    assert stored.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert (stored.last_used_at, stored.revoked_at) == (None, None)
    secret = key.split("_")[2]
    with connection.cursor() as cursor:
        for table in ("accounts_apitoken", "accounts_historicalapitoken"):
            cursor.execute(f"SELECT * FROM {table}")  # noqa: S608 (a fixed table name)
            cells = [str(value) for row in cursor.fetchall() for value in row]
            assert cells, table
            assert not [cell for cell in cells if secret in cell or key in cell], table


def test_every_key_is_new(people):
    keys = [make(people, name=f"Script {n}")[1] for n in range(5)]
    assert len(set(keys)) == 5
    assert len({key.split("_")[1] for key in keys}) == 5


def test_the_name_is_trimmed_and_required(people):
    token, _ = make(people, name="  Quarterly report  ")
    assert reload(token).name == "Quarterly report"
    for blank in ("", "   "):
        with pytest.raises(ValidationError) as refused:
            make(people, name=blank)
        assert refused.value.message_dict == {"name": [TOKEN_NAME_REQUIRED]}


def test_a_name_has_at_most_eighty_characters(people):
    make(people, name="n" * 80)
    with pytest.raises(ValidationError) as refused:
        make(people, name="m" * 81)
    assert refused.value.message_dict == {
        "name": ["A token name has at most 80 characters (this one has 81)."]}


def test_a_nul_in_the_name_is_refused_before_it_reaches_the_database(people):
    with pytest.raises(ValidationError) as refused:
        make(people, name="note\x00book")
    assert refused.value.message_dict == {"name": ["A token name cannot contain a NUL character."]}


def test_two_active_tokens_of_one_person_cannot_share_a_name_whatever_its_capitals(people):
    first, _ = make(people, name="Notebook")
    with pytest.raises(ValidationError) as refused:
        make(people, name="NOTEBOOK")
    assert refused.value.message_dict == {"name": [
        "You already have a token called “NOTEBOOK”. Choose another name, or revoke that "
        "token first."]}
    # Another person may use the name, and so may Maya once the first is revoked.
    make(people, name="Notebook", user=people.nina)
    token_revoke(user=people.maya, token=first)
    again, _ = make(people, name="Notebook")
    assert [(token.name, token.is_active) for token in
            ApiToken.objects.filter(user=people.maya).order_by("pk")] == [
        ("Notebook", False), ("Notebook", True)]
    assert again.pk != first.pk


def test_a_person_may_hold_a_limited_number_of_tokens(people):
    ApiToken.objects.bulk_create(
        ApiToken(user=people.maya, name=f"T{n}", prefix=f"p{n:07d}", key_hash=f"{n:064d}")
        for n in range(TOKENS_PER_USER))
    with pytest.raises(ValidationError) as refused:
        make(people, name="One too many")
    assert refused.value.messages == [
        "You have 50 tokens, the most allowed. Revoke one you no longer use first."]
    token_revoke(user=people.maya, token=ApiToken.objects.get(name="T0"))
    make(people, name="Now there is room")


def test_a_token_may_be_limited_to_any_of_the_owners_teams_whatever_the_role(people):
    token, _ = make(people, team=people.press)  # Maya is a viewer there
    assert reload(token).team == people.press


def test_a_token_limited_to_another_team_is_refused_in_the_same_words_as_a_missing_team(people):
    answers = []
    for team in (people.elsewhere, Team(pk=10**9, name="Nowhere", slug="nowhere")):
        with pytest.raises(ValidationError) as refused:
            make(people, team=team)
        answers.append(refused.value.message_dict)
    assert answers == [{"team": [TOKEN_TEAM_REFUSED]}] * 2
    assert not ApiToken.objects.exists()


def test_making_a_token_records_who_made_it_in_its_history(people):
    token, _ = make(people)
    assert list(token.history.values_list("history_type", "history_user", "name")) == [
        ("+", people.maya.pk, "Notebook")]


# Revoking


def test_revoking_keeps_the_row_records_it_in_history_and_changes_nothing_a_second_time(
        people, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    token, _ = make(people)
    token_revoke(user=people.maya, token=token)
    assert reload(token).revoked_at == timezone.now()
    token_revoke(user=people.maya, token=token)
    assert list(token.history.order_by("history_id").values_list(
        "history_type", "history_user", "revoked_at")) == [
        ("+", people.maya.pk, None), ("~", people.maya.pk, timezone.now())]


def test_nobody_but_the_owner_may_revoke_a_token(people):
    token, _ = make(people, team=people.comms)
    for other in (people.nina, people.omar):  # her team's manager, and another team's
        with pytest.raises(PermissionDenied):
            token_revoke(user=other, token=token)
    assert reload(token).revoked_at is None
    assert token.history.count() == 1


# Finding a token by its key


def test_the_key_opens_its_token_with_owner_and_team_and_records_the_use(
        people, django_assert_num_queries, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    token, key = make(people, team=people.comms)
    # The token (with owner and team); the owner still in that team; the use.
    with django_assert_num_queries(3):
        found = token_for_key(key)
    assert found == token
    assert found.in_team is True  # the API's reader does not ask again
    assert (found.user.email, found.team.slug, found.last_used_at) == (
        "maya@example.com", "comms", timezone.now())
    assert reload(token).last_used_at == timezone.now()
    assert token.history.count() == 1  # a use is not a change


def test_a_busy_client_records_its_use_at_most_once_a_minute(
        people, django_assert_num_queries, time_machine):
    start = timezone.now()
    time_machine.move_to(start, tick=False)
    token, key = make(people)
    token_for_key(key)
    time_machine.shift(timedelta(seconds=59))
    with django_assert_num_queries(1):  # read only: no write
        assert token_for_key(key).last_used_at == start
    assert reload(token).last_used_at == start
    time_machine.shift(timedelta(seconds=1))
    with django_assert_num_queries(2):
        token_for_key(key)
    assert reload(token).last_used_at == start + timedelta(seconds=60)


def test_a_wrong_secret_with_a_real_prefix_opens_nothing(people):
    token, key = make(people)
    wrong = key[:-1] + ("A" if key[-1] != "A" else "B")
    assert token_for_key(wrong) is None
    assert reload(token).last_used_at is None


@pytest.mark.parametrize("key", [
    "", " ", "mf_", "mf__", "Token", "mf_abcdefgh_short",
    "mf_ABCDEFGH_" + "a" * 40,  # the prefix is lower-case
    "mf_abcdefgh_" + "a" * 39 + "-",
    "mf_abcdefgh_" + "a" * 41,
    "xx_abcdefgh_" + "a" * 40,
    "mf_abcdefgh_" + "a" * 39 + "é",
    "mf_abcdefgh_" + "a" * 40 + "\n",
    "mf_abcdefgh_" + "a" * 10_000,
    None, 42, b"mf_abcdefgh_" + b"a" * 40,
])
def test_a_key_of_the_wrong_shape_opens_nothing_without_a_query(
        people, key, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert token_for_key(key) is None


def test_a_revoked_token_opens_nothing(people):
    token, key = make(people)
    token_revoke(user=people.maya, token=token)
    assert token_for_key(key) is None
    assert reload(token).last_used_at is None


def test_the_token_of_a_deactivated_person_opens_nothing(people):
    _, key = make(people)
    people.maya.is_active = False
    people.maya.save(update_fields=["is_active"])
    assert token_for_key(key) is None


def test_a_token_limited_to_a_team_stops_working_when_its_owner_leaves_the_team(people):
    limited, limited_key = make(people, name="Comms only", team=people.comms)
    _, all_teams_key = make(people, name="All teams")
    Membership.objects.filter(user=people.maya, team=people.comms).delete()
    assert token_for_key(limited_key) is None
    assert token_for_key(all_teams_key).user == people.maya
    # Back in the team, it works again: it was never revoked.
    MembershipFactory(user=people.maya, team=people.comms)
    assert token_for_key(limited_key) == limited


def test_a_key_opens_only_its_own_token(people):
    mine, my_key = make(people, name="Mine")
    theirs, their_key = make(people, name="Theirs", user=people.omar)
    assert (token_for_key(my_key), token_for_key(their_key)) == (mine, theirs)
    # Omar's secret after Maya's prefix: found by the prefix, refused by the hash.
    assert token_for_key(my_key[:12] + their_key[12:]) is None
