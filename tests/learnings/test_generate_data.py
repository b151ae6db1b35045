"""manage.py generate_data: the counts asked for, realistic spreads, rows that obey the models'
rules and the tenancy rules, pages that read them without error, and a refusal to touch a
database holding real people's data (or any database but PostgreSQL).

One small installation (3 teams, 300 incidents) is generated once for the module and rolled
back at its end.
"""

from collections import Counter
from datetime import UTC, datetime, timedelta
from io import StringIO

import psycopg2
import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import Count, F, Min, Q
from django.urls import reverse
from django.utils.text import slugify

from accounts.models import Membership, Role, Team, User
from incidents.links import normalize_link
from incidents.models import (
    RESPONSE_MOVES,
    Incident,
    IncidentSource,
    Organization,
    RootCause,
    Source,
    TimelineEvent,
    platform_from_url,
    response_score,
)
from incidents.selectors import incident_get, incident_list, library_list
from incidents.services import _is_private_slug_of
from learnings.datagen import load
from learnings.datagen.safety import GENERATED_DOMAIN, MARKER_TABLE
from learnings.models import ActionItem, Learning
from learnings.selectors import learning_list

from ..conftest import built_once, require
from ..factories import UserFactory

TEAMS, INCIDENTS = 3, 300


def generate(**options) -> str:
    out = StringIO()
    call_command("generate_data", stdout=out, **options)
    return out.getvalue()


# -- refusals (before the module's data exists) ------------------------------------------------


def test_a_database_other_than_postgresql_is_refused_with_a_clear_message(db, monkeypatch):
    if connection.vendor != "sqlite":
        monkeypatch.setattr(connection, "vendor", "sqlite")
    with pytest.raises(CommandError, match="generate_data fills PostgreSQL only"):
        generate(teams=1, incidents=10)
    monkeypatch.undo()
    assert not Incident.objects.exists()


def test_a_database_where_a_real_person_has_signed_up_is_refused(postgres):
    UserFactory(email="maya@example.com")
    with pytest.raises(CommandError,
                       match="already holds people.* that generate_data did not make"):
        generate(teams=1, incidents=10)
    assert list(User.objects.values_list("email", flat=True)) == ["maya@example.com"]
    assert not Incident.objects.exists()


def test_a_generated_database_that_a_real_person_joined_is_refused(postgres):
    generate(teams=1, incidents=20)
    UserFactory(email="maya@example.com")
    with pytest.raises(CommandError, match=r"someone has joined it since \(maya@example.com\)"):
        generate(teams=2, incidents=40)
    assert Incident.objects.count() == 20
    assert User.objects.filter(email="maya@example.com").exists()


def test_a_database_another_session_is_reading_is_left_alone(postgres, monkeypatch):
    monkeypatch.setattr(load, "LOCK_TIMEOUT_SECONDS", 1)
    settings = connection.settings_dict
    other = psycopg2.connect(dbname=settings["NAME"], user=settings["USER"],
                             password=settings["PASSWORD"], host=settings["HOST"],
                             port=settings["PORT"] or 5432)
    try:
        with other.cursor() as cursor:
            cursor.execute("LOCK TABLE incidents_incident IN ACCESS SHARE MODE")
            with pytest.raises(CommandError, match="Another session is using this database"):
                generate(teams=1, incidents=10)
    finally:
        other.close()
    assert not Team.objects.exists()


def test_a_second_run_replaces_the_data_of_the_first(postgres):
    generate(teams=2, incidents=50, seed=3)
    out = generate(teams=1, incidents=30, seed=4)
    assert "Replaced the data of an earlier generate_data run." in out
    assert (Team.objects.count(), Incident.objects.count()) == (1, 30)
    assert not User.objects.exclude(email__endswith=f"@{GENERATED_DOMAIN}").exists()


# -- the generated installation ----------------------------------------------------------------


@pytest.fixture(scope="module")
def generated(django_db_setup, django_db_blocker):
    with built_once(django_db_blocker):
        require(connection.vendor == "postgresql",
                "it needs PostgreSQL: set DATABASE_URL=postgres://… (see README)")
        generate(teams=TEAMS, incidents=INCIDENTS, seed=7)
        yield


@pytest.fixture
def data(generated, postgres):
    return generated


def person(team: Team, role: str) -> User:
    return Membership.objects.filter(team=team, role=role).select_related("user").first().user


def test_the_counts_asked_for_are_made_exactly(data):
    assert Team.objects.count() == TEAMS
    assert Incident.objects.count() == INCIDENTS
    for team in Team.objects.all():
        roles = Counter(team.memberships.values_list("role", flat=True))
        assert roles[Role.VIEWER] == 1
        assert 1 <= roles[Role.MANAGER] <= 2
        assert 1 <= roles[Role.MEMBER] <= 6
    assert not User.objects.exclude(email__endswith=f"@{GENERATED_DOMAIN}").exists()
    assert not any(user.has_usable_password() for user in User.objects.all())
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT teams, incidents FROM {MARKER_TABLE}")  # noqa: S608
        assert cursor.fetchall() == [(TEAMS, INCIDENTS)]


def test_the_library_share_is_the_one_asked_for(data):
    shared = Incident.objects.filter(visibility="library").count()
    assert 0.69 <= shared / INCIDENTS <= 0.81


def test_spreads_are_skewed_like_a_real_installation(data):
    causes = Counter(Incident.objects.values_list("primary_cause__code", flat=True))
    assert len(causes) >= 11
    assert 0.08 <= causes.most_common(1)[0][1] / INCIDENTS <= 0.3
    assert len(set(Incident.objects.values_list("platform", flat=True))) >= 8
    assert set(Incident.objects.values_list("severity", flat=True)) == {
        "low", "medium", "high", "critical"}
    assert set(Incident.objects.values_list("status", flat=True)) == {
        "open", "monitoring", "closed"}
    assert set(Incident.objects.values_list("origin", flat=True)) == {"own", "external"}
    assert Incident.objects.filter(contributing_causes__isnull=False).distinct().count() > 60
    assert Incident.objects.filter(factors__isnull=False).distinct().count() > 90
    today = datetime.now(UTC).date()
    dates = list(Incident.objects.values_list("occurred_on", flat=True))
    assert min(dates) >= today - timedelta(days=3651)
    assert max(dates) <= today
    recent = sum(d > today - timedelta(days=1825) for d in dates)
    assert recent > 0.6 * INCIDENTS  # newer years hold more
    by_org = Counter(Incident.objects.values_list("organization_id", flat=True))
    assert by_org.most_common(1)[0][1] >= 0.04 * INCIDENTS  # a few very frequent brands
    assert sum(1 for count in by_org.values() if count == 1) > len(by_org) / 2  # a long tail


def test_derived_fields_agree_with_what_the_services_derive(data):
    first = Min("timeline__at", filter=Q(timeline__kind__in=TimelineEvent.RESPONSE_KINDS))
    incidents = Incident.objects.annotate(first=first)
    for incident in incidents:
        moves = {move: getattr(incident, move) for move in RESPONSE_MOVES}
        assert incident.response_score == response_score(moves)
        assert incident.first_response_at == incident.first
        if incident.resolved_at and incident.detected_at:
            assert incident.resolved_at >= incident.detected_at
    assert incidents.filter(first_response_at__isnull=False).count() > 30
    now = datetime.now(UTC)
    assert not Incident.objects.filter(
        Q(created_at__gt=now) | Q(detected_at__gt=now) | Q(resolved_at__gt=now)
        | Q(updated_at__lt=F("created_at"))).exists()


def test_organisations_are_private_only_when_only_their_teams_private_incidents_name_them(data):
    for org in Organization.objects.annotate(
            library=Count("incidents", filter=Q(incidents__visibility="library"))):
        if org.team_id is None:
            assert org.slug == slugify(org.name)
            assert org.library > 0
        else:
            assert _is_private_slug_of(org.slug, slugify(org.name))
            assert org.library == 0
            assert not org.incidents.exclude(team_id=org.team_id).exists()
    assert Organization.objects.filter(team__isnull=False).exists()
    assert not Incident.objects.filter(visibility="library",
                                       organization__team__isnull=False).exists()


def test_sources_are_one_row_per_normalised_link(data):
    assert Source.objects.count() > 100
    for source in Source.objects.all():
        assert normalize_link(source.url) == source.url
        assert source.platform == platform_from_url(source.url)
    shared = IncidentSource.objects.values("source").annotate(n=Count("id")).filter(n__gt=1)
    assert shared.exists()  # round-up articles cited by several incidents


def test_no_learning_links_an_incident_its_team_cannot_read(data):
    assert Learning.objects.count() == max(2 * TEAMS, INCIDENTS // 20)
    for learning in Learning.objects.prefetch_related("incidents"):
        readable = Incident.objects.for_team(learning.team)
        linked = {i.pk for i in learning.incidents.all()}
        assert linked
        assert linked <= set(readable.filter(pk__in=linked).values_list("pk", flat=True))
        if learning.status in ("adopted", "retired"):
            assert learning.adopted_at is not None
        if learning.status == "retired":
            assert learning.retired_at
            assert learning.retired_reason
    assert set(Learning.objects.values_list("status", flat=True)) >= {"draft", "adopted"}
    assert ActionItem.objects.exists()


def test_every_row_has_its_creation_record_with_its_relations(data):
    assert Incident.history.filter(history_type="+").count() == INCIDENTS
    assert set(Incident.history.values_list("history_type", flat=True)) == {"+", "~"}
    for incident in Incident.objects.filter(contributing_causes__isnull=False).distinct():
        causes = set(incident.contributing_causes.values_list("pk", flat=True))
        for record in incident.history.all():
            assert {c.rootcause_id for c in record.contributing_causes.all()} == causes
        created = incident.history.get(history_type="+")
        assert created.history_user_id == incident.created_by_id
        assert created.history_date == incident.created_at
    assert Learning.history.filter(history_type="+").count() == Learning.objects.count()
    assert Learning.history.filter(history_type="~").count() == Learning.objects.exclude(
        status="draft").count()
    assert TimelineEvent.history.count() == TimelineEvent.objects.count()
    assert IncidentSource.history.count() == IncidentSource.objects.count()
    assert ActionItem.history.count() == ActionItem.objects.count()


def test_rows_pass_their_models_validation(data):
    # One row in five of each model (all of them take a quarter of a minute).
    for model in (Team, User, Membership, Organization, Source, Incident, IncidentSource,
                  TimelineEvent, Learning, ActionItem):
        for row in model.objects.order_by("pk")[::5]:
            row.full_clean()


def test_every_incident_is_readable_through_the_selectors_by_its_team(data):
    for team in Team.objects.all():
        viewer = person(team, Role.VIEWER)
        readable = set(incident_list(user=viewer, include_archived=True)
                       .values_list("public_id", flat=True))
        own = set(team.incidents.values_list("public_id", flat=True))
        shared = set(Incident.objects.filter(visibility="library")
                     .values_list("public_id", flat=True))
        assert readable == own | shared
        for public_id in sorted(readable)[::5]:
            assert incident_get(user=viewer, public_id=public_id).public_id == public_id
        assert library_list(user=viewer).count() == Incident.objects.filter(
            visibility="library", archived_at__isnull=True).count()
        assert learning_list(user=viewer).count() == team.learnings.filter(
            archived_at__isnull=True).count()


def test_incidents_closed_after_they_were_logged_show_the_change_in_history(data, client):
    changed = Incident.history.filter(history_type="~").values_list("id", flat=True)
    incident = Incident.objects.filter(pk__in=changed).first()
    assert incident.status == "closed"
    created = incident.history.get(history_type="+")
    assert (created.status, created.resolved_at) == ("open", None)
    assert incident.history.get(history_type="~").history_date == incident.resolved_at
    client.force_login(person(incident.team, Role.VIEWER))
    history = client.get(reverse("incidents:incident-history",
                                 kwargs={"public_id": incident.public_id}))
    assert "Status: <del>Open</del> → <ins>Closed</ins>" in history.content.decode()
    learning = Learning.objects.filter(status="adopted").first()
    assert list(learning.history.order_by("history_date").values_list(
        "history_type", "status")) == [("+", "draft"), ("~", "adopted")]


def test_the_pages_and_history_panels_render(data, client):
    team = Team.objects.annotate(n=Count("incidents")).order_by("-n").first()
    client.force_login(person(team, Role.MEMBER))
    for name in ("incidents:incident-list", "incidents:library",
                 "incidents:organization-list", "learnings:learning-list",
                 "learnings:action-item-mine"):
        assert client.get(reverse(name)).status_code == 200, name
    assert client.get(reverse("incidents:incident-list"), {"q": "post"}).status_code == 200
    incidents = list(Incident.objects.for_team(team).order_by("pk")[::15])
    for incident in incidents:
        page = client.get(incident.get_absolute_url())
        assert page.status_code == 200
        history = client.get(reverse("incidents:incident-history",
                                     kwargs={"public_id": incident.public_id}))
        assert "No changes recorded" not in history.content.decode()
    for learning in team.learnings.all()[:5]:
        assert client.get(learning.get_absolute_url()).status_code == 200
        history = client.get(reverse("learnings:learning-history",
                                     kwargs={"public_id": learning.public_id}))
        assert "No changes recorded" not in history.content.decode()
    organization = Organization.objects.filter(team__isnull=True).first()
    assert client.get(organization.get_absolute_url()).status_code == 200


def test_the_root_cause_taxonomy_is_left_as_migrated(data):
    assert RootCause.objects.count() == 13
