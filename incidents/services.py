"""Writes for incidents, organisations, sources and timelines.

Every write is atomic, checks that the actor may make it, and leaves history behind
(django-simple-history records who changed what).
"""

import secrets
import string
import uuid
from datetime import date, datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.text import slugify

from accounts.models import Team, User
from accounts.tenancy import require_writer
from common.dates import check_past_dates, check_past_datetimes, incident_today
from common.history import attribute_history
from common.services import create_once, set_archived
from common.text import LONG_TEXT_MAX, check_lengths

from .links import normalize_link
from .models import (
    RESPONSE_MOVES,
    Context,
    Incident,
    IncidentSource,
    Organization,
    Origin,
    RootCause,
    Source,
    TimelineEvent,
    Visibility,
    fold_spaces,
    http_url_validator,
    platform_from_url,
    response_score,
)

# Fields incident_update may set directly; relations are handled by name below.
SCALAR_FIELDS = (
    "title", "summary", "platform", "occurred_on", "detected_at", "resolved_at",
    "status", "severity", "actor", "origin", "visibility", *RESPONSE_MOVES,
)


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


def _validate_dates(incident: Incident, fields, user: User) -> None:
    """Refuse dates of what happened outside common.dates' range; "today" is the team's
    today, or the acting person's when later (a team in Sydney may log tomorrow's UTC date)."""
    values = {name: getattr(incident, name) for name in fields}
    if "occurred_on" in values:
        check_past_dates(today=incident_today(incident.team.timezone, user.timezone),
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

    def create() -> Incident:
        return _incident_create(user=user, team=team, title=title,
                                organization_name=organization_name, platform=platform,
                                occurred_on=occurred_on, primary_cause=primary_cause,
                                summary=summary, origin=origin, visibility=visibility,
                                severity=severity, source_url=source_url,
                                idempotency_key=idempotency_key)

    return create_once(Incident, team=team, idempotency_key=idempotency_key, create=create)


def _incident_create(*, user, team, title, organization_name, platform, occurred_on,
                     primary_cause, summary, origin, visibility, severity, source_url,
                     idempotency_key) -> Incident:
    check_past_dates(today=incident_today(team.timezone, user.timezone), occurred_on=occurred_on)
    check_lengths(summary=(summary, LONG_TEXT_MAX))
    if visibility is None:
        # Own failures stay private by default; other organisations' are shared.
        visibility = Visibility.TEAM if origin == Origin.OWN else Visibility.LIBRARY
    incident = Incident(
        team=team,
        created_by=user,
        title=title.strip(),
        organization=organization_resolve(name=organization_name, team=team,
                                          visibility=visibility),
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
    incident.save()
    if source_url:
        _source_attach(incident=incident, user=user, url=source_url, kind=Source.Kind.POST)
    return incident


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


def _incident_organization(incident: Incident, typed: str | None, *,
                           before_name: str) -> Organization:
    """The organisation an edited incident names: the same one while its name is unchanged
    (shared when the incident now is), otherwise whatever the typed name resolves to."""
    if typed is None or fold_spaces(typed).lower() == before_name.lower():
        if incident.visibility == Visibility.LIBRARY:
            return _organization_share(organization=incident.organization)
        return incident.organization
    return organization_resolve(name=typed, team=incident.team, visibility=incident.visibility)


@transaction.atomic
def incident_update(*, user: User, incident: Incident, data: dict[str, Any]) -> Incident:
    """Change any of an incident's fields. Relations come as objects:
    organization_name (str), primary_cause (RootCause), contributing_causes / factors
    (iterables), context (list of Context values).

    One edit leaves one history record (none when nothing changed).
    """
    require_writer(user, incident.team)
    incident = Incident.objects.select_for_update(of=("self",)).select_related(
        "organization").get(pk=incident.pk)
    organization_name = incident.organization.name
    attribute_history(incident, user)
    before = _state(incident)
    for field in SCALAR_FIELDS:
        if field in data:
            setattr(incident, field, data[field])
    if "organization_name" in data or "visibility" in data:
        incident.organization = _incident_organization(
            incident, data.get("organization_name"), before_name=organization_name)
    if "primary_cause" in data:
        incident.primary_cause = data["primary_cause"]
    if "context" in data:
        unknown = set(data["context"]) - set(Context.values)
        if unknown:
            raise ValidationError({"context": f"Unknown context: {', '.join(sorted(unknown))}."})
        incident.context = sorted(set(data["context"]))
    check_lengths(summary=(incident.summary, LONG_TEXT_MAX))
    _validate_dates(incident, [name for name in ("occurred_on", "detected_at", "resolved_at")
                               if name in data], user)
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
