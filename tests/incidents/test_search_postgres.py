"""Full-text search on PostgreSQL reads the stored, GIN-indexed `search_document` column of
migration 0008, generated from the same expression the search used to parse each time."""

import pytest
from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.db import connection
from django.http import QueryDict
from django.urls import reverse
from django.utils.text import slugify

from incidents.models import SEARCH_CONFIG, Incident
from incidents.search import best_matches_first, incident_search
from incidents.selectors import incident_list
from tests.factories import IncidentFactory, OrganizationFactory


def test_search_document_is_generated_by_the_database_and_indexed(postgres):
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = %s",
                       ["incident_search_document"])
        (definition,) = cursor.fetchone()
        cursor.execute("SELECT generation_expression FROM information_schema.columns "
                       "WHERE table_name = 'incidents_incident' "
                       "AND column_name = 'search_document'")
        (expression,) = cursor.fetchone()
    assert "USING gin (search_document)" in definition
    assert "to_tsvector('english'::regconfig" in expression


def test_search_finds_by_the_stored_document(postgres, team, member):
    # That it reads the full-text index is checked on a data set big enough for the planner
    # to care (test_plans_postgres): on a table of one row any plan will do.
    IncidentFactory(team=team, title="Hashtag hijacked by critics")
    queryset = incident_search(incident_list(user=member), "hashtags")
    assert [i.title for i in queryset] == ["Hashtag hijacked by critics"]


WORDS = ["apology", "hashtag", "hashtag apology", '"spring sale"', "sale -hashtag",
         "deleted OR apology", "critics"]


@pytest.mark.parametrize("words", WORDS)
def test_the_stored_document_finds_and_ranks_what_parsing_each_row_found(
        postgres, team, member, words):
    for title, summary in [
        ("Hashtag hijacked by critics", "Critics took over the hashtag within minutes."),
        ("Spring sale post deleted", "The apology came a day later."),
        ("Apology thread", "An apology, a hashtag and a spring sale in one post."),
        ("Nothing to see", "A quiet week."),
    ]:
        IncidentFactory(team=team, title=title, summary=summary)
    query = SearchQuery(words, search_type="websearch", config=SEARCH_CONFIG)
    vector = SearchVector("title", "summary", config=SEARCH_CONFIG)
    parsed = Incident.objects.annotate(document=vector, rank=SearchRank(vector, query)).filter(
        document=query).order_by("-rank", "title")
    stored = best_matches_first(incident_search(incident_list(user=member), words),
                                words).order_by("-rank", "title")
    assert stored.exists()  # every one of WORDS finds something
    assert [(i.title, round(i.rank, 6)) for i in stored] == [
        (i.title, round(i.rank, 6)) for i in parsed]


def test_best_matches_are_read_page_after_page_by_rank_without_a_repeat(
        postgres, team, member, client):
    """Pages of a search follow its rank (a float) and then the date, from the last row."""
    for n in range(30):
        IncidentFactory(team=team, title="Hashtag " * (1 + n % 3) + f"case {n}",
                        summary="hashtag " * (n % 5))
    client.force_login(member)
    seen, params = [], {"q": "hashtag"}
    while True:
        response = client.get(reverse("incidents:incident-list"), params)
        page = response.context["page"]
        seen += [(round(i.rank, 6), i.pk) for i in page.object_list]
        if not page.older_url:
            break
        params = dict(QueryDict(page.older_url.split("?", 1)[1]).items())
    assert len(seen) == len({pk for _, pk in seen}) == 30
    assert [rank for rank, _ in seen] == sorted((rank for rank, _ in seen), reverse=True)


@pytest.mark.parametrize("sent", [100, 1])
def test_organisations_named_by_a_search_match_the_same_sent_as_ids_or_read_by_the_query(
        postgres, team, other_team, member, monkeypatch, sent):
    """A word in more names than ORGANIZATIONS_SENT is read by the query itself: the same
    incidents match, and another team's private organisation is still not matched by name."""
    monkeypatch.setattr("incidents.search.ORGANIZATIONS_SENT", sent)
    for name in ("Harbour One", "Harbour Two"):
        IncidentFactory(team=other_team, visibility="library", title=f"Library case at {name}",
                        organization=OrganizationFactory(name=name, slug=slugify(name)))
    IncidentFactory(team=other_team, visibility="library", title="Their shared case",
                    organization=OrganizationFactory(name="Harbour Hidden",
                                                     slug="harbour-hidden", team=other_team))
    IncidentFactory(team=team, title="Unrelated", organization=OrganizationFactory(name="Quay"))
    found = incident_search(incident_list(user=member), "harbour")
    assert sorted(incident.title for incident in found) == [
        "Library case at Harbour One", "Library case at Harbour Two"]
