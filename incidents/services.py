"""Writes for incidents, organisations, sources and timelines.

Every write is atomic, checks that the actor may make it, and leaves history behind
(django-simple-history records who changed what).
"""

import uuid
import zoneinfo
from datetime import date, datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.text import slugify

from accounts.models import Membership, Role, Team, User

from .models import (
    RESPONSE_MOVES,
    Context,
    Incident,
    Organization,
    Origin,
    RootCause,
    Source,
    TimelineEvent,
    Visibility,
    platform_from_url,
    response_score,
)

WRITE_ROLES = (Role.MEMBER, Role.MANAGER)

# Fields incident_update may set directly; relations are handled by name below.
SCALAR_FIELDS = (
    "title", "summary", "platform", "occurred_on", "detected_at", "resolved_at",
    "status", "severity", "actor", "origin", "visibility", *RESPONSE_MOVES,
)


def can_write_team(user: User, team: Team) -> bool:
    if not user.is_authenticated:
        return False
    return Membership.objects.filter(user=user, team=team, role__in=WRITE_ROLES).exists()


def require_writer(user: User, team: Team) -> None:
    if not can_write_team(user, team):
        raise PermissionDenied("Only members and managers of the team that logged it can "
                               "change it.")


def organization_resolve(*, name: str) -> Organization:
    """The organisation with this name, slug or alias; created when there is none."""
    name = " ".join(name.split())
    if not name:
        raise ValidationError({"organization": "Name the organisation."})
    slug = slugify(name)[:200]
    found = Organization.objects.filter(Q(name__iexact=name) | Q(slug=slug)).first()
    if found:
        return found
    for org in Organization.objects.exclude(aliases=[]).only("pk", "aliases"):
        if any(alias.lower() == name.lower() for alias in org.aliases):
            return Organization.objects.get(pk=org.pk)
    base, n = slug or "organisation", 2
    while Organization.objects.filter(slug=slug or base).exists():
        slug = f"{base}-{n}"
        n += 1
    return Organization.objects.create(name=name, slug=slug or base)


def _validate_occurred_on(value: date, tz_name: str) -> None:
    # "Today" is the team's today: a team in Sydney may log tomorrow's UTC date.
    if value > timezone.localdate(timezone=zoneinfo.ZoneInfo(tz_name)):
        raise ValidationError({"occurred_on": "That date is in the future."})


@transaction.atomic
def incident_create(
    *,
    user: User,
    team: Team,
    title: str,
    organization_name: str,
    platform: str,
    occurred_on: date,
    primary_cause: RootCause,
    summary: str = "",
    origin: str = Origin.OWN,
    visibility: str | None = None,
    severity: str = "medium",
    source_url: str = "",
    idempotency_key: uuid.UUID | None = None,
) -> tuple[Incident, bool]:
    """Log an incident. Returns (incident, created); created is False when the same form
    submission (idempotency_key) already made it."""
    require_writer(user, team)
    if idempotency_key:
        existing = Incident.objects.filter(idempotency_key=idempotency_key, team=team).first()
        if existing:
            return existing, False
    _validate_occurred_on(occurred_on, team.timezone)
    if visibility is None:
        # Own failures stay private by default; other organisations' are shared.
        visibility = Visibility.TEAM if origin == Origin.OWN else Visibility.LIBRARY
    incident = Incident(
        team=team,
        created_by=user,
        title=title.strip(),
        organization=organization_resolve(name=organization_name),
        platform=platform,
        occurred_on=occurred_on,
        primary_cause=primary_cause,
        summary=summary,
        origin=origin,
        visibility=visibility,
        severity=severity,
        idempotency_key=idempotency_key,
    )
    incident.full_clean(exclude=["idempotency_key"])
    try:
        with transaction.atomic():
            incident.save()
    except IntegrityError:
        # A concurrent twin of this submission won the race: hand back its incident.
        existing = Incident.objects.filter(idempotency_key=idempotency_key).first()
        if idempotency_key and existing:
            return existing, False
        raise
    if source_url:
        _source_attach(incident=incident, url=source_url, kind=Source.Kind.POST)
    return incident, True


@transaction.atomic
def incident_update(*, user: User, incident: Incident, data: dict[str, Any]) -> Incident:
    """Change any of an incident's fields. Relations come as objects:
    organization_name (str), primary_cause (RootCause), contributing_causes / factors
    (iterables), context (list of Context values)."""
    require_writer(user, incident.team)
    incident = Incident.objects.select_for_update().get(pk=incident.pk)
    for field in SCALAR_FIELDS:
        if field in data:
            setattr(incident, field, data[field])
    if "organization_name" in data:
        incident.organization = organization_resolve(name=data["organization_name"])
    if "primary_cause" in data:
        incident.primary_cause = data["primary_cause"]
    if "context" in data:
        unknown = set(data["context"]) - set(Context.values)
        if unknown:
            raise ValidationError({"context": f"Unknown context: {', '.join(sorted(unknown))}."})
        incident.context = sorted(set(data["context"]))
    if "occurred_on" in data:
        _validate_occurred_on(incident.occurred_on, incident.team.timezone)
    incident.response_score = response_score(
        {move: getattr(incident, move) for move in RESPONSE_MOVES}
    )
    incident.full_clean(exclude=["idempotency_key"])
    incident.save()
    if "contributing_causes" in data:
        causes = [c for c in data["contributing_causes"] if c.pk != incident.primary_cause_id]
        incident.contributing_causes.set(causes)
    if "factors" in data:
        incident.factors.set(data["factors"])
    return incident


@transaction.atomic
def incident_archive(*, user: User, incident: Incident) -> Incident:
    """Take an incident out of lists and search; nothing is deleted and it can be restored."""
    require_writer(user, incident.team)
    if incident.archived_at is None:
        incident.archived_at = timezone.now()
        incident.save(update_fields=["archived_at", "updated_at"])
    return incident


@transaction.atomic
def incident_restore(*, user: User, incident: Incident) -> Incident:
    require_writer(user, incident.team)
    if incident.archived_at is not None:
        incident.archived_at = None
        incident.save(update_fields=["archived_at", "updated_at"])
    return incident


def _source_attach(*, incident: Incident, url: str, kind: str, title: str = "") -> Source:
    url = url.strip()
    platform = platform_from_url(url)
    if platform is None:
        raise ValidationError({"url": "Enter a web address starting with http:// or https://."})
    source, _ = Source.objects.get_or_create(
        url=url, defaults={"kind": kind, "title": title.strip(), "platform": platform}
    )
    incident.sources.add(source)
    return source


@transaction.atomic
def source_add(*, user: User, incident: Incident, url: str, kind: str, title: str = "") -> Source:
    """Attach a link to an incident; a link already known is shared, not entered twice."""
    require_writer(user, incident.team)
    if kind not in Source.Kind.values:
        raise ValidationError({"kind": "Choose what kind of source this is."})
    if incident.sources.filter(url=url.strip()).exists():
        raise ValidationError({"url": "This link is already a source of this incident."})
    return _source_attach(incident=incident, url=url, kind=kind, title=title)


@transaction.atomic
def source_remove(*, user: User, incident: Incident, source: Source) -> None:
    """Detach a source from this incident (the link stays for the incidents that share it)."""
    require_writer(user, incident.team)
    incident.sources.remove(source)


def _refresh_first_response(incident: Incident) -> None:
    first = (
        incident.timeline.filter(kind__in=TimelineEvent.RESPONSE_KINDS)
        .order_by("at").values_list("at", flat=True).first()
    )
    if incident.first_response_at != first:
        incident.first_response_at = first
        incident.save(update_fields=["first_response_at", "updated_at"])


@transaction.atomic
def timeline_event_add(
    *, user: User, incident: Incident, at: datetime, kind: str, text: str, url: str = ""
) -> TimelineEvent:
    """Add a moment to the timeline; first_response_at follows the earliest response."""
    require_writer(user, incident.team)
    if at > timezone.now():
        raise ValidationError({"at": "That time is in the future."})
    event = TimelineEvent(incident=incident, at=at, kind=kind, text=text.strip(), url=url.strip(),
                          created_by=user)
    event.full_clean()
    event.save()
    _refresh_first_response(incident)
    return event


@transaction.atomic
def timeline_event_remove(*, user: User, event: TimelineEvent) -> None:
    """Remove a timeline entry; its history record keeps what it said and who removed it."""
    incident = event.incident
    require_writer(user, incident.team)
    event.delete()
    _refresh_first_response(incident)
