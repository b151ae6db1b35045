"""Reads for incidents and organisations. Every one goes through Incident.objects.for_user."""

import json
import re
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from functools import cache
from typing import Any
from uuid import UUID

from django.contrib.postgres.expressions import ArraySubquery
from django.contrib.postgres.search import TrigramSimilarity
from django.db import connection
from django.db.models import (
    Case,
    Count,
    Exists,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import JSONObject, Lower
from django.http import Http404

from accounts.models import Team, User
from common.text import search_text

from .filters import IncidentFilter
from .links import normalize_link
from .models import (
    ORGANIZATION_ORDER,
    Incident,
    IncidentSource,
    Organization,
    Source,
    Visibility,
    severity_rank_expression,
)
from .search import organization_choices

LIST_RELATED = ("team", "organization", "primary_cause")


def _readable(*, user: User | None, team: Team | None) -> QuerySet[Incident]:
    return Incident.objects.readable(user=user, team=team).select_related(*LIST_RELATED)


def incident_filterset(*, user: User | None = None, team: Team | None = None,
                       filters: Mapping[str, Any] | None, library: bool = False,
                       filterset_class: type[IncidentFilter] = IncidentFilter
                       ) -> IncidentFilter:
    """The list's filters (incidents.filters.IncidentFilter) bound to `filters`, by the names
    of the list page's query string, over the incidents the reader may read: a person (a
    page) or a team (a dashboard, a digest); the library's only, with library=True. Its `qs`
    is the list: active incidents unless filters ask for archived=true, in the order they
    ask for; its form and errors are what a page shows. The API passes its own subclass
    (`filterset_class`), which adds parameters and never a way round the reader's rows.
    """
    queryset = _readable(user=user, team=team)
    if library:
        queryset = queryset.filter(visibility=Visibility.LIBRARY)
    # Always bound (no filters too) so the default filters and order apply.
    return filterset_class(filters or {}, queryset=queryset, user=user, team=team)


def incident_list(*, user: User | None = None, team: Team | None = None,
                  filters: Mapping[str, Any] | None = None,
                  include_archived: bool = False) -> QuerySet[Incident]:
    """Incidents the reader (a user, or a team) may read, with what a list row shows already
    joined.

    With `filters` (a page's query string, an API's query parameters, a dict), the list's
    filters and order apply, archived incidents included only when they ask (archived=true).
    Without, every active incident (and archived ones with include_archived).
    """
    if filters is not None:
        return incident_filterset(user=user, team=team, filters=filters).qs
    queryset = _readable(user=user, team=team)
    return queryset if include_archived else queryset.active()


def library_list(*, user: User | None = None, team: Team | None = None,
                 filters: Mapping[str, Any] | None = None,
                 include_archived: bool = False) -> QuerySet[Incident]:
    """Every team's shared incidents; reader and `filters` as for incident_list."""
    if filters is not None:
        return incident_filterset(user=user, team=team, filters=filters, library=True).qs
    return incident_list(user=user, team=team, include_archived=include_archived).filter(
        visibility=Visibility.LIBRARY
    )


def incident_precedents(*, user: User, incident: Incident) -> QuerySet[Incident]:
    """Library incidents with the same primary cause as this one, the most severe and recent
    first: read in the order of the index incident_library_precedent, whose expression is
    this sort's."""
    return (
        Incident.objects.for_user(user).active()
        .filter(visibility=Visibility.LIBRARY, primary_cause_id=incident.primary_cause_id)
        .exclude(pk=incident.pk)
        .annotate(severity_rank=severity_rank_expression())
        .select_related("organization")
        .order_by("-severity_rank", "-occurred_on", "-created_at")
    )


def incident_relations() -> tuple:
    """The prefetches that give incidents their causes, factors and sources (with their
    links) in one query each, whatever the number of incidents."""
    return ("contributing_causes", "factors", Prefetch(
        "source_links", queryset=IncidentSource.objects.select_related("source")))


# A row of the API's incident list (incident_list_rows): the incident's fields and what it
# shows of its team, organisation and primary cause.
INCIDENT_ROW_FIELDS = (
    "id", "public_id", "team__slug", "origin", "visibility", "organization__slug",
    "organization__name", "title", "summary", "platform", "occurred_on", "detected_at",
    "first_response_at", "resolved_at", "status", "severity", "primary_cause__slug", "context",
    "actor", "acknowledged", "apologized", "explained_fix", "asked_for_help", "deleted_silently",
    "defensive", "blamed_others", "response_score", "archived_at", "created_at", "updated_at")
# A source of a row, as incident_row_relations gives it (the names of the API's source).
SOURCE_ROW = {"id": "source__public_id", "url": "source__url", "platform": "source__platform",
              "kind": "kind", "title": "title", "captured_at": "captured_at",
              "created_at": "created_at"}


def _causes(**where):
    return (Incident.contributing_causes.through.objects.filter(**where)
            .order_by("rootcause__code"))


def _factors(**where):
    return Incident.factors.through.objects.filter(**where).order_by("factor__name", "factor_id")


def _sources(**where):
    return IncidentSource.objects.filter(**where).order_by("created_at", "pk")


def incident_list_rows(incidents: QuerySet[Incident]) -> QuerySet:
    """`incidents` (a list, in its order) read as dicts rather than models, for a page of the
    API's list: INCIDENT_ROW_FIELDS and the list's order keys, and each incident's
    `contributing_cause_slugs` (by code), `factor_slugs` (by name) and `source_rows` (dicts named
    as SOURCE_ROW, oldest first), the detail's orders. On PostgreSQL the relations come as
    arrays built in the same query, so a page is one query and makes no models; elsewhere
    incident_row_relations reads them after paging, one query each."""
    order = [term.lstrip("-") for term in incidents.query.order_by
             if isinstance(term, str) and term.lstrip("-") not in INCIDENT_ROW_FIELDS + ("pk",)]
    if connection.vendor != "postgresql":
        return incidents.values(*INCIDENT_ROW_FIELDS, *order)
    return incidents.values(*INCIDENT_ROW_FIELDS, *order, **_relation_arrays())


@cache
def _relation_arrays() -> dict:
    """The three arrays, compiled to SQL once per process rather than for every page (their
    compiling was a fifth of an API page's CPU). The ORM writes the SQL, from the querysets
    below; it names the incident as the list's table, "incidents_incident", which is what
    incident_list_rows reads from."""
    arrays = {
        "contributing_cause_slugs": ArraySubquery(
            _causes(incident_id=OuterRef("pk")).values("rootcause__slug")),
        "factor_slugs": ArraySubquery(
            _factors(incident_id=OuterRef("pk")).values("factor__slug")),
        "source_rows": ArraySubquery(
            _sources(incident_id=OuterRef("pk")).values(row=JSONObject(**SOURCE_ROW))),
    }
    query = Incident.objects.annotate(**arrays).query
    compiler = query.get_compiler(connection=connection)
    compiled = {}
    for name in arrays:
        annotation = query.annotations[name]
        sql, params = compiler.compile(annotation)
        # The ORM wrote this SQL from the querysets above; its parameters stay apart.
        compiled[name] = RawSQL(sql, params, output_field=annotation.output_field)  # noqa: S611
    return compiled


def incident_row_relations(rows: list[dict]) -> list[dict]:
    """A page of incident_list_rows with its relations: as read on PostgreSQL (the sources'
    times, which arrive as text, made times again); elsewhere read in one query each."""
    if not rows:
        return rows
    if "source_rows" in rows[0]:
        for row in rows:
            for source in row["source_rows"]:
                for name in ("captured_at", "created_at"):
                    if source[name] is not None:
                        source[name] = datetime.fromisoformat(source[name])
        return rows
    ids = [row["id"] for row in rows]
    causes: dict[int, list[str]] = {pk: [] for pk in ids}
    factors: dict[int, list[str]] = {pk: [] for pk in ids}
    sources: dict[int, list[dict]] = {pk: [] for pk in ids}
    for pk, slug in _causes(incident_id__in=ids).values_list("incident_id", "rootcause__slug"):
        causes[pk].append(slug)
    for pk, slug in _factors(incident_id__in=ids).values_list("incident_id", "factor__slug"):
        factors[pk].append(slug)
    for pk, *values in _sources(incident_id__in=ids).values_list("incident_id",
                                                                  *SOURCE_ROW.values()):
        sources[pk].append(dict(zip(SOURCE_ROW, values, strict=True)))
    for row in rows:
        row.update(contributing_cause_slugs=causes[row["id"]], factor_slugs=factors[row["id"]],
                   source_rows=sources[row["id"]])
    return rows


def incident_get(*, user: User | None = None, team: Team | None = None,
                 public_id: UUID | str) -> Incident:
    """One incident the reader (a person, or a team) may read, archived ones too, with
    everything its page shows; 404 otherwise."""
    incident = (
        Incident.objects.readable(user=user, team=team)
        .select_related(*LIST_RELATED, "created_by")
        .prefetch_related(*incident_relations(), "timeline")
        .filter(public_id=public_id)
        .first()
    )
    if incident is None:
        raise Http404("No such incident.")
    return incident


# How alike two titles must be (pg_trgm's similarity, 0-1) to show in the "looks like…" panel
# (pg_trgm's own default for its % operator), and to stop a save as the same incident.
SIMILAR_TITLE = 0.3
VERY_SIMILAR_TITLE = 0.6
# The same organisation this close to the date may be the same failure.
DUPLICATE_WINDOW = timedelta(days=30)
# The same team, organisation and a very similar title this close: the same failure, twice.
SAME_DATE_WINDOW = timedelta(days=3)
# Candidates read per look-up; the few best are shown. Keeps the query and the work bounded.
DUPLICATE_CANDIDATES = 50
# Words that say nothing about which failure a title is about (SQLite's fallback only).
TITLE_STOP_WORDS = frozenset({
    "the", "and", "for", "with", "from", "that", "this", "after", "over", "into", "about",
    "post", "posts", "tweet", "their", "they", "what", "when", "were", "have", "been", "brand",
})
WORD = re.compile(r"[^\W_]+")


def _trigrams(text: str) -> set[str]:
    # As pg_trgm makes them: each lower-cased word padded with two spaces before, one after.
    grams = set()
    for word in WORD.findall(text.lower()):
        padded = f"  {word} "
        grams.update(padded[i:i + 3] for i in range(len(padded) - 2))
    return grams


def title_similarity(a: str, b: str) -> float:
    """pg_trgm's similarity of two titles, in Python: shared trigrams over all trigrams."""
    first, second = _trigrams(a), _trigrams(b)
    if not first or not second:
        return 0.0
    shared = len(first & second)
    return shared / (len(first) + len(second) - shared)


def _significant_words(title: str) -> list[str]:
    words = {w for w in WORD.findall(title.lower()) if len(w) > 3 and w not in TITLE_STOP_WORDS}
    return sorted(words, key=len, reverse=True)[:8]


def incident_possible_duplicates(
    *, user: User, title: str = "", organization_name: str = "",
    occurred_on: date | None = None, url: str = "", limit: int = 5,
) -> list[Incident]:
    """Readable incidents that may be the one being logged, most likely first: one already
    backed by the same link however it is spelled (normalize_link), one with a similar title,
    or one of the same organisation (by name or alias) within 30 days of the date.

    One query. Each incident comes with same_link, same_organization, title_similarity and
    duplicate_reason (what the panel says about it).
    """
    title = " ".join(title.split())
    name = " ".join(organization_name.split())
    url = url.strip()
    conditions = Q()
    same_link = same_org = Q(pk__in=[])
    if url:
        # Stored links are normalised; the raw spelling also finds links stored before that.
        links = {normalize_link(url), url}
        same_link = Q(pk__in=Source.objects.filter(url__in=links).values("incidents"))
        conditions |= same_link
    postgres = connection.vendor == "postgresql"
    if name:
        # An exact alias: the quotes match one whole element of the stored JSON list (which
        # SQLite keeps ASCII-escaped and PostgreSQL does not).
        alias = json.dumps(name, ensure_ascii=not postgres)
        orgs = organization_choices(user=user).filter(
            Q(name__iexact=name) | Q(aliases__icontains=alias))
        same_org = Q(organization__in=orgs)
        org_match = same_org
        if occurred_on:
            # Clamped: a window around a date at the ends of the calendar must not overflow.
            start = max(occurred_on, date.min + DUPLICATE_WINDOW) - DUPLICATE_WINDOW
            end = min(occurred_on, date.max - DUPLICATE_WINDOW) + DUPLICATE_WINDOW
            org_match &= Q(occurred_on__range=(start, end))
        conditions |= org_match
    if title:
        if postgres:
            # The % operator, served by the trigram index of migration 0004. As a subquery it
            # is one index scan, even ORed with the link and organisation conditions (inline,
            # the OR would make PostgreSQL compare every title).
            conditions |= Q(pk__in=Incident.objects.filter(title__trigram_similar=title)
                            .values("pk"))
        else:
            words = _significant_words(title)
            for word in words:
                conditions |= Q(title__icontains=word)
    if not conditions:
        return []
    queryset = incident_list(user=user).filter(conditions).annotate(
        same_link=Case(When(same_link, then=Value(True)), default=Value(False)),
        same_organization=Case(When(same_org, then=Value(True)), default=Value(False)),
    )
    order = ["-same_link"]
    if title and postgres:
        queryset = queryset.annotate(similarity=TrigramSimilarity("title", title))
        order.append("-similarity")
    candidates = list(queryset.order_by(*order, "-occurred_on")[:DUPLICATE_CANDIDATES])
    found = []
    for incident in candidates:
        incident.title_similarity = title_similarity(title, incident.title) if title else 0.0
        near = occurred_on is None or abs(incident.occurred_on - occurred_on) <= DUPLICATE_WINDOW
        reasons = [
            reason for reason, matched in (
                ("same link", incident.same_link),
                ("similar title", incident.title_similarity >= SIMILAR_TITLE),
                ("same organisation", incident.same_organization and near),
            ) if matched
        ]
        if reasons:
            incident.duplicate_reason = ", ".join(reasons)
            found.append(incident)
    found.sort(key=lambda i: (not i.same_link, -i.title_similarity - i.same_organization,
                              -i.occurred_on.toordinal()))
    return found[:limit]


def incident_log_repeats(
    *, user: User, team: Team, title: str, organization_name: str, occurred_on: date | None,
    url: str = "", idempotency_key: UUID | None = None,
) -> list[Incident]:
    """Readable incidents that the log form being sent would log a second time: one already
    backed by the same link, or one of the same team and organisation with a very similar
    title and date. Empty when this very submission already made its incident (its
    idempotency key): the service then hands that incident back."""
    if idempotency_key and Incident.objects.filter(
            team=team, idempotency_key=idempotency_key).exists():
        return []
    candidates = incident_possible_duplicates(
        user=user, title=title, organization_name=organization_name, occurred_on=occurred_on,
        url=url, limit=DUPLICATE_CANDIDATES)
    return [
        incident for incident in candidates
        if incident.same_link or (
            incident.team_id == team.pk and incident.same_organization
            and incident.title_similarity >= VERY_SIMILAR_TITLE
            and occurred_on is not None
            and abs(incident.occurred_on - occurred_on) <= SAME_DATE_WINDOW)
    ]


def organization_list(*, user: User, text: str = "") -> QuerySet[Organization]:
    """Organisations the user may see that have an incident the user can read, with the
    number of those incidents; sorted by name whatever its case ("acme" before "AT&T").

    Read in name order (index organization_name_order), each organisation checked for one
    readable incident (index incident_org_occurred) and counted only when shown: a page's
    cost does not grow with the installation, as counting every readable incident did.
    Ordered by names only, so that it pages by keyset (common.pages.keyset_page).
    """
    readable = Incident.objects.for_user(user).active().filter(organization=OuterRef("pk"))
    counted = readable.order_by().values("organization").annotate(n=Count("pk")).values("n")
    queryset = (
        Organization.objects.for_user(user).select_related("team")
        .annotate(name_key=Lower("name"))
        .filter(Exists(readable))
        .annotate(incident_count=Subquery(counted, output_field=IntegerField()))
    )
    text = search_text(text)
    if text:
        queryset = queryset.filter(name__icontains=text)
    return queryset.order_by("name_key", "name", "pk")


SUGGESTIONS = 20


def organization_suggestions(*, user: User, text: str) -> list[Organization]:
    """What a picker offers as someone types an organisation: the organisations the user may
    see (organization_choices) whose name holds the words, those starting with them first; a
    few, whatever the number of organisations."""
    text = search_text(text)
    if not text:
        return []
    starts = Case(When(name__istartswith=text, then=Value(0)), default=Value(1))
    return list(organization_choices(user=user).filter(name__icontains=text)
                .order_by(starts, *ORGANIZATION_ORDER)[:SUGGESTIONS])


def organization_get(*, user: User, slug: str) -> Organization:
    """An organisation the user can read at least one incident of; 404 otherwise, so another
    team's private organisation, or a name logged only in its private incidents, stays
    private."""
    organization = organization_choices(user=user).select_related("team").filter(
        slug=slug).first()
    if organization is None:
        raise Http404("No such organisation.")
    return organization
