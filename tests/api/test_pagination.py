"""Every list is read in cursor pages: following `next` to the end reads every row once, in
the list's order, whatever ties it holds; `previous` reads back; no page counts the rows."""

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from incidents.models import Incident
from tests.factories import IncidentFactory, TimelineEventFactory

LIST = "/api/v1/incidents/"


@pytest.fixture
def many(team, member):
    """Eleven incidents: several on one day and of one severity, so the order has ties that
    only the tie-breaker settles."""
    return [IncidentFactory(team=team, created_by=member, occurred_on=date(2026, 9, 1 + n % 3),
                            severity=("low", "high", "critical")[n % 2 + (n % 5 == 0)])
            for n in range(11)]


def walk(client, first_url) -> tuple[list[str], list[dict]]:
    url, ids, pages = first_url, [], []
    while url:
        body = client.get(url).json()
        pages.append(body)
        ids += [row["id"] for row in body["results"]]
        url = body["next"]
    return ids, pages


@pytest.mark.parametrize("ordering", ["", "-occurred_on", "occurred_on", "severity", "-severity",
                                      "created_at", "-created_at"])
def test_following_next_reads_every_incident_once_in_order(api, member, many, ordering):
    client = api(member)
    query = f"?page_size=3&ordering={ordering}" if ordering else "?page_size=3"
    ids, pages = walk(client, LIST + query)
    whole = client.get(LIST + query.replace("page_size=3", "page_size=200")).json()
    assert ids == [row["id"] for row in whole["results"]]
    assert len(ids) == len(set(ids)) == 11
    assert [len(page["results"]) for page in pages] == [3, 3, 3, 2]
    assert pages[0]["previous"] is None
    assert pages[-1]["next"] is None
    assert pages[1]["previous"].startswith("http://testserver/api/v1/incidents/?")
    back = client.get(pages[1]["previous"]).json()
    assert [row["id"] for row in back["results"]] == ids[:3]


def test_the_links_keep_the_filters(api, member, many):
    client = api(member)
    ids, _ = walk(client, LIST + "?page_size=2&severity=high")
    assert set(ids) == {str(i.public_id) for i in many if i.severity == "high"}


def test_a_search_is_paged_by_rank_without_skipping(api, member, team, postgres):
    for n in range(7):
        IncidentFactory(team=team, title=f"Zebra {'zebra ' * (n % 3)}crossing {n}")
    ids, _ = walk(api(member), LIST + "?page_size=2&q=zebra")
    assert len(ids) == len(set(ids)) == 7


def test_nested_lists_are_paged_too(api, member, private_incident):
    for _ in range(5):
        TimelineEventFactory(incident=private_incident)
    ids, pages = walk(api(member), f"{LIST}{private_incident.public_id}/timeline/?page_size=2")
    assert len(ids) == len(set(ids)) == 5
    assert len(pages) == 3


def test_no_page_counts_the_rows(api, member, many):
    with CaptureQueriesContext(connection) as queries:
        api(member).get(LIST + "?page_size=3&after=" + walk_first_cursor(api(member)))
    assert not any("COUNT(" in query["sql"].upper() for query in queries.captured_queries)


def walk_first_cursor(client) -> str:
    next_url = client.get(LIST + "?page_size=3").json()["next"]
    return next_url.split("after=")[1].split("&")[0]


def test_archived_all_pages_through_both(api, member, many):
    Incident.objects.filter(pk__in=[i.pk for i in many[:4]]).update(
        archived_at="2026-10-01T00:00Z")
    client = api(member)
    assert len(walk(client, LIST + "?page_size=5")[0]) == 7
    assert len(walk(client, LIST + "?page_size=5&archived=true")[0]) == 4
    assert len(walk(client, LIST + "?page_size=5&archived=all")[0]) == 11
