"""The library dashboard's counts come from the cache until an incident changes, and are
counted again after any change: a shared incident logged, archived, restored, made private,
or its cause changed."""

from datetime import date

import pytest
from django.core.cache import cache

from accounts.models import Role
from dashboards.metrics import library_metrics
from incidents.services import incident_archive, incident_create, incident_restore, incident_update
from tests.factories import IncidentFactory, MembershipFactory, TeamFactory, UserFactory, cause


@pytest.fixture
def cached(settings):
    settings.LIBRARY_METRICS_CACHE_SECONDS = 600
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def writer(db):
    team = TeamFactory(name="Writers", slug="writers")
    return MembershipFactory(team=team, role=Role.MEMBER, user=UserFactory()).user, team


def automation(metrics) -> int:
    return next((c.total for c in metrics.causes_by_year if c.slug == "automation-misfire"), 0)


def test_a_second_view_reads_the_counts_from_the_cache(cached, writer,
                                                        django_assert_num_queries):
    _, team = writer
    IncidentFactory(team=team, origin="external", visibility="library")
    with django_assert_num_queries(5):   # the newest change, two counts, causes, organisations
        first = library_metrics(team=team)
    with django_assert_num_queries(3):   # the newest change, causes, organisations
        second = library_metrics(team=team)
    assert second == first
    assert first.incidents == 1


def test_every_kind_of_change_is_counted_at_once(cached, writer):
    user, team = writer
    assert library_metrics(team=team).incidents == 0

    logged, _ = incident_create(
        user=user, team=team, title="Bot replied to a tragedy", organization_name="Acme",
        platform="twitter", occurred_on=date(2026, 3, 2), origin="external",
        primary_cause=cause("automation-misfire"))
    metrics = library_metrics(team=team)
    assert (metrics.incidents, automation(metrics)) == (1, 1)
    assert [(o.label, o.incidents) for o in metrics.organizations] == [("Acme", 1)]

    incident_update(user=user, incident=logged,
                    data={"primary_cause": cause("insensitive-timing")})
    metrics = library_metrics(team=team)
    assert (metrics.incidents, automation(metrics)) == (1, 0)

    incident_archive(user=user, incident=logged)
    assert library_metrics(team=team).incidents == 0

    incident_restore(user=user, incident=logged)
    assert library_metrics(team=team).incidents == 1

    incident_update(user=user, incident=logged, data={"visibility": "team"})
    assert library_metrics(team=team).incidents == 0


def test_a_renamed_organisation_shows_its_new_name_from_cached_counts(cached, writer):
    _, team = writer
    shared = IncidentFactory(team=team, origin="external", visibility="library")
    assert [o.label for o in library_metrics(team=team).organizations] == [
        shared.organization.name]
    type(shared.organization).objects.filter(pk=shared.organization_id).update(name="Renamed")
    assert [o.label for o in library_metrics(team=team).organizations] == ["Renamed"]


def test_a_signed_out_reader_counts_nothing_and_leaves_the_cache_alone(cached, writer):
    from django.contrib.auth.models import AnonymousUser
    _, team = writer
    IncidentFactory(team=team, origin="external", visibility="library")
    assert library_metrics(user=AnonymousUser()).incidents == 0
    assert library_metrics(team=team).incidents == 1


def test_a_committed_change_is_counted_even_when_it_left_no_newer_history_number(
        cached, writer, django_capture_on_commit_callbacks):
    """History numbers are handed out as writes are made, not as they commit: a write made
    before another but committed after it leaves no newer number. Its commit moves the
    incidents' change token, and that alone has the counts made again."""
    from common.changes import mark_changed
    from incidents.models import Incident
    _, team = writer
    shared = IncidentFactory(team=team, origin="external", visibility="library")
    assert library_metrics(team=team).incidents == 1
    with django_capture_on_commit_callbacks(execute=True):
        Incident.objects.filter(pk=shared.pk).update(visibility="team")   # no history record
        mark_changed(Incident)
    assert library_metrics(team=team).incidents == 0


def test_the_change_token_moves_only_when_the_write_commits(
        cached, db, django_capture_on_commit_callbacks):
    from common.changes import change_token, mark_changed
    from incidents.models import Incident
    before = change_token(Incident)
    assert change_token(Incident) == before
    with django_capture_on_commit_callbacks(execute=False) as pending:
        mark_changed(Incident)
    assert change_token(Incident) == before
    pending[0]()
    assert change_token(Incident) != before
