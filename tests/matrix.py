"""The permission matrix: one pattern for testing who may reach every page and action.

NetBox's utilities/testing is the model. Each app's tests/<app>/test_views_permissions.py lists
ROWS: one row per route and method (a route may have several rows, e.g. a page and the form it
posts). A row says how to build the URL and the data it posts from the fixture world, the status
each person gets, and, for a write, how to see that the change was made. Every row runs for
each role — anonymous, a viewer, a member and a manager of the team "comms", and an outsider
(the manager of the team "elsewhere") — and for each of its targets:

- incidents: ``own`` (comms' team-only), ``own-library`` (comms', shared in the library),
  ``other`` (elsewhere's team-only) and ``other-library`` (elsewhere's, shared);
- learnings, action items, team settings, members and invitations: ``comms`` and
  ``elsewhere`` (never shared).

Every cell asserts the exact status; an anonymous visitor of a page that needs an account is
sent to the login page with the exact ``?next=``; a write changes what it should for those
allowed and nothing for those refused (no row, no history record, no email); a GET changes
nothing. tests/test_permission_matrix.py fails naming any route of the URL resolver that has
no row and is not exempt (EXEMPT_NAMESPACES, EXEMPT_ROUTES), so a new route cannot ship
without its permission row.

The world is built once per module (tests.conftest.built_once), so the many cells stay quick;
each cell runs in a savepoint rolled back after it, and the whole world is rolled back at the
module's end.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from django.apps import apps
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from accounts.models import Role
from accounts.services import invitation_create
from learnings.services import action_item_create, learning_create_from_incidents
from tests.factories import (
    IncidentFactory,
    MembershipFactory,
    SourceFactory,
    TeamFactory,
    TimelineEventFactory,
    UserFactory,
)

ROLES = ("anonymous", "viewer", "member", "manager", "outsider")
TEAM_OF_ROLE = {"viewer": "comms", "member": "comms", "manager": "comms",
                "outsider": "elsewhere"}
WRITERS = {"member", "manager", "outsider"}  # the outsider manages elsewhere
MANAGERS = {"manager", "outsider"}

INCIDENTS = ("own", "own-library", "other", "other-library")
TEAMS = ("comms", "elsewhere")
OWNER = {"own": "comms", "own-library": "comms", "other": "elsewhere",
         "other-library": "elsewhere", "comms": "comms", "elsewhere": "elsewhere"}
SHARED = {"own-library", "other-library"}

# Whole URL namespaces, and single routes ("namespace:name"), that no matrix covers: why.
EXEMPT_NAMESPACES = {
    "admin": "Django's admin: staff only, its permissions checked by the admin site itself",
}
EXEMPT_ROUTES: dict[str, str] = {}

# Apps whose rows a refused request must leave as they were.
APPS_WRITTEN = ("accounts", "incidents", "learnings")


@dataclass
class World:
    """Everything the URLs and data of the matrices are built from."""

    team: Any
    other_team: Any
    people: dict  # role -> user
    incidents: dict  # incident target -> incident
    sources: dict  # incident target -> a source of that incident
    events: dict  # incident target -> a timeline entry of that incident
    learnings: dict  # team target -> learning
    items: dict  # team target -> {"open": action item, "done": action item}
    members: dict  # team target -> a member's membership that its manager may change
    invitations: dict  # team target -> pending invitation
    invitation_hashes: dict = field(default_factory=dict)  # as built, to see a resend

    def team_of(self, target: str):
        return self.team if OWNER[target] == "comms" else self.other_team

    def own_team(self, role: str):
        return self.other_team if role == "outsider" else self.team


# Which incident each learning is drawn from, and the other team's library incident it may
# link.
LINKED = {"comms": "own", "elsewhere": "other"}
LINKABLE = {"comms": "other-library", "elsewhere": "own-library"}


def build_world() -> World:
    team = TeamFactory(name="Comms", slug="comms")
    other_team = TeamFactory(name="Elsewhere", slug="elsewhere")

    def person(team, role, email):
        return MembershipFactory(team=team, role=role, user=UserFactory(email=email)).user

    people = {
        "manager": person(team, Role.MANAGER, "manager@example.com"),
        "member": person(team, Role.MEMBER, "member@example.com"),
        "viewer": person(team, Role.VIEWER, "viewer@example.com"),
        "outsider": person(other_team, Role.MANAGER, "outsider@example.com"),
    }
    other_member = person(other_team, Role.MEMBER, "colleague@example.com")
    member, outsider = people["member"], people["outsider"]
    incidents = {
        "own": IncidentFactory(team=team, created_by=member, visibility="team",
                               title="Private slip about the spring sale"),
        "own-library": IncidentFactory(team=team, created_by=member, visibility="library",
                                       origin="external", title="Comms' shared case"),
        "other": IncidentFactory(team=other_team, created_by=outsider, visibility="team",
                                 title="Elsewhere's secret misstep"),
        "other-library": IncidentFactory(team=other_team, created_by=outsider,
                                         visibility="library", origin="external",
                                         title="Shared hashtag hijack"),
    }
    sources, events = {}, {}
    for key, incident in incidents.items():
        sources[key] = SourceFactory()
        incident.sources.add(sources[key])
        events[key] = TimelineEventFactory(incident=incident,
                                           at=datetime(2026, 1, 5, 12, 0, tzinfo=UTC))
    learnings, items, invitations = {}, {}, {}
    for target, owner_team, writer in (("comms", team, member),
                                       ("elsewhere", other_team, outsider)):
        learning, _ = learning_create_from_incidents(
            user=writer, team=owner_team, incident_ids=[incidents[LINKED[target]].public_id],
            title=f"{owner_team.name} learning", owner=writer,
        )
        learnings[target] = learning
        items[target] = {
            "open": action_item_create(user=writer, learning=learning, title="Open action",
                                       owner=writer),
            "done": action_item_create(user=writer, learning=learning, title="Done action",
                                       owner=writer, done=True),
        }
        manager = people["manager"] if target == "comms" else outsider
        invitations[target] = invitation_create(actor=manager, team=owner_team,
                                                email="invitee@example.com", role=Role.MEMBER)
    members = {
        "comms": member.memberships.get(team=team),
        "elsewhere": other_member.memberships.get(team=other_team),
    }
    return World(
        team=team, other_team=other_team, people=people, incidents=incidents,
        sources=sources, events=events, learnings=learnings, items=items, members=members,
        invitations=invitations,
        invitation_hashes={key: inv.token_hash for key, inv in invitations.items()},
    )


# Expected statuses, as functions of (role, target).

Expect = Callable[[str, str | None], int]


def everyone(status: int, anonymous: int = 302) -> Expect:
    return lambda role, target: anonymous if role == "anonymous" else status


def statuses(anonymous: int, viewer: int, member: int, manager: int, outsider: int) -> Expect:
    table = {"anonymous": anonymous, "viewer": viewer, "member": member, "manager": manager,
             "outsider": outsider}
    return lambda role, target: table[role]


def _in_team(role: str, target: str) -> bool:
    return TEAM_OF_ROLE[role] == OWNER[target]


def reads(success: int = 200) -> Expect:
    """The target's team reads it, and everyone reads the library; others get 404."""
    def expect(role, target):
        if role == "anonymous":
            return 302
        return success if _in_team(role, target) or target in SHARED else 404
    return expect


def writes(success: int = 302) -> Expect:
    """Members and managers of the target's team change it; its viewers, and other teams'
    people who can read it in the library, get 403; to everyone else it does not exist."""
    def expect(role, target):
        if role == "anonymous":
            return 302
        if _in_team(role, target):
            return success if role in WRITERS else 403
        return 403 if target in SHARED else 404
    return expect


def manages(success: int = 302) -> Expect:
    """Only managers of the target team; its other people get 403, other teams 404."""
    def expect(role, target):
        if role == "anonymous":
            return 302
        if _in_team(role, target):
            return success if role in MANAGERS else 403
        return 404
    return expect


@dataclass
class Cell:
    """One request of the matrix: a row, run by one role against one target."""

    world: World
    role: str
    target: str | None
    client: Any
    mailoutbox: list

    @property
    def user(self):
        return self.world.people.get(self.role)


def nothing(cell: Cell) -> dict:
    return {}


@dataclass(frozen=True)
class Row:
    """A route and method, who gets which status, and what a successful request changes."""

    route: str  # the URL name, "incidents:incident-update"
    expected: Expect
    method: str = "get"
    targets: tuple = (None,)
    kwargs: Callable[[Cell], dict] = nothing  # the URL's arguments
    query: Callable[[Cell], dict] | None = None
    data: Callable[[Cell], dict] = nothing  # what it posts
    # True once a successful request's change is made (None: a page that changes nothing).
    changed: Callable[[Cell], bool] | None = None
    prepare: Callable[[Cell], None] | None = None  # e.g. archive first, to restore
    success: int | None = None  # 200 for a GET, 302 for a POST unless given
    login_required: bool = True
    location: Callable[[Cell], str] | None = None  # where a successful request redirects
    label: str = ""  # tells apart rows of one route

    @property
    def success_status(self) -> int:
        if self.success is not None:
            return self.success
        return 200 if self.method == "get" else 302

    @property
    def name(self) -> str:
        return self.label or self.route.split(":")[-1]

    def path(self, cell: Cell) -> str:
        path = reverse(self.route, kwargs=self.kwargs(cell))
        query = self.query(cell) if self.query is not None else {}
        return f"{path}?{urlencode(query)}" if query else path


def cells(rows: list[Row]) -> list:
    """One pytest parameter per (row, target, role)."""
    params, ids = [], set()
    for row in rows:
        for target in row.targets:
            for role in ROLES:
                name = "-".join(part for part in (row.name, row.method, target, role) if part)
                assert name not in ids, f"two rows are both called {name}"
                ids.add(name)
                params.append(pytest.param(row, target, role, id=name))
    return params


def snapshot() -> tuple:
    """Every row of the apps a page can change, history included."""
    return tuple(
        list(model._base_manager.order_by("pk").values_list())
        for label in APPS_WRITTEN
        for model in apps.get_app_config(label).get_models(include_auto_created=True)
    )


def run_cell(cell: Cell, row: Row, capture_on_commit) -> None:
    """Request the row's URL as the cell's role and check everything the matrix promises."""
    if row.prepare is not None:
        row.prepare(cell)
    if cell.role != "anonymous":
        cell.client.force_login(cell.user)
    path = row.path(cell)
    before = snapshot()
    with capture_on_commit(execute=True):
        if row.method == "get":
            response = cell.client.get(path)
        else:
            response = cell.client.post(path, row.data(cell))

    expected = row.expected(cell.role, cell.target)
    assert response.status_code == expected
    sent_to_login = cell.role == "anonymous" and row.login_required
    if sent_to_login:
        assert response.url == f"{reverse('accounts:login')}?next={quote(path, safe='/')}"
    refused = sent_to_login or expected != row.success_status
    if row.location is not None and not refused:
        assert response.url == row.location(cell)
    if row.changed is not None:
        assert row.changed(cell) is not refused
    if refused or row.method == "get":
        assert snapshot() == before
    if refused:
        assert cell.mailoutbox == []


def route_names(resolver: URLResolver | None = None, prefix: str = "") -> Iterator[str]:
    """Every route of the URL resolver as "namespace:name" ("name" at the root); a route
    without a name shows as "namespace:<unnamed pattern>", so it too needs a decision."""
    for pattern in (resolver or get_resolver()).url_patterns:
        if isinstance(pattern, URLResolver):
            yield from route_names(
                pattern, f"{prefix}{pattern.namespace}:" if pattern.namespace else prefix)
        elif isinstance(pattern, URLPattern):
            yield prefix + (pattern.name or f"<unnamed {pattern.pattern}>")


def uncovered(rows: list[Row]) -> tuple[list[str], list[str]]:
    """The routes with neither a row nor an exemption, and rows or exemptions that name no
    route."""
    routes = {name for name in route_names()
              if name.rpartition(":")[0].split(":")[0] not in EXEMPT_NAMESPACES}
    covered = {row.route for row in rows} | set(EXEMPT_ROUTES)
    return sorted(routes - covered), sorted(covered - routes)
