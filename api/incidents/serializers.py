"""Incidents in JSON (DESIGN section 5): an explicit output serializer, and input serializers
that only parse. Validation beyond types and choices (dates, lengths, organisations, who may
write) is the services', raised as their ValidationError and answered as a 400 by field."""

import datetime
import re
from functools import cached_property

from django.db.models import Q
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import Team
from accounts.tenancy import NOT_YOUR_TEAM
from common.text import LONG_TEXT_MAX
from incidents.models import (
    Actor,
    Context,
    Factor,
    Incident,
    IncidentSource,
    Organization,
    Origin,
    Platform,
    RootCause,
    Severity,
    SourceKind,
    Status,
    TimelineEvent,
    Visibility,
    http_url_validator,
)
from incidents.selectors import INCIDENT_ROW_FIELDS
from incidents.services import PRIVATE_TAIL_LENGTH, SOURCE_URL_MAX


def datetimes():
    """DRF's DateTimeField output (ISO 8601 in the current time zone, UTC written Z) with the
    zone looked up once: a page of incidents writes hundreds of times."""
    zone = timezone.get_current_timezone()

    def one(value: datetime.datetime | None) -> str | None:
        if value is None:
            return None
        text = value.astimezone(zone).isoformat()
        return text[:-6] + "Z" if text.endswith("+00:00") else text

    return one


def absolute(request, path: str) -> str:
    return request.build_absolute_uri(path) if request is not None else path


@extend_schema_field({"type": "array", "items": {"type": "string"}})
class SlugsField(serializers.Field):
    """A to-many relation as its slugs, read from the prefetched rows."""

    def __init__(self, **kwargs):
        kwargs["read_only"] = True
        super().__init__(**kwargs)

    def to_representation(self, value) -> list[str]:
        return [row.slug for row in value.all()]


class OrganizationRefSerializer(serializers.Serializer):
    slug = serializers.SlugField(read_only=True)
    name = serializers.CharField(read_only=True)


class SourceSerializer(serializers.Serializer):
    """A source of one incident: the shared link, with what this incident's team said of it.
    Its fields describe it (the schema); to_representation writes them in one go."""

    id = serializers.UUIDField(source="source.public_id", read_only=True)
    url = serializers.URLField(source="source.url", read_only=True)
    platform = serializers.ChoiceField(Platform.choices, source="source.platform",
                                       read_only=True)
    kind = serializers.ChoiceField(SourceKind.choices, read_only=True)
    title = serializers.CharField(read_only=True)
    captured_at = serializers.DateTimeField(read_only=True, allow_null=True)
    created_at = serializers.DateTimeField(read_only=True)

    def to_representation(self, link: IncidentSource, when=None) -> dict:
        source = link.source
        return source_json(source.public_id, source.url, source.platform, link.kind, link.title,
                           link.captured_at, link.created_at, when or datetimes())


def source_json(public_id, url, platform, kind, title, captured_at, created_at, when) -> dict:
    """A source as SourceSerializer writes it, from its values."""
    return {"id": str(public_id), "url": url, "platform": platform, "kind": kind,
            "title": title, "captured_at": when(captured_at), "created_at": when(created_at)}


class SourceInputSerializer(serializers.Serializer):
    url = serializers.CharField(max_length=SOURCE_URL_MAX, help_text="An http(s) link.")
    kind = serializers.ChoiceField(SourceKind.choices, default=SourceKind.ARTICLE)
    title = serializers.CharField(allow_blank=True, required=False, default="",
                                  max_length=IncidentSource._meta.get_field("title").max_length)


class TimelineEventSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    at = serializers.DateTimeField()
    kind = serializers.ChoiceField(TimelineEvent.Kind.choices, default=TimelineEvent.Kind.NOTE)
    text = serializers.CharField(max_length=TimelineEvent._meta.get_field("text").max_length)
    url = serializers.CharField(allow_blank=True, required=False, default="",
                                validators=[http_url_validator],
                                max_length=TimelineEvent._meta.get_field("url").max_length)


class IncidentSerializer(serializers.Serializer):
    """An incident as the API shows it. The fields say what each is (the schema, the browsable
    API); to_representation writes them in one go, as DRF would field by field (a page of 50
    cost 1,800 field calls), without copying the declared fields for each serializer."""

    id = serializers.UUIDField(source="public_id", read_only=True)
    team = serializers.SlugField(source="team.slug", read_only=True)
    origin = serializers.ChoiceField(Origin.choices, read_only=True)
    visibility = serializers.ChoiceField(Visibility.choices, read_only=True)
    organization = OrganizationRefSerializer(read_only=True)
    title = serializers.CharField(read_only=True)
    summary = serializers.CharField(read_only=True, help_text="Markdown.")
    platform = serializers.ChoiceField(Platform.choices, read_only=True)
    occurred_on = serializers.DateField(read_only=True)
    detected_at = serializers.DateTimeField(read_only=True, allow_null=True)
    first_response_at = serializers.DateTimeField(
        read_only=True, allow_null=True,
        help_text="The earliest response or apology on the timeline (derived).")
    resolved_at = serializers.DateTimeField(read_only=True, allow_null=True)
    status = serializers.ChoiceField(Status.choices, read_only=True)
    severity = serializers.ChoiceField(Severity.choices, read_only=True)
    primary_cause = serializers.SlugField(source="primary_cause.slug", read_only=True)
    contributing_causes = SlugsField()
    factors = SlugsField()
    context = serializers.ListField(child=serializers.ChoiceField(Context.choices),
                                    read_only=True)
    actor = serializers.ChoiceField(Actor.choices, read_only=True)
    acknowledged = serializers.BooleanField(read_only=True)
    apologized = serializers.BooleanField(read_only=True)
    explained_fix = serializers.BooleanField(read_only=True)
    asked_for_help = serializers.BooleanField(read_only=True)
    deleted_silently = serializers.BooleanField(read_only=True)
    defensive = serializers.BooleanField(read_only=True)
    blamed_others = serializers.BooleanField(read_only=True)
    response_score = serializers.IntegerField(
        read_only=True, min_value=0, max_value=4,
        help_text="0-4, derived from the response moves.")
    sources = SourceSerializer(source="source_links", many=True, read_only=True)
    archived = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)
    url = serializers.SerializerMethodField(help_text="The incident's page.")
    history_url = serializers.SerializerMethodField(
        help_text="The History section of the incident's page.")

    def to_representation(self, incident: Incident | dict) -> dict:
        # A page of the list gives rows (selectors.incident_list_rows); the detail a model.
        row = incident if isinstance(incident, dict) else incident_row(incident)
        return incident_json(row, self._when, self._links)

    # Worked out once per serializer, not per row: a page's rows share one serializer.
    @cached_property
    def _when(self):
        return datetimes()

    @cached_property
    def _links(self):
        return incident_links(site(self.context.get("request")))

    def get_archived(self, incident: Incident) -> bool:
        return incident.archived_at is not None

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, incident: Incident) -> str:
        return absolute(self.context.get("request"), incident.get_absolute_url())

    @extend_schema_field(OpenApiTypes.URI)
    def get_history_url(self, incident: Incident) -> str:
        return absolute(self.context.get("request"), incident.get_history_url())


def incident_row(incident: Incident) -> dict:
    """One incident (incident_get's, prefetched) as a row of selectors.incident_list_rows."""
    row = {name: getattr(incident, name) for name in INCIDENT_ROW_FIELDS if "__" not in name}
    organization = incident.organization
    row.update(
        team__slug=incident.team.slug, organization__slug=organization.slug,
        organization__name=organization.name, primary_cause__slug=incident.primary_cause.slug,
        contributing_cause_slugs=[cause.slug for cause in incident.contributing_causes.all()],
        factor_slugs=[factor.slug for factor in incident.factors.all()],
        source_rows=[{"id": link.source.public_id, "url": link.source.url,
                      "platform": link.source.platform, "kind": link.kind, "title": link.title,
                      "captured_at": link.captured_at, "created_at": link.created_at}
                     for link in incident.source_links.all()])
    return row


def site(request) -> str:
    """What absolute() puts before a path beginning with one slash: scheme and host."""
    return request.build_absolute_uri("/")[:-1] if request is not None else ""


def incident_links(site: str):
    """A function from an incident's id (as text) to its `url` and `history_url`, each after
    `site`: the addresses around the id worked out once for a page of rows."""
    detail, history = Incident.addresses_of()
    return lambda public_id: (site + detail(public_id), site + history(public_id))


def incident_json(row: dict, when, links) -> dict:
    """An incident as IncidentSerializer shows it, from a row of incident_list_rows (with
    incident_row_relations), its times written by `when` and its links by `links`
    (incident_links)."""
    public_id = str(row["public_id"])
    url, history_url = links(public_id)
    return {
        "id": public_id, "team": row["team__slug"], "origin": row["origin"],
        "visibility": row["visibility"],
        "organization": {"slug": row["organization__slug"], "name": row["organization__name"]},
        "title": row["title"], "summary": row["summary"],
        "platform": row["platform"], "occurred_on": row["occurred_on"].isoformat(),
        "detected_at": when(row["detected_at"]),
        "first_response_at": when(row["first_response_at"]),
        "resolved_at": when(row["resolved_at"]),
        "status": row["status"], "severity": row["severity"],
        "primary_cause": row["primary_cause__slug"],
        "contributing_causes": row["contributing_cause_slugs"],
        "factors": row["factor_slugs"],
        "context": list(row["context"]), "actor": row["actor"],
        "acknowledged": row["acknowledged"], "apologized": row["apologized"],
        "explained_fix": row["explained_fix"], "asked_for_help": row["asked_for_help"],
        "deleted_silently": row["deleted_silently"], "defensive": row["defensive"],
        "blamed_others": row["blamed_others"],
        "response_score": row["response_score"],
        "sources": [source_json(source["id"], source["url"], source["platform"],
                                source["kind"], source["title"], source["captured_at"],
                                source["created_at"], when)
                    for source in row["source_rows"]],
        "archived": row["archived_at"] is not None,
        "created_at": when(row["created_at"]),
        "updated_at": when(row["updated_at"]),
        "url": url, "history_url": history_url,
    }


# A private organisation's slug: its name's slug and a random tail (incidents.services).
PRIVATE_SLUG = re.compile(rf"[a-z0-9-]+-[a-z][a-z0-9]{{{PRIVATE_TAIL_LENGTH - 1}}}")
NO_SUCH_ORGANIZATION = ("No organisation you can see has this slug. To name a new "
                        "organisation, give its name as people write it.")
SLUG_MESSAGES = {"does_not_exist": "Unknown slug: {value}.", "invalid": "Give a slug."}


def organization_name(value: str, *, team: Team) -> str:
    """The name the services resolve, for the API's `organization`: an organisation `team`
    can see, by its slug, or a new organisation's name. A value shaped like another team's
    private slug is refused the same way whether such an organisation exists or not."""
    found = Organization.objects.for_team(team).filter(slug=value).first()
    if found is not None:
        return found.name
    if PRIVATE_SLUG.fullmatch(value):
        raise serializers.ValidationError({"organization": [NO_SUCH_ORGANIZATION]})
    return value


class IncidentInputSerializer(serializers.Serializer):
    """What creating (POST) or changing (PUT, PATCH) an incident takes."""

    team = serializers.SlugRelatedField(
        slug_field="slug", queryset=Team.objects.none(), required=False,
        error_messages={"does_not_exist": NOT_YOUR_TEAM, "invalid": NOT_YOUR_TEAM},
        help_text="The team that logs it, by slug: needed only when the caller writes in "
                  "several teams. It cannot change afterwards.")
    title = serializers.CharField(max_length=Incident._meta.get_field("title").max_length)
    organization = serializers.CharField(
        max_length=Organization._meta.get_field("name").max_length,
        help_text="An organisation's slug, or a new organisation's name.")
    platform = serializers.ChoiceField(Platform.choices)
    occurred_on = serializers.DateField()
    primary_cause = serializers.SlugRelatedField(
        slug_field="slug", queryset=RootCause.objects.filter(is_active=True),
        error_messages=SLUG_MESSAGES)
    summary = serializers.CharField(allow_blank=True, required=False, max_length=LONG_TEXT_MAX)
    origin = serializers.ChoiceField(Origin.choices, required=False)
    visibility = serializers.ChoiceField(
        Visibility.choices, required=False,
        help_text="Without it, own incidents stay with the team and others' are shared.")
    status = serializers.ChoiceField(Status.choices, required=False)
    severity = serializers.ChoiceField(Severity.choices, required=False)
    actor = serializers.ChoiceField(Actor.choices, required=False)
    detected_at = serializers.DateTimeField(required=False, allow_null=True)
    resolved_at = serializers.DateTimeField(required=False, allow_null=True)
    contributing_causes = serializers.SlugRelatedField(
        slug_field="slug", many=True, required=False, queryset=RootCause.objects.all(),
        error_messages=SLUG_MESSAGES)
    factors = serializers.SlugRelatedField(
        slug_field="slug", many=True, required=False,
        queryset=Factor.objects.filter(is_active=True), error_messages=SLUG_MESSAGES)
    context = serializers.ListField(child=serializers.ChoiceField(Context.choices),
                                    required=False, max_length=len(Context.choices))
    acknowledged = serializers.BooleanField(required=False)
    apologized = serializers.BooleanField(required=False)
    explained_fix = serializers.BooleanField(required=False)
    asked_for_help = serializers.BooleanField(required=False)
    deleted_silently = serializers.BooleanField(required=False)
    defensive = serializers.BooleanField(required=False)
    blamed_others = serializers.BooleanField(required=False)

    def __init__(self, *args, teams=None, incident: Incident | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if teams is not None:
            self.fields["team"].queryset = teams
        if incident is not None:
            # An edit keeps what the incident already has, retired causes and factors too.
            self.fields["primary_cause"].queryset = RootCause.objects.all()
            self.fields["factors"].child_relation.queryset = Factor.objects.filter(
                Q(is_active=True) | Q(incidents=incident)).distinct()


def service_data(data: dict, *, team: Team) -> dict:
    """Validated input as incident_create / incident_update take it."""
    data = dict(data)
    data.pop("team", None)
    if "organization" in data:
        data["organization_name"] = organization_name(data.pop("organization"), team=team)
    for name in ("contributing_causes", "factors"):
        if name in data:
            data[name] = list(data[name])
    return data

