"""Full-text search on PostgreSQL goes through the GIN index built by migration 0001."""

from django.db import connection

from incidents.search import incident_search
from incidents.selectors import incident_list
from tests.factories import IncidentFactory


def test_search_index_exists_on_the_exact_search_expression(postgres):
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'incident_search'")
        (definition,) = cursor.fetchone()
    assert "USING gin" in definition
    assert "to_tsvector('english'::regconfig" in definition


def test_search_query_plan_uses_the_gin_index(postgres, team, member):
    IncidentFactory(team=team, title="Hashtag hijacked by critics")
    queryset = incident_search(incident_list(user=member), "hashtags")
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        plan = queryset.explain()
    assert "incident_search" in plan
    assert [i.title for i in queryset] == ["Hashtag hijacked by critics"]
