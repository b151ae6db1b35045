"""The lists and panels that would otherwise grow with the installation read through the
indexes made for them, on a data set big enough for PostgreSQL's planner to care: 20,000
incidents of 40 teams (three in four in the library), built once for the module with
set-based SQL and ANALYZEd. A plan without its index means the query and the index no longer
match: the page would read every shared incident again at a million.

Where the planner is told not to sort or scan the table, it is because a plan that does so
would be as quick on this data set and proves nothing about a large one."""

import re

import pytest
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from accounts.models import Role
from common.pages import keyset_cursor, keyset_page
from incidents.models import Incident, Organization
from incidents.search import RANKED, best_matches_first, incident_search, newest_matches
from incidents.selectors import (
    incident_list,
    incident_precedents,
    organization_list,
)
from learnings.selectors import learning_precedents
from tests.conftest import built_once, require
from tests.factories import MembershipFactory, TeamFactory, UserFactory, cause

INCIDENTS = 20_000
TEAMS = 40
ORGANIZATIONS = 3_000
BROAD, NARROW = "hashtag", "zeppelin"


def _fill(reader_team_id: int) -> None:
    """Incidents, causes, learnings and their links, set-based. The reader's team has one
    incident in forty, as in a large installation; a broad word is in two incidents in five,
    a narrow one in one in a thousand; one organisation in a hundred has "Post" in its name."""
    with connection.cursor() as cursor:
        cursor.execute("""
            INSERT INTO incidents_organization (name, slug, aliases, industry, website, handles,
                                                created_at)
            SELECT CASE WHEN n %% 100 = 0 THEN 'Post Brand ' || n ELSE 'Brand ' || n END,
                   'plan-brand-' || n, '[]', '', '', '[]', now()
            FROM generate_series(1, %s) AS n
        """, [ORGANIZATIONS])
        cursor.execute("""
            WITH orgs AS (SELECT array_agg(id ORDER BY id) AS ids FROM incidents_organization
                          WHERE slug LIKE 'plan-brand-%%'),
                 teams AS (SELECT array_agg(id ORDER BY id) AS ids FROM accounts_team
                           WHERE slug LIKE 'plan-team-%%'),
                 causes AS (SELECT array_agg(id ORDER BY id) AS ids FROM incidents_rootcause)
            INSERT INTO incidents_incident (
                created_at, updated_at, public_id, team_id, visibility, origin, organization_id,
                title, summary, platform, occurred_on, status, severity, primary_cause_id,
                context, actor, acknowledged, apologized, explained_fix, asked_for_help,
                deleted_silently, defensive, blamed_others, response_score)
            SELECT now() - n * interval '1 minute', now(), gen_random_uuid(),
                   CASE WHEN n %% %s = 0 THEN %s ELSE teams.ids[1 + n %% array_length(teams.ids, 1)]
                   END,
                   CASE WHEN n %% 4 = 0 THEN 'team' ELSE 'library' END,
                   CASE WHEN n %% 2 = 0 THEN 'own' ELSE 'external' END,
                   orgs.ids[1 + (n * 7) %% array_length(orgs.ids, 1)],
                   'Incident ' || n || CASE WHEN n %% 5 < 2 THEN ' hashtag' ELSE '' END
                       || CASE WHEN n %% 1000 = 0 THEN ' zeppelin' ELSE '' END,
                   'A post went wrong, case ' || n, 'twitter',
                   date '2025-06-30' - (n * 3653 / %s),
                   'open', (ARRAY['low', 'medium', 'high', 'critical'])[1 + n %% 4],
                   causes.ids[1 + n %% array_length(causes.ids, 1)],
                   '[]', 'unknown', false, false, false, false, false, false, false, 0
            FROM generate_series(1, %s) AS n, orgs, teams, causes
        """, [TEAMS, reader_team_id, INCIDENTS, INCIDENTS])
        cursor.execute("""
            INSERT INTO incidents_incident_contributing_causes (incident_id, rootcause_id)
            SELECT i.id, c.id FROM incidents_incident i
            JOIN (SELECT id, row_number() OVER (ORDER BY id) - 1 AS k,
                         count(*) OVER () AS causes FROM incidents_rootcause) c
              ON c.k = (i.id * 5) %% c.causes
            WHERE i.id %% 3 = 0 AND c.id <> i.primary_cause_id
        """, [])
        cursor.execute("""
            INSERT INTO learnings_learning (created_at, updated_at, public_id, team_id, title,
                                            lesson, practice, status, retired_reason)
            SELECT now(), now() - n * interval '1 hour', gen_random_uuid(), %s,
                   'Learning ' || n, '', '',
                   (ARRAY['draft', 'proposed', 'adopted', 'retired'])[1 + n %% 4], ''
            FROM generate_series(1, 400) AS n
        """, [reader_team_id])
        cursor.execute("""
            INSERT INTO learnings_learning_incidents (learning_id, incident_id)
            WITH l AS (SELECT id, team_id, row_number() OVER (ORDER BY id) AS k
                       FROM learnings_learning),
                 i AS (SELECT id, team_id, row_number() OVER (ORDER BY id) AS k
                       FROM incidents_incident WHERE team_id = %s)
            SELECT l.id, i.id FROM l JOIN i ON i.k IN (l.k, l.k + 400)
        """, [reader_team_id])
        # What VACUUM does in a live installation: rows just inserted wait in the GIN indexes'
        # pending lists, which the planner rightly finds slow to read.
        for index in ("incident_search_document", "incident_title_trigram",
                      "organization_name_trigram"):
            cursor.execute("SELECT gin_clean_pending_list(%s::regclass)", [index])
        for table in ("incidents_organization", "incidents_rootcause", "incidents_incident",
                      "incidents_incident_contributing_causes", "learnings_learning",
                      "learnings_learning_incidents", "accounts_team", "accounts_membership"):
            cursor.execute(f"ANALYZE {table}")


@pytest.fixture(scope="module")
def reader(django_db_setup, django_db_blocker):
    """A member of one team among forty, reading the data set above."""
    # Set-based PostgreSQL: on SQLite the tests skip (or, in CI, fail) before building it.
    require(connection.vendor == "postgresql",
            "it needs PostgreSQL: set DATABASE_URL=postgres://… (see README)")
    with built_once(django_db_blocker):
        teams = [TeamFactory(name=f"Plan team {n}", slug=f"plan-team-{n}") for n in range(TEAMS)]
        user = UserFactory(email="reader@example.com")
        MembershipFactory(user=user, team=teams[0], role=Role.MEMBER)
        _fill(teams[0].pk)
        yield user


pytestmark = pytest.mark.usefixtures("postgres")


def plan(queryset, *off: str) -> str:
    """The plan PostgreSQL would run, with the named planner methods switched off."""
    with connection.cursor() as cursor:
        for setting in off:
            cursor.execute(f"SET LOCAL {setting} = off")
        return queryset.explain()


def listed(filters, reader):
    return incident_list(user=reader, filters=filters)


def test_the_list_reads_the_newest_first_from_the_date_index(reader):
    assert "incident_newest" in plan(listed({}, reader)[:26])


def test_a_page_deep_in_the_list_starts_reading_the_date_index_at_its_cursor(reader):
    # At a million incidents a page 500,000 rows deep took seconds: PostgreSQL read the
    # cursor's ORs as a filter and walked the index from the newest row (common.pages._beyond).
    queryset = listed({}, reader)
    deep = queryset[INCIDENTS // 2]
    request = RequestFactory().get("/", {"after": keyset_cursor(queryset, deep)})
    with CaptureQueriesContext(connection) as queries:
        page = keyset_page(request, queryset, count=False)
    assert page.object_list[0] == queryset[INCIDENTS // 2 + 1]
    (sql,) = [query["sql"] for query in queries.captured_queries]
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + sql)
        found = "\n".join(row[0] for row in cursor.fetchall())
    assert "incident_newest" in found, found
    assert re.search(r"Index Cond: \(occurred_on <= '\d{4}-\d\d-\d\d'::date\)", found), found


def test_the_team_only_list_and_its_count_start_from_the_readers_team(reader):
    team_only = listed({"visibility": "team"}, reader)
    assert "incident_team_visibility" in plan(team_only[:26])
    assert "incident_team_visibility" in plan(team_only.order_by()[:RANKED + 1])
    assert {i.team.slug for i in team_only[:26]} == {"plan-team-0"}


def test_a_broad_word_ranks_only_the_newest_matches_read_by_date(reader):
    found = incident_search(incident_list(user=reader), BROAD, user=reader)
    text = plan(newest_matches(found))
    # The candidates (and the count): the date index read until RANKED + 1 match, not
    # every match found by the full-text index.
    assert "incident_newest" in text
    assert f"rows={RANKED + 1} " in text
    assert "incident_search_document" not in text
    # Then only those are ranked, found by their keys.
    ranked = plan(listed({"q": BROAD}, reader)[:26])
    assert "incidents_incident_pkey" in ranked
    assert "incident_newest" not in ranked
    assert "incident_search_document" not in ranked


def test_a_narrow_word_is_found_by_the_full_text_index(reader):
    found = incident_search(incident_list(user=reader), NARROW, user=reader)
    text = plan(newest_matches(found))
    assert "incident_search_document" in text
    assert len(best_matches_first(found, NARROW)) == INCIDENTS // 1000


def test_organisations_named_in_a_search_are_found_by_the_trigram_index(reader):
    names = Organization.objects.for_user(reader).filter(name__icontains="post").order_by()
    assert "organization_name_trigram" in plan(names.values("pk"))


def test_search_with_a_cause_by_severity_walks_the_severity_index(reader):
    found = listed({"q": BROAD, "cause": cause("insensitive-timing").slug,
                    "sort": "-severity"}, reader)
    text = plan(found[:26])
    assert "incident_most_severe" in text
    # The contributing cause is checked row by row (a correlated subplan probing an index of
    # the link table: by incident, or by cause when the cause is rare), not by first reading
    # every incident with that cause into a hash.
    probe = re.search(r"(hashed )?SubPlan \d+\n(?:.*\n){0,2}?.*Index (?:Only )?Scan using \w+ on "
                      r"incidents_incident_contributing_causes", text)
    assert probe, text
    assert probe.group(1) is None, text
    assert "incident_id = incidents_incident.id" in text, text
    assert [i.severity for i in found[:26]] == ["critical"] * 26


def test_library_precedents_are_read_in_the_order_of_their_index(reader):
    incident = Incident.objects.filter(team__slug="plan-team-0").first()
    precedents = incident_precedents(user=reader, incident=incident)[:5]
    assert "incident_library_precedent" in plan(precedents)
    assert [p.severity for p in precedents] == ["critical"] * 5


def test_learning_precedents_read_the_teams_learnings_in_force_first(reader):
    incident = Incident.objects.filter(team__slug="plan-team-0").first()
    team_ids = [reader.memberships.get().team_id]
    with CaptureQueriesContext(connection) as queries:
        found = learning_precedents(user=reader, incident=incident, team_ids=team_ids)
    with connection.cursor() as cursor:
        # Few of this data set's learnings share a cause: sorting them would be as quick.
        cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute("EXPLAIN " + queries.captured_queries[-1]["sql"])
        text = "\n".join(row[0] for row in cursor.fetchall())
    assert "learning_team_in_force" in text
    assert [learning.status for learning in found] == ["adopted"] * 5


def test_the_organisations_page_reads_names_in_the_order_of_their_index(reader):
    text = plan(organization_list(user=reader)[:51])
    assert "organization_name_order" in text
    # Each name checked, and its incidents counted, by the index that holds what the check
    # needs (from the index alone once VACUUM has marked the table's pages all-visible).
    assert "incident_org_readable" in text
