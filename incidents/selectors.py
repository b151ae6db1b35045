"""Reads for incidents and organisations. Every one goes through Incident.objects.for_user."""

from datetime import date, timedelta
from uuid import UUID

from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db import connection
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.http import Http404

from accounts.models import User
from common.text import search_text

from .models import (
    SEARCH_CONFIG,
    SEARCH_VECTOR,
    Incident,
    Organization,
    Source,
    Visibility,
)

LIST_RELATED = ("team", "organization", "primary_cause")


def incident_search(queryset: QuerySet[Incident], text: str) -> QuerySet[Incident]:
    """Full text over title and summary (PostgreSQL, GIN-indexed), plus organisation names.

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
            Organization.objects.filter(name__icontains=text).values_list("pk", flat=True)
        )
        matches = Q(document=query)
        if org_ids:
            matches |= Q(organization_id__in=org_ids)
        return queryset.alias(document=SEARCH_VECTOR).annotate(
            rank=SearchRank(SEARCH_VECTOR, query)
        ).filter(matches)
    for word in text.split():
        queryset = queryset.filter(
            Q(title__icontains=word) | Q(summary__icontains=word)
            | Q(organization__name__icontains=word)
        )
    return queryset


def incident_list(*, user: User, include_archived: bool = False) -> QuerySet[Incident]:
    """Incidents the user may read, with what a list row shows already joined."""
    queryset = Incident.objects.for_user(user).select_related(*LIST_RELATED)
    return queryset if include_archived else queryset.active()


def library_list(*, user: User, include_archived: bool = False) -> QuerySet[Incident]:
    """Every team's shared incidents."""
    return incident_list(user=user, include_archived=include_archived).filter(
        visibility=Visibility.LIBRARY
    )


def incident_get(*, user: User, public_id: UUID | str) -> Incident:
    """One readable incident (archived ones too) with everything its page shows; 404 otherwise."""
    incident = (
        Incident.objects.for_user(user)
        .select_related(*LIST_RELATED, "created_by")
        .prefetch_related("contributing_causes", "factors", "sources", "timeline")
        .filter(public_id=public_id)
        .first()
    )
    if incident is None:
        raise Http404("No such incident.")
    return incident


def incident_possible_duplicates(
    *, user: User, organization_name: str = "", occurred_on: date | None = None, url: str = "",
    limit: int = 5,
) -> list[Incident]:
    """Readable incidents that may be the one being logged: the same organisation within
    30 days of the date, or one already backed by the same link."""
    conditions = Q()
    name = " ".join(organization_name.split())
    if name:
        orgs = Organization.objects.filter(Q(name__iexact=name) | Q(aliases__icontains=name))
        org_match = Q(organization__in=orgs)
        if occurred_on:
            window = timedelta(days=30)
            org_match &= Q(occurred_on__range=(occurred_on - window, occurred_on + window))
        conditions |= org_match
    url = url.strip()
    if url:
        conditions |= Q(pk__in=Source.objects.filter(url=url).values("incidents"))
    if not conditions:
        return []
    return list(
        incident_list(user=user).filter(conditions).order_by("-occurred_on")[:limit]
    )


def organization_list(*, user: User, text: str = "") -> QuerySet[Organization]:
    """Organisations with the number of incidents the user can see for each."""
    readable = Incident.objects.for_user(user).active()
    queryset = Organization.objects.annotate(
        incident_count=Count("incidents", filter=Q(incidents__in=readable))
    ).filter(incident_count__gt=0)
    text = search_text(text)
    if text:
        queryset = queryset.filter(name__icontains=text)
    return queryset.order_by("name")


def organization_choices(*, user: User) -> QuerySet[Organization]:
    """Organisations with at least one incident the user can read (for pickers and filters)."""
    readable = Incident.objects.for_user(user).filter(organization=OuterRef("pk"))
    return Organization.objects.filter(Exists(readable)).order_by("name")


def organization_get(*, user: User, slug: str) -> Organization:
    """An organisation the user can read at least one incident of; 404 otherwise, so a name
    logged only in another team's private incident stays private."""
    organization = organization_choices(user=user).filter(slug=slug).first()
    if organization is None:
        raise Http404("No such organisation.")
    return organization
