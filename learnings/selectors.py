"""Reads for learnings and action items, and the learning side of the incident page
(linked learnings, precedents, repeat causes). Every one goes through a for_user door, or
for_team when a team reads (dashboards, the digest)."""

import datetime as dt
import zoneinfo
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from uuid import UUID

from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    When,
    prefetch_related_objects,
)
from django.db.models import Value as V
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone

from accounts.models import Team, User
from accounts.tenancy import writable_teams
from common.text import search_text
from incidents.models import (
    Incident,
    Origin,
    RootCause,
)
from incidents.search import best_matches_first, incident_search
from incidents.selectors import incident_precedents

from .filters import ActionItemFilter, LearningFilter
from .models import STATUS_ORDER, ActionItem, Learning, LearningStatus, counted_links

Link = Learning.incidents.through



# The order a learning lists its incidents in: the latest failure first.
LINKED_INCIDENT_ORDER = ("-occurred_on", "-created_at", "-pk")


def _linked_incidents_prefetch() -> Prefetch:
    return Prefetch(
        "incidents",
        queryset=Incident.objects.select_related("organization", "primary_cause", "team")
        .prefetch_related("contributing_causes").order_by(*LINKED_INCIDENT_ORDER),
        to_attr="linked_incidents",
    )


def learning_filterset(*, user: User | None = None, team: Team | None = None,
                       filters: Mapping | None = None,
                       team_ids: Iterable[int] | None = None,
                       filterset_class: type[LearningFilter] = LearningFilter) -> LearningFilter:
    """The learnings list's filters (LearningFilter), bound to `filters` by the names of the
    list page's query string, over the learnings a person (user) or a team reads, with what a
    list row shows: owner, team, open-action count and the linked incidents (for the derived
    causes), in a fixed number of queries.

    Its `.qs` is the list (learning_list); the page takes its form and chips from it too, so
    the values are validated once. A value that does not validate filters nothing (the page
    says why beside the field; an API refuses it by the filterset's `errors`). The API
    passes its own subclass (`filterset_class`), which adds parameters and never a way round
    the reader's rows.

    `team_ids`: the reader's teams, when the page knows them already (its memberships):
    given to PostgreSQL as values, it reads a page of one team's learnings in the list's
    order (by an index on the team and that order) instead of sorting all of them."""
    queryset = Learning.objects.readable(user=user, team=team)
    if team_ids is not None:
        queryset = queryset.filter(team_id__in=sorted(team_ids))
    # Counted for the rows shown only (a subquery, not a join and GROUP BY over every
    # learning before the page is cut). A retired or archived learning has no open actions
    # (Learning.closes_actions).
    open_items = (ActionItem.objects.filter(learning=OuterRef("pk"), done_at__isnull=True,
                                            archived_at__isnull=True)
                  .order_by().values("learning").annotate(n=Count("pk")).values("n"))
    queryset = (
        queryset.select_related("team", "owner")
        .prefetch_related(_linked_incidents_prefetch())
        .annotate(open_item_count=Case(
            When(Q(archived_at__isnull=True) & ~Q(status=LearningStatus.RETIRED),
                 then=Coalesce(Subquery(open_items), V(0))),
            default=V(0), output_field=IntegerField(),
        ))
    )
    # Always bound (no values too), so that the defaults apply: active ones, latest change first.
    return filterset_class(filters or {}, queryset=queryset, user=user, team=team)


def learning_list(*, user: User | None = None, team: Team | None = None,
                  filters: Mapping | None = None) -> QuerySet[Learning]:
    """The learnings a person (user) or a team reads, filtered and ordered as the list page
    does with these values: without any, the active ones, most recently changed first."""
    return learning_filterset(user=user, team=team, filters=filters).qs


def learning_rows(learnings: Iterable[Learning]) -> list[Learning]:
    """A list page's learnings, each with what its row shows beyond its fields: the derived
    causes (`causes`) and how many of the incidents that count for it are the team's own
    failures or other organisations' (`own_count`, `external_count`). No query for rows of
    learning_list (their incidents are prefetched); two for others, however many."""
    learnings = list(learnings)
    prefetch_related_objects(learnings, _linked_incidents_prefetch())
    for learning in learnings:
        learning.causes = learning_causes(learning)
        counted = counted_incidents(learning)
        learning.own_count = sum(1 for incident in counted if incident.origin == Origin.OWN)
        learning.external_count = len(counted) - learning.own_count
    return learnings


def learning_get(*, user: User | None = None, team: Team | None = None,
                 public_id: UUID | str) -> Learning:
    """One learning a person (user) or a team reads (archived ones too) with its page's data;
    404 otherwise, so another team's learnings stay out of sight."""
    # Active and removed actions in one query; the page lists removed ones for restoring.
    items = ActionItem.objects.select_related("owner", "done_by", "learning__team")
    learning = (
        Learning.objects.readable(user=user, team=team)
        .select_related("team", "owner", "created_by", "status_changed_by")
        .prefetch_related(_linked_incidents_prefetch(),
                          Prefetch("action_items", queryset=items, to_attr="all_items"))
        .filter(public_id=public_id)
        .first()
    )
    if learning is None:
        raise Http404("No such learning.")
    learning.items = [item for item in learning.all_items if item.archived_at is None]
    learning.removed_items = [item for item in learning.all_items if item.archived_at]
    return learning


def learning_draft_teams(*, user: User, incidents: Iterable[Incident]) -> QuerySet[Team]:
    """The user's teams that may draw a learning from all these incidents, by name: those
    where the user may write and that can read each of them (their own, or the library's)."""
    teams = writable_teams(user)
    ids = [incident.pk for incident in incidents]
    if not ids:
        return teams
    unreadable = Incident.objects.filter(pk__in=ids).exclude(
        Incident.tenancy.readable_q(OuterRef("pk")))
    return teams.exclude(Exists(unreadable))


def learning_prefill(*, incident: Incident) -> dict[str, str]:
    """What a learning drawn from this incident starts with: its primary cause's name and
    the incident for a title, the incident in a line and what the cause is for the lesson,
    and the cause's prevention for the practice."""
    cause = incident.primary_cause
    return {
        "title": f"{cause.name}: {incident.title}"[:200],
        "lesson": f"**{incident.organization.name}, {incident.occurred_on:%B %Y}** — "
                  f"{incident.title}.\n\n{cause.description}",
        "practice": cause.prevention,
    }


def counted_incidents(learning: Learning) -> list[Incident]:
    """The linked incidents that shape the learning (see models.counted_links), from the
    prefetch."""
    return [
        incident for incident in learning.linked_incidents
        if incident.archived_at is None
        and Incident.tenancy.readable_by_team(incident, learning.team_id)
    ]


def visible_incidents(learning: Learning) -> tuple[list[Incident], int]:
    """The linked incidents the learning's team can still read (archived ones included), and
    how many it no longer can (another team made them private)."""
    visible = [i for i in learning.linked_incidents
               if Incident.tenancy.readable_by_team(i, learning.team_id)]
    return visible, len(learning.linked_incidents) - len(visible)


@dataclass
class DerivedCause:
    cause: RootCause
    incident_count: int
    primary_count: int


def learning_causes(learning: Learning) -> list[DerivedCause]:
    """The union of the causes of the learning's incidents, most frequent first."""
    causes: dict[int, RootCause] = {}
    seen, primary = Counter(), Counter()
    for incident in counted_incidents(learning):
        causes[incident.primary_cause_id] = incident.primary_cause
        primary[incident.primary_cause_id] += 1
        for cause in {incident.primary_cause, *incident.contributing_causes.all()}:
            causes[cause.pk] = cause
            seen[cause.pk] += 1
    return sorted(
        (DerivedCause(causes[pk], seen[pk], primary[pk]) for pk in causes),
        key=lambda d: (-d.incident_count, -d.primary_count, d.cause.code),
    )


def visible_incident_ids() -> QuerySet[Incident]:
    """visible_incidents in SQL, for a subquery of a learning query (an export's column):
    the public ids of the outer learning's linked incidents its team can still read, in the
    learning's order. One subquery per row, not a query."""
    return (Incident.objects.filter(Incident.tenancy.readable_q(OuterRef("team_id")),
                                    learnings=OuterRef("pk"))
            .order_by(*LINKED_INCIDENT_ORDER).values("public_id"))


def derived_cause_slugs() -> QuerySet[RootCause]:
    """learning_causes in SQL, for a subquery of a learning query: the slugs of the outer
    learning's causes (those of the incidents that count for it, primary or contributing),
    most frequent first, then most often primary, then by code."""
    links = counted_links(depth=2)
    # Incidents, not links: an incident whose primary cause is also among its contributing
    # ones counts once.
    seen = links.filter(Q(incident__primary_cause=OuterRef("pk"))
                        | Q(incident__contributing_causes=OuterRef("pk")))
    primary = links.filter(incident__primary_cause=OuterRef("pk"))

    def how_many(found) -> Coalesce:
        return Coalesce(Subquery(found.order_by().values("learning_id")
                                 .annotate(n=Count("incident_id", distinct=True)).values("n")),
                        V(0))

    return (RootCause.objects.annotate(seen=how_many(seen), primary=how_many(primary))
            .filter(seen__gt=0).order_by("-seen", "-primary", "code").values("slug"))


def linkable_incident_search(*, learning: Learning, text: str, limit: int = 10) -> list[Incident]:
    """Incidents the learning's team can read (own and library) matching the words, not
    linked yet: what "link an incident" offers as one types."""
    queryset = (
        Incident.objects.for_team(learning.team).active()
        .exclude(pk__in=Link.objects.filter(learning=learning).values("incident_id"))
        .select_related("organization", "primary_cause", "team")
    )
    text = search_text(text)
    if not text:
        return []
    # The best matches among the newest (incidents.search.RANKED), as the list's search.
    queryset = best_matches_first(incident_search(queryset, text, team=learning.team), text)
    return list(queryset[:limit])


def action_item_list(*, user: User | None = None, team: Team | None = None,
                     owner: User | None = None, done: bool = False,
                     team_ids: Iterable[int] | None = None) -> QuerySet[ActionItem]:
    """The action items a person (user) or a team reads on active learnings, of one `owner`
    if given. Open ones (done=False; not those a retired learning closed) by due date, so
    overdue first, undated last; or done ones (done=True), the latest done first.

    `team_ids`: the reader's teams, when the page knows them already (its memberships):
    given to PostgreSQL as values, it knows how many learnings those teams have and starts
    from the owner's items instead of from every learning of the teams."""
    queryset = ActionItem.objects.readable(user=user, team=team)
    if team_ids is not None:
        queryset = queryset.filter(learning__team_id__in=sorted(team_ids))
    queryset = (
        queryset.active()
        .filter(learning__archived_at__isnull=True)
        # Each row names its owner (even the reader's own): one join, not a query a row.
        .select_related("learning__team", "owner")
    )
    if owner is not None:
        queryset = queryset.filter(owner=owner)
    if done:
        return queryset.filter(done_at__isnull=False).order_by("-done_at", "-pk")
    return queryset.open().order_by(F("due_on").asc(nulls_last=True), "pk")


def action_item_filterset(*, user: User | None = None, team: Team | None = None,
                          filters: Mapping | None = None,
                          filterset_class: type[ActionItemFilter] = ActionItemFilter
                          ) -> ActionItemFilter:
    """Action items' filters (ActionItemFilter, or the subclass `filterset_class`) bound to
    `filters`, over the items a person (user) or a team reads, each row with its learning,
    team and owner joined (one query). Its `.qs` is the list; its `errors` say which value
    does not validate."""
    queryset = (ActionItem.objects.readable(user=user, team=team)
                .select_related("learning__team", "owner"))
    return filterset_class(filters or {}, queryset=queryset, user=user, team=team)


def action_item_get(*, user: User | None = None, team: Team | None = None,
                    public_id: UUID | str) -> ActionItem:
    """One action item a person (user) or a team reads, archived or not; 404 otherwise."""
    item = (ActionItem.objects.readable(user=user, team=team)
            .select_related("learning__team", "owner").filter(public_id=public_id).first())
    if item is None:
        raise Http404("No such action item.")
    return item


def action_item_rows(items: Iterable[ActionItem], *, user: User) -> list[ActionItem]:
    """Action items as a list across teams shows them: whether the reader may change each
    (`can_write`) and today in its team's calendar (`team_today`, for overdue). One query."""
    items = list(items)
    if not items:
        return items
    writable = set(Team.objects.writable_by(user).values_list("pk", flat=True))
    todays: dict[int, dt.date] = {}
    for item in items:
        team = item.learning.team
        item.can_write = team.pk in writable
        item.team_today = todays.setdefault(team.pk, team.today())
    return items


def action_item_counts(items: list[ActionItem], today) -> tuple[int, int]:
    """(open, overdue) among a learning's active items: none of either once the learning is
    retired or archived (its actions are closed)."""
    return (sum(1 for item in items if not item.is_done and not item.is_closed),
            sum(1 for item in items if item.is_overdue(today)))


def incident_learning_list(*, user: User, incident: Incident) -> list[Learning]:
    """The reader's teams' learnings drawn from this incident."""
    return list(
        Learning.objects.for_user(user).active().filter(incidents=incident)
        .select_related("team", "owner").order_by(STATUS_ORDER, "-updated_at")
    )


def learning_precedents(*, user: User, incident: Incident, limit: int = 5,
                        team_ids: Iterable[int] | None = None) -> list[Learning]:
    """The reader's teams' learnings that share this incident's primary cause and are not
    drawn from it already: adopted first, then proposed and drafts; retired ones not.

    `team_ids`: the reader's teams, when the page knows them already (its memberships):
    given to PostgreSQL as values, it reads one team's learnings in this order (the index
    learning_team_in_force) and stops at `limit`, instead of sorting all of them."""
    queryset = Learning.objects.for_user(user)
    if team_ids is not None:
        queryset = queryset.filter(team_id__in=sorted(team_ids))
    queryset = (
        queryset.active().with_cause(incident.primary_cause)
        .exclude(status=LearningStatus.RETIRED)
        .exclude(Exists(Link.objects.filter(learning_id=OuterRef("pk"), incident=incident)))
        .select_related("team", "owner")
        .order_by(STATUS_ORDER, "-adopted_at", "-updated_at")
    )
    return list(queryset[:limit])


def library_precedents(*, user: User, incident: Incident, limit: int = 5) -> list[Incident]:
    """Library incidents with the same primary cause, the most severe and recent first."""
    return list(incident_precedents(user=user, incident=incident)[:limit])


def incident_repeat_of(*, user: User, incident: Incident) -> list[Learning]:
    """The team's learnings that were in force when this own incident happened and already
    covered its primary cause: the learnings that did not prevent it.

    In force means adopted on an earlier day than the incident occurred (in the team's
    calendar) and not retired before that day. The learning must cover the cause through
    other incidents than this one. Only the team's own members see it (learnings are theirs).
    """
    if incident.origin != Origin.OWN:
        return []
    with timezone.override(zoneinfo.ZoneInfo(incident.team.timezone)):
        # __date reads the stored UTC times in the team's time zone.
        candidates = (
            Learning.objects.for_user(user).active()
            .filter(team_id=incident.team_id, adopted_at__isnull=False,
                    adopted_at__date__lt=incident.occurred_on)
            .filter(Q(retired_at__isnull=True) | Q(retired_at__date__gte=incident.occurred_on))
            .with_cause(incident.primary_cause, besides=incident)
            .select_related("owner")
            .order_by("adopted_at")
        )
        return list(candidates)
