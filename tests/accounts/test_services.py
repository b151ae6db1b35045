"""People and team writes: invitations, roles, removal, settings, profile."""

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import resolve
from django.utils import timezone

from accounts.models import Invitation, Membership, Role, Team, User, invitation_token_hash
from accounts.services import (
    INVITATIONS_PER_TEAM_PER_DAY,
    NAME_TAKEN,
    invitation_accept,
    invitation_accept_with_new_account,
    invitation_create,
    invitation_resend,
    invitation_revoke,
    membership_remove,
    membership_update_role,
    team_update_settings,
    user_update_profile,
)
from tests.factories import IncidentFactory, MembershipFactory, TeamFactory

NEW_PASSWORD = "a-brand-new-long-passphrase"


def membership_of(user, team) -> Membership:
    return Membership.objects.get(user=user, team=team)


def invitation_link(message) -> str:
    match = re.search(r"https?://\S+/invitation/\S+/", message.body)
    assert match, message.body
    return match.group(0)


def token_of(message) -> str:
    return resolve(urlsplit(invitation_link(message)).path).kwargs["token"]


@pytest.fixture
def invite(manager, team, django_capture_on_commit_callbacks):
    """Invite an address to Comms as its manager; returns the invitation and its link's token."""
    def invite(email="new@example.com", role=Role.MEMBER, actor=None, to_team=None):
        sent = len(mail.outbox)
        with django_capture_on_commit_callbacks(execute=True):
            invitation = invitation_create(actor=actor or manager, team=to_team or team,
                                           email=email, role=role)
        assert len(mail.outbox) == sent + 1
        return invitation, token_of(mail.outbox[-1])
    return invite


# invitation_create


def test_inviting_someone_with_an_account_in_another_team_adds_nobody_until_they_accept(
        team, manager, outsider, invite):
    invitation, _ = invite(email="Outsider@Example.com")
    assert not Membership.objects.filter(user=outsider, team=team).exists()
    assert (invitation.team, invitation.email, invitation.role) == (
        team, "outsider@example.com", Role.MEMBER)
    assert invitation.state == "pending"
    assert invitation.invited_by == manager
    assert mail.outbox[0].to == ["outsider@example.com"]


def test_inviting_an_unknown_address_creates_no_account(team, invite):
    invite(email="New.Person@Example.COM")
    assert not User.objects.filter(email__iexact="new.person@example.com").exists()
    assert Invitation.objects.get().email == "new.person@example.com"


def test_invitation_email_names_the_inviter_and_the_team(team, manager, invite):
    manager.display_name = "Maya Manager"
    manager.save()
    invite(role=Role.VIEWER)
    message = mail.outbox[0]
    assert message.subject == "Maya Manager invited you to join Comms on Misfire"
    assert ('Maya Manager (manager@example.com) invited you to join the team "Comms" on '
            "Misfire as a viewer.") in message.body
    assert "Maya Manager (manager@example.com)" in message.alternatives[0][0]
    link = invitation_link(message)
    assert link.startswith(settings.SITE_URL + "/accounts/invitation/")


def test_invitation_token_is_stored_only_as_a_hash(team, invite):
    invitation, token = invite()
    invitation.refresh_from_db()
    assert len(token) >= 40
    assert invitation.token_hash == invitation_token_hash(token)
    assert token not in invitation.token_hash


def test_invitation_expires_after_seven_days(team, invite):
    before = timezone.now()
    invitation, _ = invite()
    assert before + timedelta(days=7) <= invitation.expires_at <= timezone.now() + timedelta(
        days=7)


def test_invitation_is_sent_only_after_commit(team, manager, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        invitation_create(actor=manager, team=team, email="new@example.com", role=Role.MEMBER)
    assert mail.outbox == []
    assert len(callbacks) == 1


def test_adding_someone_already_in_the_team_is_rejected(
    team, manager, member, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True), \
            pytest.raises(ValidationError) as excinfo:
        invitation_create(actor=manager, team=team, email="MEMBER@example.com", role=Role.VIEWER)
    assert excinfo.value.message_dict == {
        "email": ["member@example.com is already a member of Comms."]}
    assert membership_of(member, team).role == Role.MEMBER
    assert mail.outbox == []
    assert not Invitation.objects.exists()


def test_an_address_has_one_pending_invitation_per_team(team, invite, manager):
    invite()
    with pytest.raises(ValidationError) as excinfo:
        invitation_create(actor=manager, team=team, email="new@example.com", role=Role.VIEWER)
    assert excinfo.value.message_dict == {"email": [
        "new@example.com has already been invited; resend or revoke the invitation below."]}
    assert Invitation.objects.count() == 1


def test_the_database_refuses_a_second_pending_invitation(team, invite):
    invitation, _ = invite()
    with pytest.raises(IntegrityError), transaction.atomic():
        Invitation.objects.create(team=team, email="new@example.com", token_hash="x" * 64,
                                  expires_at=invitation.expires_at)


def test_an_expired_invitation_gives_way_to_a_new_one(team, invite):
    first, _ = invite()
    Invitation.objects.filter(pk=first.pk).update(expires_at=timezone.now() - timedelta(days=1))
    second, _ = invite(role=Role.VIEWER)
    first.refresh_from_db()
    assert first.state == "revoked"
    assert second.state == "pending"
    assert [i.pk for i in Invitation.objects.pending()] == [second.pk]


def test_the_same_address_may_be_invited_by_two_teams(team, other_team, outsider, invite):
    invite()
    invite(actor=outsider, to_team=other_team)
    assert Invitation.objects.pending().count() == 2


def test_unknown_role_is_rejected(team, manager):
    with pytest.raises(ValidationError) as excinfo:
        invitation_create(actor=manager, team=team, email="new@example.com", role="owner")
    assert set(excinfo.value.message_dict) == {"role"}
    assert not Invitation.objects.exists()


def test_an_address_longer_than_the_database_holds_is_refused_beside_the_field(team, manager):
    with pytest.raises(ValidationError) as excinfo:
        invitation_create(actor=manager, team=team, email="a" * 290 + "@example.com",
                          role=Role.MEMBER)
    assert set(excinfo.value.message_dict) == {"email"}


@pytest.mark.parametrize("who", ["member", "viewer", "outsider"])
def test_only_a_manager_may_invite(team, who, request, django_capture_on_commit_callbacks):
    actor = request.getfixturevalue(who)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(PermissionDenied):
        invitation_create(actor=actor, team=team, email="new@example.com", role=Role.MEMBER)
    assert not Invitation.objects.exists()
    assert mail.outbox == []


def test_invitations_are_limited_per_team_per_day(team, manager, other_team, outsider, invite,
                                                  django_capture_on_commit_callbacks):
    for i in range(INVITATIONS_PER_TEAM_PER_DAY):
        invite(email=f"p{i}@example.com")
    with django_capture_on_commit_callbacks(execute=True), \
            pytest.raises(ValidationError) as excinfo:
        invitation_create(actor=manager, team=team, email="one-more@example.com",
                          role=Role.MEMBER)
    assert list(excinfo.value.message_dict) == ["email"]
    assert excinfo.value.message_dict["email"][0].startswith(
        "Comms has sent 20 invitations in the last 24 hours, the most allowed. You can invite "
        "again from ")
    assert len(mail.outbox) == INVITATIONS_PER_TEAM_PER_DAY
    assert not Invitation.objects.filter(email="one-more@example.com").exists()
    # Another team's allowance is its own.
    invite(email="one-more@example.com", actor=outsider, to_team=other_team)


def test_the_team_limit_lifts_a_day_after_the_invitations(team, manager, invite, time_machine):
    time_machine.move_to(timezone.now())
    for i in range(INVITATIONS_PER_TEAM_PER_DAY):
        invite(email=f"p{i}@example.com")
    time_machine.shift(timedelta(hours=24, minutes=1))
    invite(email="next-day@example.com")


def test_resends_count_against_the_team_limit(team, manager, invite):
    invitation, _ = invite()
    for _ in range(INVITATIONS_PER_TEAM_PER_DAY - 1):
        invitation_resend(actor=manager, invitation=invitation)
    with pytest.raises(ValidationError):
        invitation_resend(actor=manager, invitation=invitation)


# invitation_resend, invitation_revoke


def test_resending_sends_a_new_link_and_the_old_one_stops_working(team, manager, invite,
                                                                  django_capture_on_commit_callbacks):
    invitation, old_token = invite()
    with django_capture_on_commit_callbacks(execute=True):
        invitation_resend(actor=manager, invitation=invitation)
    new_token = token_of(mail.outbox[-1])
    assert new_token != old_token
    invitation.refresh_from_db()
    assert invitation.token_hash == invitation_token_hash(new_token)
    assert not Invitation.objects.filter(token_hash=invitation_token_hash(old_token)).exists()


def test_resending_an_expired_invitation_renews_it(team, manager, invite):
    invitation, _ = invite()
    Invitation.objects.filter(pk=invitation.pk).update(
        expires_at=timezone.now() - timedelta(days=1))
    renewed = invitation_resend(actor=manager, invitation=invitation)
    assert renewed.state == "pending"


def test_a_revoked_invitation_cannot_be_accepted(team, manager, invite):
    invitation, _ = invite()
    invitation_revoke(actor=manager, invitation=invitation)
    with pytest.raises(ValidationError):
        invitation_accept_with_new_account(invitation=invitation, password=NEW_PASSWORD)
    assert not User.objects.filter(email="new@example.com").exists()


@pytest.mark.parametrize("who", ["member", "viewer", "outsider"])
def test_only_a_manager_may_resend_or_revoke(team, who, request, invite):
    invitation, _ = invite()
    actor = request.getfixturevalue(who)
    with pytest.raises(PermissionDenied):
        invitation_resend(actor=actor, invitation=invitation)
    with pytest.raises(PermissionDenied):
        invitation_revoke(actor=actor, invitation=invitation)
    invitation.refresh_from_db()
    assert invitation.state == "pending"


# Accepting


def test_someone_with_an_account_joins_only_by_accepting(team, outsider, invite):
    invitation, _ = invite(email="outsider@example.com", role=Role.MANAGER)
    membership = invitation_accept(user=outsider, invitation=invitation)
    assert (membership.user, membership.team, membership.role) == (outsider, team,
                                                                   Role.MANAGER)
    assert membership.receives_digest is True
    invitation.refresh_from_db()
    assert invitation.state == "accepted"
    assert invitation.accepted_by == outsider


def test_a_member_invited_as_such_does_not_receive_the_digest(team, outsider, invite):
    invitation, _ = invite(email="outsider@example.com", role=Role.MEMBER)
    assert invitation_accept(user=outsider, invitation=invitation).receives_digest is False


def test_only_the_invited_address_may_accept(team, member, outsider, invite):
    invitation, _ = invite(email="outsider@example.com")
    with pytest.raises(PermissionDenied):
        invitation_accept(user=member, invitation=invitation)
    assert membership_of(member, team).role == Role.MEMBER
    assert not Membership.objects.filter(user=outsider, team=team).exists()


def test_someone_new_accepts_by_choosing_a_password(team, invite):
    invitation, _ = invite(email="new@example.com", role=Role.VIEWER)
    membership = invitation_accept_with_new_account(invitation=invitation,
                                                    password=NEW_PASSWORD, display_name="Nia")
    person = User.objects.get(email="new@example.com")
    assert membership.user == person
    assert (membership.team, membership.role) == (team, Role.VIEWER)
    assert person.check_password(NEW_PASSWORD)
    assert person.display_name == "Nia"


def test_someone_with_a_password_cannot_accept_by_choosing_another(team, outsider, invite):
    invitation, _ = invite(email="outsider@example.com")
    with pytest.raises(ValidationError):
        invitation_accept_with_new_account(invitation=invitation, password=NEW_PASSWORD)
    outsider.refresh_from_db()
    assert not outsider.check_password(NEW_PASSWORD)


def test_a_weak_password_is_refused(team, invite):
    invitation, _ = invite()
    with pytest.raises(ValidationError):
        invitation_accept_with_new_account(invitation=invitation, password="12345678")
    assert not User.objects.filter(email="new@example.com").exists()


def test_an_invitation_works_once(team, outsider, invite):
    invitation, _ = invite(email="outsider@example.com")
    invitation_accept(user=outsider, invitation=invitation)
    with pytest.raises(ValidationError):
        invitation_accept(user=outsider, invitation=invitation)
    assert Membership.objects.filter(user=outsider, team=team).count() == 1


def test_an_expired_invitation_cannot_be_accepted(team, outsider, invite, time_machine):
    time_machine.move_to(timezone.now())
    invitation, _ = invite(email="outsider@example.com")
    time_machine.shift(timedelta(days=7, seconds=1))
    with pytest.raises(ValidationError):
        invitation_accept(user=outsider, invitation=invitation)
    assert not Membership.objects.filter(user=outsider, team=team).exists()


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


@pytest.mark.parametrize("name", ["Comms\nBcc: x@example.com", "Comms\r", "Co\u200bmms",
                                  "Comms\u2028", "Comms\x00"])
def test_a_team_name_with_a_line_break_or_control_character_is_refused(team, manager, name):
    with pytest.raises(ValidationError) as refused:
        team_update_settings(actor=manager, team=team, name=name, timezone="UTC",
                             digest_weekday=0, digest_hour=9)
    assert refused.value.message_dict == {"name": [
        "A team name is one line of text, without line breaks or invisible control characters."]}
    team.refresh_from_db()
    assert team.name == "Comms"


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


@pytest.mark.parametrize("name", ["Elsewhere", "elsewhere", "ELSEWHERE", "Else where",
                                  "E.L.S.E.W.H.E.R.E", "else-where!", "Élsewhere"])
def test_a_team_cannot_take_a_look_alike_of_another_teams_name(team, manager, other_team, name):
    with pytest.raises(ValidationError) as excinfo:
        team_update_settings(actor=manager, team=team, name=name, timezone="UTC",
                             digest_weekday=0, digest_hour=9)
    assert excinfo.value.message_dict == {"name": [NAME_TAKEN]}
    team.refresh_from_db()
    assert team.name == "Comms"


def test_a_team_may_restyle_its_own_name(team, manager, other_team):
    team_update_settings(actor=manager, team=team, name="C.O.M.M.S", timezone="UTC",
                         digest_weekday=0, digest_hour=9)
    team.refresh_from_db()
    assert (team.name, team.name_key) == ("C.O.M.M.S", "comms")


def test_a_name_without_letters_or_digits_is_refused(team, manager):
    with pytest.raises(ValidationError) as excinfo:
        team_update_settings(actor=manager, team=team, name="!!!", timezone="UTC",
                             digest_weekday=0, digest_hour=9)
    assert set(excinfo.value.message_dict) == {"name"}


def test_the_database_refuses_a_look_alike_team_name_however_it_is_written(team):
    with pytest.raises(IntegrityError), transaction.atomic():
        Team.objects.create(name="c o m m s", slug="comms-2")
    with pytest.raises(IntegrityError), transaction.atomic():
        TeamFactory(name="COMMS", slug="another-comms")


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


def test_profile_update_keeps_the_password(member):
    user_update_profile(user=member, display_name="", timezone="UTC")
    member.refresh_from_db()
    assert member.check_password("correct-horse-battery") is True
