"""Finding incidents and organisations by what someone types: full-text search, and the
organisations a picker, a filter or a name lookup may offer.

Both the list's filters (incidents.filters) and the selectors use these, so they live below
both: filters never import selectors.
"""

from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db import connection
from django.db.models import Exists, FloatField, OuterRef, Q, QuerySet
from django.db.models.functions import Cast

from accounts.models import Team, User
from common.text import search_text

from .models import (
    ORGANIZATION_ORDER,
    SEARCH_CONFIG,
    STORED_SEARCH_DOCUMENT,
    Incident,
    Organization,
)


def incident_search(
    queryset: QuerySet[Incident], text: str, *, user: User | None = None,
    team: Team | None = None,
) -> QuerySet[Incident]:
    """Full text over title and summary (PostgreSQL: the stored, GIN-indexed
    `search_document`), plus organisation names.

    Organisation names are matched among those the reader may see: pass the acting `user`
    (or the `team` a team-owned record reads for); with neither, only shared organisations.
    On SQLite, every word must appear in the title, summary or organisation name.
    """
    text = search_text(text)
    if not text:
        return queryset
    if connection.vendor == "postgresql":
        query = SearchQuery(text, search_type="websearch", config=SEARCH_CONFIG)
        # Resolved first (a short list) so the planner can OR two index scans: the GIN
        # full-text index and the organisation index.
        org_ids = list(
            _visible_organizations(user=user, team=team).filter(name__icontains=text)
            .values_list("pk", flat=True)
        )
        matches = Q(document=query)
        if org_ids:
            matches |= Q(organization_id__in=org_ids)
        # Ranked from the stored vector: no title or summary is parsed again per match. As
        # double precision: a real read into Python and sent back (a page's cursor) would
        # no longer equal itself.
        return queryset.alias(document=STORED_SEARCH_DOCUMENT).annotate(
            rank=Cast(SearchRank(STORED_SEARCH_DOCUMENT, query), output_field=FloatField())
        ).filter(matches)
    for word in text.split():
        queryset = queryset.filter(
            Q(title__icontains=word) | Q(summary__icontains=word)
            | Q(organization__name__icontains=word)
        )
    return queryset


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
