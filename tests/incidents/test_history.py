"""An incident's history as each reader may see it: the owning team sees everything with
its people's names; every other team sees only what was recorded while the incident was in
the library, under the owning team's name, and never an email address. Sources are per
incident: another team's words about a shared link never show."""

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

from accounts.models import Role
from incidents.history import incident_history
from incidents.models import IncidentSource, Source
from incidents.services import (
    incident_create,
    incident_update,
    source_add,
    source_remove,
    timeline_event_add,
    timeline_event_remove,
)
from tests.factories import IncidentFactory, MembershipFactory, UserFactory, cause

NOW = datetime(2026, 11, 10, 12, 0, tzinfo=UTC)
HTMX = {"HX-Request": "true"}


@pytest.fixture(autouse=True)
def frozen_now():
    with time_machine.travel(NOW, tick=True):
        yield


def history_html(client, incident) -> str:
    """The History section of the incident page as this client sees it."""
    html = client.get(incident.get_absolute_url()).content.decode()
    start = html.index('aria-labelledby="history-heading"')
    return html[start:html.index("</section>", start)]


def sources_html(client, incident) -> str:
    html = client.get(incident.get_absolute_url()).content.decode()
    start = html.index('<section id="sources"')
    return html[start:html.index("</section>", start)]


@pytest.fixture
def shared_after_private_past(team, member):
    """An incident the team kept private, edited, noted and sourced, then shared."""
    incident, _ = incident_create(
        user=member, team=team, title="Secret launch plan leaked", organization_name="Acme",
        platform="twitter", occurred_on=date(2026, 11, 1), primary_cause=cause(),
        summary="Internal draft about the CEO", visibility="team",
    )
    incident_update(user=member, incident=incident,
                    data={"title": "Secret launch plan leaked again", "severity": "high"})
    note = timeline_event_add(user=member, incident=incident, at=NOW - timedelta(days=2),
                              kind="note", text="Private note naming the intern")
    timeline_event_add(user=member, incident=incident, at=NOW - timedelta(days=2),
                       kind="note", text="Private note removed before sharing")
    removed = incident.timeline.get(text="Private note removed before sharing")
    timeline_event_remove(user=member, event=removed)
    source_add(user=member, incident=incident, url="https://intranet.example.com/memo",
               kind="article", title="Internal memo title")
    source_remove(user=member, incident=incident,
                  source=Source.objects.get(url="https://intranet.example.com/memo"))
    incident_update(user=member, incident=incident,
                    data={"visibility": "library", "title": "Launch plan leaked",
                          "summary": "A public account."})
    incident_update(user=member, incident=incident, data={"status": "closed"})
    timeline_event_add(user=member, incident=incident, at=NOW - timedelta(hours=1),
                       kind="response", text="Public statement posted")
    source_add(user=member, incident=incident, url="https://news.example.com/launch",
               kind="article", title="Press coverage")
    timeline_event_remove(user=member, event=note)
    incident.refresh_from_db()
    return incident


def test_outsider_sees_no_history_from_before_sharing(
        client, outsider, outsider_private_incident, shared_after_private_past):
    client.force_login(outsider)
    history = history_html(client, shared_after_private_past)
    for private in ("Secret launch plan", "Internal draft about the CEO",
                    "Private note removed before sharing", "Internal memo title",
                    "intranet.example.com", "High", "logged it"):
        assert private not in history
    assert "shared it in the library" in history
    assert "Status: <del>Open</del> → <ins>Closed</ins>" in history
    assert "added to the timeline" in history
    assert "Public statement posted" in history
    assert "added a source" in history
    assert "Press coverage" in history
    # Removed while shared: outsiders could read that note on the page until then.
    assert "removed from the timeline" in history
    assert "Elsewhere&#x27;s secret misstep" not in history


def test_outsider_sees_the_owning_team_never_its_people_or_emails(
        client, outsider, member, shared_after_private_past):
    client.force_login(outsider)
    history = history_html(client, shared_after_private_past)
    assert "<strong>Comms</strong> shared it in the library" in history
    assert member.display_name not in history
    assert member.email not in history
    assert "@" not in history


def test_each_resharing_is_its_own_entry_and_outsiders_see_nothing_of_the_private_period(
        client, team, member, outsider):
    steps = [
        {"visibility": "library", "title": "Shared title"},
        {"status": "monitoring"},
        {"visibility": "team", "title": "Private title"},
        {"summary": "Written while private"},
        {"visibility": "library", "title": "Shared again"},
        {"status": "closed"},
    ]
    with time_machine.travel(NOW - timedelta(hours=1), tick=False):
        incident, _ = incident_create(
            user=member, team=team, title="Logged privately", organization_name="Acme",
            platform="twitter", occurred_on=date(2026, 11, 1), primary_cause=cause())
    for minute, data in enumerate(steps, start=1):
        with time_machine.travel(NOW - timedelta(hours=1) + timedelta(minutes=minute),
                                 tick=False):
            incident_update(user=member, incident=incident, data=data)
            if "summary" in data:
                timeline_event_add(user=member, incident=incident, at=NOW - timedelta(days=1),
                                   kind="note", text="Noted while private")
    outside = [(e.who, e.action, [(c.label, c.old, c.new) for c in e.changes])
               for e in incident_history(incident, reader=outsider)]
    assert outside == [
        ("Comms", "changed", [("Status", "Monitoring", "Closed")]),
        ("Comms", "shared it in the library", []),
        ("Comms", "took it out of the library", []),
        ("Comms", "changed", [("Status", "Open", "Monitoring")]),
        ("Comms", "shared it in the library", []),
    ]
    client.force_login(outsider)
    history = history_html(client, incident)
    for private in ("Logged privately", "Private title", "Written while private",
                    "Noted while private"):
        assert private not in history
    inside = [(e.action, [(c.label, c.old, c.new) for c in e.changes])
              for e in incident_history(incident, reader=member)]
    # The team sees the same moments with what changed in them.
    assert inside[1:4] == [
        ("shared it in the library", [("Title", "Private title", "Shared again")]),
        ("changed", [("What happened", "—", "Written while private")]),
        ("added to the timeline", [("Note", "", "Noted while private")]),
    ]
    assert inside[4] == ("took it out of the library", [("Title", "Shared title", "Private title")])


def test_owning_team_sees_its_whole_history_with_display_names_not_emails(
        client, viewer, member, shared_after_private_past):
    client.force_login(viewer)
    history = history_html(client, shared_after_private_past)
    assert f"<strong>{member.display_name}</strong> logged it" in history
    assert "Title: <del>Secret launch plan leaked</del> → <ins>Secret launch plan leaked again" \
        in history
    assert "Private note removed before sharing" in history
    assert "removed a source" in history
    assert "Internal memo title" in history
    assert member.email not in history


def test_history_prints_no_email_of_someone_outside_the_readers_team(
        client, team, member, other_team):
    # A person without a display name who is not (or no longer) in the team.
    stranger = UserFactory(email="stranger@elsewhere.example", display_name="")
    MembershipFactory(user=stranger, team=team, role=Role.MEMBER)
    incident, _ = incident_create(
        user=stranger, team=team, title="Shared from the start", organization_name="Acme",
        platform="twitter", occurred_on=date(2026, 11, 1), primary_cause=cause(),
        visibility="library", origin="external")
    stranger.memberships.all().delete()
    client.force_login(member)
    history = history_html(client, incident)
    assert "stranger@elsewhere.example" not in history
    assert "logged it" in history


def test_teammate_without_display_name_is_named_by_email_to_the_team_only(
        client, team, member, outsider):
    teammate = UserFactory(email="teammate@comms.example", display_name="")
    MembershipFactory(user=teammate, team=team, role=Role.MEMBER)
    incident, _ = incident_create(
        user=teammate, team=team, title="Shared from the start", organization_name="Acme",
        platform="twitter", occurred_on=date(2026, 11, 1), primary_cause=cause(),
        visibility="library", origin="external")
    client.force_login(member)
    assert "<strong>teammate@comms.example</strong> logged it" in history_html(client, incident)
    client.force_login(outsider)
    outside = history_html(client, incident)
    assert "teammate@comms.example" not in outside
    assert "<strong>Comms</strong> logged it" in outside


def test_history_is_shown_in_the_readers_time_zone(client, team):
    reader = UserFactory(email="tokyo@comms.example", timezone="Asia/Tokyo")
    MembershipFactory(user=reader, team=team, role=Role.MEMBER)
    with time_machine.travel(datetime(2026, 11, 1, 20, 30, tzinfo=UTC), tick=False):
        incident, _ = incident_create(
            user=reader, team=team, title="Late post", organization_name="Acme",
            platform="twitter", occurred_on=date(2026, 11, 1), primary_cause=cause())
    client.force_login(reader)
    assert '2 Nov 2026, 05:30</time>' in history_html(client, incident)
    fragment = client.get(reverse("incidents:incident-history",
                                  kwargs={"public_id": incident.public_id})).content.decode()
    assert '2 Nov 2026, 05:30</time>' in fragment


def test_changed_times_in_history_are_shown_in_the_readers_time_zone_with_page_labels(
        client, team):
    reader = UserFactory(email="tokyo2@comms.example", timezone="Asia/Tokyo")
    MembershipFactory(user=reader, team=team, role=Role.MEMBER)
    incident, _ = incident_create(
        user=reader, team=team, title="Late reply", organization_name="Acme",
        platform="twitter", occurred_on=date(2026, 10, 1), primary_cause=cause())
    incident_update(user=reader, incident=incident, data={
        "resolved_at": datetime(2026, 10, 2, 15, 0, tzinfo=UTC), "apologized": True})
    client.force_login(reader)
    html = history_html(client, incident)
    assert "<ins>3 Oct 2026, 00:00</ins>" in html
    assert "+00:00" not in html
    assert "Apologised:" in html
    assert "Apologized" not in html


# Sources belong to each incident: one link, each team's own words about it.


def test_another_team_adding_the_same_link_sees_its_own_title(
        client, member, outsider, private_incident, outsider_private_incident):
    source_add(user=member, incident=private_incident, url="https://news.example.com/a",
               kind="screenshot", title="Our private words about it")
    source_add(user=outsider, incident=outsider_private_incident,
               url="https://news.example.com/a", kind="article")
    assert Source.objects.count() == 1
    client.force_login(outsider)
    theirs = sources_html(client, outsider_private_incident)
    assert "Our private words about it" not in theirs
    assert '<span class="tag">Screenshot</span>' not in theirs
    assert ">https://news.example.com/a</a>" in theirs
    client.force_login(member)
    ours = sources_html(client, private_incident)
    assert "Our private words about it" in ours
    assert '<span class="tag">Screenshot</span>' in ours


def test_same_link_spelled_differently_is_one_source_stored_normalised(
        member, outsider, private_incident, outsider_private_incident):
    source_add(user=member, incident=private_incident,
               url="https://x.com/acme/status/1?s=20", kind="post", title="Ours")
    source_add(user=outsider, incident=outsider_private_incident,
               url="https://mobile.twitter.com/acme/status/1/", kind="post")
    assert list(Source.objects.values_list("url", flat=True)) == [
        "https://twitter.com/acme/status/1"]
    links = IncidentSource.objects.order_by("pk")
    assert [(link.incident_id, link.title, link.added_by) for link in links] == [
        (private_incident.pk, "Ours", member), (outsider_private_incident.pk, "", outsider)]


def test_adding_the_same_link_twice_in_another_spelling_is_refused(member, private_incident):
    source_add(user=member, incident=private_incident, url="https://www.example.com/a/",
               kind="article")
    with pytest.raises(Exception, match="already a source of this incident"):
        source_add(user=member, incident=private_incident,
                   url="https://example.com/a?utm_source=feed", kind="article")


# History refreshes after changes made in place.


def test_in_place_changes_tell_the_history_section_to_refresh(
        client, member, private_incident):
    client.force_login(member)
    base = {"public_id": private_incident.public_id}
    response = client.post(reverse("incidents:timeline-create", kwargs=base), {
        "timeline-at": "2026-11-09T10:00", "timeline-kind": "note",
        "timeline-text": "Noted in place"}, headers=HTMX)
    assert response.headers["HX-Trigger"] == "history-changed"
    response = client.post(reverse("incidents:source-create", kwargs=base), {
        "source-url": "https://news.example.com/in-place", "source-kind": "article",
        "source-title": "Added in place"}, headers=HTMX)
    assert response.headers["HX-Trigger"] == "history-changed"
    page = client.get(private_incident.get_absolute_url()).content.decode()
    assert 'hx-trigger="history-changed from:body"' in page
    fragment = client.get(reverse("incidents:incident-history", kwargs=base)).content.decode()
    assert "Noted in place" in fragment
    assert "Added in place" in fragment


def test_history_fragment_keeps_the_outsider_rule(
        client, outsider, shared_after_private_past):
    client.force_login(outsider)
    fragment = client.get(reverse("incidents:incident-history", kwargs={
        "public_id": shared_after_private_past.public_id})).content.decode()
    assert "shared it in the library" in fragment
    assert "Secret launch plan" not in fragment


def test_history_fragment_of_another_teams_private_incident_is_404(
        client, member, outsider_private_incident):
    client.force_login(member)
    response = client.get(reverse("incidents:incident-history", kwargs={
        "public_id": outsider_private_incident.public_id}))
    assert response.status_code == 404


@pytest.mark.parametrize("n", [1, 8])
def test_outsider_history_query_count_does_not_grow(
        client, outsider, member, team, django_assert_num_queries, n):
    incident = IncidentFactory(team=team, created_by=member, visibility="library")
    for i in range(n):
        incident_update(user=member, incident=incident, data={"title": f"Version {i}"})
        source_add(user=member, incident=incident, url=f"https://news.example.com/{i}",
                   kind="article", title=f"Story {i}")
        timeline_event_add(user=member, incident=incident, at=NOW - timedelta(hours=i + 1),
                           kind="note", text=f"Note {i}")
    client.force_login(outsider)
    url = reverse("incidents:incident-history", kwargs={"public_id": incident.public_id})
    # session, user, the incident with its 4 prefetches, history records (+2 many-to-many),
    # timeline and source-link history, the people in it who are of the owning team (the
    # reader too), names of causes and organisations; the memberships of the context processor
    with django_assert_num_queries(HISTORY_FRAGMENT_QUERIES):
        response = client.get(url)
    assert response.content.decode().count("added a source") == n


HISTORY_FRAGMENT_QUERIES = 16
