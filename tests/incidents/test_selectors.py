"""Incident reads: tenancy through for_user, search, duplicates, filters and history."""

import ast
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.http import Http404
from django.utils import timezone

from incidents import filters as incident_filters
from incidents.history import incident_history
from incidents.models import Factor, Incident
from incidents.search import incident_search, organization_choices
from incidents.selectors import (
    incident_filterset,
    incident_get,
    incident_list,
    incident_possible_duplicates,
    library_list,
    organization_get,
    organization_list,
)
from incidents.services import (
    incident_archive,
    incident_restore,
    incident_update,
    source_add,
    timeline_event_add,
    timeline_event_remove,
)
from tests.factories import (
    IncidentFactory,
    MembershipFactory,
    OrganizationFactory,
    SourceFactory,
    TeamFactory,
    cause,
)

TODAY = date(2026, 11, 10)
NOW = datetime(2026, 11, 10, 12, 0, tzinfo=UTC)


def titles(incidents) -> set[str]:
    return {incident.title for incident in incidents}


@pytest.fixture
def three_spaces(private_incident, library_incident, outsider_private_incident):
    """The member's team's private incident, another team's library incident, and another
    team's private incident."""
    return private_incident, library_incident, outsider_private_incident


# Tenancy: for_user and every selector built on it


def test_for_user_gives_own_teams_incidents_and_the_library(member, three_spaces):
    assert titles(Incident.objects.for_user(member)) == {
        "Private slip about the spring sale", "Shared hashtag hijack",
    }


def test_for_user_gives_the_outsider_their_own_and_the_library_only(outsider, three_spaces):
    assert titles(Incident.objects.for_user(outsider)) == {
        "Shared hashtag hijack", "Elsewhere's secret misstep",
    }


def test_viewer_reads_the_same_incidents_as_a_member(viewer, three_spaces):
    assert titles(Incident.objects.for_user(viewer)) == {
        "Private slip about the spring sale", "Shared hashtag hijack",
    }


def test_anonymous_user_reads_nothing(three_spaces):
    assert list(Incident.objects.for_user(AnonymousUser())) == []


def test_user_of_several_teams_reads_private_incidents_of_each(member, other_team, three_spaces):
    from accounts.models import Role
    from tests.factories import MembershipFactory

    MembershipFactory(user=member, team=other_team, role=Role.VIEWER)
    assert titles(Incident.objects.for_user(member)) == {
        "Private slip about the spring sale", "Shared hashtag hijack",
        "Elsewhere's secret misstep",
    }


def test_incident_list_never_shows_another_teams_private_incident(member, three_spaces):
    assert titles(incident_list(user=member)) == {
        "Private slip about the spring sale", "Shared hashtag hijack",
    }
    assert titles(incident_list(user=member, include_archived=True)) == {
        "Private slip about the spring sale", "Shared hashtag hijack",
    }


def test_library_list_holds_only_shared_incidents(member, team, three_spaces):
    own_shared = IncidentFactory(team=team, visibility="library", origin="external",
                                 title="Our shared find")
    assert titles(library_list(user=member)) == {"Shared hashtag hijack", own_shared.title}


def test_library_list_never_shows_private_incidents_to_outsiders(outsider, three_spaces):
    assert titles(library_list(user=outsider)) == {"Shared hashtag hijack"}


def test_incident_list_joins_what_a_row_shows_in_one_query(
    member, team, django_assert_num_queries
):
    for n in range(5):
        IncidentFactory(team=team, title=f"Row {n}")
    with django_assert_num_queries(1):
        rows = [(i.team.name, i.organization.name, i.primary_cause.name)
                for i in incident_list(user=member)]
    assert len(rows) == 5


def test_archived_incidents_are_left_out_of_incident_list_by_default(
    member, private_incident
):
    incident_archive(user=member, incident=private_incident)
    assert list(incident_list(user=member)) == []
    assert list(incident_list(user=member, include_archived=True)) == [private_incident]


def test_incident_get_returns_a_readable_incident(member, three_spaces):
    private_incident, library_incident, _ = three_spaces
    assert incident_get(user=member, public_id=private_incident.public_id) == private_incident
    assert incident_get(user=member, public_id=str(library_incident.public_id)) == (
        library_incident
    )


def test_incident_get_returns_archived_incidents_too(member, private_incident):
    incident_archive(user=member, incident=private_incident)
    assert incident_get(user=member, public_id=private_incident.public_id) == private_incident


def test_incident_get_is_404_for_an_outsider(outsider, private_incident):
    with pytest.raises(Http404):
        incident_get(user=outsider, public_id=private_incident.public_id)


def test_incident_get_is_404_for_an_anonymous_user(private_incident):
    with pytest.raises(Http404):
        incident_get(user=AnonymousUser(), public_id=private_incident.public_id)


# incident_search


def test_search_finds_words_in_the_title(member, three_spaces):
    assert titles(incident_search(incident_list(user=member), "spring")) == {
        "Private slip about the spring sale",
    }


def test_search_finds_words_in_the_summary(member, team):
    IncidentFactory(team=team, title="Plain title", summary="The countdown ran during floods.")
    IncidentFactory(team=team, title="Another", summary="Nothing to see.")
    assert titles(incident_search(incident_list(user=member), "countdown")) == {"Plain title"}


def test_search_needs_every_word(member, team):
    IncidentFactory(team=team, title="Flood countdown", summary="")
    IncidentFactory(team=team, title="Flood warning", summary="")
    assert titles(incident_search(incident_list(user=member), "flood countdown")) == {
        "Flood countdown",
    }


def test_search_finds_the_organisation_name(member, team):
    acme = OrganizationFactory(name="Acme Rockets")
    IncidentFactory(team=team, organization=acme, title="Launch post misfired")
    IncidentFactory(team=team, title="Someone else's slip")
    assert titles(incident_search(incident_list(user=member), "acme")) == {
        "Launch post misfired",
    }


def test_blank_search_changes_nothing(member, three_spaces):
    assert titles(incident_search(incident_list(user=member), "   ")) == {
        "Private slip about the spring sale", "Shared hashtag hijack",
    }


def test_search_never_finds_another_teams_private_incident(member, outsider, three_spaces):
    assert list(incident_search(incident_list(user=member), "misstep")) == []
    assert titles(incident_search(incident_list(user=outsider), "misstep")) == {
        "Elsewhere's secret misstep",
    }


def test_search_never_finds_another_teams_private_incident_by_organisation(
    member, other_team
):
    secret = OrganizationFactory(name="Secretive Corp")
    IncidentFactory(team=other_team, organization=secret, visibility="team", title="Hidden")
    assert list(incident_search(incident_list(user=member), "secretive")) == []


def test_search_stems_words_on_postgresql(postgres, member, three_spaces):
    assert titles(incident_search(incident_list(user=member), "hijacked")) == {
        "Shared hashtag hijack",
    }
    assert titles(incident_search(incident_list(user=member), "slipped")) == {
        "Private slip about the spring sale",
    }


# incident_possible_duplicates


@pytest.fixture
def acme_incident(team):
    acme = OrganizationFactory(name="Acme Rockets", aliases=["ACME Corp"])
    return IncidentFactory(team=team, organization=acme, occurred_on=date(2026, 10, 1),
                           title="Acme launch post")


@pytest.mark.parametrize("days", [-30, -1, 0, 1, 30])
def test_same_organisation_within_30_days_may_be_a_duplicate(member, acme_incident, days):
    found = incident_possible_duplicates(
        user=member, organization_name="acme rockets",
        occurred_on=acme_incident.occurred_on + timedelta(days=days),
    )
    assert found == [acme_incident]


@pytest.mark.parametrize("days", [-31, 31, 365])
def test_same_organisation_31_days_or_more_apart_is_not_a_duplicate(
    member, acme_incident, days
):
    found = incident_possible_duplicates(
        user=member, organization_name="Acme Rockets",
        occurred_on=acme_incident.occurred_on + timedelta(days=days),
    )
    assert found == []


def test_organisation_alias_finds_possible_duplicates(member, acme_incident):
    found = incident_possible_duplicates(user=member, organization_name="ACME Corp",
                                         occurred_on=acme_incident.occurred_on)
    assert found == [acme_incident]


def test_organisation_without_a_date_matches_any_date(member, acme_incident):
    assert incident_possible_duplicates(user=member, organization_name="Acme Rockets") == [
        acme_incident,
    ]


def test_same_source_link_is_a_possible_duplicate_whatever_the_organisation(
    member, private_incident, acme_incident
):
    source_add(user=member, incident=private_incident, url="https://x.com/brand/status/1",
               kind="post")
    found = incident_possible_duplicates(user=member, url="  https://x.com/brand/status/1 ",
                                         organization_name="Someone Else",
                                         occurred_on=date(2020, 1, 1))
    assert found == [private_incident]
    # Stored under the normalised link, found however it is pasted.
    assert incident_possible_duplicates(
        user=member, url="https://mobile.twitter.com/brand/status/1/?s=20") == [private_incident]


def test_nothing_given_finds_no_duplicates(member, acme_incident):
    assert incident_possible_duplicates(user=member) == []
    assert incident_possible_duplicates(user=member, organization_name="  ", url=" ") == []


def test_possible_duplicates_never_include_another_teams_private_incident(
    member, other_team
):
    acme = OrganizationFactory(name="Acme Rockets")
    hidden = IncidentFactory(team=other_team, organization=acme, visibility="team",
                             occurred_on=date(2026, 10, 1))
    hidden.sources.add(SourceFactory(url="https://twitter.com/acme/status/9"))
    assert incident_possible_duplicates(user=member, organization_name="Acme Rockets",
                                        occurred_on=date(2026, 10, 1)) == []
    assert incident_possible_duplicates(user=member, url="https://x.com/acme/status/9") == []


def test_possible_duplicates_include_another_teams_library_incident(
    member, library_incident
):
    found = incident_possible_duplicates(
        user=member, organization_name=library_incident.organization.name,
        occurred_on=library_incident.occurred_on,
    )
    assert found == [library_incident]



@pytest.mark.parametrize(("stored", "typed"), [
    pytest.param("https://twitter.com/acme/status/9", "https://x.com/acme/status/9",
                 id="x.com-is-twitter.com"),
    pytest.param("https://twitter.com/acme/status/9", "https://mobile.x.com/acme/status/9?s=20",
                 id="mobile-host-and-share-parameter"),
    pytest.param("https://news.example.com/acme-apologises",
                 "https://www.news.example.com/acme-apologises?utm_source=newsletter&fbclid=1",
                 id="tracking-query"),
    pytest.param("https://news.example.com/acme-apologises",
                 "https://news.example.com/acme-apologises/", id="trailing-slash"),
    pytest.param("https://facebook.com/acme/posts/1", "https://m.facebook.com/acme/posts/1",
                 id="mobile-host"),
])
def test_the_same_link_however_it_is_spelled_is_a_possible_duplicate(
    member, private_incident, stored, typed
):
    private_incident.sources.add(SourceFactory(url=stored))
    found = incident_possible_duplicates(user=member, url=typed)
    assert found == [private_incident]
    assert found[0].duplicate_reason == "same link"


def test_a_similar_title_is_a_possible_duplicate_whatever_the_organisation(member, team):
    logged = IncidentFactory(team=team, title="McDStories hashtag hijacked by critics",
                             occurred_on=date(2012, 1, 20))
    IncidentFactory(team=team, title="Wrong image in the newsletter")
    found = incident_possible_duplicates(user=member, title="McDstories hashtag hijacked",
                                         organization_name="Someone Else",
                                         occurred_on=date(2026, 1, 1))
    assert found == [logged]
    assert found[0].duplicate_reason == "similar title"
    assert found[0].title_similarity > 0.5


def test_titles_are_matched_by_trigrams_through_their_index_on_postgresql(postgres, member, team):
    logged = IncidentFactory(team=team, title="McDStories hashtag hijacked by critics")
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = %s",
                       ["incident_title_trigram"])
        assert "gin (title gin_trgm_ops)" in cursor.fetchone()[0]
    found = incident_possible_duplicates(user=member, title="mcdstories hashtag hijackd")
    assert found == [logged]
    # pg_trgm and the Python twin agree on how alike the titles are.
    assert found[0].similarity == pytest.approx(found[0].title_similarity)


def test_an_unrelated_title_is_no_duplicate(member, team):
    IncidentFactory(team=team, title="McDStories hashtag hijacked by critics")
    assert incident_possible_duplicates(user=member, title="Password leaked in a screenshot") \
        == []


def test_an_alias_matches_only_as_a_whole_name(member, acme_incident):
    assert incident_possible_duplicates(user=member, organization_name="acme corp") == [
        acme_incident]
    assert incident_possible_duplicates(user=member, organization_name="Corp") == []


def test_the_same_link_comes_before_a_similar_title_and_the_same_organisation(
    member, team, acme_incident
):
    linked = IncidentFactory(team=team, title="Something else entirely",
                             occurred_on=date(2020, 1, 1))
    linked.sources.add(SourceFactory(url="https://twitter.com/acme/status/1"))
    similar = IncidentFactory(team=team, title="Acme launch post deleted",
                              occurred_on=date(2026, 10, 3))
    found = incident_possible_duplicates(
        user=member, title="Acme launch post", organization_name="Acme Rockets",
        occurred_on=date(2026, 10, 2), url="https://x.com/acme/status/1")
    assert found == [linked, acme_incident, similar]
    assert [i.duplicate_reason for i in found] == [
        "same link", "similar title, same organisation", "similar title"]


def test_another_teams_private_incident_is_never_a_possible_duplicate_by_link_or_title(
    member, other_team
):
    hidden = IncidentFactory(team=other_team, visibility="team",
                             title="McDStories hashtag hijacked by critics")
    hidden.sources.add(SourceFactory(url="https://twitter.com/mcd/status/1"))
    assert incident_possible_duplicates(
        user=member, url="https://x.com/mcd/status/1?s=20",
        title="McDStories hashtag hijacked by critics", organization_name=hidden.organization.name,
        occurred_on=hidden.occurred_on) == []


def test_possible_duplicates_take_one_query(member, team, acme_incident,
                                            django_assert_num_queries):
    for n in range(5):
        IncidentFactory(team=team, organization=acme_incident.organization,
                        title=f"Acme launch post, take {n}").sources.add(
            SourceFactory(url=f"https://twitter.com/acme/status/{n}"))
    with django_assert_num_queries(1):
        found = incident_possible_duplicates(
            user=member, title="Acme launch post", organization_name="ACME Corp",
            occurred_on=date(2026, 10, 1), url="https://x.com/acme/status/1")
        assert [i.organization.name for i in found] == ["Acme Rockets"] * 5


# organization_list / organization_get


def test_organization_list_counts_the_incidents_the_user_can_read(member, team, other_team):
    acme = OrganizationFactory(name="Acme Rockets")
    IncidentFactory(team=team, organization=acme, visibility="team")
    IncidentFactory(team=other_team, organization=acme, visibility="library")
    IncidentFactory(team=other_team, organization=acme, visibility="team")
    archived = IncidentFactory(team=team, organization=acme, visibility="team")
    incident_archive(user=member, incident=archived)
    assert [(o.name, o.incident_count) for o in organization_list(user=member)] == [
        ("Acme Rockets", 2),
    ]


def test_organisation_with_only_another_teams_private_incident_is_hidden(
    member, other_team
):
    secret = OrganizationFactory(name="Secretive Corp")
    IncidentFactory(team=other_team, organization=secret, visibility="team")
    assert list(organization_list(user=member)) == []
    with pytest.raises(Http404):
        organization_get(user=member, slug=secret.slug)


def test_organisation_is_readable_by_the_team_that_logged_it_privately(outsider, other_team):
    secret = OrganizationFactory(name="Secretive Corp")
    IncidentFactory(team=other_team, organization=secret, visibility="team")
    assert organization_get(user=outsider, slug=secret.slug) == secret
    assert [o.name for o in organization_list(user=outsider)] == ["Secretive Corp"]


def test_organization_list_filters_by_name(member, team):
    for name in ("Acme Rockets", "Globex", "Acme Foods"):
        IncidentFactory(team=team, organization=OrganizationFactory(name=name))
    assert [o.name for o in organization_list(user=member, text=" acme ")] == [
        "Acme Foods", "Acme Rockets",
    ]


def test_organization_get_is_404_for_an_unknown_slug(member):
    with pytest.raises(Http404):
        organization_get(user=member, slug="nobody")


# IncidentFilter


def filtered(member, **params) -> list[Incident]:
    """The list as a page or an API asking with these query parameters gets it."""
    return list(incident_list(user=member, filters=params))


def test_cause_filter_matches_primary_or_contributing_cause(member, team):
    IncidentFactory(team=team, primary_cause=cause("automation-misfire"), title="Primary")
    contributing = IncidentFactory(team=team, primary_cause=cause("production-slip"),
                                   title="Contributing")
    contributing.contributing_causes.set([cause("automation-misfire"),
                                          cause("defensive-response")])
    IncidentFactory(team=team, primary_cause=cause("production-slip"), title="Neither")
    found = filtered(member, cause="automation-misfire")
    assert sorted(i.title for i in found) == ["Contributing", "Primary"]


def test_primary_cause_filter_ignores_contributing_causes(member, team):
    IncidentFactory(team=team, primary_cause=cause("automation-misfire"), title="Primary")
    contributing = IncidentFactory(team=team, title="Contributing")
    contributing.contributing_causes.set([cause("automation-misfire")])
    assert titles(filtered(member, primary_cause="automation-misfire")) == {"Primary"}


def test_invalid_cause_is_a_form_error_not_a_crash(member, team):
    IncidentFactory(team=team, title="Any")
    filterset = incident_filterset(user=member, filters={"cause": "no-such-cause"})
    assert filterset.is_valid() is False
    assert set(filterset.errors) == {"cause"}
    assert titles(filterset.qs) == {"Any"}


def test_period_filter_keeps_the_last_n_days_today_included(member, team):
    IncidentFactory(team=team, occurred_on=TODAY - timedelta(days=10), title="Recent")
    IncidentFactory(team=team, occurred_on=TODAY - timedelta(days=29), title="Edge")
    IncidentFactory(team=team, occurred_on=TODAY - timedelta(days=30), title="Just out")
    IncidentFactory(team=team, occurred_on=TODAY - timedelta(days=40), title="Older")
    IncidentFactory(team=team, occurred_on=TODAY - timedelta(days=400), title="Ancient")
    with time_machine.travel(NOW, tick=False):
        assert titles(filtered(member, period="30d")) == {"Recent", "Edge"}
        assert titles(filtered(member, period="90d")) == {"Recent", "Edge", "Just out", "Older"}
        assert titles(filtered(member, period="12m")) == {"Recent", "Edge", "Just out", "Older"}
        assert titles(filtered(member)) == {"Recent", "Edge", "Just out", "Older", "Ancient"}


def test_sort_by_severity_puts_critical_first(member, team):
    for severity, day in (("low", 1), ("critical", 2), ("medium", 3), ("high", 4)):
        IncidentFactory(team=team, severity=severity, title=severity,
                        occurred_on=date(2026, 10, day))
    assert [i.severity for i in filtered(member, sort="-severity")] == [
        "critical", "high", "medium", "low",
    ]
    assert [i.severity for i in filtered(member, sort="severity")] == [
        "low", "medium", "high", "critical",
    ]


def test_default_order_is_newest_first(member, team):
    for day in (3, 1, 2):
        IncidentFactory(team=team, occurred_on=date(2026, 10, day), title=f"Day {day}")
    assert [i.title for i in filtered(member)] == ["Day 3", "Day 2", "Day 1"]


def test_archived_incidents_show_only_when_asked(member, team):
    IncidentFactory(team=team, title="Active")
    gone = IncidentFactory(team=team, title="Gone")
    incident_archive(user=member, incident=gone)
    assert titles(filtered(member)) == {"Active"}
    assert titles(filtered(member, archived="false")) == {"Active"}
    assert titles(filtered(member, archived="true")) == {"Gone"}


def test_filters_combine(member, team):
    acme = OrganizationFactory(name="Acme Rockets")
    IncidentFactory(team=team, organization=acme, platform="tiktok", origin="external",
                    title="Match")
    IncidentFactory(team=team, organization=acme, platform="twitter", origin="external",
                    title="Wrong platform")
    IncidentFactory(team=team, platform="tiktok", origin="external", title="Wrong org")
    IncidentFactory(team=team, organization=acme, platform="tiktok", origin="own",
                    title="Wrong origin")
    assert titles(filtered(member, organization="acme-rockets", platform="tiktok",
                           origin="external")) == {"Match"}


def test_search_filter_never_reaches_another_teams_private_incident(member, three_spaces):
    assert filtered(member, q="misstep") == []
    assert titles(filtered(member, q="hijack")) == {"Shared hashtag hijack"}


def test_library_list_with_filters_keeps_to_the_library(member, team, three_spaces):
    IncidentFactory(team=team, visibility="library", platform="tiktok", title="Ours, shared")
    IncidentFactory(team=team, visibility="team", platform="tiktok", title="Ours, private")
    assert titles(library_list(user=member, filters={"platform": "tiktok"})) == {
        "Ours, shared"}
    assert titles(library_list(user=member, filters={})) == {"Ours, shared",
                                                            "Shared hashtag hijack"}


def test_filterset_offers_only_organisations_the_reader_can_see(member, three_spaces):
    private, shared, elsewhere = three_spaces
    elsewhere.organization.team = elsewhere.team
    elsewhere.organization.save()
    filterset = incident_filterset(user=member,
                                   filters={"organization": private.organization.slug})
    offered = set(filterset.form.fields["organization"].queryset)
    assert offered == {private.organization, shared.organization}
    refused = incident_filterset(user=member,
                                 filters={"organization": elsewhere.organization.slug})
    assert not refused.is_valid()
    assert list(refused.errors) == ["organization"]
    # Unfiltered, the picker (a type-ahead) needs no list: none is queried.
    assert not incident_filterset(user=member, filters={}).form.fields[
        "organization"].queryset.exists()


def test_the_list_filters_do_not_import_the_selectors():
    # The selectors bind the filters; the other way round would be an import cycle.
    tree = ast.parse(Path(incident_filters.__file__).read_text())
    imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert "selectors" not in imported
    assert "incidents.selectors" not in imported


# incident_history


def step(minutes):
    """Travel to NOW plus some minutes, so history entries have distinct times."""
    return time_machine.travel(NOW + timedelta(minutes=minutes), tick=False)


@pytest.fixture
def logged(team, member):
    with step(0):
        return IncidentFactory(team=team, created_by=member, title="Original title",
                               severity="medium", occurred_on=TODAY)


def test_history_starts_with_logging_the_incident(logged, member):
    (entry,) = incident_history(logged, reader=member)
    assert entry.action == "logged it"
    assert entry.changes == []


def test_history_shows_changed_fields_from_old_to_new(logged, member):
    with step(1):
        incident_update(user=member, incident=logged,
                        data={"title": "New title", "severity": "critical"})
    latest = incident_history(logged, reader=member)[0]
    assert latest.action == "changed"
    assert [(c.label, c.old, c.new) for c in latest.changes] == [
        ("Title", "Original title", "New title"),
        ("Severity", "Medium", "Critical"),
    ]


def test_history_shows_a_changed_primary_cause_and_organisation_by_name(logged, member):
    with step(1):
        incident_update(user=member, incident=logged, data={
            "primary_cause": cause("account-compromise"), "organization_name": "Globex",
        })
    changes = {c.label: (c.old, c.new) for c in incident_history(logged, reader=member)[0].changes}
    assert changes["Primary cause"] == ("Production or QA slip", "Account compromise")
    assert changes["Organisation"] == (logged.organization.name, "Globex")


def test_history_names_who_made_each_change(logged, member, manager):
    with step(1):
        incident_update(user=manager, incident=logged, data={"title": "New title"})
    assert incident_history(logged, reader=member)[0].who == manager.display_name


def test_history_shows_contributing_causes_from_old_to_new(logged, member):
    with step(1):
        incident_update(user=member, incident=logged, data={
            "contributing_causes": [cause("automation-misfire"), cause("defensive-response")],
        })
    with step(2):
        incident_update(user=member, incident=logged, data={
            "contributing_causes": [cause("defensive-response")],
        })
    changes = [(c.label, c.old, c.new) for e in incident_history(logged, reader=member)
               for c in e.changes]
    assert ("Contributing causes", "—",
            "Automation gone wrong, Defensive or hostile response") in changes
    assert changes[0] == ("Contributing causes",
                          "Automation gone wrong, Defensive or hostile response",
                          "Defensive or hostile response")


def test_each_edit_is_one_history_entry_and_edits_that_change_nothing_leave_none(
    logged, member
):
    with step(1):
        incident_update(user=member, incident=logged, data={
            "contributing_causes": [cause("automation-misfire"), cause("defensive-response")],
        })
    with step(2):
        incident_update(user=member, incident=logged, data={
            "contributing_causes": [cause("defensive-response"), cause("rogue-insider")],
        })
    with step(3):
        incident_update(user=member, incident=logged, data={"title": "Original title"})
    entries = [(e.action, [(c.label, c.old, c.new) for c in e.changes])
               for e in incident_history(logged, reader=member)]
    assert entries == [
        ("changed", [("Contributing causes",
                      "Automation gone wrong, Defensive or hostile response",
                      "Defensive or hostile response, Rogue or departing insider")]),
        ("changed", [("Contributing causes", "—",
                      "Automation gone wrong, Defensive or hostile response")]),
        ("logged it", []),
    ]


def test_history_shows_archiving_and_restoring(logged, member):
    with step(1):
        incident_archive(user=member, incident=logged)
    with step(2):
        incident_restore(user=member, incident=logged)
    entries = incident_history(logged, reader=member)
    assert [e.action for e in entries] == ["restored it", "archived it", "logged it"]
    assert entries[0].changes == []
    assert entries[1].changes == []


def test_history_shows_timeline_events_added_and_removed(logged, member):
    with step(1):
        event = timeline_event_add(user=member, incident=logged, at=NOW - timedelta(hours=1),
                                   kind="press", text="Picked up by the BBC")
    with step(2):
        timeline_event_remove(user=member, event=event)
    timeline = [(e.action, [(c.label, c.new) for c in e.changes])
                for e in incident_history(logged, reader=member) if "timeline" in e.action]
    assert timeline == [
        ("removed from the timeline", [("Press coverage", "Picked up by the BBC")]),
        ("added to the timeline", [("Press coverage", "Picked up by the BBC")]),
    ]


def test_history_names_who_removed_a_timeline_event(logged, member, manager):
    with step(1):
        event = timeline_event_add(user=member, incident=logged, at=NOW - timedelta(hours=1),
                                   kind="press", text="Picked up by the BBC")
    with step(2):
        timeline_event_remove(user=manager, event=event)
    removed = next(e for e in incident_history(logged, reader=member)
                   if e.action == "removed from the timeline")
    assert removed.who == manager.display_name


def test_history_of_another_incident_is_not_mixed_in(logged, member, team):
    other = IncidentFactory(team=team, created_by=member)
    with step(1):
        incident_update(user=member, incident=other, data={"title": "Other change"})
        timeline_event_add(user=member, incident=other, at=NOW - timedelta(hours=1),
                           kind="note", text="Other note")
    assert [e.action for e in incident_history(logged, reader=member)] == ["logged it"]


def _incident_with_changes(team, member, count):
    with step(0):
        incident = IncidentFactory(team=team, created_by=member)
        source_add(user=member, incident=incident, url=f"https://news.example.com/{count}",
                   kind="article")
        incident_update(user=member, incident=incident, data={
            "contributing_causes": [cause("automation-misfire")],
            "factors": list(Factor.objects.all()[:1]),
        })
        timeline_event_add(user=member, incident=incident, at=NOW - timedelta(hours=1),
                           kind="response", text="We are on it")
    for n in range(count):
        with step(n + 1):
            incident_update(user=member, incident=incident, data={"title": f"Title {n}"})
    return incident


def test_history_takes_the_same_number_of_queries_for_1_or_10_changes(
    team, member, django_assert_num_queries
):
    one = _incident_with_changes(team, member, 1)
    ten = _incident_with_changes(team, member, 10)
    # records, two many-to-many prefetches, three kinds of names, timeline and source-link
    # records, the people of the owning team among them
    with django_assert_num_queries(9):
        short = incident_history(one, reader=member)
    with django_assert_num_queries(9):
        long = incident_history(ten, reader=member)
    assert len(long) - len(short) == 9
    assert sum(1 for e in long if e.changes and e.changes[0].label == "Title") == 10


def test_history_timestamps_are_aware(logged, member):
    assert timezone.is_aware(incident_history(logged, reader=member)[0].at)


@pytest.mark.parametrize("day", [date.min, date.max])
def test_a_date_at_the_ends_of_the_calendar_finds_duplicates_without_overflowing(
    member, acme_incident, day
):
    assert incident_possible_duplicates(user=member, organization_name="Acme Rockets",
                                        occurred_on=day) == []


def test_a_team_reads_its_own_and_the_librarys_incidents_with_the_same_filters_as_a_page(
        team, other_team, private_incident, library_incident, outsider_private_incident):
    """Dashboards and the digest read for a team, not a person, through the same selector."""
    theirs = OrganizationFactory(name="Their secret brand", slug="their-secret", team=other_team)
    IncidentFactory(team=other_team, organization=theirs, title="Their secret rebrand")
    assert titles(incident_list(team=team)) == {private_incident.title, library_incident.title}
    assert titles(library_list(team=team, filters={})) == {library_incident.title}
    # Another team's private organisation is no filter value for this team: refused, as for
    # a person, so nothing of it shows.
    filterset = incident_filterset(team=team, filters={"organization": "their-secret"})
    assert set(filterset.errors) == {"organization"}
    assert "Their secret brand" not in {o.name for o in organization_choices(team=team)}
    assert titles(incident_list(team=team, filters={"q": "secret"})) == set()


def test_a_reader_is_a_person_or_a_team_never_both_nor_neither(team, member):
    for reader in ({}, {"user": member, "team": team}):
        with pytest.raises(TypeError):
            incident_list(**reader)


def test_the_organisation_filter_takes_a_slug_or_a_typed_name_the_reader_may_see(
        member, team, other_team):
    ours = OrganizationFactory(name="Acme Corp", slug="acme-corp")
    IncidentFactory(team=team, organization=ours, title="Ours")
    IncidentFactory(team=team, title="Someone else's")
    theirs = OrganizationFactory(name="Hidden Brand", slug="hidden-brand", team=other_team)
    IncidentFactory(team=other_team, organization=theirs)
    for typed in ("acme-corp", "acme corp", "  ACME   Corp "):
        assert titles(incident_list(user=member, filters={"organization": typed})) == {"Ours"}
    for typed in ("hidden-brand", "Hidden Brand", "Nobody"):
        filterset = incident_filterset(user=member, filters={"organization": typed})
        assert filterset.errors["organization"] == [
            "No organisation you can see has that name: pick one from the suggestions."]


def test_team_only_lists_the_readers_own_teams_private_incidents_only(
        member, team, other_team, private_incident, outsider_private_incident,
        library_incident):
    """The team-only filter names the reader's teams (so PostgreSQL starts from their rows):
    a second team of the reader counts, another team's private incidents never do."""
    second = TeamFactory(name="Second desk", slug="second-desk")
    MembershipFactory(team=second, user=member, role="viewer")
    theirs_too = IncidentFactory(team=second, visibility="team", title="Second desk's slip")
    IncidentFactory(team=team, visibility="library", title="Ours, shared")
    for reader in ({"user": member}, {"team": team}):
        expected = {private_incident.title, theirs_too.title} if "user" in reader \
            else {private_incident.title}
        assert titles(incident_list(**reader, filters={"visibility": "team"})) == expected
