"""One permission matrix for every page and action of incidents/urls.py and accounts/urls.py.

Each row names a URL (built from the objects of the fixture world), a method, the data it
posts, and the status each person gets: anonymous (302 to the login page), a viewer, a member
and a manager of the team "comms", and an outsider (the manager of the team "elsewhere").

Incident URLs run against four incidents, named from the point of view of "comms":
- ``own``: comms' team-only incident;
- ``own-library``: comms' incident shared in the library;
- ``other``: elsewhere's team-only incident (the outsider's own);
- ``other-library``: elsewhere's library incident (the outsider's own).

Viewers read; members and managers write; another team's private space answers 404; another
team's library incident can be read but not changed (403).
"""

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from accounts.models import Invitation, Membership, Team, User
from incidents.models import Incident, TimelineEvent
from tests.factories import (
    IncidentFactory,
    SourceFactory,
    TimelineEventFactory,
    edit_form_data,
)

ROLES = ("anonymous", "viewer", "member", "manager", "outsider")


@dataclass
class World:
    """Everything the URLs and data of the matrix are built from."""

    team: Any
    other_team: Any
    people: dict
    incidents: dict
    sources: dict
    events: dict


@pytest.fixture
def world(team, other_team, manager, member, viewer, outsider, private_incident,
          library_incident, outsider_private_incident):
    own_library = IncidentFactory(team=team, created_by=member, visibility="library",
                                  origin="external", title="Comms' shared case")
    incidents = {
        "own": private_incident,
        "own-library": own_library,
        "other": outsider_private_incident,
        "other-library": library_incident,
    }
    sources, events = {}, {}
    for key, incident in incidents.items():
        source = SourceFactory()
        incident.sources.add(source)
        sources[key] = source
        events[key] = TimelineEventFactory(incident=incident,
                                           at=datetime(2026, 1, 5, 12, 0, tzinfo=UTC))
    return World(
        team=team, other_team=other_team,
        people={"viewer": viewer, "member": member, "manager": manager, "outsider": outsider},
        incidents=incidents, sources=sources, events=events,
    )


def incident_url(name, **extra):
    def build(w: World, target: str) -> str:
        incident = w.incidents[target]
        kwargs = {"public_id": incident.public_id}
        if "source" in extra:
            kwargs["source_id"] = w.sources[target].public_id
        if "event" in extra:
            kwargs["event_id"] = w.events[target].public_id
        return reverse(f"incidents:{name}", kwargs=kwargs)
    return build


def edit_data(w: World, target: str, role: str) -> dict:
    incident = w.incidents[target]
    return edit_form_data(incident, title=incident.title + " (edited)", status="monitoring",
                          severity="high", actor="unknown")


def source_data(w, target, role):
    return {"source-url": "https://news.example.com/matrix", "source-kind": "article",
            "source-title": "Matrix"}


def timeline_data(w, target, role):
    return {"timeline-at": "2026-01-06T09:30", "timeline-kind": "note",
            "timeline-text": "Matrix entry"}


def no_data(w, target, role):
    return {}


# The success status of each incident action (for whoever may take it).
def edited(w: World, target: str) -> bool:
    return Incident.objects.get(pk=w.incidents[target].pk).title.endswith("(edited)")


def archived(w: World, target: str) -> bool:
    return Incident.objects.get(pk=w.incidents[target].pk).archived_at is not None


def source_added(w: World, target: str) -> bool:
    return w.incidents[target].sources.filter(url="https://news.example.com/matrix").exists()


def source_removed(w: World, target: str) -> bool:
    return not w.incidents[target].sources.filter(pk=w.sources[target].pk).exists()


def entry_added(w: World, target: str) -> bool:
    return w.incidents[target].timeline.filter(text="Matrix entry").exists()


def entry_removed(w: World, target: str) -> bool:
    return not TimelineEvent.objects.filter(pk=w.events[target].pk).exists()


INCIDENT_ACTIONS = [
    # (label, method, url builder, data builder, read-only?, status on success,
    #  the change a successful write leaves, or None when there is nothing to see)
    ("incident-detail", "get", incident_url("incident-detail"), no_data, True, 200, None),
    ("incident-history", "get", incident_url("incident-history"), no_data, True, 200, None),
    ("incident-update-page", "get", incident_url("incident-update"), no_data, False, 200, None),
    ("incident-update", "post", incident_url("incident-update"), edit_data, False, 302, edited),
    ("incident-archive", "post", incident_url("incident-archive"), no_data, False, 302,
     archived),
    ("incident-restore", "post", incident_url("incident-restore"), no_data, False, 302, None),
    ("source-create", "post", incident_url("source-create"), source_data, False, 302,
     source_added),
    ("source-delete", "post", incident_url("source-delete", source=True), no_data, False, 302,
     source_removed),
    ("timeline-create", "post", incident_url("timeline-create"), timeline_data, False, 302,
     entry_added),
    ("timeline-delete", "post", incident_url("timeline-delete", event=True), no_data, False,
     302, entry_removed),
]

# Who owns each target incident, and whether it is in the library.
TARGETS = {
    "own": ("comms", False),
    "own-library": ("comms", True),
    "other": ("elsewhere", False),
    "other-library": ("elsewhere", True),
}
TEAM_OF_ROLE = {"viewer": "comms", "member": "comms", "manager": "comms",
                "outsider": "elsewhere"}
WRITERS = {"member", "manager", "outsider"}  # the outsider manages elsewhere


def expected_for_incident(role: str, target: str, read_only: bool, success: int) -> int:
    if role == "anonymous":
        return 302
    owner, shared = TARGETS[target]
    if TEAM_OF_ROLE[role] != owner:
        if not shared:
            return 404
        return success if read_only else 403
    if read_only or role in WRITERS:
        return success
    return 403


def _incident_cells():
    for label, method, url, data, read_only, success, change in INCIDENT_ACTIONS:
        for target in TARGETS:
            for role in ROLES:
                expected = expected_for_incident(role, target, read_only, success)
                changed = None
                if change is not None:
                    # A write that is refused must leave nothing behind.
                    changed = (lambda w, change=change, target=target: change(w, target),
                               role != "anonymous" and expected == success)
                yield pytest.param(
                    method,
                    lambda w, url=url, target=target: url(w, target),
                    lambda w, role, data=data, target=target: data(w, target, role),
                    role,
                    expected,
                    changed,
                    id=f"{label}-{target}-{role}",
                )


def url_for(name, **kwargs):
    def build(w: World) -> str:
        return reverse(name, kwargs={key: value(w) for key, value in kwargs.items()})
    return build


def log_data(w: World, role: str) -> dict:
    """A valid quick-log form for the actor's own team."""
    team = w.other_team if role == "outsider" else w.team
    return {
        "team": team.pk, "title": "Logged by the matrix", "organization": "Matrix Brand",
        "link": "https://x.com/brand/status/1", "platform": "", "occurred_on": "2026-01-02",
        "summary": "", "primary_cause": "production-slip", "origin": "own",
        "idempotency_key": "7d3f4f36-0b8e-4c61-9f4c-1f0a3f6c9e01",
    }


def settings_data(w, role):
    return {"action": "settings", "name": "Comms", "timezone": "Europe/Paris",
            "digest_weekday": 1, "digest_hour": 8}


def add_member_data(w, role):
    return {"action": "add-member", "email": "newcomer@example.com", "role": "viewer"}


def role_data(w, role):
    return {"role": "viewer"}


def switch_data(w, role):
    return {"team": "comms"}


def profile_data(w, role):
    return {"display_name": "Matrix Person", "timezone": "Europe/Berlin"}


def nothing(w, role):
    return {}


def membership_id(role: str):
    return lambda w: Membership.objects.get(user=w.people[role], team=w.team).public_id


def reset_kwargs(w: World) -> dict:
    user = w.people["member"]
    return {"uidb64": urlsafe_base64_encode(force_bytes(user.pk)), "token": "bad-token"}


def org_slug(target: str):
    return lambda w: w.incidents[target].organization.slug


def comms_slug(w):
    return "comms"


def everyone(status: int, anonymous: int = 302) -> dict:
    return {"anonymous": anonymous, "viewer": status, "member": status, "manager": status,
            "outsider": status}


def statuses(anonymous, viewer, member, manager, outsider) -> dict:
    return {"anonymous": anonymous, "viewer": viewer, "member": member, "manager": manager,
            "outsider": outsider}


PAGES = [
    # (label, method, url builder, data builder, {role: status})
    ("incident-list", "get", url_for("incidents:incident-list"), nothing, everyone(200)),
    ("library", "get", url_for("incidents:library"), nothing, everyone(200)),
    ("incident-create-page", "get", url_for("incidents:incident-create"), nothing,
     statuses(302, 403, 200, 200, 200)),
    ("incident-create", "post", url_for("incidents:incident-create"), log_data,
     statuses(302, 403, 302, 302, 302)),
    ("incident-similar", "get", url_for("incidents:incident-similar"), nothing, everyone(200)),
    ("organization-list", "get", url_for("incidents:organization-list"), nothing,
     everyone(200)),
    ("organization-detail-own", "get",
     url_for("incidents:organization-detail", slug=org_slug("own")), nothing,
     statuses(302, 200, 200, 200, 404)),
    ("organization-detail-other", "get",
     url_for("incidents:organization-detail", slug=org_slug("other")), nothing,
     statuses(302, 404, 404, 404, 200)),
    ("organization-detail-other-library", "get",
     url_for("incidents:organization-detail", slug=org_slug("other-library")), nothing,
     everyone(200)),
    ("login-page", "get", url_for("accounts:login"), nothing, everyone(302, anonymous=200)),
    ("logout", "post", url_for("accounts:logout"), nothing, everyone(302)),
    ("password-reset-page", "get", url_for("accounts:password-reset"), nothing,
     everyone(200, anonymous=200)),
    ("password-reset", "post", url_for("accounts:password-reset"),
     lambda w, role: {"email": "member@example.com"}, everyone(302, anonymous=302)),
    ("password-reset-done", "get", url_for("accounts:password-reset-done"), nothing,
     everyone(200, anonymous=200)),
    ("password-reset-confirm-bad-token", "get",
     lambda w: reverse("accounts:password-reset-confirm", kwargs=reset_kwargs(w)), nothing,
     everyone(200, anonymous=200)),
    ("password-reset-complete", "get", url_for("accounts:password-reset-complete"), nothing,
     everyone(200, anonymous=200)),
    ("invitation-accept-bad-token", "get",
     lambda w: reverse("accounts:invitation-accept", kwargs={"token": "bad-token"}), nothing,
     everyone(404, anonymous=404)),
    ("team-switch", "post", url_for("accounts:team-switch"), switch_data,
     statuses(302, 302, 302, 302, 404)),
    ("team-settings-current", "get", url_for("accounts:team-settings-current"), nothing,
     everyone(302)),
    ("team-settings-page", "get", url_for("accounts:team-settings", slug=comms_slug), nothing,
     statuses(302, 403, 403, 200, 404)),
    ("team-settings-save", "post", url_for("accounts:team-settings", slug=comms_slug),
     settings_data, statuses(302, 403, 403, 302, 404)),
    ("team-settings-add-member", "post", url_for("accounts:team-settings", slug=comms_slug),
     add_member_data, statuses(302, 403, 403, 302, 404)),
    ("membership-update", "post",
     url_for("accounts:membership-update", slug=comms_slug, membership_id=membership_id("member")),
     role_data, statuses(302, 403, 403, 302, 404)),
    ("membership-delete", "post",
     url_for("accounts:membership-delete", slug=comms_slug, membership_id=membership_id("member")),
     nothing, statuses(302, 403, 403, 302, 404)),
    ("profile-page", "get", url_for("accounts:profile"), nothing, everyone(200)),
    ("profile-save", "post", url_for("accounts:profile"), profile_data, everyone(302)),
]


def _page_cells():
    for label, method, url, data, expected in PAGES:
        for role in ROLES:
            yield pytest.param(method, url, data, role, expected[role], id=f"{label}-{role}")


def _request(client, world, method, url, data, role):
    if role != "anonymous":
        client.force_login(world.people[role])
    path = url(world)
    if method == "get":
        return path, client.get(path)
    return path, client.post(path, data(world, role))


@pytest.mark.parametrize(("method", "url", "data", "role", "expected", "changed"),
                         list(_incident_cells()))
def test_incident_action_answers_the_expected_status_for_each_role(
        client, world, method, url, data, role, expected, changed):
    path, response = _request(client, world, method, url, data, role)
    assert response.status_code == expected
    if role == "anonymous":
        assert response.url.startswith(reverse("accounts:login") + "?next=")
    if changed is not None:
        change, should_change = changed
        assert change(world) is should_change


@pytest.mark.parametrize(("method", "url", "data", "role", "expected"), list(_page_cells()))
def test_page_answers_the_expected_status_for_each_role(
        client, world, method, url, data, role, expected, mailoutbox,
        django_capture_on_commit_callbacks):
    before = snapshot()
    with django_capture_on_commit_callbacks(execute=True):
        path, response = _request(client, world, method, url, data, role)
    assert response.status_code == expected
    sent_to_login = role == "anonymous" and getattr(response, "url", "").startswith(
        reverse("accounts:login") + "?next=")
    if expected in (403, 404) or sent_to_login:
        # Refused: nothing written, nobody emailed.
        assert snapshot() == before
        assert mailoutbox == []


def snapshot() -> tuple:
    """What the page POSTs of the matrix could change."""
    return (
        list(Team.objects.order_by("pk").values_list(
            "name", "timezone", "digest_weekday", "digest_hour")),
        list(Membership.objects.order_by("pk").values_list("user_id", "team_id", "role")),
        list(User.objects.order_by("pk").values_list("email", "display_name", "timezone")),
        Incident.objects.count(),
        Invitation.objects.count(),
    )


@pytest.mark.parametrize("name", [
    "incidents:incident-list", "incidents:library", "incidents:incident-create",
    "incidents:incident-similar", "incidents:organization-list", "accounts:team-switch",
    "accounts:team-settings-current", "accounts:profile",
])
def test_anonymous_visitor_is_sent_to_the_login_page_with_next(client, db, name):
    path = reverse(name)
    response = client.get(path) if name != "accounts:team-switch" else client.post(path)
    assert response.status_code == 302
    assert response.url == f"{reverse('accounts:login')}?next={path}"


def test_refused_changes_leave_another_teams_library_incident_untouched(client, world):
    incident = world.incidents["other-library"]
    client.force_login(world.people["manager"])
    base = {"public_id": incident.public_id}
    client.post(reverse("incidents:incident-update", kwargs=base),
                edit_data(world, "other-library", "manager"))
    client.post(reverse("incidents:incident-archive", kwargs=base))
    client.post(reverse("incidents:source-delete",
                        kwargs={**base, "source_id": world.sources["other-library"].public_id}))
    client.post(reverse("incidents:timeline-create", kwargs=base),
                timeline_data(world, "other-library", "manager"))
    incident.refresh_from_db()
    assert incident.title == "Shared hashtag hijack"
    assert incident.archived_at is None
    assert list(incident.sources.all()) == [world.sources["other-library"]]
    assert incident.timeline.count() == 1
