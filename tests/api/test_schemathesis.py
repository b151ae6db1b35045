"""Schemathesis over the whole OpenAPI schema, in-process (WSGI) against PostgreSQL: every
operation, with inputs the schema allows and inputs it does not, as a member with a real token
and as an anonymous caller. No answer may be a 5xx, and every answer must be one the schema
documents: its status code, its content type, its headers and its body.

Bounded and repeatable: a few examples per operation, derandomized (the same cases every run).
Half the cases name real rows the member may read (an incident, its source and timeline entry,
a learning, an action item, an organisation, a team, a cause, a factor) in their path, body
and query, so that they reach past the 404.
"""

import os
import zlib

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from accounts.models import Role
from incidents.models import Factor
from learnings.models import Learning
from learnings.services import action_item_create, learning_create_from_incidents
from tests.api.conftest import token_client
from tests.factories import (
    IncidentFactory,
    IncidentSourceFactory,
    MembershipFactory,
    TeamFactory,
    TimelineEventFactory,
    UserFactory,
)

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_headers_conformance, response_schema_conformance]
# Cases per operation; SCHEMATHESIS_EXAMPLES=50 for a deeper run by hand.
EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "8"))


@pytest.fixture
def one_connection():
    """Requests made through the WSGI app keep the test's database connection (and its
    transaction), as Django's test client does: no closing it at a request's end."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def known(postgres, one_connection):
    """A member of comms with a token; an incident of theirs with a source and a timeline
    entry, a learning drawn from it with an action item, an organisation; and another team's
    private incident and learning."""
    team = TeamFactory(name="Comms", slug="comms")
    member = MembershipFactory(team=team, role=Role.MEMBER,
                               user=UserFactory(email="member@example.com")).user
    incident = IncidentFactory(team=team, created_by=member)
    source = IncidentSourceFactory(incident=incident).source
    event = TimelineEventFactory(incident=incident)
    learning, _ = learning_create_from_incidents(
        user=member, team=team, incident_ids=[incident.public_id], title="Check the date",
        owner=member)
    item = action_item_create(user=member, learning=learning, title="Add a calendar check",
                              owner=member)
    elsewhere = TeamFactory(name="Elsewhere", slug="elsewhere")
    IncidentFactory(team=elsewhere, visibility="team", title="Elsewhere's secret")
    Learning.objects.create(team=elsewhere, title="Elsewhere's secret learning")
    client, _ = token_client(member)
    key = client._credentials["HTTP_AUTHORIZATION"].split()[1]
    return {
        "key": key,
        # By the path's first part: the ids its path names.
        "paths": {
            "incidents": {"public_id": str(incident.public_id),
                          "incident_id": str(incident.public_id),
                          "source_id": str(source.public_id),
                          "event_id": str(event.public_id)},
            "learnings": {"public_id": str(learning.public_id)},
            "action-items": {"public_id": str(item.public_id)},
            "organizations": {"slug": incident.organization.slug},
            "teams": {"slug": team.slug},
            "root-causes": {"slug": "production-slip"},
            "factors": {"slug": Factor.objects.order_by("pk").first().slug},
        },
        # Rows named in a body or a query string.
        "values": {**KNOWN_VALUES, "learning": str(learning.public_id),
                   "incident": str(incident.public_id),
                   "incidents": [str(incident.public_id)], "owner": member.email,
                   "organization": incident.organization.slug},
    }


# Read from the app itself, as a client reads it (the schema needs no database).
schema = schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", get_wsgi_application())


# Values that exist, for the fields that name rows by slug.
KNOWN_VALUES = {"primary_cause": "production-slip", "team": "comms", "cause": "production-slip",
                "contributing_causes": ["tone-deaf-creative", "rogue-insider"],
                "factors": ["no-approval-step"]}


def with_known_ids(case, known) -> None:
    """Every other case (chosen by a checksum of the case, so the same every run) names the
    real rows of its path (an incident and its source and entry, a learning, an action item,
    an organisation, a team, a cause, a factor) instead of random ids, and real ids, slugs
    and emails in its body and query, so that it reaches the services instead of stopping at
    a 404 or an unknown value."""
    if zlib.crc32(repr((case.query, case.body)).encode()) % 2:
        return
    resource = case.path.removeprefix("/api/v1/").split("/")[0]
    ids = known["paths"].get(resource, {})
    for name in case.path_parameters or {}:
        if name in ids:
            case.path_parameters[name] = ids[name]
    for values in (case.body, case.query):
        if isinstance(values, dict):
            for name, value in known["values"].items():
                if name in values:
                    values[name] = value


@schema.parametrize()
@settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None,
          suppress_health_check=list(HealthCheck))
def test_a_member_with_a_token_gets_only_documented_answers(case, known):
    with_known_ids(case, known)
    case.call_and_validate(headers={"Authorization": f"Token {known['key']}"},
                           checks=CHECKS)


@schema.parametrize()
@settings(max_examples=3, derandomize=True, deadline=None, database=None,
          suppress_health_check=list(HealthCheck))
def test_an_anonymous_caller_gets_only_documented_answers(case, known):
    with_known_ids(case, known)
    case.call_and_validate(checks=CHECKS)


def test_every_path_parameter_has_a_real_value(known):
    """A new resource, or a new id in a path, gets a real row here too (or this fails)."""
    operations = [result.ok() for result in schema.get_all_operations()]
    assert operations
    missing = sorted(
        f"{operation.path} {parameter.name}"
        for operation in operations for parameter in operation.path_parameters
        if parameter.name not in known["paths"].get(
            operation.path.removeprefix("/api/v1/").split("/")[0], {}))
    assert missing == []
