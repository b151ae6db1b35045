"""The API's permission matrix: every route of the API router and every method it answers,
for each kind of caller (anonymous, a viewer, a member and a manager of "comms", an outsider
managing "elsewhere", signed in as a browser is; and the member with each kind of personal API
token, sent in the Authorization header as a script sends it) and each of the four incidents
of tests/matrix.py.

The routes and methods come from the router (test_every_route_and_method_has_rows), so a new
endpoint fails here until it has rows. A token kind is one more entry in CALLERS. Every cell
asserts the exact status and the error shape; a refused write changes nothing; a successful
one changes what its row says.
"""

from dataclasses import dataclass

import pytest
from django.urls import URLPattern
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import ApiToken, Membership
from accounts.services import token_create, token_revoke
from api.urls import urlpatterns
from incidents.models import Factor, Incident, TimelineEvent
from learnings.models import ActionItem, Learning
from tests.factories import MembershipFactory, TeamFactory
from tests.matrix import INCIDENTS, OWNER, SHARED, TEAMS, Cell, Row, snapshot

# Kinds of personal API token (made by token_create, as the profile page makes them).
READ_WRITE, READ_ONLY, TEAM, LEFT_TEAM, REVOKED = (
    "read-write", "read-only", "team", "left-team", "revoked")
# Tokens that no longer open anything: revoked, or limited to a team the person has left
# (accounts.services.token_for_key refuses both: 401, as a wrong key is).
DEAD_TOKENS = {LEFT_TEAM, REVOKED}


@dataclass(frozen=True)
class Caller:
    """Who calls: a person of the matrix world (None: anonymous), signed in (token None) or
    with a kind of token."""

    person: str | None
    team: str | None  # the team they belong to
    writes: bool  # may write in that team
    token: str | None = None

    @property
    def read_only_token(self) -> bool:
        return self.token == READ_ONLY

    @property
    def signed_in(self) -> bool:
        return self.person is not None and self.token not in DEAD_TOKENS


CALLERS = {
    "anonymous": Caller(None, None, writes=False),
    "viewer": Caller("viewer", "comms", writes=False),
    "member": Caller("member", "comms", writes=True),
    "manager": Caller("manager", "comms", writes=True),
    "outsider": Caller("outsider", "elsewhere", writes=True),
    # The member's tokens. One limited to comms acts as the member does here: every target
    # is comms' or shared in the library, which comms reads.
    "member-token": Caller("member", "comms", writes=True, token=READ_WRITE),
    "member-read-only-token": Caller("member", "comms", writes=True, token=READ_ONLY),
    "member-comms-token": Caller("member", "comms", writes=True, token=TEAM),
    "member-left-team-token": Caller("member", "comms", writes=True, token=LEFT_TEAM),
    "member-revoked-token": Caller("member", "comms", writes=True, token=REVOKED),
    "viewer-token": Caller("viewer", "comms", writes=False, token=READ_WRITE),
}


@pytest.fixture(scope="module")
def token_keys(matrix_world, django_db_blocker) -> dict[str, tuple[int, str]]:
    """role -> (token id, key) for each token caller, made in the module's world."""
    keys = {}
    with django_db_blocker.unblock():
        former = TeamFactory(name="Former", slug="former")
        for role, caller in CALLERS.items():
            if caller.token is None:
                continue
            person = matrix_world.people[caller.person]
            team = None
            if caller.token == TEAM:
                team = matrix_world.team
            elif caller.token == LEFT_TEAM:
                MembershipFactory(team=former, user=person)
                team = former
            token, key = token_create(user=person, name=role, team=team,
                                      read_only=caller.token == READ_ONLY)
            if caller.token == LEFT_TEAM:
                Membership.objects.filter(team=former, user=person).delete()
            elif caller.token == REVOKED:
                token_revoke(user=person, token=token)
            keys[role] = (token.pk, key)
    return keys


def reads(success: int = 200):
    def expect(role, target):
        caller = CALLERS[role]
        if not caller.signed_in:
            return 401
        if target is None or caller.team == OWNER[target] or target in SHARED:
            return success
        return 404
    return expect


def writes(success: int):
    """Writers of the target's team succeed; its viewers, read-only tokens and other teams
    that read it in the library get 403; to anyone else it does not exist (404). A read-only
    token is refused before anything is looked up."""
    def expect(role, target):
        caller = CALLERS[role]
        if not caller.signed_in:
            return 401
        if caller.read_only_token:
            return 403
        if caller.team == OWNER[target]:
            return success if caller.writes else 403
        return 403 if target in SHARED else 404
    return expect


def creates(role, target):
    caller = CALLERS[role]
    if not caller.signed_in:
        return 401
    return 201 if caller.writes and not caller.read_only_token else 403


def never_deleted(role, target):
    """Nothing is deleted: DELETE is no operation of incidents, learnings or action items, so
    it is a 405 to every signed-in caller alike, whatever the id (no object is looked up: an
    outsider learns nothing, a read-only token is told the method is not answered). Without
    valid credentials it is the 401 of every other request."""
    return 405 if CALLERS[role].signed_in else 401


def everyone(role, target):
    """Anyone, signed in or not; but a key that opens nothing is refused wherever it is sent."""
    return 401 if CALLERS[role].token in DEAD_TOKENS else 200


# URL arguments, bodies, and what a successful write changes.

def incident(cell: Cell) -> dict:
    return {"public_id": cell.world.incidents[cell.target].public_id}


def nested(cell: Cell) -> dict:
    return {"incident_id": cell.world.incidents[cell.target].public_id}


def source(cell: Cell) -> dict:
    return {**nested(cell), "source_id": cell.world.sources[cell.target].public_id}


def event(cell: Cell) -> dict:
    return {**nested(cell), "event_id": cell.world.events[cell.target].public_id}


def _incident(cell: Cell) -> Incident:
    return Incident.objects.get(pk=cell.world.incidents[cell.target].pk)


def full_body(cell: Cell) -> dict:
    shown = cell.world.incidents[cell.target]
    return {"title": shown.title + " (edited)", "organization": shown.organization.slug,
            "platform": shown.platform, "occurred_on": shown.occurred_on.isoformat(),
            "primary_cause": shown.primary_cause.slug, "status": "monitoring"}


def edited(cell: Cell) -> bool:
    return _incident(cell).title.endswith("(edited)")


def new_incident(cell: Cell) -> dict:
    return {"title": "Logged by the API matrix", "organization": "Matrix Brand",
            "platform": "twitter", "occurred_on": "2026-01-02",
            "primary_cause": "production-slip"}


def logged(cell: Cell) -> bool:
    teams = list(Incident.objects.filter(title="Logged by the API matrix")
                 .values_list("team__slug", flat=True))
    return teams == [CALLERS[cell.role].team]


def archive_first(cell: Cell) -> None:
    Incident.objects.filter(pk=cell.world.incidents[cell.target].pk).update(
        archived_at="2026-01-01T00:00Z")


def archived(cell: Cell) -> bool:
    return _incident(cell).archived_at is not None


def restored(cell: Cell) -> bool:
    return _incident(cell).archived_at is None


def deleted(cell: Cell) -> bool:
    return not Incident.objects.filter(pk=cell.world.incidents[cell.target].pk).exists()


def source_body(cell: Cell) -> dict:
    return {"url": "https://news.example.com/api-matrix", "kind": "article"}


def source_added(cell: Cell) -> bool:
    return _incident(cell).sources.filter(url="https://news.example.com/api-matrix").exists()


def source_removed(cell: Cell) -> bool:
    return not _incident(cell).sources.filter(pk=cell.world.sources[cell.target].pk).exists()


def event_body(cell: Cell) -> dict:
    return {"at": "2026-01-06T09:30:00Z", "kind": "note", "text": "API matrix entry"}


def event_added(cell: Cell) -> bool:
    return _incident(cell).timeline.filter(text="API matrix entry").exists()


def event_removed(cell: Cell) -> bool:
    return not TimelineEvent.objects.filter(pk=cell.world.events[cell.target].pk).exists()


# Learnings and action items: one of each team ("comms", "elsewhere"; never shared).

def learning(cell: Cell) -> dict:
    return {"public_id": cell.world.learnings[cell.target].public_id}


def item(cell: Cell) -> dict:
    return {"public_id": cell.world.items[cell.target]["open"].public_id}


def _learning(cell: Cell) -> Learning:
    return Learning.objects.get(pk=cell.world.learnings[cell.target].pk)


def _item(cell: Cell) -> ActionItem:
    return ActionItem.objects.get(pk=cell.world.items[cell.target]["open"].pk)


def learning_edited(cell: Cell) -> bool:
    return _learning(cell).title.endswith("(edited)")


def new_learning(cell: Cell) -> dict:
    return {"title": "Drafted by the API matrix"}


def learning_drafted(cell: Cell) -> bool:
    teams = list(Learning.objects.filter(title="Drafted by the API matrix")
                 .values_list("team__slug", flat=True))
    return teams == [CALLERS[cell.role].team]


def archive_learning_first(cell: Cell) -> None:
    Learning.objects.filter(pk=cell.world.learnings[cell.target].pk).update(
        archived_at="2026-01-01T00:00Z")


def learning_deleted(cell: Cell) -> bool:
    return not Learning.objects.filter(pk=cell.world.learnings[cell.target].pk).exists()


def new_item(cell: Cell) -> dict:
    team = CALLERS[cell.role].team or "comms"
    return {"learning": str(cell.world.learnings[team].public_id),
            "title": "Added by the API matrix"}


def item_added(cell: Cell) -> bool:
    teams = list(ActionItem.objects.filter(title="Added by the API matrix")
                 .values_list("learning__team__slug", flat=True))
    return teams == [CALLERS[cell.role].team]


def item_edited(cell: Cell) -> bool:
    return _item(cell).title.endswith("(edited)")


def archive_item_first(cell: Cell) -> None:
    ActionItem.objects.filter(pk=cell.world.items[cell.target]["open"].pk).update(
        archived_at="2026-01-01T00:00Z")


def item_deleted(cell: Cell) -> bool:
    return not ActionItem.objects.filter(pk=cell.world.items[cell.target]["open"].pk).exists()


def slug(value: str):
    return lambda cell: {"slug": value}


def team_slug(cell: Cell) -> dict:
    return {"slug": cell.world.team_of(cell.target).slug}


def shared_organization(cell: Cell) -> dict:
    return {"slug": cell.world.incidents["other-library"].organization.slug}


ROWS = [
    Row("api:api-root", reads()),
    Row("api:schema", everyone, login_required=False),
    Row("api:docs", everyone, login_required=False),
    Row("api:not-found", lambda role, target: 404, kwargs=lambda cell: {"path": "nothing/"},
        login_required=False),
    Row("api:incident-list", reads()),
    Row("api:incident-list", creates, "post", data=new_incident, changed=logged, success=201),
    Row("api:incident-detail", reads(), targets=INCIDENTS, kwargs=incident),
    Row("api:incident-detail", writes(200), "put", INCIDENTS, incident, data=full_body,
        changed=edited, success=200),
    Row("api:incident-detail", writes(200), "patch", INCIDENTS, incident,
        data=lambda cell: {"title": cell.world.incidents[cell.target].title + " (edited)"},
        changed=edited, success=200),
    Row("api:incident-archive", writes(200), "post", INCIDENTS, incident, changed=archived,
        success=200),
    Row("api:incident-restore", writes(200), "post", INCIDENTS, incident,
        prepare=archive_first, changed=restored, success=200),
    Row("api:incident-source-list", reads(), targets=INCIDENTS, kwargs=nested),
    Row("api:incident-source-list", writes(201), "post", INCIDENTS, nested, data=source_body,
        changed=source_added, success=201),
    Row("api:incident-source-detail", writes(204), "delete", INCIDENTS, source,
        changed=source_removed, success=204),
    Row("api:incident-timeline-list", reads(), targets=INCIDENTS, kwargs=nested),
    Row("api:incident-timeline-list", writes(201), "post", INCIDENTS, nested, data=event_body,
        changed=event_added, success=201),
    Row("api:incident-timeline-detail", writes(204), "delete", INCIDENTS, event,
        changed=event_removed, success=204),
    Row("api:learning-list", reads()),
    Row("api:learning-list", creates, "post", data=new_learning, changed=learning_drafted,
        success=201),
    Row("api:learning-detail", reads(), targets=TEAMS, kwargs=learning),
    Row("api:learning-detail", writes(200), "put", TEAMS, learning,
        data=lambda cell: {"title": cell.world.learnings[cell.target].title + " (edited)"},
        changed=learning_edited, success=200),
    Row("api:learning-detail", writes(200), "patch", TEAMS, learning,
        data=lambda cell: {"title": cell.world.learnings[cell.target].title + " (edited)"},
        changed=learning_edited, success=200),
    Row("api:learning-archive", writes(200), "post", TEAMS, learning,
        changed=lambda cell: _learning(cell).archived_at is not None, success=200),
    Row("api:learning-restore", writes(200), "post", TEAMS, learning,
        prepare=archive_learning_first,
        changed=lambda cell: _learning(cell).archived_at is None, success=200),
    Row("api:action-item-list", reads()),
    Row("api:action-item-list", creates, "post", data=new_item, changed=item_added,
        success=201),
    Row("api:action-item-detail", reads(), targets=TEAMS, kwargs=item),
    Row("api:action-item-detail", writes(200), "put", TEAMS, item,
        data=lambda cell: {"title": "Open action (edited)"}, changed=item_edited,
        success=200),
    Row("api:action-item-detail", writes(200), "patch", TEAMS, item,
        data=lambda cell: {"done": True},
        changed=lambda cell: _item(cell).done_at is not None, success=200),
    Row("api:action-item-archive", writes(200), "post", TEAMS, item,
        changed=lambda cell: _item(cell).archived_at is not None, success=200),
    Row("api:action-item-restore", writes(200), "post", TEAMS, item,
        prepare=archive_item_first,
        changed=lambda cell: _item(cell).archived_at is None, success=200),
    Row("api:organization-list", reads()),
    Row("api:organization-detail", reads(), kwargs=shared_organization),
    Row("api:root-cause-list", reads()),
    Row("api:root-cause-detail", reads(), kwargs=slug("production-slip")),
    Row("api:factor-list", reads()),
    Row("api:factor-detail", reads(),
        kwargs=lambda cell: {"slug": Factor.objects.order_by("pk").first().slug}),
    Row("api:team-list", reads()),
    Row("api:team-detail", reads(), targets=TEAMS, kwargs=team_slug),
    # Every member of the team reads its numbers (viewers too); other teams get 404.
    Row("api:team-metrics", reads(), targets=TEAMS, kwargs=team_slug),
    Row("api:library-metrics", reads()),
]


# Methods that are no operation of a route (not routed, not in the schema), called anyway.
NOT_ANSWERED = [
    Row("api:incident-detail", never_deleted, "delete", INCIDENTS, incident, changed=deleted,
        success=204),
    Row("api:incident-list", never_deleted, "delete", success=204),
    Row("api:learning-detail", never_deleted, "delete", TEAMS, learning,
        changed=learning_deleted, success=204),
    Row("api:action-item-detail", never_deleted, "delete", TEAMS, item,
        changed=item_deleted, success=204),
]
# What a 405 says, and the methods its Allow header names.
NOT_ANSWERED_DETAIL = {
    "api:incident-detail": ("Incidents are never deleted", "GET, PUT, PATCH, HEAD, OPTIONS"),
    "api:incident-list": ("Incidents are never deleted", "GET, POST, HEAD, OPTIONS"),
    "api:learning-detail": ("Learnings are never deleted", "GET, PUT, PATCH, HEAD, OPTIONS"),
    "api:action-item-detail": ("Action items are never deleted",
                               "GET, PUT, PATCH, HEAD, OPTIONS"),
}


def router_routes() -> set[tuple[str, str]]:
    """(route name, method) for every route of the API and every method it answers."""
    found = set()
    for pattern in urlpatterns:
        assert isinstance(pattern, URLPattern)
        actions = getattr(pattern.callback, "actions", None)
        # HEAD answers as GET does.
        methods = set(actions) - {"head"} if actions else {"get"}
        found |= {(f"api:{pattern.name}", method) for method in methods}
    return found


def test_every_route_and_method_has_rows():
    assert {(row.route, row.method) for row in ROWS} == router_routes()


def test_a_method_not_answered_is_no_route_and_no_operation_of_the_schema(api):
    routes = router_routes()
    paths = api().get("/api/v1/schema/?format=json").json()["paths"]
    for row in NOT_ANSWERED:
        assert (row.route, row.method) not in routes
    for path in ("/api/v1/incidents/{public_id}/", "/api/v1/incidents/",
                 "/api/v1/learnings/{public_id}/", "/api/v1/action-items/{public_id}/"):
        assert "delete" not in paths[path]
        assert "get" in paths[path]
    # What really removes something keeps its DELETE.
    assert "delete" in paths["/api/v1/incidents/{incident_id}/sources/{source_id}/"]
    assert "delete" in paths["/api/v1/incidents/{incident_id}/timeline/{event_id}/"]


def api_cells() -> list:
    params = []
    for row in ROWS + NOT_ANSWERED:
        for target in row.targets:
            for role in CALLERS:
                name = "-".join(part for part in (row.route.split(":")[1], row.method, target,
                                                  role) if part)
                params.append(pytest.param(row, target, role, id=name))
    return params


@pytest.mark.parametrize(("row", "target", "role"), api_cells())
def test_each_caller_gets_what_the_matrix_says(api, world, token_keys, row, target, role,
                                               mailoutbox, django_capture_on_commit_callbacks):
    cell = Cell(world, role, target, None, mailoutbox)
    caller = CALLERS[role]
    if row.prepare is not None:
        row.prepare(cell)
    if caller.token is None:
        client = api(world.people[caller.person] if caller.person else None)
    else:
        token_id, key = token_keys[role]
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        # A use just recorded: this request records none (at most one a minute), so the
        # snapshot below sees only what the request itself changes.
        ApiToken.objects.filter(pk=token_id).update(last_used_at=timezone.now())
    path = row.path(cell)
    before = snapshot()
    with django_capture_on_commit_callbacks(execute=True):
        if row.method == "get":
            response = client.get(path)
        else:
            response = getattr(client, row.method)(path, row.data(cell), format="json")

    expected = row.expected(role, target)
    assert response.status_code == expected
    if response.status_code < 300 and row.route not in ("api:schema", "api:docs"):
        assert "no-store" in response["Cache-Control"]
    if expected >= 400:
        body = response.json()
        assert set(body) == {"detail", "errors"}
        assert isinstance(body["detail"], str)
        assert body["detail"]
    if expected == 401:
        assert response["WWW-Authenticate"].startswith("Token")
    if expected == 405:
        words, allowed = NOT_ANSWERED_DETAIL[row.route]
        assert body["detail"].startswith(words)
        assert response["Allow"] == allowed
    refused = expected != row.success_status
    if row.changed is not None:
        assert row.changed(cell) is not refused
    if refused or row.method == "get":
        assert snapshot() == before
    if refused:
        assert mailoutbox == []
