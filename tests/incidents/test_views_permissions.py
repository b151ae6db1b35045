"""The permission matrix of every page and action of incidents/urls.py, accounts/urls.py and the
site's root routes (the pattern, roles and targets are described in tests/matrix.py).

Viewers read; members and managers write; another team's private space answers 404; another
team's library incident can be read but not changed (403). Team settings, members and
invitations are their team's managers' alone.
"""

import pytest
from django.contrib.auth import SESSION_KEY as USER_SESSION_KEY
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from accounts.current import SESSION_KEY as TEAM_SESSION_KEY
from accounts.models import Invitation, Membership, Team, User
from incidents.models import Incident, TimelineEvent
from tests.factories import edit_form_data
from tests.matrix import (
    INCIDENTS,
    TEAM_OF_ROLE,
    TEAMS,
    Cell,
    Row,
    cells,
    everyone,
    manages,
    reads,
    run_cell,
    statuses,
    writes,
)

# Incidents: URL arguments, posted data, and the change a successful write leaves.


def incident(cell: Cell) -> dict:
    return {"public_id": cell.world.incidents[cell.target].public_id}


def incident_source(cell: Cell) -> dict:
    return {**incident(cell), "source_id": cell.world.sources[cell.target].public_id}


def incident_event(cell: Cell) -> dict:
    return {**incident(cell), "event_id": cell.world.events[cell.target].public_id}


def _incident(cell: Cell) -> Incident:
    return Incident.objects.get(pk=cell.world.incidents[cell.target].pk)


def edit_data(cell: Cell) -> dict:
    shown = cell.world.incidents[cell.target]
    return edit_form_data(shown, title=shown.title + " (edited)", status="monitoring",
                          severity="high", actor="unknown")


def source_data(cell: Cell) -> dict:
    return {"source-url": "https://news.example.com/matrix", "source-kind": "article",
            "source-title": "Matrix"}


def timeline_data(cell: Cell) -> dict:
    return {"timeline-at": "2026-01-06T09:30", "timeline-kind": "note",
            "timeline-text": "Matrix entry"}


def edited(cell: Cell) -> bool:
    return _incident(cell).title.endswith("(edited)")


def archived(cell: Cell) -> bool:
    return _incident(cell).archived_at is not None


def archive_first(cell: Cell) -> None:
    Incident.objects.filter(pk=cell.world.incidents[cell.target].pk).update(
        archived_at=timezone.now())


def restored(cell: Cell) -> bool:
    return _incident(cell).archived_at is None


def source_added(cell: Cell) -> bool:
    return _incident(cell).sources.filter(url="https://news.example.com/matrix").exists()


def source_removed(cell: Cell) -> bool:
    return not _incident(cell).sources.filter(pk=cell.world.sources[cell.target].pk).exists()


def entry_added(cell: Cell) -> bool:
    return _incident(cell).timeline.filter(text="Matrix entry").exists()


def entry_removed(cell: Cell) -> bool:
    return not TimelineEvent.objects.filter(pk=cell.world.events[cell.target].pk).exists()


def log_data(cell: Cell) -> dict:
    """A valid quick-log form for the actor's own team."""
    return {
        "team": cell.world.own_team(cell.role).pk, "title": "Logged by the matrix",
        "organization": "Matrix Brand", "link": "https://x.com/brand/status/1", "platform": "",
        "occurred_on": "2026-01-02", "summary": "", "primary_cause": "production-slip",
        "origin": "own", "idempotency_key": "7d3f4f36-0b8e-4c61-9f4c-1f0a3f6c9e01",
    }


def logged(cell: Cell) -> bool:
    teams = list(Incident.objects.filter(title="Logged by the matrix")
                 .values_list("team__slug", flat=True))
    return teams == [TEAM_OF_ROLE.get(cell.role)]


def organization(cell: Cell) -> dict:
    return {"slug": cell.world.incidents[cell.target].organization.slug}


# Accounts.


def team_slug(cell: Cell) -> dict:
    return {"slug": cell.world.team_of(cell.target).slug}


def member_of_team(cell: Cell) -> dict:
    return {**team_slug(cell), "membership_id": cell.world.members[cell.target].public_id}


def invitation_of_team(cell: Cell) -> dict:
    return {**team_slug(cell), "invitation_id": cell.world.invitations[cell.target].public_id}


def _team(cell: Cell) -> Team:
    return Team.objects.get(pk=cell.world.team_of(cell.target).pk)


def settings_data(cell: Cell) -> dict:
    return {"action": "settings", "name": cell.world.team_of(cell.target).name,
            "timezone": "Europe/Paris", "digest_weekday": 1, "digest_hour": 8}


def settings_saved(cell: Cell) -> bool:
    return _team(cell).timezone == "Europe/Paris"


def add_member_data(cell: Cell) -> dict:
    return {"action": "add-member", "email": "newcomer@example.com", "role": "viewer"}


def invited(cell: Cell) -> bool:
    return (Invitation.objects.filter(team=_team(cell), email="newcomer@example.com").exists()
            and [m.to for m in cell.mailoutbox] == [["newcomer@example.com"]])


def role_data(cell: Cell) -> dict:
    return {"role": "viewer"}


def role_changed(cell: Cell) -> bool:
    return Membership.objects.get(pk=cell.world.members[cell.target].pk).role == "viewer"


def member_removed(cell: Cell) -> bool:
    return not Membership.objects.filter(pk=cell.world.members[cell.target].pk).exists()


def _invitation(cell: Cell) -> Invitation:
    return Invitation.objects.get(pk=cell.world.invitations[cell.target].pk)


def resent(cell: Cell) -> bool:
    return (_invitation(cell).token_hash != cell.world.invitation_hashes[cell.target]
            and [m.to for m in cell.mailoutbox] == [["invitee@example.com"]])


def revoked(cell: Cell) -> bool:
    return _invitation(cell).revoked_at is not None


def switch_data(cell: Cell) -> dict:
    return {"team": "comms"}


def switched(cell: Cell) -> bool:
    return cell.client.session.get(TEAM_SESSION_KEY) == "comms"


def signed_out(cell: Cell) -> bool:
    return USER_SESSION_KEY not in cell.client.session


def reset_data(cell: Cell) -> dict:
    return {"email": "member@example.com"}


def reset_sent(cell: Cell) -> bool:
    return [m.to for m in cell.mailoutbox] == [["member@example.com"]]


def bad_reset_link(cell: Cell) -> dict:
    user = cell.world.people["member"]
    return {"uidb64": urlsafe_base64_encode(force_bytes(user.pk)), "token": "bad-token"}


def profile_data(cell: Cell) -> dict:
    return {"display_name": "Matrix Person", "timezone": "Europe/Berlin"}


def profile_saved(cell: Cell) -> bool:
    return list(User.objects.filter(display_name="Matrix Person")
                .values_list("email", flat=True)) == [f"{cell.role}@example.com"]


def to(name: str, **kwargs):
    return lambda cell: reverse(name, kwargs=kwargs)


def own_team_settings(cell: Cell) -> str:
    return reverse("accounts:team-settings", kwargs={"slug": TEAM_OF_ROLE[cell.role]})


ROWS = [
    # The site's root (the home page, a team's dashboard, is in tests/dashboards).
    Row("healthz", everyone(200, anonymous=200), login_required=False),
    Row("favicon", everyone(302, anonymous=302), login_required=False,
        location=lambda cell: static("img/favicon.svg")),

    # Incidents and what hangs off them, for each of the four incidents.
    Row("incidents:incident-detail", reads(), targets=INCIDENTS, kwargs=incident),
    Row("incidents:incident-history", reads(), targets=INCIDENTS, kwargs=incident),
    Row("incidents:incident-update", writes(200), targets=INCIDENTS, kwargs=incident),
    Row("incidents:incident-update", writes(), "post", INCIDENTS, incident, data=edit_data,
        changed=edited),
    Row("incidents:incident-archive", writes(), "post", INCIDENTS, incident, changed=archived),
    Row("incidents:incident-restore", writes(), "post", INCIDENTS, incident,
        prepare=archive_first, changed=restored),
    Row("incidents:source-create", writes(), "post", INCIDENTS, incident, data=source_data,
        changed=source_added),
    Row("incidents:source-delete", writes(), "post", INCIDENTS, incident_source,
        changed=source_removed),
    Row("incidents:timeline-create", writes(), "post", INCIDENTS, incident,
        data=timeline_data, changed=entry_added),
    Row("incidents:timeline-delete", writes(), "post", INCIDENTS, incident_event,
        changed=entry_removed),
    Row("incidents:organization-detail", reads(), targets=INCIDENTS, kwargs=organization),

    # Lists and the log form.
    Row("incidents:incident-list", everyone(200)),
    Row("incidents:library", everyone(200)),
    Row("incidents:organization-list", everyone(200)),
    Row("incidents:incident-similar", everyone(200)),
    Row("incidents:organization-suggest", everyone(200)),
    Row("incidents:incident-create", statuses(302, 403, 200, 200, 200)),
    Row("incidents:incident-create", statuses(302, 403, 302, 302, 302), "post", data=log_data,
        changed=logged),

    # Signing in and out, and passwords: open to everyone.
    Row("accounts:login", statuses(200, 302, 302, 302, 302), login_required=False),
    Row("accounts:logout", everyone(302, anonymous=302), "post", login_required=False,
        changed=signed_out, location=to("accounts:login")),
    Row("accounts:password-reset", everyone(200, anonymous=200), login_required=False),
    Row("accounts:password-reset", everyone(302, anonymous=302), "post", data=reset_data,
        login_required=False, changed=reset_sent, location=to("accounts:password-reset-done")),
    Row("accounts:password-reset-done", everyone(200, anonymous=200), login_required=False),
    Row("accounts:password-reset-confirm", everyone(200, anonymous=200), kwargs=bad_reset_link,
        login_required=False, label="password-reset-confirm-bad-token"),
    Row("accounts:password-reset-complete", everyone(200, anonymous=200),
        login_required=False),
    Row("accounts:invitation-accept", everyone(404, anonymous=404),
        kwargs=lambda cell: {"token": "bad-token"}, login_required=False,
        label="invitation-accept-bad-token"),

    # The signed-in person's own settings.
    Row("accounts:profile", everyone(200)),
    Row("accounts:profile", everyone(302), "post", data=profile_data, changed=profile_saved,
        location=to("accounts:profile")),
    Row("accounts:team-switch", statuses(302, 302, 302, 302, 404), "post", data=switch_data,
        changed=switched, location=to("incidents:incident-list")),
    Row("accounts:team-settings-current", everyone(302), location=own_team_settings),

    # A team's settings, members and invitations, for each of the two teams.
    Row("accounts:team-settings", manages(200), targets=TEAMS, kwargs=team_slug),
    Row("accounts:team-settings", manages(), "post", TEAMS, team_slug, data=settings_data,
        changed=settings_saved, label="team-settings-save"),
    Row("accounts:team-settings", manages(), "post", TEAMS, team_slug, data=add_member_data,
        changed=invited, label="team-settings-add-member"),
    Row("accounts:membership-update", manages(), "post", TEAMS, member_of_team,
        data=role_data, changed=role_changed),
    Row("accounts:membership-delete", manages(), "post", TEAMS, member_of_team,
        changed=member_removed),
    Row("accounts:invitation-resend", manages(), "post", TEAMS, invitation_of_team,
        changed=resent),
    Row("accounts:invitation-revoke", manages(), "post", TEAMS, invitation_of_team,
        changed=revoked),
]


@pytest.mark.parametrize(("row", "target", "role"), cells(ROWS))
def test_each_role_gets_what_the_matrix_says(
        client, world, row, target, role, mailoutbox, django_capture_on_commit_callbacks):
    run_cell(Cell(world, role, target, client, mailoutbox), row,
             django_capture_on_commit_callbacks)
