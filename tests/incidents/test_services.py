"""Incident writes: who may make them, what they default to, and what they leave behind."""

import re
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from incidents.models import Factor, Incident, Organization, Source, TimelineEvent
from incidents.services import (
    incident_archive,
    incident_create,
    incident_restore,
    incident_update,
    source_add,
    source_remove,
    timeline_event_add,
    timeline_event_remove,
)
from tests.factories import IncidentFactory, OrganizationFactory, cause

TODAY = date(2026, 11, 10)
NOW = datetime(2026, 11, 10, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen_now():
    with time_machine.travel(NOW, tick=False):
        yield


def log(user, team, **overrides):
    """incident_create with a valid minimal form; keywords override."""
    fields = {
        "user": user,
        "team": team,
        "title": "Sale post went out during the storm",
        "organization_name": "Northwind Coffee",
        "platform": "instagram",
        "occurred_on": TODAY,
        "primary_cause": cause("insensitive-timing"),
    }
    fields.update(overrides)
    return incident_create(**fields)


def error_keys(excinfo) -> set[str]:
    return set(excinfo.value.message_dict)


# incident_create


def test_member_logs_an_own_incident_visible_to_the_team_only(team, member):
    incident, created = log(member, team)
    assert created is True
    incident.refresh_from_db()
    assert incident.team == team
    assert incident.created_by == member
    assert incident.origin == "own"
    assert incident.visibility == "team"
    assert incident.status == "open"
    assert incident.severity == "medium"
    assert incident.primary_cause.slug == "insensitive-timing"
    assert incident.organization.name == "Northwind Coffee"
    assert incident.archived_at is None


def test_external_incident_goes_to_the_library_by_default(team, member):
    incident, _ = log(member, team, origin="external")
    assert incident.visibility == "library"


def test_explicit_visibility_overrides_the_default(team, member):
    incident, _ = log(member, team, origin="external", visibility="team")
    assert incident.visibility == "team"


def test_manager_may_log_an_incident(team, manager):
    incident, created = log(manager, team)
    assert created is True
    assert incident.created_by == manager


def test_title_is_trimmed(team, member):
    incident, _ = log(member, team, title="   Storm post   ")
    assert incident.title == "Storm post"


def test_existing_organisation_is_found_by_name_whatever_the_case(team, member):
    existing = OrganizationFactory(name="Northwind Coffee")
    incident, _ = log(member, team, organization_name="  NORTHWIND   coffee ")
    assert incident.organization == existing
    assert Organization.objects.count() == 1


def test_existing_organisation_is_found_by_alias(team, member):
    meta = OrganizationFactory(name="Meta Platforms", aliases=["Facebook Inc", "Meta"])
    OrganizationFactory(name="Unrelated Brand", aliases=["Other"])
    incident, _ = log(member, team, organization_name="facebook inc")
    assert incident.organization == meta
    assert Organization.objects.count() == 2


def test_unknown_organisation_of_a_library_incident_is_shared_with_its_plain_slug(team, member):
    incident, _ = log(member, team, organization_name="Café Árbol & Co", visibility="library")
    assert incident.organization.name == "Café Árbol & Co"
    assert incident.organization.team is None
    assert incident.organization.slug == "cafe-arbol-co"


def test_unknown_organisation_of_a_team_only_incident_is_the_teams_own(team, member):
    incident, _ = log(member, team, organization_name="Café Árbol & Co")
    assert incident.organization.name == "Café Árbol & Co"
    assert incident.organization.team == team
    # A random tail: the address says nothing about other teams' organisations.
    assert re.fullmatch(r"cafe-arbol-co-[a-z][a-z0-9]{7}", incident.organization.slug)


def test_new_organisations_whose_names_give_no_slug_get_distinct_slugs(team, member):
    first, _ = log(member, team, organization_name="日清食品", title="First",
                   visibility="library")
    second, _ = log(member, team, organization_name="東京電力", title="Second",
                    visibility="library")
    assert first.organization != second.organization
    assert first.organization.slug == "organisation"
    assert second.organization.slug == "organisation-2"


def test_blank_organisation_name_is_rejected(team, member):
    with pytest.raises(ValidationError) as excinfo:
        log(member, team, organization_name="   ")
    assert error_keys(excinfo) == {"organization"}
    assert Incident.objects.count() == 0


def test_source_url_attaches_a_post_source_with_its_platform(team, member):
    incident, _ = log(member, team, source_url="https://x.com/northwind/status/42")
    link = incident.source_links.get()
    # Stored under its one normalised spelling (x.com is twitter.com).
    assert link.source.url == "https://twitter.com/northwind/status/42"
    assert link.source.platform == "twitter"
    assert link.kind == Source.Kind.POST
    assert link.added_by == member


def test_source_url_that_is_not_a_web_link_rejects_the_whole_incident(team, member):
    with pytest.raises(ValidationError) as excinfo:
        log(member, team, source_url="javascript:alert(1)")
    assert error_keys(excinfo) == {"url"}
    assert Incident.objects.count() == 0
    assert Source.objects.count() == 0


def test_same_idempotency_key_twice_makes_one_incident(team, member):
    key = uuid.uuid4()
    first, first_created = log(member, team, idempotency_key=key)
    second, second_created = log(member, team, idempotency_key=key)
    assert (first_created, second_created) == (True, False)
    assert second.pk == first.pk
    assert Incident.objects.count() == 1


def test_different_idempotency_keys_make_two_incidents(team, member):
    log(member, team, idempotency_key=uuid.uuid4())
    log(member, team, idempotency_key=uuid.uuid4())
    assert Incident.objects.count() == 2


def test_another_teams_idempotency_key_never_hands_back_that_teams_incident(
    team, member, other_team, outsider
):
    key = uuid.uuid4()
    theirs, _ = log(outsider, other_team, idempotency_key=key, title="Theirs")
    # A key is one form submission; another team's submission is a different one.
    incident, created = log(member, team, idempotency_key=key, title="Ours")
    assert (incident.team, incident.title, created) == (team, "Ours", True)
    assert list(Incident.objects.filter(team=other_team)) == [theirs]


def test_future_occurred_on_is_rejected(team, member):
    with pytest.raises(ValidationError) as excinfo:
        log(member, team, occurred_on=TODAY + timedelta(days=1))
    assert error_keys(excinfo) == {"occurred_on"}
    assert Incident.objects.count() == 0


def test_today_in_auckland_is_allowed_while_it_is_still_yesterday_in_utc(team, member):
    team.timezone = "Pacific/Auckland"
    team.save()
    with time_machine.travel(datetime(2026, 11, 21, 23, 30, tzinfo=UTC), tick=False):
        incident, created = log(member, team, occurred_on=date(2026, 11, 22))
    assert created is True
    assert incident.occurred_on == date(2026, 11, 22)


def test_tomorrow_in_london_is_rejected_near_midnight_utc(team, member):
    assert team.timezone == "Europe/London"
    with time_machine.travel(datetime(2026, 11, 21, 23, 30, tzinfo=UTC), tick=False), \
            pytest.raises(ValidationError) as excinfo:
        log(member, team, occurred_on=date(2026, 11, 22))
    assert error_keys(excinfo) == {"occurred_on"}


def test_viewer_cannot_log_an_incident(team, viewer):
    with pytest.raises(PermissionDenied):
        log(viewer, team)
    assert Incident.objects.count() == 0


def test_outsider_cannot_log_an_incident_for_another_team(team, outsider):
    with pytest.raises(PermissionDenied):
        log(outsider, team)
    assert Incident.objects.count() == 0


def test_title_over_200_characters_is_rejected(team, member):
    with pytest.raises(ValidationError) as excinfo:
        log(member, team, title="x" * 201)
    assert error_keys(excinfo) == {"title"}
    assert Incident.objects.count() == 0
    assert Organization.objects.count() == 0


def test_title_of_exactly_200_characters_is_accepted(team, member):
    incident, _ = log(member, team, title="x" * 200)
    assert len(incident.title) == 200


def test_unknown_platform_is_rejected(team, member):
    with pytest.raises(ValidationError) as excinfo:
        log(member, team, platform="myspace")
    assert error_keys(excinfo) == {"platform"}


def test_incident_logged_with_every_field_leaves_one_history_record_holding_them_all(
        team, member):
    factors = list(Factor.objects.order_by("slug")[:2])
    incident, created = log(
        member, team, summary="Posted *during* the storm.", origin="external",
        visibility="library", severity="high", status="monitoring", actor="agency",
        detected_at=NOW - timedelta(hours=5), resolved_at=NOW - timedelta(hours=1),
        contributing_causes=[cause("automation-misfire"), cause("insensitive-timing")],
        factors=factors, context=["tragedy", "political", "tragedy"], acknowledged=True,
        apologized=True, explained_fix=True, defensive=True,
        source_url="https://x.com/northwind/status/42", idempotency_key=uuid.uuid4())
    assert created is True
    record = incident.history.get()
    assert record.history_type == "+"
    assert record.history_user == member
    assert (record.title, record.summary, record.platform, record.occurred_on) == (
        "Sale post went out during the storm", "Posted *during* the storm.", "instagram",
        TODAY)
    assert (record.origin, record.visibility, record.severity, record.status,
            record.actor) == ("external", "library", "high", "monitoring", "agency")
    assert (record.detected_at, record.resolved_at) == (NOW - timedelta(hours=5),
                                                        NOW - timedelta(hours=1))
    assert record.organization.name == "Northwind Coffee"
    assert record.organization.team is None
    assert record.primary_cause.slug == "insensitive-timing"
    # The primary cause is never also a contributing one.
    assert [c.rootcause.slug for c in record.contributing_causes.all()] == [
        "automation-misfire"]
    assert {f.factor for f in record.factors.all()} == set(factors)
    assert record.context == ["political", "tragedy"]
    assert (record.acknowledged, record.apologized, record.explained_fix,
            record.asked_for_help, record.deleted_silently, record.defensive,
            record.blamed_others) == (True, True, True, False, False, True, False)
    assert record.response_score == 2
    incident.refresh_from_db()
    assert incident.response_score == 2
    assert incident.source_links.get().source.url == "https://twitter.com/northwind/status/42"


# Refused by incident_create and incident_update alike: one validation for both.
REFUSED = [
    ({"context": ["tragedy", "full-moon"]}, "context"),
    ({"resolved_at": NOW + timedelta(minutes=5)}, "resolved_at"),
    ({"detected_at": datetime(1989, 12, 31, tzinfo=UTC)}, "detected_at"),
    ({"occurred_on": TODAY + timedelta(days=1)}, "occurred_on"),
    ({"summary": "x" * 20_001}, "summary"),
    ({"actor": "ghost"}, "actor"),
    ({"status": "forgotten"}, "status"),
    ({"detected_at": NOW - timedelta(hours=1), "resolved_at": NOW - timedelta(hours=2)},
     "resolved_at"),
]


@pytest.mark.parametrize(("fields", "key"), REFUSED)
def test_incident_logged_with_a_refused_value_leaves_nothing_behind(team, member, fields, key):
    with pytest.raises(ValidationError) as excinfo:
        log(member, team, source_url="https://x.com/northwind/status/42",
            factors=list(Factor.objects.all()[:1]), **fields)
    assert error_keys(excinfo) == {key}
    assert Incident.objects.count() == 0
    assert Incident.history.count() == 0
    assert Organization.objects.count() == 0
    assert Source.objects.count() == 0


@pytest.mark.parametrize(("fields", "key"), REFUSED)
def test_edit_with_a_refused_value_changes_nothing(private_incident, member, fields, key):
    with pytest.raises(ValidationError) as excinfo:
        incident_update(user=member, incident=private_incident,
                        data={"title": "Renamed", **fields})
    assert error_keys(excinfo) == {key}
    private_incident.refresh_from_db()
    assert private_incident.title == "Private slip about the spring sale"
    assert private_incident.history.count() == 1


# incident_update


def test_update_sets_fields(private_incident, member):
    updated = incident_update(user=member, incident=private_incident, data={
        "title": "Renamed", "status": "closed", "severity": "critical", "actor": "agency",
        "occurred_on": date(2026, 9, 1), "organization_name": "Globex",
        "primary_cause": cause("account-compromise"), "context": ["tragedy", "political"],
    })
    updated.refresh_from_db()
    assert updated.title == "Renamed"
    assert updated.status == "closed"
    assert updated.severity == "critical"
    assert updated.actor == "agency"
    assert updated.occurred_on == date(2026, 9, 1)
    assert updated.organization.name == "Globex"
    assert updated.primary_cause.slug == "account-compromise"
    assert updated.context == ["political", "tragedy"]


def test_update_recomputes_the_response_score(private_incident, member):
    updated = incident_update(user=member, incident=private_incident, data={
        "acknowledged": True, "apologized": True, "explained_fix": True,
    })
    assert updated.response_score == 3
    updated = incident_update(user=member, incident=private_incident, data={
        "defensive": True,
    })
    updated.refresh_from_db()
    assert updated.response_score == 2


def test_contributing_causes_leave_out_the_primary_cause(private_incident, member):
    incident_update(user=member, incident=private_incident, data={
        "contributing_causes": [cause("production-slip"), cause("automation-misfire"),
                                cause("defensive-response")],
    })
    assert private_incident.primary_cause.slug == "production-slip"
    assert set(private_incident.contributing_causes.values_list("slug", flat=True)) == {
        "automation-misfire", "defensive-response",
    }


def test_changing_the_primary_cause_drops_it_from_the_contributing_causes(
    private_incident, member
):
    incident_update(user=member, incident=private_incident, data={
        "contributing_causes": [cause("automation-misfire"), cause("defensive-response")],
    })
    incident_update(user=member, incident=private_incident, data={
        "primary_cause": cause("automation-misfire"),
    })
    assert set(private_incident.contributing_causes.values_list("slug", flat=True)) == {
        "defensive-response",
    }


def test_factors_are_set(private_incident, member):
    factors = list(Factor.objects.all()[:2])
    incident_update(user=member, incident=private_incident, data={"factors": factors})
    assert set(private_incident.factors.all()) == set(factors)


def test_incident_whose_author_left_can_still_be_edited(team, member, manager):
    incident, _ = log(member, team)
    member.delete()
    incident.refresh_from_db()
    assert incident.created_by is None
    updated = incident_update(user=manager, incident=incident, data={"title": "Renamed"})
    updated.refresh_from_db()
    assert updated.title == "Renamed"


def test_unknown_context_is_rejected(private_incident, member):
    with pytest.raises(ValidationError) as excinfo:
        incident_update(user=member, incident=private_incident,
                        data={"context": ["tragedy", "full-moon"]})
    assert error_keys(excinfo) == {"context"}
    private_incident.refresh_from_db()
    assert private_incident.context == []


def test_update_to_a_future_date_is_rejected(private_incident, member):
    with pytest.raises(ValidationError) as excinfo:
        incident_update(user=member, incident=private_incident,
                        data={"occurred_on": TODAY + timedelta(days=1)})
    assert error_keys(excinfo) == {"occurred_on"}


def test_update_with_an_invalid_choice_is_rejected_and_saves_nothing(private_incident, member):
    with pytest.raises(ValidationError) as excinfo:
        incident_update(user=member, incident=private_incident,
                        data={"title": "Renamed", "severity": "apocalyptic"})
    assert error_keys(excinfo) == {"severity"}
    private_incident.refresh_from_db()
    assert private_incident.title == "Private slip about the spring sale"


def test_viewer_cannot_update(private_incident, viewer):
    with pytest.raises(PermissionDenied):
        incident_update(user=viewer, incident=private_incident, data={"title": "Hacked"})
    private_incident.refresh_from_db()
    assert private_incident.title == "Private slip about the spring sale"


def test_outsider_cannot_update_another_teams_library_incident(library_incident, member):
    with pytest.raises(PermissionDenied):
        incident_update(user=member, incident=library_incident, data={"title": "Hacked"})


def test_update_is_recorded_in_history_with_who_made_it(private_incident, manager):
    before = private_incident.history.count()
    incident_update(user=manager, incident=private_incident, data={"title": "Renamed"})
    assert private_incident.history.count() == before + 1
    previous, record = private_incident.history.order_by("-history_id")[:2][::-1]
    assert record.history_type == "~"
    assert record.title == "Renamed"
    assert previous.title == "Private slip about the spring sale"
    assert record.history_user == manager


def test_created_incident_history_names_who_logged_it(team, member):
    incident, _ = log(member, team)
    record = incident.history.get()
    assert record.history_type == "+"
    assert record.history_user == member


# incident_archive / incident_restore


def test_archive_keeps_the_row_and_stamps_archived_at(private_incident, member):
    archived = incident_archive(user=member, incident=private_incident)
    assert Incident.objects.count() == 1
    private_incident.refresh_from_db()
    assert private_incident.archived_at == NOW
    assert archived.is_archived


def test_archive_is_recorded_in_history_with_who_archived(private_incident, member):
    incident_archive(user=member, incident=private_incident)
    record = private_incident.history.order_by("-history_id").first()
    assert record.archived_at == NOW
    assert record.history_user == member


def test_archiving_twice_keeps_the_first_time(private_incident, member):
    incident_archive(user=member, incident=private_incident)
    with time_machine.travel(NOW + timedelta(days=1), tick=False):
        incident_archive(user=member, incident=private_incident)
    private_incident.refresh_from_db()
    assert private_incident.archived_at == NOW


def test_restore_clears_archived_at(private_incident, member):
    incident_archive(user=member, incident=private_incident)
    incident_restore(user=member, incident=private_incident)
    assert Incident.objects.count() == 1
    private_incident.refresh_from_db()
    assert private_incident.archived_at is None


def test_viewer_cannot_archive(private_incident, viewer):
    with pytest.raises(PermissionDenied):
        incident_archive(user=viewer, incident=private_incident)
    private_incident.refresh_from_db()
    assert private_incident.archived_at is None


def test_viewer_cannot_restore(private_incident, member, viewer):
    incident_archive(user=member, incident=private_incident)
    with pytest.raises(PermissionDenied):
        incident_restore(user=viewer, incident=private_incident)
    private_incident.refresh_from_db()
    assert private_incident.archived_at == NOW


def test_outsider_cannot_archive(private_incident, outsider):
    with pytest.raises(PermissionDenied):
        incident_archive(user=outsider, incident=private_incident)


# source_add / source_remove


def test_source_add_derives_the_platform(private_incident, member):
    link = source_add(user=member, incident=private_incident,
                      url="https://m.facebook.com/brand/posts/1", kind="screenshot",
                      title="  The post  ")
    assert link.source.platform == "facebook"
    assert link.source.url == "https://facebook.com/brand/posts/1"
    assert link.kind == "screenshot"
    assert link.title == "The post"
    assert list(private_incident.sources.all()) == [link.source]


def test_same_link_for_two_incidents_is_one_source(team, member, private_incident):
    other = IncidentFactory(team=team)
    url = "https://news.example.com/story"
    first = source_add(user=member, incident=private_incident, url=url, kind="article")
    second = source_add(user=member, incident=other, url=url, kind="article")
    assert first.source_id == second.source_id
    assert Source.objects.count() == 1
    assert set(first.source.incidents.all()) == {private_incident, other}


def test_same_link_twice_on_one_incident_is_rejected(private_incident, member):
    url = "https://news.example.com/story"
    source_add(user=member, incident=private_incident, url=url, kind="article")
    with pytest.raises(ValidationError) as excinfo:
        source_add(user=member, incident=private_incident, url=f"  {url} ", kind="post")
    assert error_keys(excinfo) == {"url"}
    assert Source.objects.count() == 1
    assert private_incident.sources.count() == 1


@pytest.mark.parametrize("url", ["ftp://files.example.com/a.png", "javascript:alert(1)",
                                 "not a link", "https://"])
def test_source_that_is_not_a_web_link_is_rejected(private_incident, member, url):
    with pytest.raises(ValidationError) as excinfo:
        source_add(user=member, incident=private_incident, url=url, kind="article")
    assert error_keys(excinfo) == {"url"}
    assert Source.objects.count() == 0


def test_source_link_longer_than_the_field_is_rejected(private_incident, member):
    url = "https://news.example.com/" + "a" * 1000
    with pytest.raises(ValidationError) as excinfo:
        source_add(user=member, incident=private_incident, url=url, kind="article")
    assert error_keys(excinfo) == {"url"}
    assert Source.objects.count() == 0


def test_source_of_unknown_kind_is_rejected(private_incident, member):
    with pytest.raises(ValidationError) as excinfo:
        source_add(user=member, incident=private_incident,
                   url="https://news.example.com/story", kind="rumour")
    assert error_keys(excinfo) == {"kind"}


def test_viewer_cannot_add_a_source(private_incident, viewer):
    with pytest.raises(PermissionDenied):
        source_add(user=viewer, incident=private_incident,
                   url="https://news.example.com/story", kind="article")
    assert Source.objects.count() == 0


def test_source_remove_detaches_but_keeps_the_shared_link(team, member, private_incident):
    other = IncidentFactory(team=team)
    url = "https://news.example.com/story"
    source = source_add(user=member, incident=private_incident, url=url, kind="article").source
    source_add(user=member, incident=other, url=url, kind="article")
    source_remove(user=member, incident=private_incident, source=source)
    assert private_incident.sources.count() == 0
    assert list(other.sources.all()) == [source]
    assert Source.objects.count() == 1


def test_viewer_cannot_remove_a_source(private_incident, member, viewer):
    source = source_add(user=member, incident=private_incident,
                        url="https://news.example.com/story", kind="article").source
    with pytest.raises(PermissionDenied):
        source_remove(user=viewer, incident=private_incident, source=source)
    assert private_incident.sources.count() == 1


# timeline_event_add / timeline_event_remove


def add_event(user, incident, hours_ago, kind, text="Something"):
    return timeline_event_add(user=user, incident=incident,
                              at=NOW - timedelta(hours=hours_ago), kind=kind, text=text)


def test_first_response_follows_the_earliest_response_or_apology(private_incident, member):
    add_event(member, private_incident, 10, "posted")
    add_event(member, private_incident, 8, "note")
    private_incident.refresh_from_db()
    assert private_incident.first_response_at is None

    add_event(member, private_incident, 5, "response")
    private_incident.refresh_from_db()
    assert private_incident.first_response_at == NOW - timedelta(hours=5)

    add_event(member, private_incident, 6, "apology")
    private_incident.refresh_from_db()
    assert private_incident.first_response_at == NOW - timedelta(hours=6)

    add_event(member, private_incident, 2, "response")
    private_incident.refresh_from_db()
    assert private_incident.first_response_at == NOW - timedelta(hours=6)


def test_timeline_event_records_who_added_it(private_incident, member):
    event = add_event(member, private_incident, 1, "press", text="  Picked up by the BBC ")
    assert event.created_by == member
    assert event.text == "Picked up by the BBC"


def test_timeline_event_in_the_future_is_rejected(private_incident, member):
    with pytest.raises(ValidationError) as excinfo:
        timeline_event_add(user=member, incident=private_incident,
                           at=NOW + timedelta(minutes=1), kind="response", text="Soon")
    assert error_keys(excinfo) == {"at"}
    assert TimelineEvent.objects.count() == 0


def test_timeline_event_of_unknown_kind_is_rejected(private_incident, member):
    with pytest.raises(ValidationError) as excinfo:
        add_event(member, private_incident, 1, "rumour")
    assert error_keys(excinfo) == {"kind"}


def test_viewer_cannot_add_a_timeline_event(private_incident, viewer):
    with pytest.raises(PermissionDenied):
        add_event(viewer, private_incident, 1, "note")
    assert TimelineEvent.objects.count() == 0


def test_removing_the_first_response_moves_first_response_to_the_next(private_incident, member):
    earliest = add_event(member, private_incident, 6, "apology")
    add_event(member, private_incident, 3, "response")
    timeline_event_remove(user=member, event=earliest)
    private_incident.refresh_from_db()
    assert private_incident.first_response_at == NOW - timedelta(hours=3)


def test_removing_the_only_response_clears_first_response(private_incident, member):
    only = add_event(member, private_incident, 6, "response")
    add_event(member, private_incident, 3, "note")
    timeline_event_remove(user=member, event=only)
    private_incident.refresh_from_db()
    assert private_incident.first_response_at is None


def test_removed_timeline_event_stays_in_history_with_who_removed_it(
    private_incident, member, manager
):
    event = add_event(member, private_incident, 2, "press", text="Picked up by the BBC")
    event_pk = event.pk
    timeline_event_remove(user=manager, event=event)
    assert not TimelineEvent.objects.filter(pk=event_pk).exists()
    removed = TimelineEvent.history.get(id=event_pk, history_type="-")
    assert removed.text == "Picked up by the BBC"
    assert removed.history_user == manager


def test_viewer_cannot_remove_a_timeline_event(private_incident, member, viewer):
    event = add_event(member, private_incident, 2, "note")
    with pytest.raises(PermissionDenied):
        timeline_event_remove(user=viewer, event=event)
    assert TimelineEvent.objects.filter(pk=event.pk).exists()
