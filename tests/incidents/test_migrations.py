"""Migrations on rows made under the old schema: 0005 (source links), where each source's
words go to its earliest incident only and links are normalised and merged, never duplicated;
0007, where sources and timeline events (and their history) get a public_id each."""

from datetime import UTC, date, datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from tests.factories import TeamFactory

# Teams as they were then too: later accounts migrations add columns the old Team lacks.
BEFORE = [("incidents", "0002_seed_taxonomy"), ("accounts", "0001_initial"), ("learnings", None)]
AFTER = [("incidents", "0005_source_links")]
T0 = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return MigrationExecutor(connection).loader.project_state(
        [t for t in targets if t[1] is not None]).apps


@pytest.fixture
def old_apps(transactional_db):
    apps = migrate(BEFORE)
    yield apps
    # Leave the schema as every other test expects it.
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


def test_source_words_go_to_the_earliest_incident_only_and_links_are_merged(old_apps):
    apps = old_apps
    User = apps.get_model("accounts", "User")
    Team = apps.get_model("accounts", "Team")
    Organization = apps.get_model("incidents", "Organization")
    RootCause = apps.get_model("incidents", "RootCause")
    Incident = apps.get_model("incidents", "Incident")
    Source = apps.get_model("incidents", "Source")
    HistoricalIncident = apps.get_model("incidents", "HistoricalIncident")
    OldHistory = apps.get_model("incidents", "HistoricalIncident_sources")

    author = User.objects.create(email="author@example.com", display_name="Author")
    private_team = Team.objects.create(name="Private", slug="private")
    other_team = Team.objects.create(name="Other", slug="other")
    org = Organization.objects.create(name="Acme", slug="acme")
    # Seeded by 0002, unless an earlier transactional test flushed it.
    cause, _ = RootCause.objects.get_or_create(
        slug="production-slip", defaults={"code": "C13", "name": "Production or QA slip"})

    def incident(team, title, visibility):
        return Incident.objects.create(team=team, organization=org, title=title,
                                       platform="twitter", occurred_on=date(2026, 9, 1),
                                       primary_cause=cause, visibility=visibility,
                                       created_at=T0)

    private = incident(private_team, "Private one", "team")
    shared = incident(other_team, "Shared one", "library")
    tweet = Source.objects.create(url="https://x.com/acme/status/1?s=20", kind="screenshot",
                                  title="Private words", created_at=T0)
    same_tweet = Source.objects.create(url="https://twitter.com/acme/status/1",
                                       kind="post", title="Other words", created_at=T0)
    story = Source.objects.create(url="https://www.example.com/story/", kind="article",
                                  title="Story", created_at=T0)
    private.sources.add(tweet)  # the tweet's earliest link
    shared.sources.add(tweet)
    shared.sources.add(same_tweet)  # the same link under another spelling
    shared.sources.add(story)
    # The old many-to-many history: the private incident's author added the tweet then.
    added = datetime(2026, 10, 2, 8, 0, tzinfo=UTC)
    record = HistoricalIncident.objects.create(
        id=private.pk, public_id=private.public_id, team=private_team, organization=org,
        title=private.title, platform="twitter", occurred_on=private.occurred_on,
        primary_cause=cause, visibility="team", created_at=T0, updated_at=added,
        history_date=added, history_type="~", history_user=author)
    through = Incident.sources.through.objects.get(incident=private, source=tweet)
    OldHistory.objects.create(id=through.pk, history=record, incident=private, source=tweet)

    apps = migrate(AFTER)
    Source = apps.get_model("incidents", "Source")
    IncidentSource = apps.get_model("incidents", "IncidentSource")
    HistoricalIncidentSource = apps.get_model("incidents", "HistoricalIncidentSource")

    assert sorted(Source.objects.values_list("url", flat=True)) == [
        "https://example.com/story", "https://twitter.com/acme/status/1"]
    links = sorted(
        (link.incident_id, link.source.url, link.kind, link.title, link.added_by_id)
        for link in IncidentSource.objects.select_related("source"))
    assert links == sorted([
        (private.pk, "https://twitter.com/acme/status/1", "screenshot", "Private words",
         author.pk),
        # Not the private incident's words, nor the merged spelling's: the defaults.
        (shared.pk, "https://twitter.com/acme/status/1", "article", "", None),
        (shared.pk, "https://example.com/story", "article", "Story", None),
    ])
    assert IncidentSource.objects.get(incident_id=private.pk).created_at == added
    history = sorted((h.incident_id, h.source.url, h.history_type, h.title)
                     for h in HistoricalIncidentSource.objects.select_related("source"))
    assert history == sorted([
        (private.pk, "https://twitter.com/acme/status/1", "+", "Private words"),
        (shared.pk, "https://twitter.com/acme/status/1", "+", ""),
        (shared.pk, "https://example.com/story", "+", "Story"),
    ])

    # And back: one global kind and title per source again, the earliest link's.
    apps = migrate(BEFORE)
    Incident = apps.get_model("incidents", "Incident")
    Source = apps.get_model("incidents", "Source")
    assert sorted(Incident.sources.through.objects.values_list("incident_id", "source__url")) \
        == sorted([(private.pk, "https://twitter.com/acme/status/1"),
                   (shared.pk, "https://twitter.com/acme/status/1"),
                   (shared.pk, "https://example.com/story")])
    assert Source.objects.get(url="https://twitter.com/acme/status/1").title == "Private words"


def test_existing_sources_and_timeline_events_get_a_public_id_each_and_back_again(
        transactional_db):
    before = [("incidents", "0006_apologised_label")]
    apps = migrate(before)
    try:
        Organization = apps.get_model("incidents", "Organization")
        RootCause = apps.get_model("incidents", "RootCause")
        Incident = apps.get_model("incidents", "Incident")
        Source = apps.get_model("incidents", "Source")
        TimelineEvent = apps.get_model("incidents", "TimelineEvent")
        HistoricalTimelineEvent = apps.get_model("incidents", "HistoricalTimelineEvent")
        # Accounts stay migrated: the team is made as it is today.
        team = TeamFactory(name="Comms", slug="comms")
        org = Organization.objects.create(name="Acme", slug="acme", team_id=team.pk)
        cause, _ = RootCause.objects.get_or_create(
            slug="production-slip", defaults={"code": "C13", "name": "Production or QA slip"})
        incident = Incident.objects.create(team_id=team.pk, organization=org, title="One",
                                           platform="twitter", occurred_on=date(2026, 9, 1),
                                           primary_cause=cause)
        for n in range(3):
            Source.objects.create(url=f"https://example.com/{n}")
            event = TimelineEvent.objects.create(incident=incident, at=T0, text=f"Entry {n}")
            HistoricalTimelineEvent.objects.create(
                id=event.pk, incident=incident, at=T0, text=event.text, created_at=T0,
                history_date=T0, history_type="+")
        # The history of an entry removed since.
        HistoricalTimelineEvent.objects.create(
            id=event.pk + 100, incident=incident, at=T0, text="Gone", created_at=T0,
            history_date=T0, history_type="-")

        apps = migrate([("incidents", "0007_source_timeline_event_public_id")])
        for name in ("Source", "TimelineEvent"):
            ids = list(apps.get_model("incidents", name).objects.values_list(
                "public_id", flat=True))
            assert len(ids) == 3
            assert None not in ids
            assert len(set(ids)) == 3
        events = dict(apps.get_model("incidents", "TimelineEvent").objects.values_list(
            "pk", "public_id"))
        history = dict(apps.get_model("incidents", "HistoricalTimelineEvent").objects
                       .values_list("id", "public_id"))
        assert {pk: history[pk] for pk in events} == events
        assert history[event.pk + 100] not in (None, *events.values())

        apps = migrate(before)
        assert apps.get_model("incidents", "TimelineEvent").objects.count() == 3
        assert "public_id" not in {
            f.name for f in apps.get_model("incidents", "Source")._meta.get_fields()}
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
