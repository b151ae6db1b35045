"""A search in best-match order ranks only the newest RANKED (1,000) matches, read in date
order, so its cost does not grow with how many incidents match; the page says so, beside
its count, only when more matched. Built once for the module, set-based: 1,100 incidents
that say "hashtag" (the 100 oldest say it most, so they would rank first if every match were
ranked) and 30 that say "lantern" (the oldest says it most)."""

import pytest
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Role
from incidents.models import Incident
from incidents.search import RANKED
from tests.conftest import built_once, require
from tests.factories import MembershipFactory, OrganizationFactory, TeamFactory, UserFactory

BROAD, FEW = 1_100, 30
NOTE = "best matches among the newest 1,000"


@pytest.fixture(scope="module")
def reader(django_db_setup, django_db_blocker):
    # Set-based PostgreSQL: on SQLite the tests skip (or, in CI, fail) before building it.
    require(connection.vendor == "postgresql",
            "it needs PostgreSQL: set DATABASE_URL=postgres://… (see README)")
    with built_once(django_db_blocker):
        team = TeamFactory(name="Cap team", slug="cap-team")
        user = UserFactory(email="cap-reader@example.com")
        MembershipFactory(user=user, team=team, role=Role.MEMBER)
        organization = OrganizationFactory(name="Cap brand", slug="cap-brand")
        with connection.cursor() as cursor:
            for word, count, loud in (("hashtag", BROAD, 100), ("lantern", FEW, 1)):
                # Day n back from the newest; the `loud` oldest repeat the word.
                cursor.execute("""
                    INSERT INTO incidents_incident (
                        created_at, updated_at, public_id, team_id, visibility, origin,
                        organization_id, title, summary, platform, occurred_on, status,
                        severity, primary_cause_id, context, actor, acknowledged, apologized,
                        explained_fix, asked_for_help, deleted_silently, defensive,
                        blamed_others, response_score)
                    SELECT now(), now(), gen_random_uuid(), %(team)s, 'team', 'own', %(org)s,
                           initcap(%(word)s) || ' case ' || n,
                           CASE WHEN n > %(count)s - %(loud)s
                                THEN repeat(%(word)s || ' ', 5) ELSE 'Once.' END,
                           'twitter', date '2025-06-30' - n, 'open', 'medium',
                           (SELECT min(id) FROM incidents_rootcause), '[]', 'unknown',
                           false, false, false, false, false, false, false, 0
                    FROM generate_series(1, %(count)s) AS n
                """, {"team": team.pk, "org": organization.pk, "word": word, "count": count,
                      "loud": loud})
        yield user


pytestmark = pytest.mark.usefixtures("postgres")


def newest(word: str, count: int) -> set[int]:
    return set(Incident.objects.filter(title__startswith=word.capitalize())
               .order_by("-occurred_on").values_list("pk", flat=True)[:count])


def read_all_pages(client, params: dict) -> list:
    """Every row of the list, page after page by its Older links, with the first page."""
    seen, first = [], None
    while True:
        response = client.get(reverse("incidents:incident-list"), params)
        first = first or response
        page = response.context["page"]
        seen += list(page.object_list)
        if not page.older_url:
            return first, seen
        params = dict(QueryDict(page.older_url.split("?", 1)[1]).items())


def test_more_matches_than_ranked_ranks_the_newest_and_says_so(reader, client):
    client.force_login(reader)
    first, seen = read_all_pages(client, {"q": "hashtag"})
    assert first.context["page"].count_text == "1,000+"
    content = first.content.decode()
    assert NOTE in content
    assert "sort=-occurred_on" in content
    # Exactly the newest RANKED matches, each once, best first: none of the 100 oldest,
    # which say the word most and would lead if every match were ranked.
    assert len(seen) == RANKED
    assert {i.pk for i in seen} == newest("hashtag", RANKED)
    assert [i.rank for i in seen] == sorted((i.rank for i in seen), reverse=True)


def test_fewer_matches_than_ranked_are_all_ranked_without_a_note(reader, client):
    client.force_login(reader)
    first, seen = read_all_pages(client, {"q": "lantern"})
    assert first.context["page"].count_text == "30"
    assert NOTE not in first.content.decode()
    assert {i.pk for i in seen} == newest("lantern", FEW)
    # The oldest says it most: first, though it is the oldest.
    assert seen[0].title == "Lantern case 30"


def test_newest_first_reads_every_match_without_ranking(reader, client):
    client.force_login(reader)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("incidents:incident-list"),
                              {"q": "hashtag", "sort": "-occurred_on"})
    assert not any("ts_rank" in q["sql"] for q in queries.captured_queries)
    assert NOTE not in response.content.decode()
    assert response.context["page"].object_list[0].title == "Hashtag case 1"
    # The oldest matches are there too, at the end of the list.
    params = {"q": "hashtag", "sort": "occurred_on"}
    oldest = client.get(reverse("incidents:incident-list"), params).context["page"]
    assert oldest.object_list[0].title == f"Hashtag case {BROAD}"
