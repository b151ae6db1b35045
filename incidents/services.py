"""Writes for incidents, organisations, sources and timelines.

Every write is atomic, checks that the actor may make it, and leaves history behind
(django-simple-history records who changed what).
"""

import secrets
import string
import uuid
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.text import slugify

from accounts.models import Team, User
from accounts.tenancy import require_writer
from common.dates import check_past_dates, check_past_datetimes, incident_today
from common.history import attribute_history, one_history_record
from common.services import create_once, set_archived
from common.text import LONG_TEXT_MAX, check_lengths

from .links import normalize_link
from .models import (
    RESPONSE_MOVES,
    Actor,
    Context,
    Factor,
    Incident,
    IncidentSource,
    Organization,
    Origin,
    RootCause,
    Severity,
    Source,
    Status,
    TimelineEvent,
    Visibility,
    fold_spaces,
    http_url_validator,
    platform_from_url,
    response_score,
)

# Fields incident_create and incident_update set directly; relations are handled by name.
SCALAR_FIELDS = (
    "title", "summary", "platform", "occurred_on", "detected_at", "resolved_at",
    "status", "severity", "actor", "origin", "visibility", *RESPONSE_MOVES,
)
# Dates of what happened: refused before 1990 or in the future (common.dates).
DATE_FIELDS = ("occurred_on", "detected_at", "resolved_at")


# Slugs say nothing about organisations the reader cannot see. A shared organisation takes
# the plain slug of its name (a "-2" there counts only shared ones); a private one adds a
# random tail, so "acme-corp-k3x9q2mz" tells no one whether another team keeps an "Acme Corp".
# The tail starts with a letter, so it never looks like a shared "-2".
SLUG_BASE_MAX = 190
PRIVATE_TAIL_LENGTH = 8
RESOLVE_ATTEMPTS = 3


def _slug_base(name: str) -> str:
    return slugify(name)[:SLUG_BASE_MAX].strip("-") or "organisation"


def _private_slug(name: str) -> str:
    alphabet = string.ascii_lowercase + string.digits
    tail = secrets.choice(string.ascii_lowercase) + "".join(
        secrets.choice(alphabet) for _ in range(PRIVATE_TAIL_LENGTH - 1))
    return f"{_slug_base(name)}-{tail}"


def _is_private_slug_of(slug: str, base: str) -> bool:
    head, _, tail = slug.rpartition("-")
    return head == base and len(tail) == PRIVATE_TAIL_LENGTH


def _shared_slug(name: str) -> str:
    base = _slug_base(name)
    slug, n = base, 2
    while Organization.objects.filter(slug=slug).exists():
        slug = f"{base}-{n}"
        n += 1
    return slug


def _organization_find(*, name: str, team: Team) -> Organization | None:
    """The organisation this team means by the name: among shared organisations first, then
    the team's own private ones; by name (any case), then slug, then alias."""
    # Names that give no slug ("日清食品") are told apart by name only.
    base, lowered = slugify(name)[:SLUG_BASE_MAX].strip("-"), name.lower()
    same_slug = Q(slug=base) | Q(team=team, slug__startswith=f"{base}-") if base else Q()
    candidates = Organization.objects.for_team(team).filter(
        Q(name__iexact=name) | same_slug | ~Q(aliases=[])
    )

    def rank(org: Organization) -> tuple | None:
        if org.name.lower() == lowered:
            how = 0
        elif base and (org.slug == base
                       or (org.team_id and _is_private_slug_of(org.slug, base))):
            how = 1
        elif any(str(alias).lower() == lowered for alias in org.aliases or ()):
            how = 2
        else:
            return None
        return (org.team_id is not None, how, org.pk)

    ranked = [(key, org) for org in candidates if (key := rank(org)) is not None]
    return min(ranked, key=lambda pair: pair[0])[1] if ranked else None


def _organization_share(*, organization: Organization) -> Organization:
    """Make a team's private organisation shared, because a library incident names it.

    When a shared organisation of the same name exists already, the private one is merged
    into it: its incidents (and their history) point at the shared one and it is removed.
    """
    if organization.team_id is None:
        return organization
    for _ in range(RESOLVE_ATTEMPTS):
        shared = Organization.objects.shared().filter(name__iexact=organization.name).first()
        if shared is not None:
            Incident.objects.filter(organization=organization).update(organization=shared)
            # The same organisation under one spelling: earlier records name it too, so the
            # history panel shows no change of organisation and no dangling id.
            Incident.history.filter(organization_id=organization.pk).update(
                organization_id=shared.pk)
            organization.delete()
            return shared
        organization.team = None
        organization.slug = _shared_slug(organization.name)
        try:
            with transaction.atomic():
                organization.save(update_fields=["team", "slug"])
        except IntegrityError:
            # Another team shared the same name (or took the slug) a moment ago: merge.
            organization.refresh_from_db(fields=["team", "slug"])
            continue
        return organization
    raise ValidationError({"organization": "This organisation is being changed by someone "
                                           "else; please try again."})


def organization_resolve(*, name: str, team: Team, visibility: str) -> Organization:
    """The organisation `team` means by this name, created when it has none.

    Only what the team can see is looked up: shared organisations, then its own private
    ones; another team's private organisation is never found, so typing its name reveals
    nothing. A new name becomes a shared organisation for a library incident and a private
    one for a team-only incident; a private one named by a library incident becomes shared.
    Safe against concurrent first use of a name: the insert runs in a savepoint and the
    loser of the race takes the winner's organisation.
    """
    name = fold_spaces(name)
    if not name:
        raise ValidationError({"organization": "Name the organisation."})
    max_length = Organization._meta.get_field("name").max_length
    if len(name) > max_length:
        raise ValidationError(
            {"organization": f"Organisation names are limited to {max_length} characters."})
    shared = visibility == Visibility.LIBRARY
    for _ in range(RESOLVE_ATTEMPTS):
        found = _organization_find(name=name, team=team)
        if found is not None:
            return _organization_share(organization=found) if shared else found
        if shared:
            organization = Organization(name=name, slug=_shared_slug(name))
        else:
            organization = Organization(name=name, slug=_private_slug(name), team=team)
        try:
            with transaction.atomic():
                organization.save(force_insert=True)
        except IntegrityError:
            continue  # someone else created it a moment ago: find theirs
        return organization
    raise ValidationError({"organization": "This organisation is being created by someone "
                                           "else; please try again."})


RESOLVED_BEFORE_DETECTED = "Resolved can't be before it was detected."


def _validate_dates(incident: Incident, fields, user: User) -> None:
    """Refuse dates of what happened outside common.dates' range; "today" is the team's
    today, or the acting person's when later (a team in Sydney may log tomorrow's UTC date)."""
    values = {name: getattr(incident, name) for name in fields}
    if "occurred_on" in values:
        check_past_dates(today=incident_today(incident.team.timezone, user.timezone),
                         occurred_on=values.pop("occurred_on"))
    check_past_datetimes(**values)


def _incident_organization(incident: Incident, typed: str | None, *,
                           before_name: str | None) -> Organization:
    """The organisation an incident names: for an edit that keeps the name (before_name),
    the same one (shared when the incident now is); otherwise whatever the typed name
    resolves to."""
    if before_name is not None and (
            typed is None or fold_spaces(typed).lower() == before_name.lower()):
        if incident.visibility == Visibility.LIBRARY:
            return _organization_share(organization=incident.organization)
        return incident.organization
    return organization_resolve(name=typed or "", team=incident.team,
                                visibility=incident.visibility)


def _incident_set(incident: Incident, data: Mapping[str, Any], *, user: User) -> None:
    """Put `data` (the fields incident_update describes) on an incident being logged or
    edited, validated as every write of an incident is, and derive what follows from it.

    Raises ValidationError; the only row it may write is an organisation named for the first
    time, which the caller's transaction takes back with the error.
    """
    before_name = incident.organization.name if incident.organization_id else None
    for field in SCALAR_FIELDS:
        if field in data:
            setattr(incident, field, data[field])
    if "title" in data:
        incident.title = data["title"].strip()
    if "primary_cause" in data:
        incident.primary_cause = data["primary_cause"]
    if "context" in data:
        unknown = set(data["context"]) - set(Context.values)
        if unknown:
            raise ValidationError({"context": f"Unknown context: {', '.join(sorted(unknown))}."})
        incident.context = sorted(set(data["context"]))
    check_lengths(summary=(incident.summary, LONG_TEXT_MAX))
    _validate_dates(incident, [name for name in DATE_FIELDS if name in data], user)
    if (incident.detected_at and incident.resolved_at
            and incident.resolved_at < incident.detected_at):
        raise ValidationError({"resolved_at": RESOLVED_BEFORE_DETECTED})
    if "organization_name" in data or "visibility" in data:
        incident.organization = _incident_organization(
            incident, data.get("organization_name"), before_name=before_name)
    _derive(incident)
    incident.full_clean(exclude=["idempotency_key"])


def _save_with_relations(incident: Incident, *, causes: Iterable[RootCause],
                         factors: Iterable[Factor] | None) -> None:
    """Save the incident and set its relations (inside common.history.one_history_record)."""
    incident.save()
    # The primary cause is never also a contributing one, whichever of the two changed.
    incident.contributing_causes.set([c for c in causes if c.pk != incident.primary_cause_id])
    if factors is not None:
        incident.factors.set(factors)


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
    severity: str = Severity.MEDIUM,
    status: str = Status.OPEN,
    actor: str = Actor.UNKNOWN,
    detected_at: datetime | None = None,
    resolved_at: datetime | None = None,
    contributing_causes: Iterable[RootCause] = (),
    factors: Iterable[Factor] = (),
    context: Iterable[str] = (),
    acknowledged: bool = False,
    apologized: bool = False,
    explained_fix: bool = False,
    asked_for_help: bool = False,
    deleted_silently: bool = False,
    defensive: bool = False,
    blamed_others: bool = False,
    source_url: str = "",
    idempotency_key: uuid.UUID | None = None,
) -> tuple[Incident, bool]:
    """Log an incident with any of its fields, validated as incident_update validates them.
    It leaves one history record holding all of them (source_url's link keeps its own).
    Returns (incident, created); created is False when the same form submission
    (idempotency_key) already made it."""
    require_writer(user, team)
    if visibility is None:
        # Own failures stay private by default; other organisations' are shared.
        visibility = Visibility.TEAM if origin == Origin.OWN else Visibility.LIBRARY
    data = {
        "title": title, "organization_name": organization_name, "platform": platform,
        "occurred_on": occurred_on, "primary_cause": primary_cause, "summary": summary,
        "origin": origin, "visibility": visibility, "severity": severity, "status": status,
        "actor": actor, "detected_at": detected_at, "resolved_at": resolved_at,
        "context": list(context), "acknowledged": acknowledged, "apologized": apologized,
        "explained_fix": explained_fix, "asked_for_help": asked_for_help,
        "deleted_silently": deleted_silently, "defensive": defensive,
        "blamed_others": blamed_others,
    }

    def create() -> Incident:
        incident = Incident(team=team, created_by=user, idempotency_key=idempotency_key)
        _incident_set(incident, data, user=user)
        with one_history_record(incident, user=user, created=True):
            _save_with_relations(incident, causes=contributing_causes, factors=factors)
        if source_url:
            _source_attach(incident=incident, user=user, url=source_url, kind=Source.Kind.POST)
        return incident

    return create_once(Incident, team=team, idempotency_key=idempotency_key, create=create)


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
def incident_update(*, user: User, incident: Incident, data: Mapping[str, Any]) -> Incident:
    """Change any of an incident's fields. Relations come as objects:
    organization_name (str), primary_cause (RootCause), contributing_causes / factors
    (iterables), context (list of Context values).

    One edit leaves one history record (none when nothing changed).
    """
    require_writer(user, incident.team)
    incident = Incident.objects.select_for_update(of=("self",)).select_related(
        "organization").get(pk=incident.pk)
    before = _state(incident)
    _incident_set(incident, data, user=user)
    with one_history_record(incident, user=user, changed=lambda: _state(incident) != before):
        _save_with_relations(
            incident, causes=data.get("contributing_causes", incident.contributing_causes.all()),
            factors=data.get("factors"))
    return incident


def _first_response(incident: Incident) -> datetime | None:
    if incident.pk is None:
        return None
    return (
        incident.timeline.filter(kind__in=TimelineEvent.RESPONSE_KINDS)
        .order_by("at").values_list("at", flat=True).first()
    )


def _derive(incident: Incident) -> list[str]:
    """Set what an incident derives from the rest: its response score from the response
    moves, its first response from the earliest response or apology on its timeline.
    Returns the names of those that changed."""
    values = {
        "response_score": response_score({m: getattr(incident, m) for m in RESPONSE_MOVES}),
        "first_response_at": _first_response(incident),
    }
    changed = [name for name, value in values.items() if getattr(incident, name) != value]
    for name in changed:
        setattr(incident, name, values[name])
    return changed


@transaction.atomic
def incident_refresh_derived(*, incident: Incident) -> Incident:
    """Bring up to date what follows from an incident's stored fields and timeline, after a
    write that went round incident_update: a timeline entry added or removed, or the admin's
    form and inlines saved. The score and first response are derived as incident_update
    derives them, and a library incident's organisation is shared as the page shares it.

    Read again from the database (a caller's copy may be stale) and written without a history
    record of its own: the change it follows has one. The caller's copy gets the new values.
    It checks no permission: it changes nothing anyone chose, only what follows from it.
    """
    stored = Incident.objects.select_for_update(of=("self",)).select_related(
        "organization").get(pk=incident.pk)
    if stored.visibility == Visibility.LIBRARY:
        stored.organization = _organization_share(organization=stored.organization)
    changed = _derive(stored)
    if changed:
        stored.save_without_historical_record(update_fields=[*changed, "updated_at"])
    for name in ("organization", *changed):
        setattr(incident, name, getattr(stored, name))
    return stored


@transaction.atomic
def incident_archive(*, user: User, incident: Incident) -> Incident:
    """Take an incident out of lists and search; nothing is deleted and it can be restored."""
    require_writer(user, incident.team)
    set_archived(incident, user=user, archived=True)
    return incident


@transaction.atomic
def incident_restore(*, user: User, incident: Incident) -> Incident:
    require_writer(user, incident.team)
    set_archived(incident, user=user, archived=False)
    return incident


SOURCE_URL_MAX = Source._meta.get_field("url").max_length
SOURCE_TITLE_MAX = IncidentSource._meta.get_field("title").max_length
ALREADY_A_SOURCE = "This link is already a source of this incident."


def _source_attach(*, incident: Incident, user: User | None, url: str, kind: str,
                   title: str = "") -> IncidentSource:
    """Link the source at this URL (one per normalised link, made on first use) to the
    incident, with this team's kind and title; the link keeps its own history."""
    url, title = normalize_link(url), title.strip()
    if len(url) > SOURCE_URL_MAX:
        raise ValidationError({"url": f"Links are limited to {SOURCE_URL_MAX} characters."})
    if len(title) > SOURCE_TITLE_MAX:
        raise ValidationError({"title": f"Titles are limited to {SOURCE_TITLE_MAX} characters."})
    try:
        http_url_validator(url)
    except ValidationError as error:
        raise ValidationError({"url": error.messages}) from error
    source, _ = Source.objects.get_or_create(url=url,
                                             defaults={"platform": platform_from_url(url)})
    link = IncidentSource(incident=incident, source=source, kind=kind, title=title,
                          added_by=user)
    attribute_history(link, user)
    try:
        with transaction.atomic():
            link.save()
    except IntegrityError as error:
        # The same link added at the same moment by a double submit.
        raise ValidationError({"url": ALREADY_A_SOURCE}) from error
    return link


@transaction.atomic
def source_add(*, user: User, incident: Incident, url: str, kind: str,
               title: str = "") -> IncidentSource:
    """Attach a link to an incident; a link already known is shared, not entered twice, but
    its kind and title here are this incident's own."""
    require_writer(user, incident.team)
    if kind not in Source.Kind.values:
        raise ValidationError({"kind": "Choose what kind of source this is."})
    if incident.source_links.filter(source__url=normalize_link(url)).exists():
        raise ValidationError({"url": ALREADY_A_SOURCE})
    return _source_attach(incident=incident, user=user, url=url, kind=kind, title=title)


@transaction.atomic
def source_remove(*, user: User, incident: Incident, source: Source) -> None:
    """Detach a source from this incident (the link stays for the incidents that share it);
    the link's history keeps what it said and who removed it."""
    require_writer(user, incident.team)
    link = IncidentSource.objects.filter(incident=incident, source=source).first()
    if link is None:
        return
    attribute_history(link, user)
    link.delete()


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
    event.full_clean()
    event.save()
    incident_refresh_derived(incident=incident)
    return event


@transaction.atomic
def timeline_event_remove(*, user: User, event: TimelineEvent) -> None:
    """Remove a timeline entry; its history record keeps what it said and who removed it."""
    incident = event.incident
    require_writer(user, incident.team)
    attribute_history(event, user)
    event.delete()
    incident_refresh_derived(incident=incident)
