"""Account pages: sign in and out, password reset, invitations, the team switcher, team
settings and the profile."""

import re
from datetime import UTC, datetime
from html import escape

import pytest
from django.urls import reverse

from accounts.models import Membership, Role, User
from tests.conftest import PASSWORD
from tests.factories import (
    IncidentFactory,
    MembershipFactory,
    TimelineEventFactory,
    UserFactory,
)

NEW_PASSWORD = "a-brand-new-long-passphrase"


def field_error(field: str, message: str) -> str:
    """The error list rendered beside a form field (includes/field.html)."""
    return (f'<ul class="errorlist" id="id_{field}_error" role="alert">'
            f"<li>{escape(message)}</li></ul>")


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def link_in(message, pattern: str) -> str:
    found = re.findall(pattern, message.body)
    assert len(found) == 1, message.body
    return found[0]


# Sign in and out


def test_login_with_email_and_password_goes_to_the_incident_list(client, member):
    response = client.post(reverse("accounts:login"),
                           {"username": "member@example.com", "password": PASSWORD})
    assert response.status_code == 302
    assert response.url == reverse("incidents:incident-list")
    assert client.get(response.url).context["user"] == member


def test_login_follows_a_safe_next_and_ignores_another_site(client, member):
    data = {"username": "member@example.com", "password": PASSWORD}
    response = client.post(reverse("accounts:login"), {**data, "next": "/library/"})
    assert response.url == "/library/"
    client.logout()
    response = client.post(reverse("accounts:login"), {**data, "next": "https://evil.example/"})
    assert response.url == reverse("incidents:incident-list")


def test_login_with_a_wrong_password_shows_an_error_and_keeps_the_email(client, member):
    response = client.post(reverse("accounts:login"),
                           {"username": "member@example.com", "password": "wrong-password"})
    html = response.content.decode()
    assert response.status_code == 200
    assert ("Please enter a correct email address and password. Note that both fields may be "
            "case-sensitive.") in html
    assert 'name="username" value="member@example.com"' in html
    assert "_auth_user_id" not in client.session


def test_logout_needs_a_post(client, member):
    client.force_login(member)
    assert client.get(reverse("accounts:logout")).status_code == 405
    assert "_auth_user_id" in client.session
    response = client.post(reverse("accounts:logout"))
    assert response.status_code == 302
    assert response.url == reverse("accounts:login")
    assert "_auth_user_id" not in client.session


def test_header_offers_sign_out_as_a_form(client, member):
    client.force_login(member)
    html = client.get(reverse("incidents:incident-list")).content.decode()
    assert (f'<form method="post" action="{reverse("accounts:logout")}" class="inline">'
            in html)


# Password reset


def test_password_reset_link_sets_a_new_password_once(client, member, mailoutbox):
    response = client.post(reverse("accounts:password-reset"), {"email": "member@example.com"})
    assert response.url == reverse("accounts:password-reset-done")
    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == ["member@example.com"]
    assert message.subject == "Reset your Misfire password"
    link = link_in(message, r"https?://testserver(/accounts/password-reset/[^/\s]+/[^/\s]+/)")

    form_page = client.get(link, follow=True)
    assert "Choose a new password" in form_page.content.decode()
    set_password_url = form_page.redirect_chain[-1][0]
    done = client.post(set_password_url,
                       {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert done.url == reverse("accounts:password-reset-complete")
    member.refresh_from_db()
    assert member.check_password(NEW_PASSWORD)

    again = client.get(link, follow=True)
    assert again.status_code == 200
    assert "This link has expired" in again.content.decode()
    assert 'name="new_password1"' not in again.content.decode()


def test_password_reset_for_an_unknown_address_sends_nothing_and_says_the_same(
        client, db, mailoutbox):
    response = client.post(reverse("accounts:password-reset"), {"email": "nobody@example.com"},
                           follow=True)
    assert mailoutbox == []
    assert "If an account uses that address" in response.content.decode()


# Invitations


@pytest.fixture
def manager_client(client, manager):
    client.force_login(manager)
    return client


def add_member(client, team, email, role="member"):
    return client.post(reverse("accounts:team-settings", kwargs={"slug": team.slug}),
                       {"action": "add-member", "email": email, "role": role})


def test_invited_person_sets_a_password_and_lands_in_the_team(
        client, team, manager, mailoutbox, django_capture_on_commit_callbacks):
    client.force_login(manager)
    with django_capture_on_commit_callbacks(execute=True):
        response = add_member(client, team, "Newcomer@Example.com")
    assert response.status_code == 302
    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == ["newcomer@example.com"]
    assert message.subject == f"{manager} invited you to Comms on Misfire"
    link = link_in(message, r"https?://[^/\s]+(/accounts/invitation/[^/\s]+/[^/\s]+/)")
    settings_page = client.get(response.url).content.decode()
    assert "newcomer@example.com" in settings_page
    assert '<span class="tag">invited</span>' in settings_page

    client.logout()
    page = client.get(link, follow=True)
    html = page.content.decode()
    assert page.status_code == 200
    assert "Welcome to Misfire" in html
    assert "<strong>newcomer@example.com</strong>" in html
    joined = client.post(page.redirect_chain[-1][0],
                         {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
                         follow=True)
    assert joined.redirect_chain[-1] == (reverse("incidents:incident-list"), 302)
    newcomer = User.objects.get(email="newcomer@example.com")
    assert joined.context["user"] == newcomer
    assert newcomer.check_password(NEW_PASSWORD)
    assert Membership.objects.get(user=newcomer).team == team
    assert Membership.objects.get(user=newcomer).role == Role.MEMBER
    assert '<span class="team-name">Comms</span>' in joined.content.decode()

    client.logout()
    used = client.get(link, follow=True)
    assert "This invitation has been used or has expired" in used.content.decode()
    assert 'name="new_password1"' not in used.content.decode()


def test_adding_someone_with_an_account_sends_no_invitation(
        manager_client, team, other_team, mailoutbox, django_capture_on_commit_callbacks):
    existing = UserFactory(email="known@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        response = add_member(manager_client, team, "known@example.com", role="viewer")
    assert mailoutbox == []
    assert Membership.objects.get(user=existing, team=team).role == Role.VIEWER
    page = manager_client.get(response.url)
    assert messages_of(page) == ["Added known@example.com as viewer. They can sign in now."]


def test_adding_a_current_member_shows_the_error_beside_the_email(manager_client, team, member):
    response = add_member(manager_client, team, "member@example.com")
    html = response.content.decode()
    assert response.status_code == 422
    assert field_error("email", "member@example.com is already a member of Comms.") in html
    assert Membership.objects.filter(user=member, team=team).count() == 1


def test_adding_a_bad_email_shows_the_error_beside_the_field(manager_client, team):
    response = add_member(manager_client, team, "not-an-email")
    html = response.content.decode()
    assert field_error("email", "Enter a valid email address.") in html
    assert 'name="email" value="not-an-email"' in html


# The team switcher


@pytest.fixture
def two_team_member(member, other_team):
    MembershipFactory(user=member, team=other_team, role=Role.MEMBER)
    return member


def test_switching_team_changes_the_header_and_the_log_forms_default_team(
        client, two_team_member, team, other_team):
    client.force_login(two_team_member)
    before = client.get(reverse("incidents:incident-create"))
    assert '<option value="comms" selected>Comms</option>' in before.content.decode()
    assert before.context["form"]["team"].value() == team.pk

    response = client.post(reverse("accounts:team-switch"),
                           {"team": "elsewhere", "next": "/incidents/log/"})
    assert response.status_code == 302
    assert response.url == "/incidents/log/"
    after = client.get(response.url)
    html = after.content.decode()
    assert '<option value="elsewhere" selected>Elsewhere</option>' in html
    assert '<option value="comms">Comms</option>' in html
    assert after.context["form"]["team"].value() == other_team.pk
    assert f'<option value="{other_team.pk}" selected>Elsewhere</option>' in html
    assert messages_of(after) == ["You are now working in Elsewhere."]


def test_switching_to_a_team_you_are_not_in_is_404(client, member, other_team):
    client.force_login(member)
    response = client.post(reverse("accounts:team-switch"), {"team": "elsewhere"})
    assert response.status_code == 404
    assert "current_team" not in client.session


def test_team_switch_ignores_a_next_on_another_site(client, two_team_member):
    client.force_login(two_team_member)
    response = client.post(reverse("accounts:team-switch"),
                           {"team": "elsewhere", "next": "https://evil.example/"})
    assert response.url == reverse("incidents:incident-list")


def test_team_switch_needs_a_post(client, two_team_member):
    client.force_login(two_team_member)
    assert client.get(reverse("accounts:team-switch")).status_code == 405


def test_team_link_goes_to_the_settings_of_the_current_team(client, manager, other_team):
    MembershipFactory(user=manager, team=other_team, role=Role.MANAGER)
    client.force_login(manager)
    client.post(reverse("accounts:team-switch"), {"team": "elsewhere"})
    response = client.get(reverse("accounts:team-settings-current"))
    assert response.url == reverse("accounts:team-settings", kwargs={"slug": "elsewhere"})


def test_team_link_is_404_for_someone_in_no_team(client, db):
    client.force_login(UserFactory())
    assert client.get(reverse("accounts:team-settings-current")).status_code == 404


# Team settings


def role_url(team, membership) -> str:
    return reverse("accounts:membership-update",
                   kwargs={"slug": team.slug, "membership_id": membership.pk})


def remove_url(team, membership) -> str:
    return reverse("accounts:membership-delete",
                   kwargs={"slug": team.slug, "membership_id": membership.pk})


def test_team_settings_lists_members_with_their_roles(manager_client, team, member, viewer):
    response = manager_client.get(reverse("accounts:team-settings", kwargs={"slug": "comms"}))
    rows = [(m.user.email, m.role) for m in response.context["members"]]
    assert rows == [("manager@example.com", "manager"), ("member@example.com", "member"),
                    ("viewer@example.com", "viewer")]


def test_manager_changes_a_members_role(manager_client, team, member):
    membership = Membership.objects.get(user=member, team=team)
    response = manager_client.post(role_url(team, membership), {"role": "viewer"}, follow=True)
    membership.refresh_from_db()
    assert membership.role == Role.VIEWER
    assert messages_of(response) == ["member@example.com is now a viewer."]


def test_changing_to_an_unknown_role_is_refused(manager_client, team, member):
    membership = Membership.objects.get(user=member, team=team)
    response = manager_client.post(role_url(team, membership), {"role": "owner"}, follow=True)
    membership.refresh_from_db()
    assert membership.role == Role.MEMBER
    assert messages_of(response) == ["Choose viewer, member or manager."]


def test_manager_removes_a_member(manager_client, team, member):
    membership = Membership.objects.get(user=member, team=team)
    response = manager_client.post(remove_url(team, membership), follow=True)
    assert not Membership.objects.filter(pk=membership.pk).exists()
    assert User.objects.filter(pk=member.pk).exists()
    assert messages_of(response) == ["member@example.com is no longer in Comms."]
    assert [m.user.email for m in response.context["members"]] == ["manager@example.com"]


def test_last_manager_cannot_be_demoted(manager_client, team, manager):
    membership = Membership.objects.get(user=manager, team=team)
    response = manager_client.post(role_url(team, membership), {"role": "member"}, follow=True)
    membership.refresh_from_db()
    assert membership.role == Role.MANAGER
    assert messages_of(response) == ["A team needs at least one manager; promote someone first."]
    assert ("A team needs at least one manager; promote someone first."
            in response.content.decode())


def test_last_manager_cannot_be_removed(manager_client, team, manager):
    membership = Membership.objects.get(user=manager, team=team)
    response = manager_client.post(remove_url(team, membership), follow=True)
    assert Membership.objects.filter(pk=membership.pk).exists()
    assert messages_of(response) == ["A team needs at least one manager; promote someone first."]


def test_a_manager_can_step_down_once_there_is_another(manager_client, team, manager, member):
    Membership.objects.filter(user=member, team=team).update(role=Role.MANAGER)
    membership = Membership.objects.get(user=manager, team=team)
    manager_client.post(role_url(team, membership), {"role": "member"})
    membership.refresh_from_db()
    assert membership.role == Role.MEMBER


def test_membership_of_another_team_is_404_on_this_teams_urls(
        manager_client, team, other_team, outsider):
    foreign = Membership.objects.get(user=outsider, team=other_team)
    assert manager_client.post(role_url(team, foreign), {"role": "viewer"}).status_code == 404
    assert manager_client.post(remove_url(team, foreign)).status_code == 404
    foreign.refresh_from_db()
    assert foreign.role == Role.MANAGER


def test_team_settings_save_name_timezone_and_digest_time(manager_client, team):
    response = manager_client.post(
        reverse("accounts:team-settings", kwargs={"slug": "comms"}),
        {"action": "settings", "name": "Comms & Social", "timezone": "America/New_York",
         "digest_weekday": 4, "digest_hour": 16}, follow=True)
    team.refresh_from_db()
    assert (team.name, team.timezone, team.digest_weekday, team.digest_hour) == (
        "Comms & Social", "America/New_York", 4, 16)
    assert team.slug == "comms"
    assert messages_of(response) == ["Team settings saved."]


def test_team_settings_reject_an_unknown_timezone_beside_the_field(manager_client, team):
    response = manager_client.post(
        reverse("accounts:team-settings", kwargs={"slug": "comms"}),
        {"action": "settings", "name": "Renamed Comms", "timezone": "Mars/Olympus_Mons",
         "digest_weekday": 0, "digest_hour": 9})
    html = response.content.decode()
    assert response.status_code == 422
    assert field_error("timezone", "Select a valid choice. Mars/Olympus_Mons is not one of the "
                                   "available choices.") in html
    assert 'name="name" value="Renamed Comms"' in html
    team.refresh_from_db()
    assert (team.name, team.timezone) == ("Comms", "Europe/London")


@pytest.mark.parametrize("n", [3, 12])
def test_team_settings_query_count_does_not_grow_with_members(
        manager_client, team, django_assert_num_queries, n):
    for i in range(n):
        MembershipFactory(team=team, role=Role.MEMBER, user=UserFactory(email=f"p{i}@ex.com"))
    with django_assert_num_queries(TEAM_SETTINGS_QUERIES):
        response = manager_client.get(reverse("accounts:team-settings", kwargs={"slug": "comms"}))
    assert len(response.context["members"]) == n + 1


# session, user, team, membership, members, header memberships
TEAM_SETTINGS_QUERIES = 6


# Profile


def test_profile_saves_display_name_and_timezone(client, member):
    client.force_login(member)
    response = client.post(reverse("accounts:profile"),
                           {"display_name": "Morgan Member", "timezone": "Asia/Tokyo"},
                           follow=True)
    member.refresh_from_db()
    assert (member.display_name, member.timezone) == ("Morgan Member", "Asia/Tokyo")
    assert response.redirect_chain == [(reverse("accounts:profile"), 302)]
    assert messages_of(response) == ["Profile saved."]
    html = response.content.decode()
    assert 'name="display_name" value="Morgan Member"' in html
    assert '<option value="Asia/Tokyo" selected>Asia/Tokyo</option>' in html


def test_profile_lists_the_users_teams_and_roles(client, member, other_team):
    MembershipFactory(user=member, team=other_team, role=Role.VIEWER)
    client.force_login(member)
    html = client.get(reverse("accounts:profile")).content.decode()
    assert "<li>Comms — Member</li>" in html
    assert "<li>Elsewhere — Viewer</li>" in html


def test_profile_rejects_an_unknown_timezone_beside_the_field(client, member):
    client.force_login(member)
    response = client.post(reverse("accounts:profile"),
                           {"display_name": "Kept name", "timezone": "Atlantis/Capital"})
    html = response.content.decode()
    assert response.status_code == 200
    assert field_error("timezone", "Select a valid choice. Atlantis/Capital is not one of the "
                                   "available choices.") in html
    assert 'name="display_name" value="Kept name"' in html
    member.refresh_from_db()
    assert member.timezone == "UTC"


def test_times_show_in_the_users_timezone(client, member, team):
    incident = IncidentFactory(team=team)
    TimelineEventFactory(incident=incident, at=datetime(2026, 3, 1, 12, 0, tzinfo=UTC),
                         text="Noon in London")
    member.timezone = "Asia/Tokyo"
    member.save()
    client.force_login(member)
    html = client.get(incident.get_absolute_url()).content.decode()
    assert "1 Mar 2026, 21:00" in html

