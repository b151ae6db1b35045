"""The profile's "Weekly digest" section: each of the person's teams with two choices (receive
the digest, skip quiet weeks), saved through membership_update_digest; a person sees and
changes only their own memberships."""

import re

import pytest
from django.urls import reverse

from accounts.models import Membership, Role
from tests.factories import MembershipFactory, TeamFactory, UserFactory

PROFILE = "/accounts/profile/"
# session, user, the header's memberships (the digest section reuses them), tokens; the same
# as before the section (tests/accounts/test_token_views.py pins it too).
PROFILE_QUERIES = 5


@pytest.fixture
def two_teams(team, member, manager):
    """The member is in Comms (no digest) and Elsewhere (digest, skipping quiet weeks)."""
    other = TeamFactory(name="Elsewhere", slug="elsewhere")
    MembershipFactory(team=other, user=member, role=Role.VIEWER, receives_digest=True,
                      skip_quiet_weeks=True)
    return {"comms": Membership.objects.get(user=member, team=team),
            "elsewhere": Membership.objects.get(user=member, team=other),
            "manager": Membership.objects.get(user=manager, team=team)}


def checkbox(html: str, name: str) -> str:
    found = re.findall(rf'<input type="checkbox" name="{re.escape(name)}"[^>]*>', html)
    assert len(found) == 1, name
    return found[0]


def digest_data(choices: dict, **extra) -> dict:
    """The form as posted: a ticked box sends "on", an unticked one nothing."""
    data = {"action": "digest", **extra}
    for membership, (receives, skip_quiet) in choices.items():
        if receives:
            data[f"digest-receives-{membership.public_id}"] = "on"
        if skip_quiet:
            data[f"digest-skip_quiet-{membership.public_id}"] = "on"
    return data


def state(*memberships) -> list[tuple[bool, bool]]:
    return [tuple(Membership.objects.filter(pk=m.pk).values_list(
        "receives_digest", "skip_quiet_weeks").get()) for m in memberships]


def test_the_profile_lists_each_of_my_teams_with_my_digest_choices(client, member, two_teams):
    client.force_login(member)
    html = client.get(PROFILE).content.decode()
    section = html[html.index('<section id="digest"'):]
    section = section[:section.index("</section>")]
    assert re.findall(r"<legend>([^<]+)</legend>", section) == ["Comms", "Elsewhere"]
    comms, elsewhere = two_teams["comms"].public_id, two_teams["elsewhere"].public_id
    assert " checked" not in checkbox(section, f"digest-receives-{comms}")
    assert " checked" not in checkbox(section, f"digest-skip_quiet-{comms}")
    assert " checked" in checkbox(section, f"digest-receives-{elsewhere}")
    assert " checked" in checkbox(section, f"digest-skip_quiet-{elsewhere}")
    # Another person's membership of the same team is not there.
    assert str(two_teams["manager"].public_id) not in html
    assert ('Sent Mondays at 09:00, Europe/London time. <a href="/teams/comms/digest/">'
            "Preview it</a>") in section


def test_saving_changes_my_choices_for_each_team_and_says_so(client, member, two_teams):
    comms, elsewhere = two_teams["comms"], two_teams["elsewhere"]
    client.force_login(member)
    response = client.post(PROFILE, digest_data({comms: (True, True), elsewhere: (True, False)}))
    assert response.status_code == 302
    assert response.url == f"{reverse('accounts:profile')}#digest"
    assert state(comms, elsewhere) == [(True, True), (True, False)]
    page = client.get(PROFILE)
    assert [str(m) for m in page.context["messages"]] == [
        "Digest choices saved: Comms, receive it except quiet weeks; Elsewhere, receive it."]


def test_unticking_the_digest_stops_it_and_leaves_my_other_team_alone(client, member,
                                                                      two_teams):
    comms, elsewhere = two_teams["comms"], two_teams["elsewhere"]
    client.force_login(member)
    client.post(PROFILE, digest_data({comms: (False, False), elsewhere: (False, True)}))
    assert state(comms, elsewhere) == [(False, False), (False, True)]
    page = client.get(PROFILE)
    assert [str(m) for m in page.context["messages"]] == [
        "Digest choices saved: Elsewhere, not received."]


def test_saving_the_same_choices_changes_nothing_and_says_so(client, member, two_teams):
    comms, elsewhere = two_teams["comms"], two_teams["elsewhere"]
    client.force_login(member)
    client.post(PROFILE, digest_data({comms: (False, False), elsewhere: (True, True)}))
    assert state(comms, elsewhere) == [(False, False), (True, True)]
    assert [str(m) for m in client.get(PROFILE).context["messages"]] == [
        "Your digest choices were already these: nothing changed."]


def test_fields_naming_another_persons_membership_are_ignored(client, member, manager,
                                                               two_teams):
    theirs = two_teams["manager"]
    client.force_login(member)
    # The manager receives Comms' digest; the member posts it unticked, and a skip for it.
    response = client.post(PROFILE, {
        "action": "digest", f"digest-skip_quiet-{theirs.public_id}": "on",
        f"digest-receives-{two_teams['elsewhere'].public_id}": "on"})
    assert response.status_code == 302
    assert state(theirs) == [(True, False)]
    assert state(two_teams["comms"], two_teams["elsewhere"]) == [(False, False), (True, False)]


def test_saving_the_digest_choices_leaves_the_name_and_time_zone_alone(client, member,
                                                                       two_teams):
    client.force_login(member)
    name, tz = member.display_name, member.timezone
    client.post(PROFILE, digest_data({two_teams["comms"]: (True, False)},
                                     display_name="Somebody Else", timezone="Asia/Tokyo"))
    member.refresh_from_db()
    assert (member.display_name, member.timezone) == (name, tz)


def test_someone_in_no_team_is_told_the_digest_comes_with_a_team(client, db):
    loner = UserFactory(email="loner@example.com")
    client.force_login(loner)
    html = client.get(PROFILE).content.decode()
    assert ("Each team you join sends a weekly digest; you choose here whether to receive it."
            in html)
    assert 'name="action" value="digest"' not in html


def test_an_anonymous_post_changes_nothing(client, two_teams):
    response = client.post(PROFILE, digest_data({two_teams["comms"]: (True, True)}))
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))
    assert state(two_teams["comms"]) == [(False, False)]


@pytest.mark.parametrize("extra_teams", [0, 4])
def test_the_profile_query_count_does_not_grow_with_teams(
        client, member, team, django_assert_num_queries, extra_teams):
    for i in range(extra_teams):
        MembershipFactory(team=TeamFactory(name=f"Team {i}", slug=f"team-{i}"), user=member)
    client.force_login(member)
    with django_assert_num_queries(PROFILE_QUERIES):
        response = client.get(PROFILE)
    assert len(response.context["digest_form"].memberships) == extra_teams + 1


# session, user, memberships; one team's change (the service's savepoint, its update, the
# release); the session saved with the message (savepoint, update, release). The team left
# as it was costs nothing.
SAVE_ONE_QUERIES = 9


def test_saving_one_teams_change_has_a_fixed_query_count(client, member, two_teams,
                                                         django_assert_num_queries):
    client.force_login(member)
    data = digest_data({two_teams["comms"]: (True, False), two_teams["elsewhere"]: (True, True)})
    with django_assert_num_queries(SAVE_ONE_QUERIES):
        client.post(PROFILE, data)
    assert state(two_teams["comms"]) == [(True, False)]
