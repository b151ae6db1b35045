"""Writes for incidents, organisations, sources and timelines.

Every write is atomic, checks that the actor may make it, and leaves history behind
(django-simple-history records who changed what).
"""

import uuid
from datetime import date, datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.text import slugify

from accounts.models import Membership, Role, Team, User
from common.dates import check_past_dates, check_past_datetimes, today_in
from common.text import LONG_TEXT_MAX, check_lengths

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
    http_url_validator,
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


def attribute_history(obj, user: User) -> None:
    """Name the acting user in the history records this object's next writes leave.

    The request middleware only knows the user inside a web request; services also run from
    commands and tasks, and always know who is acting.
    """
    obj._history_user = user


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


def _validate_dates(incident: Incident, fields) -> None:
    """Refuse dates of what happened outside common.dates' range; "today" is the team's
    today (a team in Sydney may log tomorrow's UTC date)."""
    values = {name: getattr(incident, name) for name in fields}
    if "occurred_on" in values:
        check_past_dates(today=today_in(incident.team.timezone),
                         occurred_on=values.pop("occurred_on"))
    check_past_datetimes(**values)


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
        existing = Incident.objects.filter(team=team, idempotency_key=idempotency_key).first()
        if existing:
            return existing, False
    check_past_dates(today=today_in(team.timezone), occurred_on=occurred_on)
    check_lengths(summary=(summary, LONG_TEXT_MAX))
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
    attribute_history(incident, user)
    incident.full_clean(exclude=["idempotency_key"])
    if source_url:
        # Logged with its link: one history record with both, written after the link is on.
        incident.skip_history_when_saving = True
    try:
        with transaction.atomic():
            incident.save()
    except IntegrityError:
        # A concurrent twin of this submission won the race: hand back its incident.
        existing = Incident.objects.filter(team=team, idempotency_key=idempotency_key).first()
        if idempotency_key and existing:
            return existing, False
        raise
    if source_url:
        try:
            _source_attach(incident=incident, url=source_url, kind=Source.Kind.POST)
        finally:
            del incident.skip_history_when_saving
        incident.save(update_fields=["updated_at"])
    return incident, True


def _state(incident: Incident) -> tuple:
    """What an edit can change, to tell whether it changed anything."""
    fields = tuple(
        getattr(incident, f.attname) for f in Incident._meta.concrete_fields
        if f.attname != "updated_at"
    )
    relations = tuple(
        frozenset(getattr(incident, name).values_list("pk", flat=True))
        for name in ("contributing_causes", "factors")
    )
    return fields + relations


@transaction.atomic
def incident_update(*, user: User, incident: Incident, data: dict[str, Any]) -> Incident:
    """Change any of an incident's fields. Relations come as objects:
    organization_name (str), primary_cause (RootCause), contributing_causes / factors
    (iterables), context (list of Context values).

    One edit leaves one history record (none when nothing changed).
    """
    require_writer(user, incident.team)
    incident = Incident.objects.select_for_update().get(pk=incident.pk)
    attribute_history(incident, user)
    before = _state(incident)
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
    check_lengths(summary=(incident.summary, LONG_TEXT_MAX))
    _validate_dates(incident, [name for name in ("occurred_on", "detected_at", "resolved_at")
                               if name in data])
    incident.response_score = response_score(
        {move: getattr(incident, move) for move in RESPONSE_MOVES}
    )
    incident.full_clean(exclude=["idempotency_key"])
    causes = data.get("contributing_causes", incident.contributing_causes.all())
    # The history record is written once, below, with the final state of every relation.
    incident.skip_history_when_saving = True
    try:
        incident.save()
        # The primary cause is never also a contributing one, whichever of the two changed.
        incident.contributing_causes.set(
            [c for c in causes if c.pk != incident.primary_cause_id]
        )
        if "factors" in data:
            incident.factors.set(data["factors"])
    finally:
        del incident.skip_history_when_saving
    if _state(incident) != before:
        incident.save(update_fields=["updated_at"])
    return incident


@transaction.atomic
def incident_archive(*, user: User, incident: Incident) -> Incident:
    """Take an incident out of lists and search; nothing is deleted and it can be restored."""
    require_writer(user, incident.team)
    attribute_history(incident, user)
    if incident.archived_at is None:
        incident.archived_at = timezone.now()
        incident.save(update_fields=["archived_at", "updated_at"])
    return incident


@transaction.atomic
def incident_restore(*, user: User, incident: Incident) -> Incident:
    require_writer(user, incident.team)
    attribute_history(incident, user)
    if incident.archived_at is not None:
        incident.archived_at = None
        incident.save(update_fields=["archived_at", "updated_at"])
    return incident


SOURCE_URL_MAX = Source._meta.get_field("url").max_length
SOURCE_TITLE_MAX = Source._meta.get_field("title").max_length


def _source_attach(*, incident: Incident, url: str, kind: str, title: str = "") -> Source:
    url, title = url.strip(), title.strip()
    if len(url) > SOURCE_URL_MAX:
        raise ValidationError({"url": f"Links are limited to {SOURCE_URL_MAX} characters."})
    if len(title) > SOURCE_TITLE_MAX:
        raise ValidationError({"title": f"Titles are limited to {SOURCE_TITLE_MAX} characters."})
    try:
        http_url_validator(url)
    except ValidationError as error:
        raise ValidationError({"url": error.messages}) from error
    platform = platform_from_url(url)
    source, _ = Source.objects.get_or_create(
        url=url, defaults={"kind": kind, "title": title, "platform": platform}
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
    attribute_history(incident, user)
    return _source_attach(incident=incident, url=url, kind=kind, title=title)


@transaction.atomic
def source_remove(*, user: User, incident: Incident, source: Source) -> None:
    """Detach a source from this incident (the link stays for the incidents that share it)."""
    require_writer(user, incident.team)
    attribute_history(incident, user)
    incident.sources.remove(source)


def _refresh_first_response(incident: Incident) -> None:
    first = (
        incident.timeline.filter(kind__in=TimelineEvent.RESPONSE_KINDS)
        .order_by("at").values_list("at", flat=True).first()
    )
    if incident.first_response_at != first:
        incident.first_response_at = first
        # Derived from the timeline, whose own history already records the change.
        incident.save_without_historical_record(update_fields=["first_response_at", "updated_at"])


@transaction.atomic
def timeline_event_add(
    *, user: User, incident: Incident, at: datetime, kind: str, text: str, url: str = ""
) -> TimelineEvent:
    """Add a moment to the timeline; first_response_at follows the earliest response."""
    require_writer(user, incident.team)
    check_past_datetimes(at=at)
    event = TimelineEvent(incident=incident, at=at, kind=kind, text=text.strip(), url=url.strip(),
                          created_by=user)
    attribute_history(event, user)
    attribute_history(incident, user)
    event.full_clean()
    event.save()
    _refresh_first_response(incident)
    return event


@transaction.atomic
def timeline_event_remove(*, user: User, event: TimelineEvent) -> None:
    """Remove a timeline entry; its history record keeps what it said and who removed it."""
    incident = event.incident
    require_writer(user, incident.team)
    attribute_history(event, user)
    attribute_history(incident, user)
    event.delete()
    _refresh_first_response(incident)
