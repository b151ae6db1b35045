"""Reads for learnings and action items, and the learning side of the incident page
(linked learnings, precedents, repeat causes). Every one goes through a for_user door."""

import zoneinfo
from collections import Counter
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
    When,
)
from django.db.models import Value as V
from django.http import Http404
from django.utils import timezone

from accounts.models import User
from common.text import search_text
from incidents.models import (
    Incident,
    Origin,
    RootCause,
    Visibility,
    severity_rank_expression,
)
from incidents.selectors import incident_search

from .models import ActionItem, Learning, LearningStatus

Link = Learning.incidents.through

# Learnings in force first, then those on their way; retired ones last.
STATUS_ORDER = Case(
    When(status=LearningStatus.ADOPTED, then=V(0)),
    When(status=LearningStatus.PROPOSED, then=V(1)),
    When(status=LearningStatus.DRAFT, then=V(2)),
    default=V(3), output_field=IntegerField(),
)


def _counted_links(learning_ref="pk", team_ref="team_id"):
    """Links of the outer learning to incidents that count for it: active ones its team can
    read (its own and the library's). An incident another team has since made private, or
    one archived, no longer shapes the learning."""
    return Link.objects.filter(
        Incident.tenancy.readable_q(OuterRef(team_ref), prefix="incident__"),
        learning_id=OuterRef(learning_ref),
        incident__archived_at__isnull=True,
    )


def _with_cause(links, cause: RootCause):
    return links.filter(Q(incident__primary_cause=cause) | Q(incident__contributing_causes=cause))


def learning_filter_cause(queryset: QuerySet[Learning], cause: RootCause) -> QuerySet[Learning]:
    """Learnings whose derived causes include this one."""
    return queryset.filter(Exists(_with_cause(_counted_links(), cause)))


def learning_filter_drawn_from(queryset: QuerySet[Learning], value: str) -> QuerySet[Learning]:
    """own: only from own failures; external: only from other organisations'; both."""
    own = Exists(_counted_links().filter(incident__origin=Origin.OWN))
    external = Exists(_counted_links().filter(incident__origin=Origin.EXTERNAL))
    if value == "own":
        return queryset.filter(own & ~external)
    if value == "external":
        return queryset.filter(external & ~own)
    if value == "both":
        return queryset.filter(own & external)
    return queryset


def learning_search(queryset: QuerySet[Learning], text: str) -> QuerySet[Learning]:
    """Every word must appear in the title, the lesson or the practice."""
    for word in search_text(text).split():
        queryset = queryset.filter(Q(title__icontains=word) | Q(lesson__icontains=word)
                                   | Q(practice__icontains=word))
    return queryset


def _linked_incidents_prefetch() -> Prefetch:
    return Prefetch(
        "incidents",
        queryset=Incident.objects.select_related("organization", "primary_cause", "team")
        .prefetch_related("contributing_causes").order_by("-occurred_on", "-created_at"),
        to_attr="linked_incidents",
    )


def learning_list(*, user: User, include_archived: bool = False) -> QuerySet[Learning]:
    """Learnings of the user's teams with what a list row shows: owner, team, action counts,
    and the linked incidents (for the derived causes), in a fixed number of queries."""
    queryset = (
        Learning.objects.for_user(user)
        .select_related("team", "owner")
        .prefetch_related(_linked_incidents_prefetch())
        .annotate(
            # A retired or archived learning has no open actions (Learning.closes_actions).
            open_item_count=Count("action_items", filter=Q(
                action_items__done_at__isnull=True, action_items__archived_at__isnull=True,
                archived_at__isnull=True) & ~Q(status=LearningStatus.RETIRED)),
        )
    )
    return queryset if include_archived else queryset.active()


def learning_get(*, user: User, public_id: UUID | str) -> Learning:
    """One learning of the user's teams (archived ones too) with its page's data; 404
    otherwise, so another team's learnings stay out of sight."""
    # Active and removed actions in one query; the page lists removed ones for restoring.
    items = ActionItem.objects.select_related("owner", "done_by", "learning__team")
    learning = (
        Learning.objects.for_user(user)
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


def counted_incidents(learning: Learning) -> list[Incident]:
    """The linked incidents that shape the learning (see _counted_links), from the prefetch."""
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
    queryset = incident_search(queryset, text, team=learning.team)
    if "rank" in queryset.query.annotations:
        queryset = queryset.order_by("-rank", "-occurred_on")
    else:
        queryset = queryset.order_by("-occurred_on")
    return list(queryset[:limit])


def action_item_list_for_owner(*, user: User, include_done: bool = False
                               ) -> QuerySet[ActionItem]:
    """The user's own action items across their teams: open ones by due date (so overdue
    first), undated last; done ones after, most recent first."""
    queryset = (
        ActionItem.objects.for_user(user).active()
        .filter(owner=user, learning__archived_at__isnull=True)
        # The owner is the reader, but each row names it: one join, not a query a row.
        .select_related("learning__team", "owner")
    )
    if not include_done:
        return queryset.open()
    # Done ones, and open ones whose learning still asks for them (not those it closed).
    queryset = queryset.filter(Q(done_at__isnull=False) | Q(pk__in=queryset.open().values("pk")))
    # Open ones (no done_at) first in their own order; then the latest done.
    return queryset.order_by(F("done_at").desc(nulls_first=True),
                             F("due_on").asc(nulls_last=True), "pk")


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


def learning_precedents(*, user: User, incident: Incident, limit: int = 5) -> list[Learning]:
    """The reader's teams' learnings that share this incident's primary cause and are not
    drawn from it already: adopted first, then proposed and drafts; retired ones not."""
    queryset = (
        learning_filter_cause(Learning.objects.for_user(user).active(), incident.primary_cause)
        .exclude(status=LearningStatus.RETIRED)
        .exclude(Exists(Link.objects.filter(learning_id=OuterRef("pk"), incident=incident)))
        .select_related("team", "owner")
        .order_by(STATUS_ORDER, "-adopted_at", "-updated_at")
    )
    return list(queryset[:limit])


def library_precedents(*, user: User, incident: Incident, limit: int = 5) -> list[Incident]:
    """Library incidents with the same primary cause, the most severe and recent first."""
    return list(
        Incident.objects.for_user(user).active()
        .filter(visibility=Visibility.LIBRARY, primary_cause_id=incident.primary_cause_id)
        .exclude(pk=incident.pk)
        .annotate(severity_rank=severity_rank_expression())
        .select_related("organization")
        .order_by("-severity_rank", "-occurred_on", "-created_at")[:limit]
    )


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
            .filter(Exists(_with_cause(_counted_links(), incident.primary_cause)
                           .exclude(incident_id=incident.pk)))
            .select_related("owner")
            .order_by("adopted_at")
        )
        return list(candidates)
