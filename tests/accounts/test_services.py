"""People and team writes: adding and inviting members, roles, removal, settings, profile."""

import re
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import resolve
from django.utils.encoding import force_str
from django.utils.http import urlsafe_base64_decode

from accounts.models import Membership, Role, User
from accounts.services import (
    membership_remove,
    membership_update_role,
    team_member_add,
    team_update_settings,
    user_update_profile,
)
from tests.factories import IncidentFactory, MembershipFactory, UserFactory


def membership_of(user, team) -> Membership:
    return Membership.objects.get(user=user, team=team)


def invitation_link(message) -> str:
    match = re.search(r"https?://\S+/invitation/\S+", message.body)
    assert match, message.body
    return match.group(0)


# team_member_add


def test_existing_user_is_added_without_an_email(
    team, manager, django_capture_on_commit_callbacks
):
    person = UserFactory(email="known@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        membership, invited = team_member_add(actor=manager, team=team,
                                              email="Known@Example.com", role=Role.MEMBER)
    assert invited is False
    assert membership.user == person
    assert membership.team == team
    assert membership.role == Role.MEMBER
    assert membership.receives_digest is False
    assert mail.outbox == []


def test_unknown_email_creates_an_invited_user_and_sends_one_invitation(
    team, manager, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        membership, invited = team_member_add(actor=manager, team=team,
                                              email="New.Person@Example.COM", role=Role.VIEWER)
    assert invited is True
    person = User.objects.get(email="new.person@example.com")
    assert membership.user == person
    assert membership.role == Role.VIEWER
    assert person.has_usable_password() is False
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["new.person@example.com"]
    assert "Comms" in message.subject


def test_invitation_link_opens_the_invitation_page_for_that_person(
    team, manager, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        team_member_add(actor=manager, team=team, email="new@example.com", role=Role.MEMBER)
    link = invitation_link(mail.outbox[0])
    assert link.startswith(settings.SITE_URL + "/")
    match = resolve(urlsplit(link).path)
    assert match.view_name == "accounts:invitation-accept"
    person = User.objects.get(email="new@example.com")
    assert force_str(urlsafe_base64_decode(match.kwargs["uidb64"])) == str(person.pk)
    assert default_token_generator.check_token(person, match.kwargs["token"]) is True


def test_invitation_is_sent_only_after_commit(
    team, manager, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        team_member_add(actor=manager, team=team, email="new@example.com", role=Role.MEMBER)
    assert mail.outbox == []
    assert len(callbacks) == 1


def test_manager_added_receives_the_digest(team, manager, django_capture_on_commit_callbacks):
    UserFactory(email="second@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        membership, _ = team_member_add(actor=manager, team=team, email="second@example.com",
                                        role=Role.MANAGER)
    assert membership.receives_digest is True


def test_adding_someone_already_in_the_team_is_rejected(
    team, manager, member, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True), \
            pytest.raises(ValidationError) as excinfo:
        team_member_add(actor=manager, team=team, email="MEMBER@example.com", role=Role.VIEWER)
    assert set(excinfo.value.message_dict) == {"email"}
    assert membership_of(member, team).role == Role.MEMBER
    assert mail.outbox == []


def test_unknown_role_is_rejected(team, manager):
    with pytest.raises(ValidationError) as excinfo:
        team_member_add(actor=manager, team=team, email="new@example.com", role="owner")
    assert set(excinfo.value.message_dict) == {"role"}
    assert not User.objects.filter(email="new@example.com").exists()


@pytest.mark.parametrize("who", ["member", "viewer", "outsider"])
def test_only_a_manager_may_add_people(
    team, who, request, django_capture_on_commit_callbacks
):
    actor = request.getfixturevalue(who)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(PermissionDenied):
        team_member_add(actor=actor, team=team, email="new@example.com", role=Role.MEMBER)
    assert not User.objects.filter(email="new@example.com").exists()
    assert mail.outbox == []


def test_readding_someone_who_never_joined_sends_a_fresh_invitation(
    team, manager, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        membership, _ = team_member_add(actor=manager, team=team, email="new@example.com",
                                        role=Role.MEMBER)
    with django_capture_on_commit_callbacks(execute=True):
        membership_remove(actor=manager, membership=membership)
    with django_capture_on_commit_callbacks(execute=True):
        _, invited = team_member_add(actor=manager, team=team, email="new@example.com",
                                     role=Role.MEMBER)
    assert invited is True
    assert User.objects.filter(email="new@example.com").count() == 1
    assert [m.to for m in mail.outbox] == [["new@example.com"], ["new@example.com"]]


def test_someone_invited_elsewhere_who_never_joined_is_invited_again(
    team, manager, other_team, outsider, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        team_member_add(actor=outsider, team=other_team, email="new@example.com",
                        role=Role.MEMBER)
    with django_capture_on_commit_callbacks(execute=True):
        _, invited = team_member_add(actor=manager, team=team, email="new@example.com",
                                     role=Role.VIEWER)
    assert invited is True
    assert len(mail.outbox) == 2
    assert "Comms" in mail.outbox[1].subject


# membership_update_role


def test_manager_changes_a_members_role(team, manager, member):
    updated = membership_update_role(actor=manager, membership=membership_of(member, team),
                                     role=Role.VIEWER)
    assert updated.role == Role.VIEWER
    assert membership_of(member, team).role == Role.VIEWER


def test_the_last_manager_cannot_step_down(team, manager, member):
    with pytest.raises(ValidationError) as excinfo:
        membership_update_role(actor=manager, membership=membership_of(manager, team),
                               role=Role.MEMBER)
    assert set(excinfo.value.message_dict) == {"role"}
    assert membership_of(manager, team).role == Role.MANAGER


def test_a_manager_may_step_down_when_another_manager_remains(team, manager, member):
    membership_update_role(actor=manager, membership=membership_of(member, team),
                           role=Role.MANAGER)
    membership_update_role(actor=manager, membership=membership_of(manager, team),
                           role=Role.MEMBER)
    assert membership_of(manager, team).role == Role.MEMBER
    assert membership_of(member, team).role == Role.MANAGER


def test_a_manager_of_another_team_does_not_count(team, manager, other_team, outsider):
    MembershipFactory(user=manager, team=other_team, role=Role.MANAGER)
    with pytest.raises(ValidationError):
        membership_update_role(actor=manager, membership=membership_of(manager, team),
                               role=Role.VIEWER)


def test_role_change_to_an_unknown_role_is_rejected(team, manager, member):
    with pytest.raises(ValidationError) as excinfo:
        membership_update_role(actor=manager, membership=membership_of(member, team),
                               role="owner")
    assert set(excinfo.value.message_dict) == {"role"}


@pytest.mark.parametrize("who", ["member", "viewer", "outsider"])
def test_only_a_manager_may_change_roles(team, manager, member, who, request):
    actor = request.getfixturevalue(who)
    with pytest.raises(PermissionDenied):
        membership_update_role(actor=actor, membership=membership_of(member, team),
                               role=Role.MANAGER)
    assert membership_of(member, team).role == Role.MEMBER


# membership_remove


def test_manager_removes_a_member_whose_work_stays(team, manager, member):
    incident = IncidentFactory(team=team, created_by=member)
    membership_remove(actor=manager, membership=membership_of(member, team))
    assert not Membership.objects.filter(user=member, team=team).exists()
    assert User.objects.filter(pk=member.pk).exists()
    incident.refresh_from_db()
    assert incident.team == team
    assert incident.created_by == member


def test_the_last_manager_cannot_be_removed(team, manager, member):
    with pytest.raises(ValidationError):
        membership_remove(actor=manager, membership=membership_of(manager, team))
    assert membership_of(manager, team).role == Role.MANAGER


def test_a_manager_may_leave_when_another_manager_remains(team, manager, member):
    membership_update_role(actor=manager, membership=membership_of(member, team),
                           role=Role.MANAGER)
    membership_remove(actor=manager, membership=membership_of(manager, team))
    assert not Membership.objects.filter(user=manager, team=team).exists()
    assert list(Membership.objects.filter(team=team, role=Role.MANAGER)
                .values_list("user__email", flat=True)) == ["member@example.com"]


@pytest.mark.parametrize("who", ["member", "viewer", "outsider"])
def test_only_a_manager_may_remove_people(team, manager, viewer, member, who, request):
    actor = request.getfixturevalue(who)
    with pytest.raises(PermissionDenied):
        membership_remove(actor=actor, membership=membership_of(viewer, team))
    assert Membership.objects.filter(user=viewer, team=team).exists()


# team_update_settings


def test_manager_changes_team_settings(team, manager):
    team_update_settings(actor=manager, team=team, name="Comms & Social",
                         timezone="America/New_York", digest_weekday=4, digest_hour=16)
    team.refresh_from_db()
    assert (team.name, team.timezone, team.digest_weekday, team.digest_hour) == (
        "Comms & Social", "America/New_York", 4, 16,
    )
    assert team.slug == "comms"


def test_unknown_timezone_is_rejected(team, manager):
    with pytest.raises(ValidationError) as excinfo:
        team_update_settings(actor=manager, team=team, name="Comms", timezone="Mars/Olympus",
                             digest_weekday=0, digest_hour=9)
    assert set(excinfo.value.message_dict) == {"timezone"}
    team.refresh_from_db()
    assert team.timezone == "Europe/London"


@pytest.mark.parametrize(("weekday", "hour", "field"), [(7, 9, "digest_weekday"),
                                                        (0, 24, "digest_hour")])
def test_digest_schedule_out_of_range_is_rejected(team, manager, weekday, hour, field):
    with pytest.raises(ValidationError) as excinfo:
        team_update_settings(actor=manager, team=team, name="Comms", timezone="UTC",
                             digest_weekday=weekday, digest_hour=hour)
    assert set(excinfo.value.message_dict) == {field}


def test_blank_team_name_is_rejected(team, manager):
    with pytest.raises(ValidationError) as excinfo:
        team_update_settings(actor=manager, team=team, name="", timezone="UTC",
                             digest_weekday=0, digest_hour=9)
    assert set(excinfo.value.message_dict) == {"name"}


@pytest.mark.parametrize("who", ["member", "viewer", "outsider"])
def test_only_a_manager_may_change_team_settings(team, who, request):
    actor = request.getfixturevalue(who)
    with pytest.raises(PermissionDenied):
        team_update_settings(actor=actor, team=team, name="Taken over", timezone="UTC",
                             digest_weekday=0, digest_hour=9)
    team.refresh_from_db()
    assert team.name == "Comms"


# user_update_profile


def test_user_updates_their_own_profile(member):
    user_update_profile(user=member, display_name="Sam", timezone="Asia/Tokyo")
    member.refresh_from_db()
    assert (member.display_name, member.timezone) == ("Sam", "Asia/Tokyo")


def test_profile_with_an_unknown_timezone_is_rejected(member):
    with pytest.raises(ValidationError) as excinfo:
        user_update_profile(user=member, display_name="Sam", timezone="Nowhere/Land")
    assert set(excinfo.value.message_dict) == {"timezone"}
    member.refresh_from_db()
    assert member.timezone == "UTC"


def test_profile_update_keeps_the_password(member, client):
    user_update_profile(user=member, display_name="", timezone="UTC")
    assert client.login(email="member@example.com", password="correct-horse-battery") is True
