"""Finding incidents and organisations by what someone types: full-text search, and the
organisations a picker, a filter or a name lookup may offer.

Both the list's filters (incidents.filters) and the selectors use these, so they live below
both: filters never import selectors.
"""

import copy

from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db import connection
from django.db.models import BooleanField, Exists, F, FloatField, OuterRef, Q, QuerySet
from django.db.models.expressions import Expression
from django.db.models.functions import Cast

from accounts.models import Team, User
from common.pages import COUNT_CAP
from common.text import search_text

from .models import (
    ORGANIZATION_ORDER,
    SEARCH_CONFIG,
    STORED_SEARCH_DOCUMENT,
    Incident,
    Organization,
)

# Ranking reads the document of every row it orders, and a broad word matches much of a
# large library: so the best matches are looked for among the newest matches only, read in the
# order of the date index, as many as a list counts before it says "1,000+".
RANKED = COUNT_CAP
# At most this many organisations named by the search are sent as ids; more are read by the
# query itself (incident_search).
ORGANIZATIONS_SENT = 100


def incident_search(
    queryset: QuerySet[Incident], text: str, *, user: User | None = None,
    team: Team | None = None,
) -> QuerySet[Incident]:
    """Full text over title and summary (PostgreSQL: the stored, GIN-indexed
    `search_document`), plus organisation names; in no particular order and unranked (see
    best_matches_first).

    Organisation names are matched among those the reader may see: pass the acting `user`
    (or the `team` a team-owned record reads for); with neither, only shared organisations.
    On SQLite, every word must appear in the title, summary or organisation name.
    """
    text = search_text(text)
    if not text:
        return queryset
    if connection.vendor == "postgresql":
        query = _query(text)
        # Resolved first (by the trigram index organization_name_trigram), so the planner
        # can OR two index scans: the GIN full-text index and the organisation index.
        named = (_visible_organizations(user=user, team=team).filter(name__icontains=text)
                 .order_by().values_list("pk", flat=True))
        org_ids = list(named[:ORGANIZATIONS_SENT + 1])
        matches = Q(document=query)
        if len(org_ids) > ORGANIZATIONS_SENT:
            # A word in many names (how many grows with the installation): the query reads
            # them itself, once, into a hash that each row is looked up in, rather than
            # being sent hundreds of ids to plan and compare one by one.
            matches |= Q(organization_id__in=named)
        elif org_ids:
            matches |= AmongIds(F("organization_id"), org_ids)
        return queryset.alias(document=STORED_SEARCH_DOCUMENT).filter(matches)
    for word in text.split():
        queryset = queryset.filter(
            Q(title__icontains=word) | Q(summary__icontains=word)
            | Q(organization__name__icontains=word)
        )
    return queryset


def newest_match_ids(matches: QuerySet[Incident]) -> list[int]:
    """The ids of the newest RANKED + 1 of `matches`, newest first: one read of the date
    index that gives both the candidates best_matches_first ranks (the first RANKED) and the
    list's count, capped as every list's is ("1,000+" when there is one more)."""
    return list(newest_matches(matches))


def newest_matches(matches: QuerySet[Incident]) -> QuerySet:
    """The query newest_match_ids runs."""
    return (matches.order_by("-occurred_on", "-created_at", "-pk")
            .values_list("pk", flat=True)[:RANKED + 1])


def best_matches_first(matches: QuerySet[Incident], text: str, *,
                       newest: list[int] | None = None) -> QuerySet[Incident]:
    """`matches` (incident_search's, with any other filters) best match first, then newest,
    with each one's `rank`: on PostgreSQL, ranked among the newest RANKED matches only
    (`newest`, from newest_match_ids when the caller counts them too; else a subquery of
    the same query), so the cost does not grow with how many
    incidents match (a list that shows them says so when more than RANKED match). On
    SQLite, which does not rank, newest first.
    """
    text = search_text(text)
    if connection.vendor != "postgresql" or not text:
        return matches.order_by("-occurred_on", "-created_at")
    # Ranked from the stored vector: no title or summary is parsed again. As double
    # precision: a real read into Python and sent back (a page's cursor) would no longer
    # equal itself.
    rank = Cast(SearchRank(STORED_SEARCH_DOCUMENT, _query(text)), output_field=FloatField())
    # The candidates only, by key: repeating the filters here would let the planner look
    # for every match again (the full-text index) to join them with the candidates. What
    # the rows bring along (joined or prefetched) stays as `matches` asked.
    manager = matches.model._default_manager
    if newest is None:  # a subquery: one query for a caller that needs no count
        ranked = manager.filter(pk__in=matches.order_by(
            "-occurred_on", "-created_at", "-pk").values("pk")[:RANKED])
    else:
        ranked = manager.filter(AmongIds(F("pk"), newest[:RANKED]))
    ranked.query.select_related = copy.deepcopy(matches.query.select_related)
    ranked._prefetch_related_lookups = matches._prefetch_related_lookups
    return ranked.annotate(rank=rank).order_by("-rank", "-occurred_on")


class AmongIds(Expression):
    """`expression` is one of `ids` (PostgreSQL): the ids sent as one array that the query
    unpacks when it runs. As a list of values (IN (…)), the planner would estimate each
    one against the column's statistics: a broad word names hundreds of organisations in a
    large installation, and planning then took longer than running the query."""

    output_field = BooleanField()
    conditional = True

    def __init__(self, expression, ids):
        super().__init__()
        self.expression, self.ids = expression, list(ids)

    def get_source_expressions(self):
        return [self.expression]

    def set_source_expressions(self, expressions):
        (self.expression,) = expressions

    def as_sql(self, compiler, connection):
        sql, params = compiler.compile(self.expression)
        return f"{sql} = ANY(ARRAY(SELECT unnest(%s::bigint[])))", (*params, self.ids)


def _query(text: str) -> SearchQuery:
    return SearchQuery(text, search_type="websearch", config=SEARCH_CONFIG)


def _visible_organizations(*, user: User | None, team: Team | None
                           ) -> QuerySet[Organization]:
    if user is not None:
        return Organization.objects.for_user(user)
    if team is not None:
        return Organization.objects.for_team(team)
    return Organization.objects.shared()


def organization_choices(*, user: User | None = None, team: Team | None = None
                         ) -> QuerySet[Organization]:
    """The door to organisations for pickers, filters and name matching: shared ones and the
    reader's private ones (the user's teams', or the team's), each with at least one incident
    the reader can read."""
    readable = Incident.objects.readable(user=user, team=team).filter(
        organization=OuterRef("pk"))
    return Organization.objects.readable(user=user, team=team).filter(
        Exists(readable)).order_by(*ORGANIZATION_ORDER)
