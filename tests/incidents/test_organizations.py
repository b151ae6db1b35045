"""Who owns an organisation's name: shared (installation-wide) or private to one team.

Typing a name must reveal nothing about organisations the person cannot see: not their
spelling, their aliases, their existence, nor a slug suffix that counts them. Two people typing
the same new name at once both end up with one organisation and no error.
"""

import importlib
import re
import threading
import time
from datetime import date

import pytest
from django.apps import apps as django_apps
from django.db import IntegrityError, connection, connections, transaction
from django.urls import reverse

from accounts.models import Role
from incidents.models import Incident, Organization, RootCause
from incidents.search import incident_search, organization_choices
from incidents.selectors import incident_list, organization_get, organization_list
from incidents.services import incident_create, incident_update
from tests.factories import (
    IncidentFactory,
    MembershipFactory,
    OrganizationFactory,
    TeamFactory,
    UserFactory,
    cause,
)

# A private organisation's address: the name's slug and a random tail that counts nothing.
PRIVATE_SLUG = r"acme-corp-[a-z][a-z0-9]{7}"


def log(user, team, name, visibility="team", **extra):
    incident, _ = incident_create(
        user=user, team=team, title=extra.pop("title", f"{name} post went wrong"),
        organization_name=name, platform="twitter", occurred_on=date(2026, 10, 1),
        primary_cause=cause(), visibility=visibility, **extra,
    )
    return incident


def choice_names(user) -> list[str]:
    return [o.name for o in organization_choices(user=user)]


@pytest.fixture
def hidden(other_team, outsider):
    """Another team's private incident naming "Acme Corp", which has an alias too."""
    incident = log(outsider, other_team, "Acme Corp", title="Elsewhere's secret misstep")
    organization = incident.organization
    organization.aliases = ["ACME Holdings"]
    organization.save()
    return organization


@pytest.fixture
def member_client(client, member):
    client.force_login(member)
    return client


# Typing a name another team keeps private


def test_typing_another_teams_private_name_gives_an_own_organisation_with_own_spelling(
        member, team, hidden):
    incident = log(member, team, "acme corp")
    organization = incident.organization
    assert organization != hidden
    assert organization.name == "acme corp"
    assert organization.team == team
    assert re.fullmatch(PRIVATE_SLUG, organization.slug)
    assert Organization.objects.count() == 2


def test_typing_an_alias_of_another_teams_private_organisation_does_not_reuse_it(
        member, team, hidden):
    organization = log(member, team, "acme holdings").organization
    assert organization != hidden
    assert organization.name == "acme holdings"


def test_slug_of_a_new_private_organisation_gives_nothing_away(member, team, other_team,
                                                               outsider):
    # The same name typed with and without another team's private twin: same kind of address.
    alone = log(member, team, "Acme Corp").organization
    assert re.fullmatch(PRIVATE_SLUG, alone.slug)
    twin = log(outsider, other_team, "Acme Corp").organization
    assert twin != alone
    assert re.fullmatch(PRIVATE_SLUG, twin.slug)


def test_shared_slug_ignores_private_organisations_of_the_same_name(member, team, hidden):
    organization = log(member, team, "Acme Corp", visibility="library").organization
    assert organization != hidden
    assert organization.team is None
    assert organization.slug == "acme-corp"


def test_another_teams_private_organisation_is_never_offered_or_reachable(
        member, member_client, team, hidden):
    own = log(member, team, "acme corp").organization
    assert choice_names(member) == ["acme corp"]
    assert [o.name for o in organization_list(user=member)] == ["acme corp"]
    assert member_client.get(hidden.get_absolute_url()).status_code == 404
    assert member_client.get(own.get_absolute_url()).status_code == 200
    suggest = reverse("incidents:organization-suggest")
    for value, shown in (("name", '<option value="acme corp">'),
                         ("slug", f'<option value="{own.slug}">acme corp</option>')):
        offered = member_client.get(suggest, {"q": "acme", "value": value}).content.decode()
        assert offered.strip() == shown
    log_page = member_client.get(reverse("incidents:incident-create")).content.decode()
    assert "Acme Corp" not in log_page
    assert "ACME Holdings" not in log_page
    listed = member_client.get(reverse("incidents:organization-list")).content.decode()
    assert "Acme Corp" not in listed
    assert hidden.slug not in listed


def test_private_organisation_page_is_404_for_outsiders(member, team, outsider, client):
    organization = log(member, team, "Acme Corp").organization
    client.force_login(outsider)
    assert client.get(organization.get_absolute_url()).status_code == 404
    with pytest.raises(Exception, match="No such organisation"):
        organization_get(user=outsider, slug=organization.slug)


def test_member_of_two_teams_logging_for_team_b_never_reuses_team_as_private_one(
        member, team, other_team):
    MembershipFactory(user=member, team=other_team, role=Role.MEMBER)
    in_a = log(member, team, "Acme Corp").organization
    in_b = log(member, other_team, "ACME corp").organization
    assert in_b != in_a
    assert (in_a.team, in_b.team) == (team, other_team)
    assert in_b.name == "ACME corp"


def test_search_by_organisation_name_finds_only_readable_incidents(
        member, team, hidden, outsider):
    log(member, team, "acme corp", title="Own slip")
    assert [i.title for i in incident_search(incident_list(user=member), "acme",
                                             user=member)] == ["Own slip"]
    assert [i.title for i in incident_search(incident_list(user=outsider), "acme",
                                             user=outsider)] == ["Elsewhere's secret misstep"]


# Sharing makes a name installation-wide


def test_sharing_an_incident_makes_its_organisation_installation_wide(
        member, team, outsider, other_team):
    incident = log(member, team, "Acme Corp")
    private = incident.organization
    assert private.team == team
    incident = incident_update(user=member, incident=incident, data={"visibility": "library"})
    shared = Organization.objects.get()
    assert incident.organization == shared
    assert (shared.pk, shared.team, shared.name, shared.slug) == (
        private.pk, None, "Acme Corp", "acme-corp")
    assert organization_get(user=outsider, slug="acme-corp") == shared
    # The same name typed later by another team, even for a private incident, reuses it.
    theirs = log(outsider, other_team, "  ACME   corp ", title="Theirs")
    assert theirs.organization == shared


def test_logging_a_library_incident_shares_the_teams_own_private_organisation(member, team):
    private = log(member, team, "Acme Corp", title="First").organization
    shared = log(member, team, "acme corp", visibility="library", title="Second").organization
    assert shared.pk == private.pk
    assert (shared.team, shared.slug) == (None, "acme-corp")


def test_sharing_merges_a_private_organisation_into_the_shared_one_of_the_same_name(
        member, team, outsider, other_team):
    mine = log(member, team, "acme corp", title="Mine")
    also_mine = log(member, team, "acme corp", title="Also mine")
    private = mine.organization
    shared = log(outsider, other_team, "Acme Corp", visibility="library").organization
    assert shared != private
    incident_update(user=member, incident=mine, data={"visibility": "library"})
    assert not Organization.objects.filter(pk=private.pk).exists()
    assert set(Incident.objects.filter(team=team).values_list("organization", flat=True)) == {
        shared.pk}
    also_mine.refresh_from_db()
    assert also_mine.organization == shared
    # History still names the organisation: its earlier records point at the merged one.
    assert set(mine.history.values_list("organization_id", flat=True)) == {shared.pk}


def test_editing_a_shared_incident_with_its_private_name_shares_it(member, team):
    incident = log(member, team, "Acme Corp")
    incident = incident_update(user=member, incident=incident, data={
        "visibility": "library", "organization_name": "acme corp"})
    assert incident.organization.team is None
    assert incident.organization.name == "Acme Corp"


def test_unchanged_name_keeps_the_incidents_own_organisation(member, team, outsider,
                                                             other_team):
    incident = log(member, team, "acme corp")
    private = incident.organization
    log(outsider, other_team, "Acme Corp", visibility="library")
    incident = incident_update(user=member, incident=incident, data={
        "organization_name": "acme corp", "severity": "high"})
    assert incident.organization == private


# Names are unique among shared organisations and per team among private ones


def test_shared_names_are_unique_whatever_the_case(db):
    OrganizationFactory(name="Acme Corp", slug="acme-corp")
    with pytest.raises(IntegrityError), transaction.atomic():
        Organization.objects.create(name="ACME CORP", slug="acme-corp-2")


def test_private_names_are_unique_per_team(team, other_team):
    Organization.objects.create(name="Acme Corp", slug="acme-corp-a1", team=team)
    Organization.objects.create(name="acme corp", slug="acme-corp-b1", team=other_team)
    Organization.objects.create(name="ACME Corp", slug="acme-corp")
    with pytest.raises(IntegrityError), transaction.atomic():
        Organization.objects.create(name="acme CORP", slug="acme-corp-c1", team=team)


def test_stored_names_have_their_spaces_folded(db):
    with pytest.raises(IntegrityError), transaction.atomic():
        Organization.objects.create(name="Acme  Corp", slug="acme-corp")


# Sorting (issue 7, item 18)


NAMES = ["Zeta", "AT&T", "acme", "Acme Bank"]
SORTED = ["acme", "Acme Bank", "AT&T", "Zeta"]


def test_organisation_list_and_picker_sort_names_whatever_their_case(
        member, member_client, team):
    for name in NAMES:
        IncidentFactory(team=team, organization=OrganizationFactory(name=name))
    assert [o.name for o in organization_list(user=member)] == SORTED
    assert choice_names(member) == SORTED
    page = member_client.get(reverse("incidents:organization-list"))
    assert [o.name for o in page.context["page"].object_list] == SORTED
    offered = member_client.get(reverse("incidents:organization-suggest"), {"q": "a"})
    assert [o.name for o in offered.context["organizations"]] == [
        "acme", "Acme Bank", "AT&T", "Zeta"]


# Concurrent first use of a new name (issue 7, item 8)


def _wait_until_someone_waits_for_a_lock(timeout: float = 10.0) -> None:
    """Block until another connection is waiting for a row lock (the other insert)."""
    deadline = time.monotonic() + timeout
    with connections["default"].cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute("SELECT count(*) FROM pg_locks WHERE NOT granted")
            if cursor.fetchone()[0]:
                return
            time.sleep(0.05)
    raise AssertionError("the second insert never waited for the first")


def seed_taxonomy():
    """The seeded root causes, which the flush after each transactional test removes."""
    if RootCause.objects.count() != 13:
        importlib.import_module("incidents.migrations.0002_seed_taxonomy").seed(django_apps, None)


@pytest.fixture
def taxonomy(postgres):
    seed_taxonomy()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("visibility", ["team", "library"])
@pytest.mark.parametrize("same_submission", [False, True], ids=["two-people", "double-submit"])
def test_two_concurrent_first_uses_of_a_name_end_with_one_organisation(
        taxonomy, visibility, same_submission):
    team = TeamFactory(name="Comms", slug="comms")
    first = MembershipFactory(team=team, role=Role.MEMBER, user=UserFactory()).user
    second = first if same_submission else MembershipFactory(
        team=team, role=Role.MEMBER, user=UserFactory()).user
    key = "6f1d2c1e-1111-4a4a-9999-123456789abc" if same_submission else None
    results, errors = {}, []
    first_logged = threading.Event()

    def submit(who, user, hold_open):
        try:
            with transaction.atomic():
                incident = log(user, team, "Brand New Co", visibility=visibility,
                               idempotency_key=key, title=f"Logged by {who}")
                results[who] = incident
                if hold_open:
                    # Keep this insert uncommitted until the other one waits behind it.
                    first_logged.set()
                    _wait_until_someone_waits_for_a_lock()
        except Exception as error:  # any error fails the test below
            errors.append(error)
            first_logged.set()
        finally:
            connection.close()

    winner = threading.Thread(target=submit, args=("first", first, True))
    winner.start()
    assert first_logged.wait(10)
    loser = threading.Thread(target=submit, args=("second", second, False))
    loser.start()
    winner.join(20)
    loser.join(20)
    assert errors == []
    organization = Organization.objects.get()
    assert organization.name == "Brand New Co"
    assert results["first"].organization_id == results["second"].organization_id == (
        organization.pk)
    assert Incident.objects.count() == (1 if same_submission else 2)


# Migration 0003: existing organisations get an owner


BEFORE = ("incidents", "0002_seed_taxonomy")
# Teams as they were then: later accounts migrations add columns the old Team model lacks.
ACCOUNTS_BEFORE = ("accounts", "0001_initial")
AFTER = ("incidents", "0003_organization_owner")


@pytest.fixture
def migrator(transactional_db):
    """Runs the incidents migrations back to 0002; always leaves every app fully migrated."""
    from django.db.migrations.executor import MigrationExecutor

    def migrate(target=None):
        """To `target`, or (None) to the latest migration of every app."""
        executor = MigrationExecutor(connection)
        target = target or executor.loader.graph.leaf_nodes()
        executor.migrate(target)
        return executor.loader.project_state(target).apps

    seed_taxonomy()
    yield migrate
    migrate()


def test_migration_gives_existing_organisations_owners_without_revealing_private_ones(
        migrator):
    old = migrator([BEFORE, ACCOUNTS_BEFORE])
    Team = old.get_model("accounts", "Team")
    Org = old.get_model("incidents", "Organization")
    Incident_ = old.get_model("incidents", "Incident")
    History = old.get_model("incidents", "HistoricalIncident")
    primary = old.get_model("incidents", "RootCause").objects.first()
    a, b, c = (Team.objects.create(name=n, slug=n.lower()) for n in ("A", "B", "C"))

    def named(org, team, visibility="team"):
        incident = Incident_.objects.create(
            team=team, organization=org, title=f"{org.name} by {team.name}",
            platform="twitter", occurred_on=date(2026, 10, 1), primary_cause=primary,
            visibility=visibility)
        History.objects.create(
            id=incident.pk, public_id=incident.public_id, team=team, organization=org,
            title=incident.title, platform="twitter", occurred_on=incident.occurred_on,
            primary_cause=primary, visibility=visibility, history_type="+",
            history_date="2026-10-01T12:00:00Z", created_at=incident.created_at,
            updated_at=incident.updated_at)
        return incident

    shared = Org.objects.create(name="Shared Brand", slug="shared-brand")
    named(shared, a, "library")
    named(shared, b)
    split = Org.objects.create(name="Acme Corp", slug="acme-corp")
    named(split, a)
    in_b = named(split, b)
    lonely = Org.objects.create(name="Lonely", slug="lonely")
    named(lonely, c)
    admin_made = Org.objects.create(name="  Made   In Admin ", slug="made-in-admin")
    hidden = Org.objects.create(name="Acme", slug="acme")
    named(hidden, c)
    counted = Org.objects.create(name="Acme.", slug="acme-2")
    named(counted, b, "library")

    migrator([AFTER])
    migrator()  # later migrations too, so that today's models can read the rows
    orgs = {(o.name, o.team.name if o.team else None): o for o in Organization.objects.all()}
    assert set(orgs) == {
        ("Shared Brand", None), ("Acme Corp", "A"), ("Acme Corp", "B"), ("Lonely", "C"),
        ("Made In Admin", None), ("Acme", "C"), ("Acme.", None)}
    assert orgs["Shared Brand", None].slug == "shared-brand"
    assert orgs["Acme Corp", "A"].pk == split.pk
    for key in (("Acme Corp", "A"), ("Acme Corp", "B"), ("Lonely", "C"), ("Acme", "C")):
        assert re.fullmatch(r"[a-z-]+-[a-z][a-z0-9]{7}", orgs[key].slug), key
    # A shared "acme-2" no longer counts a private "Acme".
    assert orgs["Acme.", None].slug == "acme"
    copy = orgs["Acme Corp", "B"]
    assert Incident.objects.get(pk=in_b.pk).organization == copy
    assert set(Incident.history.filter(id=in_b.pk).values_list(
        "organization_id", flat=True)) == {copy.pk}
    assert Incident.objects.filter(organization=orgs["Acme Corp", "A"]).count() == 1
    assert orgs["Made In Admin", None].pk == admin_made.pk
    # And back: names were unique across the installation, so the split copies merge again.
    old = migrator([BEFORE, ACCOUNTS_BEFORE])
    Org, Incident_ = old.get_model("incidents", "Organization"), old.get_model(
        "incidents", "Incident")
    assert sorted(Org.objects.values_list("name", flat=True)) == [
        "Acme", "Acme Corp", "Acme.", "Lonely", "Made In Admin", "Shared Brand"]
    assert Incident_.objects.get(pk=in_b.pk).organization_id == split.pk


# Pages


def test_private_organisation_pages_say_which_team_sees_the_name(member, member_client, team):
    private = log(member, team, "Acme Corp").organization
    listed = member_client.get(reverse("incidents:organization-list")).content.decode()
    assert "Comms only" in listed
    page = member_client.get(private.get_absolute_url()).content.decode()
    assert "Only Comms sees this name." in page


def test_shared_organisation_pages_carry_no_team_label(member, member_client, team):
    shared = log(member, team, "Acme Corp", visibility="library").organization
    assert "Comms only" not in member_client.get(
        reverse("incidents:organization-list")).content.decode()
    assert "sees this name" not in member_client.get(shared.get_absolute_url()).content.decode()


def test_admin_lists_organisations_with_their_owner(admin_client, member, team):
    log(member, team, "Acme Corp")
    response = admin_client.get(reverse("admin:incidents_organization_changelist"),
                                {"team__isempty": "0"})
    assert response.status_code == 200
    assert [o.name for o in response.context["cl"].result_list] == ["Acme Corp"]


@pytest.mark.parametrize("n", [5, 60])
def test_organisation_list_and_page_query_counts_hold_with_private_organisations(
        member, member_client, team, django_assert_num_queries, n):
    from tests.incidents.test_views import ORGANIZATION_LIST_QUERIES, ORGANIZATION_QUERIES

    for i in range(n):
        last = log(member, team, f"Company {i:02d}").organization
    with django_assert_num_queries(ORGANIZATION_LIST_QUERIES):
        response = member_client.get(reverse("incidents:organization-list"))
    assert len(response.context["page"].object_list) == min(n, 50)
    with django_assert_num_queries(ORGANIZATION_QUERIES):
        response = member_client.get(last.get_absolute_url())
    assert "Only Comms sees this name." in response.content.decode()


def test_organisations_are_read_fifty_a_page_by_name_then_next(member, member_client, team):
    for i in range(55):
        IncidentFactory(team=team, organization=OrganizationFactory(name=f"Brand {i:02d}"))
    first = member_client.get(reverse("incidents:organization-list"))
    page = first.context["page"]
    assert [o.name for o in page.object_list] == [f"Brand {i:02d}" for i in range(50)]
    assert 'rel="next">Next →</a>' in first.content.decode()
    second = member_client.get(page.older_url)
    assert [(o.name, o.incident_count) for o in second.context["page"].object_list] == [
        (f"Brand {i:02d}", 1) for i in range(50, 55)]
    assert 'rel="prev">← Previous</a>' in second.content.decode()
