"""Account pages: sign in and out, password reset, invitations, the team switcher, team
settings and the profile."""

import re
import uuid
from datetime import UTC, datetime, timedelta
from html import escape

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Invitation, Membership, Role, User
from accounts.services import NAME_TAKEN, invitation_create
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


def test_login_takes_the_address_in_any_case_and_with_stray_spaces(client, member):
    response = client.post(reverse("accounts:login"),
                           {"username": " Member@Example.COM ", "password": PASSWORD})
    assert response.status_code == 302
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


def settings_url(team) -> str:
    return reverse("accounts:team-settings", kwargs={"slug": team.slug})


def invitation_path_in(message) -> str:
    return link_in(message, r"https?://[^/\s]+(/accounts/invitation/[^/\s]+/)")


def test_invited_newcomer_sets_a_password_and_lands_in_the_team(
        client, team, manager, mailoutbox, django_capture_on_commit_callbacks):
    client.force_login(manager)
    with django_capture_on_commit_callbacks(execute=True):
        response = add_member(client, team, "Newcomer@Example.com")
    assert response.status_code == 302
    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == ["newcomer@example.com"]
    assert message.subject == f"{manager.display_name} invited you to join Comms on Misfire"
    link = invitation_path_in(message)
    settings_page = client.get(response.url)
    html = settings_page.content.decode()
    assert [i.email for i in settings_page.context["invitations"]] == ["newcomer@example.com"]
    assert '<span class="tag">invited, not yet accepted</span>' in html
    assert not User.objects.filter(email="newcomer@example.com").exists()

    client.logout()
    page = client.get(link)
    html = page.content.decode()
    assert page.status_code == 200
    assert "Join Comms on Misfire" in html
    assert "<strong>newcomer@example.com</strong>" in html
    assert f"{manager.display_name} ({manager.email}) invited" in html
    joined = client.post(link, {"display_name": "Nia Newcomer", "new_password1": NEW_PASSWORD,
                                "new_password2": NEW_PASSWORD}, follow=True)
    assert joined.redirect_chain == [(reverse("incidents:incident-list"), 302)]
    newcomer = User.objects.get(email="newcomer@example.com")
    assert joined.context["user"] == newcomer
    assert newcomer.check_password(NEW_PASSWORD)
    assert newcomer.display_name == "Nia Newcomer"
    assert Membership.objects.get(user=newcomer).team == team
    assert Membership.objects.get(user=newcomer).role == Role.MEMBER
    assert messages_of(joined) == ["Welcome to Comms. You joined as a member."]
    assert '<span class="team-name">Comms</span>' in joined.content.decode()

    client.logout()
    used = client.get(link)
    assert used.status_code == 410
    assert "This invitation has already been used" in used.content.decode()
    assert 'name="new_password1"' not in used.content.decode()


def test_the_manager_sees_the_same_answer_whether_or_not_the_address_has_an_account(
        manager_client, team, other_team, outsider, mailoutbox,
        django_capture_on_commit_callbacks):
    """An existing user of another team and an unknown address: same page, same words."""
    def invite(email):
        with django_capture_on_commit_callbacks(execute=True):
            response = add_member(manager_client, team, email)
        page = manager_client.get(response.url)
        return response, page

    def normalised(page, email):
        html = page.content.decode().replace(email, "ADDRESS")
        html = re.sub(r"\b[A-Za-z0-9]{64}\b", "CSRF", html)  # masked per response
        return re.sub(r"invitation(s/|-)[0-9a-f-]{36}", "INVITATION", html)

    known_response, known_page = invite("outsider@example.com")
    # Start the second from the same state: no invitation listed yet.
    Invitation.objects.all().delete()
    unknown_response, unknown_page = invite("nobody@example.com")
    assert (known_response.status_code, known_response.url) == (
        unknown_response.status_code, unknown_response.url)
    assert messages_of(known_page) == [
        "An invitation has been sent to outsider@example.com. If they accept it within 7 days, "
        "they join Comms as a member."]
    assert messages_of(unknown_page) == [
        "An invitation has been sent to nobody@example.com. If they accept it within 7 days, "
        "they join Comms as a member."]
    assert normalised(known_page, "outsider@example.com") == normalised(unknown_page,
                                                                        "nobody@example.com")
    assert outsider.display_name not in known_page.content.decode()
    assert not Membership.objects.filter(user=outsider, team=team).exists()
    # Both emails are identical but for the link.
    assert [m.to for m in mailoutbox] == [["outsider@example.com"], ["nobody@example.com"]]
    bodies = [re.sub(r"/invitation/[^/]+/", "/invitation/T/", m.body) for m in mailoutbox]
    assert bodies[0] == bodies[1]


def test_pending_invitations_show_the_typed_address_not_the_account(
        manager_client, team, other_team, outsider, django_capture_on_commit_callbacks):
    outsider.display_name = "Olive Outsider"
    outsider.save()
    with django_capture_on_commit_callbacks(execute=True):
        add_member(manager_client, team, "OUTSIDER@example.com", role="viewer")
    response = manager_client.get(settings_url(team))
    html = response.content.decode()
    assert [m.user.email for m in response.context["members"]] == ["manager@example.com"]
    assert "outsider@example.com" in html
    assert "Olive Outsider" not in html
    assert "Elsewhere" not in html


def test_someone_with_an_account_signs_in_and_accepts(
        client, team, manager, outsider, mailoutbox, django_capture_on_commit_callbacks):
    client.force_login(manager)
    with django_capture_on_commit_callbacks(execute=True):
        add_member(client, team, "outsider@example.com", role="viewer")
    link = invitation_path_in(mailoutbox[0])
    client.logout()

    page = client.get(link)
    html = page.content.decode()
    assert "Sign in as <strong>outsider@example.com</strong>" in html
    login_url = f'{reverse("accounts:login")}?next={link.replace("/", "%2F")}'
    assert f'href="{login_url}"' in html
    assert client.post(link).status_code == 200  # nothing happens without signing in
    assert not Membership.objects.filter(user=outsider, team=team).exists()

    signed_in = client.post(login_url, {"username": "outsider@example.com",
                                        "password": PASSWORD, "next": link})
    assert signed_in.url == link
    accept_page = client.get(link).content.decode()
    assert "Accept and join Comms" in accept_page
    assert not Membership.objects.filter(user=outsider, team=team).exists()
    joined = client.post(link, follow=True)
    assert joined.redirect_chain == [(reverse("incidents:incident-list"), 302)]
    assert Membership.objects.get(user=outsider, team=team).role == Role.VIEWER
    assert client.session["current_team"] == "comms"


def test_someone_signed_in_as_another_address_cannot_accept(
        client, team, manager, member, mailoutbox, django_capture_on_commit_callbacks):
    client.force_login(manager)
    with django_capture_on_commit_callbacks(execute=True):
        add_member(client, team, "new@example.com")
    link = invitation_path_in(mailoutbox[0])
    client.force_login(member)
    page = client.get(link)
    assert "This invitation is for another address" in page.content.decode()
    client.post(link, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert not User.objects.filter(email="new@example.com").exists()


@pytest.mark.parametrize(("change", "status", "heading"), [
    ("expire", 410, "This invitation has expired"),
    ("revoke", 410, "This invitation was withdrawn"),
    ("resend", 404, "This invitation link is not valid"),
])
def test_a_dead_invitation_link_says_why(client, team, manager, mailoutbox, change, status,
                                         heading, django_capture_on_commit_callbacks):
    client.force_login(manager)
    with django_capture_on_commit_callbacks(execute=True):
        add_member(client, team, "new@example.com")
    link = invitation_path_in(mailoutbox[0])
    invitation = Invitation.objects.get()
    if change == "expire":
        Invitation.objects.update(expires_at=timezone.now() - timedelta(minutes=1))
    else:
        with django_capture_on_commit_callbacks(execute=True):
            client.post(reverse(f"accounts:invitation-{change}",
                                kwargs={"slug": "comms", "invitation_id": invitation.public_id}))
    client.logout()
    page = client.get(link)
    html = page.content.decode()
    assert page.status_code == status
    assert f"<h1>{heading}</h1>" in html
    assert 'name="new_password1"' not in html
    posted = client.post(link, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert posted.status_code == status
    assert not User.objects.filter(email="new@example.com").exists()


def test_manager_resends_and_revokes_from_the_members_table(
        manager_client, team, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        add_member(manager_client, team, "new@example.com")
    invitation = Invitation.objects.get()
    kwargs = {"slug": "comms", "invitation_id": invitation.public_id}
    html = manager_client.get(settings_url(team)).content.decode()
    assert reverse("accounts:invitation-resend", kwargs=kwargs) in html
    assert reverse("accounts:invitation-revoke", kwargs=kwargs) in html

    with django_capture_on_commit_callbacks(execute=True):
        resent = manager_client.post(reverse("accounts:invitation-resend", kwargs=kwargs),
                                     follow=True)
    assert len(mailoutbox) == 2
    assert messages_of(resent) == ["The invitation to new@example.com has been sent again with "
                                   "a new link; the earlier link no longer works."]
    revoked = manager_client.post(reverse("accounts:invitation-revoke", kwargs=kwargs),
                                  follow=True)
    assert messages_of(revoked) == ["The invitation to new@example.com was revoked; its link no "
                                    "longer works."]
    assert list(revoked.context["invitations"]) == []


def test_another_teams_invitation_is_404_on_this_teams_urls(
        manager_client, team, other_team, outsider, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        foreign = invitation_create(actor=outsider, team=other_team, email="x@example.com",
                                    role=Role.MEMBER)
    for action in ("resend", "revoke"):
        url = reverse(f"accounts:invitation-{action}",
                      kwargs={"slug": "comms", "invitation_id": foreign.public_id})
        assert manager_client.post(url).status_code == 404
    foreign.refresh_from_db()
    assert foreign.state == "pending"


def test_the_team_invitation_limit_is_shown_beside_the_field(
        manager_client, team, mailoutbox, django_capture_on_commit_callbacks):
    for i in range(20):
        with django_capture_on_commit_callbacks(execute=True):
            add_member(manager_client, team, f"p{i}@example.com")
    response = add_member(manager_client, team, "one-more@example.com")
    html = response.content.decode()
    assert response.status_code == 422
    assert ('<ul class="errorlist" id="id_email_error" role="alert"><li>Comms has sent 20 '
            "invitations in the last 24 hours, the most allowed.") in html
    assert len(mailoutbox) == 20


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


def test_a_300_character_address_is_refused_beside_the_field(manager_client, team):
    response = add_member(manager_client, team, "a" * 288 + "@example.com")
    assert response.status_code == 422
    assert ('<ul class="errorlist" id="id_email_error" role="alert"><li>Ensure this value has at '
            "most 254 characters") in response.content.decode()
    assert not Invitation.objects.exists()


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


def test_team_switch_ignores_a_next_on_another_site(client, two_team_member):
    client.force_login(two_team_member)
    response = client.post(reverse("accounts:team-switch"),
                           {"team": "elsewhere", "next": "https://evil.example/"})
    assert response.url == reverse("incidents:incident-list")


@pytest.mark.parametrize("target", ["incidents", "login", "-5", "0001-01-01", "//evil.example/"])
def test_team_switch_sends_a_next_that_is_no_path_of_this_site_to_the_incident_list(
        client, two_team_member, target):
    client.force_login(two_team_member)
    response = client.post(reverse("accounts:team-switch"), {"team": "elsewhere", "next": target})
    assert response.status_code == 302
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
                   kwargs={"slug": team.slug, "membership_id": membership.public_id})


def remove_url(team, membership) -> str:
    return reverse("accounts:membership-delete",
                   kwargs={"slug": team.slug, "membership_id": membership.public_id})


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


def test_members_table_addresses_members_and_invitations_by_public_id(
        manager_client, team, member, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        add_member(manager_client, team, "new@example.com")
    membership = Membership.objects.get(user=member, team=team)
    invitation = Invitation.objects.get()
    html = manager_client.get(settings_url(team)).content.decode()
    assert f'action="{role_url(team, membership)}"' in html
    assert f'action="{remove_url(team, membership)}"' in html
    assert f"/members/{membership.public_id}/role/" in html
    assert f"/invitations/{invitation.public_id}/resend/" in html
    assert f"/members/{membership.pk}/" not in html
    assert f"/invitations/{invitation.pk}/" not in html


@pytest.mark.parametrize("address", ["unknown", "integer", "malformed"])
@pytest.mark.parametrize("route", ["members/{}/role", "members/{}/remove",
                                   "invitations/{}/resend", "invitations/{}/revoke"])
def test_a_member_or_invitation_address_that_is_not_a_public_id_is_404(
        manager_client, team, manager, member, mailoutbox, route, address,
        django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        invitation = invitation_create(actor=manager, team=team, email="new@example.com",
                                       role=Role.MEMBER)
    membership = Membership.objects.get(user=member, team=team)
    target = membership if route.startswith("members") else invitation
    ident = {"unknown": uuid.uuid4(), "integer": target.pk, "malformed": "not-a-uuid"}[address]
    response = manager_client.post(f"/accounts/teams/comms/{route.format(ident)}/",
                                   {"role": "viewer"})
    assert response.status_code == 404
    membership.refresh_from_db()
    invitation.refresh_from_db()
    assert (membership.role, invitation.state, len(mailoutbox)) == ("member", "pending", 1)


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
        Invitation.objects.create(team=team, email=f"invited{i}@ex.com", token_hash=f"{i:064}",
                                  expires_at=timezone.now() + timedelta(days=7))
    with django_assert_num_queries(TEAM_SETTINGS_QUERIES):
        response = manager_client.get(reverse("accounts:team-settings", kwargs={"slug": "comms"}))
    assert len(response.context["members"]) == n + 1
    assert len(response.context["invitations"]) == n


# session, user, team, membership, members, pending invitations (one more since invitations),
# header memberships, the members' last digest deliveries (dashboards' template tag)
TEAM_SETTINGS_QUERIES = 8


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


def test_the_users_timezone_lasts_only_for_their_request(client, member, team, settings):
    """A request by someone in Tokyo leaves the thread in the site's zone: the next code run in
    that thread (another user's request, a task, a test) must not see Tokyo's date."""
    member.timezone = "Asia/Tokyo"
    member.save()
    client.force_login(member)
    response = client.get(reverse("incidents:incident-list"))
    assert response.status_code == 200
    assert timezone.get_current_timezone_name() == settings.TIME_ZONE != "Asia/Tokyo"



def test_team_settings_refuse_another_teams_name_beside_the_field(manager_client, team,
                                                                  other_team):
    response = manager_client.post(settings_url(team), {
        "action": "settings", "name": "E.L.S.E where", "timezone": "UTC",
        "digest_weekday": 0, "digest_hour": 9})
    assert response.status_code == 422
    assert field_error("name", NAME_TAKEN) in response.content.decode()
    team.refresh_from_db()
    assert team.name == "Comms"


@pytest.mark.parametrize("look_alike", ["\u0395lsewhere", "Elsewh\u0435re", "\u0415LSEWHERE"])
def test_team_settings_refuse_another_teams_name_in_look_alike_letters(
        manager_client, team, other_team, look_alike):
    # Greek capital epsilon, Cyrillic small ie, Cyrillic capital ie.
    response = manager_client.post(settings_url(team), {
        "action": "settings", "name": look_alike, "timezone": "UTC",
        "digest_weekday": 0, "digest_hour": 9})
    assert response.status_code == 422
    team.refresh_from_db()
    assert team.name == "Comms"


def test_time_zone_is_labelled_the_same_on_team_settings_and_profile(manager_client, team):
    settings_html = manager_client.get(settings_url(team)).content.decode()
    profile_html = manager_client.get(reverse("accounts:profile")).content.decode()
    for html in (settings_html, profile_html):
        assert '<label for="id_timezone">Time zone' in html
        assert "Timezone" not in html


# Sign-in throttling, reset limits, caching


def login_as(client, email, password, ip="203.0.113.5"):
    return client.post(reverse("accounts:login"), {"username": email, "password": password},
                       REMOTE_ADDR=ip)


def test_after_ten_wrong_passwords_the_right_one_is_refused_from_that_ip_only(client, manager):
    for _ in range(9):
        assert login_as(client, "manager@example.com", "wrong-password").status_code == 200
    # The tenth failure already answers with the lockout page.
    assert login_as(client, "manager@example.com", "wrong-password").status_code == 429
    locked = login_as(client, "manager@example.com", PASSWORD)
    html = locked.content.decode()
    assert locked.status_code == 429
    assert "<h1>Too many sign-in attempts</h1>" in html
    assert ("After 10 wrong passwords for <strong>manager@example.com</strong> from this "
            "network, signing in here is paused for 15 minutes.") in html
    assert "_auth_user_id" not in client.session

    # The same account from another network signs in: an attacker cannot lock a manager out.
    elsewhere = login_as(client, "manager@example.com", PASSWORD, ip="198.51.100.7")
    assert elsewhere.status_code == 302
    assert client.session["_auth_user_id"] == str(manager.pk)


def test_the_lockout_ends_after_the_cool_off(client, manager, time_machine):
    time_machine.move_to(timezone.now())
    for _ in range(10):
        login_as(client, "manager@example.com", "wrong-password")
    assert login_as(client, "manager@example.com", PASSWORD).status_code == 429
    time_machine.shift(timedelta(minutes=16))
    assert login_as(client, "manager@example.com", PASSWORD).status_code == 302


def test_wrong_passwords_for_one_account_do_not_lock_another_from_the_same_ip(
        client, manager, member):
    for _ in range(10):
        login_as(client, "manager@example.com", "wrong-password")
    assert login_as(client, "member@example.com", PASSWORD).status_code == 302


def reset(client, email, ip="203.0.113.5"):
    return client.post(reverse("accounts:password-reset"), {"email": email}, REMOTE_ADDR=ip)


def test_reset_emails_stop_after_three_an_hour_per_address(client, member, mailoutbox):
    answers = [reset(client, "member@example.com", ip=f"198.51.100.{i}") for i in range(5)]
    assert len(mailoutbox) == 3
    assert {(r.status_code, r.url) for r in answers} == {
        (302, reverse("accounts:password-reset-done"))}


def test_reset_emails_stop_after_ten_an_hour_per_ip(client, db, mailoutbox):
    people = [UserFactory(email=f"p{i}@example.com") for i in range(12)]
    for person in people:
        assert reset(client, person.email).url == reverse("accounts:password-reset-done")
    assert len(mailoutbox) == 10
    # Another IP is not affected.
    reset(client, "p11@example.com", ip="198.51.100.1")
    assert len(mailoutbox) == 11


def test_reset_limit_lifts_after_an_hour(client, member, mailoutbox, time_machine):
    time_machine.move_to(timezone.now())
    for _ in range(4):
        reset(client, "member@example.com")
    assert len(mailoutbox) == 3
    time_machine.shift(timedelta(minutes=61))
    reset(client, "member@example.com")
    assert len(mailoutbox) == 4


def test_signed_in_pages_are_not_stored_by_any_cache(client, member):
    client.force_login(member)
    for name in ("incidents:incident-list", "accounts:profile"):
        cache_control = client.get(reverse(name)).headers["Cache-Control"]
        assert set(cache_control.replace(" ", "").split(",")) >= {"private", "no-store"}


def test_anonymous_pages_keep_their_own_caching_headers(client, db):
    """The middleware leaves anonymous pages alone: the sign-in page keeps Django's own
    never_cache (it carries a CSRF token), and a plain page gets no Cache-Control at all."""
    login = client.get(reverse("accounts:login"))
    assert login.headers["Cache-Control"] == "max-age=0, no-cache, no-store, must-revalidate, " \
                                             "private"
    done = client.get(reverse("accounts:password-reset-done"))
    assert done.status_code == 200
    assert "Cache-Control" not in done.headers
