"""Bad input never answers 5xx: every page, every query parameter, every form field.

Generated, not listed by hand: the URL patterns come from the resolver; path parameters are
filled with real objects' ids and with malformed ones; query parameters are the pages'
filtersets and forms (found in the response context) plus a generic list; posted fields are
those of the form classes each view refers to. Each is sent the nasty values below, sampled by
the field's type. Every failure is collected and reported in one assertion (URL, parameter,
value). A member signs in (a manager on team pages), in UTC+14, where year 1 used to be
stored as a BC timestamp.
"""

import inspect
import itertools
import logging
import re
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from unittest import mock
from urllib.parse import quote, urlencode

import django.test.client
import pytest
from django import forms
from django.contrib.auth.tokens import default_token_generator
from django.db import transaction
from django.test import Client
from django.test.utils import ContextList
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

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

# Values ---------------------------------------------------------------------------------

NUL = "a\x00b"
# Sent as raw bytes, not percent-escaped: they reach Django as they would from a socket.
BAD_UTF8 = b"\xff\xfe\xc3("
LONG = "x" * 100_000
YEAR_1, YEAR_9999 = "0001-01-01", "9999-12-31"
YEAR_1_TIME, YEAR_9999_TIME = "0001-01-01T00:30", "9999-12-31T23:59"
NEGATIVE, HUGE = "-1", "9" * 30
BAD_UUID = "not-a-uuid-0000"
LONG_EMAIL = "a" * 288 + "@example.com"  # valid, but longer than the column's 254

# Query parameters any page might read, besides those of its filterset and forms.
GENERIC_PARAMS = ["q", "page", "sort", "team", "organization", "occurred_on", "incident",
                  "next", "status", "period", "cause", "archived", "link"]
SKIP_PREFIXES = ("admin/", "healthz/")


def values_for(form_field: forms.Field | None) -> list:
    """The nasty values worth sending to one field of this type, one request each.

    NUL and invalid UTF-8 go to every field at once (see sweep): the NUL check and the
    decoding are the same for every field, so one request each per form is enough.
    """
    if isinstance(form_field, forms.DateTimeField):
        return [YEAR_1_TIME, YEAR_9999_TIME, YEAR_1, LONG]
    if isinstance(form_field, forms.DateField):
        return [YEAR_1, YEAR_9999, YEAR_1_TIME, LONG]
    if isinstance(form_field, forms.UUIDField | forms.ModelChoiceField | forms.IntegerField
                  | forms.ChoiceField | forms.BooleanField):
        return [NEGATIVE, HUGE, BAD_UUID]
    if isinstance(form_field, forms.EmailField):
        return [LONG, LONG_EMAIL]
    if form_field is None:  # a generic parameter: nothing known about it
        return [LONG, HUGE, YEAR_1]
    return [LONG, YEAR_1]


def shown(value) -> str:
    if isinstance(value, bytes):
        return f"raw bytes {value!r}"
    if len(value) > 40:
        return f"{value[:10]!r}… ({len(value):,} characters)"
    return repr(value)


# Data -----------------------------------------------------------------------------------


@dataclass
class World:
    member: object
    manager: object
    uuids: list[str]
    slugs: list[str]
    strs: list[str]
    # Real values for a parameter of this name, rather than of its converter: the public id
    # of a source, a timeline entry, a membership or an invitation.
    named: dict[str, list[str]] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    # A form of each class as a page showed it (with its prefix and choices), for the
    # POST-only views that use it: routes come in order, pages before their actions.
    seen_forms: dict[type, forms.BaseForm] = field(default_factory=dict)
    requests: int = 0


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker) -> Iterator[World]:
    """One set of objects for the whole module, rolled back at its end."""
    with django_db_blocker.unblock(), transaction.atomic():
        team = TeamFactory(name="Comms", slug="comms")
        other = TeamFactory(name="Elsewhere", slug="elsewhere")
        kiri = "Pacific/Kiritimati"
        member = UserFactory(email="member@example.com", timezone=kiri)
        manager = UserFactory(email="manager@example.com", timezone=kiri)
        viewer = UserFactory(email="viewer@example.com")
        outsider = UserFactory(email="outsider@example.com")
        MembershipFactory(team=team, user=member, role=Role.MEMBER)
        MembershipFactory(team=team, user=manager, role=Role.MANAGER)
        viewer_membership = MembershipFactory(team=team, user=viewer, role=Role.VIEWER)
        MembershipFactory(team=other, user=outsider, role=Role.MANAGER)
        invitation = invitation_create(actor=manager, team=team, email="invitee@example.com",
                                       role=Role.MEMBER)
        own = IncidentFactory(team=team, created_by=member, organization__name="Acme")
        shared = IncidentFactory(team=other, created_by=outsider, visibility="library",
                                 origin="external")
        source = SourceFactory()
        own.sources.add(source)
        event = TimelineEventFactory(incident=own)
        learning, _ = learning_create_from_incidents(
            user=member, team=team, incident_ids=[own.public_id, shared.public_id],
            title="Pause the queue")
        item = action_item_create(user=member, learning=learning, title="Write the checklist")
        yield World(
            member=member, manager=manager,
            uuids=[str(x.public_id) for x in (own, shared, learning, item)],
            named={"source_id": [str(source.public_id)], "event_id": [str(event.public_id)],
                   "membership_id": [str(viewer_membership.public_id)],
                   "invitation_id": [str(invitation.public_id)]},
            slugs=["comms", own.organization.slug],
            strs=[urlsafe_base64_encode(force_bytes(viewer.pk)),
                  default_token_generator.make_token(viewer), "set-password"],
        )
        transaction.set_rollback(True)


# URLs -----------------------------------------------------------------------------------


@dataclass
class Route:
    route: str  # with <converter:name> placeholders
    callback: object


def routes() -> list[Route]:
    found = []

    def walk(patterns, prefix):
        for entry in patterns:
            if isinstance(entry, URLResolver):
                walk(entry.url_patterns, prefix + str(entry.pattern))
            elif isinstance(entry, URLPattern):
                found.append(Route(prefix + str(entry.pattern), entry.callback))

    walk(get_resolver().url_patterns, "")
    return [r for r in found if not r.route.startswith(SKIP_PREFIXES)]


PLACEHOLDER = re.compile(r"<(?:(\w+):)?(\w+)>")


def real_values(converter: str, name: str, world: World) -> list[str]:
    if name in world.named:
        return world.named[name]
    return {"uuid": world.uuids, "slug": world.slugs}.get(
        converter, world.strs)


def candidates(converter: str, name: str, world: World) -> list[str]:
    real = real_values(converter, name, world)
    return [*real, BAD_UUID, NEGATIVE, HUGE, quote("x\x00y"), "x" * 300]


def paths(route: Route, world: World) -> list[str]:
    """The route with its parameters filled: every real id in each slot (the others real),
    then each malformed value in one slot at a time."""
    slots = PLACEHOLDER.findall(route.route)
    if not slots:
        return ["/" + route.route]
    options = [candidates(converter or "str", name, world) for converter, name in slots]
    real = [real_values(converter or "str", name, world) for converter, name in slots]
    combinations = list(itertools.product(*real))
    for i, values in enumerate(options):
        for value in values[len(real[i]):]:
            combinations.append(tuple(value if j == i else real[j][0]
                                      for j in range(len(slots))))
    filled = []
    for combination in combinations:
        parts = PLACEHOLDER.split(route.route)  # text, converter, name, text, …
        filled.append("/" + "".join(
            part if i % 3 == 0 else combination[i // 3] if i % 3 == 2 else ""
            for i, part in enumerate(parts) if part is not None or i % 3 != 1))
    return filled


# Forms a view uses ----------------------------------------------------------------------


def view_forms(callback) -> list[type[forms.BaseForm]]:
    """The form classes a view refers to: its form_class, or the names its code uses."""
    view_class = getattr(callback, "view_class", None)
    if view_class is not None:
        form_class = getattr(view_class, "form_class", None)
        return [form_class] if form_class else []
    function = inspect.unwrap(callback)
    found = []
    for name in function.__code__.co_names:
        obj = function.__globals__.get(name)
        if inspect.isclass(obj) and issubclass(obj, forms.BaseForm):
            found.append(obj)
    return found


def view_constants(callback) -> list[str]:
    """Short literal strings in a view's code: the values it compares a parameter with."""
    function = inspect.unwrap(callback)
    code = getattr(function, "__code__", None)
    if code is None:
        return []
    return [c for c in code.co_consts if isinstance(c, str) and re.fullmatch(r"[a-z-]{2,20}", c)]


def context_forms(response) -> list[tuple[forms.BaseForm, bool]]:
    """The forms a page rendered, each with whether it is a filterset's (read from GET)."""
    context = getattr(response, "context", None)
    if not context:
        return []
    contexts = context if isinstance(context, ContextList) else [context]
    found = []
    for value in [v for c in contexts for v in c.flatten().values()]:
        if isinstance(value, forms.BaseForm):
            found.append((value, False))
        elif isinstance(getattr(value, "form", None), forms.BaseForm):  # a FilterSet
            found.append((value.form, True))
    return found


def baseline(form: forms.BaseForm) -> dict[str, object]:
    """A plausible value for every field of a form, from what the page would show."""
    data: dict[str, object] = {}
    for name, bound in form._bound_items() if hasattr(form, "_bound_items") else (
            (n, form[n]) for n in form.fields):
        f = bound.field
        value = bound.value()
        if isinstance(f, forms.ModelMultipleChoiceField | forms.MultipleChoiceField):
            value = [str(v) for v, _ in list(f.choices)[:1] if v != ""]
        elif isinstance(f, forms.ChoiceField | forms.ModelChoiceField):
            if value in (None, ""):
                value = next((str(v) for v, _ in f.choices if str(v) != ""), "")
            else:
                value = str(f.prepare_value(value))
        elif isinstance(f, forms.BooleanField):
            value = "on"
        elif isinstance(f, forms.UUIDField):
            value = str(uuid.uuid4())
        elif isinstance(f, forms.DateTimeField):
            value = "2025-06-01T10:00"
        elif isinstance(f, forms.DateField):
            value = "2025-06-01"
        elif isinstance(f, forms.EmailField):
            value = "someone.new@example.com"
        elif isinstance(f, forms.URLField):
            value = "https://example.com/post/1"
        elif value in (None, "") or not isinstance(value, str | int):
            value = "Plain words"
        data[form.add_prefix(name)] = value
    return data


# Sending --------------------------------------------------------------------------------


def encode(data: dict[str, object], nasty: dict[str, object] | None = None) -> bytes:
    """A urlencoded body (or query string) with some keys set to nasty values, raw if bytes."""
    nasty = nasty or {}
    pairs = [(k, v) for k, v in data.items() if k not in nasty]
    body = urlencode(pairs, doseq=True).encode()
    for key, value in nasty.items():
        raw = value if isinstance(value, bytes) else quote(value, safe="").encode()
        body += (b"&" if body else b"") + quote(key).encode() + b"=" + raw
    return body


def sweep(client, world, method: str, path: str, data: dict, fields: dict, label: str,
          ) -> None:
    """NUL and invalid UTF-8 in every field at once, then each field's own nasty values."""
    for value in (NUL, BAD_UTF8):
        send(client, world, method, path, encode(data, dict.fromkeys(fields, value)),
             f"every field = {shown(value)}{label}")
    for key, form_field in fields.items():
        for value in values_for(form_field):
            send(client, world, method, path, encode(data, {key: value}),
                 f"{key}={shown(value)}{label}")


# The test client copies the context at every template a page renders (each option of a
# select is one), so that a test may read response.context: on the settings page's time zone
# lists that costs more than the request. Only the page whose forms are read keeps it.
RECORD_TEMPLATES = django.test.client.store_rendered_templates


def _record_nothing(*args, **kwargs) -> None:
    return None


def send(client: Client, world: World, method: str, path: str, body: bytes, what: str,
         htmx: bool = False, context: bool = False) -> object:
    headers = {"HX-Request": "true"} if htmx else {}
    world.requests += 1
    recorder = RECORD_TEMPLATES if context else _record_nothing
    try:
        with mock.patch.object(django.test.client, "store_rendered_templates", recorder):
            if method == "GET":
                # Latin-1 keeps each raw byte as one character: the WSGI way of passing bytes.
                response = client.get(f"{path}?{body.decode('latin-1')}" if body else path,
                                      headers=headers)
            else:
                response = client.generic("POST", path, body,
                                          content_type="application/x-www-form-urlencoded",
                                          headers=headers)
    except Exception as error:  # noqa: BLE001 - every failure is collected, then reported
        world.failures.append(f"{method} {path} {what}: {type(error).__name__}: "
                              f"{str(error)[:200]}")
        return None
    if response.status_code >= 500:
        world.failures.append(f"{method} {path} {what}: status {response.status_code}")
    return response


def client_for(route: Route, world: World) -> Client:
    client = Client()
    client.force_login(world.manager if route.route.startswith(("accounts/team",))
                       else world.member)
    return client


# The sweeps -----------------------------------------------------------------------------


def live_path(route: Route, world: World, client: Client) -> tuple[str | None, object]:
    """The first filled path the view answers (not 404), and its GET response."""
    for path in paths(route, world):
        response = send(client, world, "GET", path, b"", "(path parameters)", context=True)
        if response is not None and response.status_code != 404:
            return path, response
    return None, None


@pytest.fixture
def quiet_request_log():
    """The failures are reported one line each; a logged traceback per 500 would drown them."""
    logger = logging.getLogger("django.request")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    yield
    logger.setLevel(level)


@pytest.mark.django_db
def test_no_page_answers_5xx_to_bad_input(world, quiet_request_log):
    started = time.monotonic()
    for route in routes():
        client = client_for(route, world)
        # Every way of filling the path, real and malformed, GET and an empty POST.
        for path in paths(route, world):
            send(client, world, "GET", path, b"", "(path parameters)")
            send(client, world, "POST", path, b"", "(path parameters, empty body)")
        client = client_for(route, world)  # a view above may have signed out (logout)
        path, response = live_path(route, world, client)
        if path is None:
            continue
        found_forms = context_forms(response)
        declared = view_forms(route.callback)
        world.seen_forms.update({type(form): form for form, _ in found_forms})

        # GET: the generic parameters, the page's filterset, and the forms the view binds
        # to its query string.
        if response.status_code != 405:
            params: dict[str, forms.Field | None] = dict.fromkeys(GENERIC_PARAMS)
            for form, of_filterset in found_forms:
                if of_filterset:
                    params.update({form.add_prefix(n): f for n, f in form.fields.items()})
            query: dict[str, object] = {}  # a form read from GET gets its other fields filled
            if reads_get(route):
                for cls in declared:
                    form = world.seen_forms.get(cls) or _bare(cls)
                    if form is not None:
                        params.update({form.add_prefix(n): f for n, f in form.fields.items()})
                        query.update(baseline(form))
            sweep(client, world, "GET", path, query, params, "")

        # POST: every field of the forms the view uses, the others plausibly filled.
        posted = [world.seen_forms.get(cls) or _bare(cls) for cls in declared]
        actions = [None]
        if "action" in view_constants(route.callback):
            actions = [a for a in view_constants(route.callback) if a != "action"]
        for form in [f for f in posted if f is not None]:
            for action in actions:
                data = baseline(form)
                if action:
                    data["action"] = action
                fields = {form.add_prefix(n): f for n, f in form.fields.items()}
                fields.update({"next": None, "team": fields.get("team")})
                sweep(client, world, "POST", path, data, fields,
                      f" (action {action})" if action else "")
                send(client, world, "POST", path, encode(data, {"idempotency_key": NUL}),
                     "htmx, with a NUL", htmx=True)
                client = client_for(route, world)
        print(f"{time.monotonic() - started:6.1f}s {world.requests:5} requests {route.route}")

    assert not world.failures, (
        f"{len(world.failures)} requests answered 5xx or raised:\n" + "\n".join(world.failures))


def reads_get(route: Route) -> bool:
    """Whether the view reads its query string (a class-based view might: assume so)."""
    function = inspect.unwrap(route.callback)
    code = getattr(function, "__code__", None)
    return code is None or "GET" in code.co_names


def _bare(form_class: type[forms.BaseForm]) -> forms.BaseForm | None:
    """A form no page showed (a POST-only view's): built without its page's arguments."""
    for args in ((), (None,)):  # SetPasswordForm(user)
        try:
            return form_class(*args)
        except Exception:  # noqa: BLE001, S112 - some need arguments: try the next way
            continue
    return None
