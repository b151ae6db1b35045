"""/api/v1/incidents/ and what hangs off an incident (sources, timeline). Thin: the selectors
read, the services write and validate, api.access says who may."""

import uuid

from django.db.models import OuterRef, Q
from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from incidents import selectors, services
from incidents.models import Factor, IncidentSource, RootCause

from .. import access
from ..csv import Column, CsvExport, CsvExportMixin, Link, each
from ..views import ApiViewSet
from .filters import DESCRIPTIONS, IncidentApiFilter
from .serializers import (
    IncidentInputSerializer,
    IncidentSerializer,
    SourceInputSerializer,
    SourceSerializer,
    TimelineEventSerializer,
    service_data,
)

IDEMPOTENCY_HEADER = "Idempotency-Key"
NOT_A_UUID = "Give a UUID."
SAY_WHICH_TEAM = "You write in several teams: say which one logs it (its slug)."
TEAM_FIXED = "An incident's team cannot change."
NEVER_DELETED = "Incidents are never deleted: archive it (POST …/archive/) instead."

INCIDENT_ID = OpenApiParameter("public_id", OpenApiTypes.UUID, OpenApiParameter.PATH,
                               description="The incident's id.")
NESTED_INCIDENT_ID = OpenApiParameter("incident_id", OpenApiTypes.UUID, OpenApiParameter.PATH,
                                      description="The incident's id.")
IDEMPOTENCY_KEY = OpenApiParameter(
    IDEMPOTENCY_HEADER, OpenApiTypes.UUID, OpenApiParameter.HEADER,
    description="A UUID of the client's choosing: the same key sent again (a retry) answers "
                "200 with the incident it made instead of logging it twice.")


def _uuid_or_404(value: str) -> str:
    try:
        return str(uuid.UUID(value))
    except (ValueError, TypeError):
        raise Http404("Not found.") from None


def _idempotency_key(request) -> uuid.UUID | None:
    raw = request.headers.get(IDEMPOTENCY_HEADER)
    if raw is None:
        return None
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise ValidationError({IDEMPOTENCY_HEADER: [NOT_A_UUID]}) from None


def readable_incident(request, public_id: str):
    """The incident at this id if the reader may read it (archived too); 404 otherwise."""
    return access.get_readable(request, selectors.incident_get,
                               public_id=_uuid_or_404(public_id))


RESPONSE_MOVES = ("acknowledged", "apologized", "explained_fix", "asked_for_help",
                  "deleted_silently", "defensive", "blamed_others")

# The CSV of the incident list: IncidentSerializer's fields, in its order. `organization` is
# its slug; `sources` the sources' links.
INCIDENT_CSV = CsvExport("incidents", [
    Column("id", "public_id"),
    Column("team", "team__slug"),
    Column("origin"),
    Column("visibility"),
    Column("organization", "organization__slug"),
    Column("title"),
    Column("summary"),
    Column("platform"),
    Column("occurred_on"),
    Column("detected_at"),
    Column("first_response_at"),
    Column("resolved_at"),
    Column("status"),
    Column("severity"),
    Column("primary_cause", "primary_cause__slug"),
    Column("contributing_causes", each(
        RootCause.objects.filter(contributing_incidents=OuterRef("pk"))
        .order_by("code", "pk").values("slug"))),
    Column("factors", each(
        Factor.objects.filter(incidents=OuterRef("pk")).order_by("name", "pk").values("slug"))),
    Column("context"),
    Column("actor"),
    *[Column(name) for name in RESPONSE_MOVES],
    Column("response_score"),
    Column("sources", each(
        IncidentSource.objects.filter(incident=OuterRef("pk")).order_by("created_at", "pk")
        .values("source__url"))),
    Column("archived", Q(archived_at__isnull=False)),
    Column("created_at"),
    Column("updated_at"),
    Link("url", route="incidents:incident-detail"),
    Link("history_url", route="incidents:incident-history"),
])


class IncidentViewSet(CsvExportMixin, ApiViewSet):
    """Incidents the caller may read: their teams' and the library."""

    lookup_field = "public_id"
    csv_export = INCIDENT_CSV
    # Not an operation (no DELETE in the schema): a 405 to every signed-in caller.
    not_allowed = {"delete": NEVER_DELETED}
    # A service's field names, as the API names them.
    service_fields = {"organization_name": "organization"}

    input_serializer = IncidentInputSerializer
    output_serializer = IncidentSerializer
    read_one = staticmethod(readable_incident)
    read_list = staticmethod(selectors.incident_filterset)
    filterset_class = IncidentApiFilter
    filter_descriptions = DESCRIPTIONS

    def get_queryset(self):
        reader = access.reader(self.request)
        return reader.narrow(selectors.incident_list(**reader.scope))

    def page_of_rows(self, rows):
        # The page read as dicts, with its relations (on PostgreSQL in the same query), its
        # rows written in one go: the same JSON as the detail's serializer.
        return selectors.incident_row_relations(
            self.paginate_queryset(selectors.incident_list_rows(rows)))

    @extend_schema(parameters=[INCIDENT_ID], responses=IncidentSerializer)
    def retrieve(self, request, public_id=None):
        return self.output(self.get_object())

    @extend_schema(parameters=[IDEMPOTENCY_KEY], request=IncidentInputSerializer,
                   responses={201: IncidentSerializer,
                              200: OpenApiResponse(IncidentSerializer,
                                                   description="Already made with this "
                                                               "Idempotency-Key.")},
                   description="Log an incident, validated and recorded as the log form "
                               "does; the rest can be filled in later.")
    def create(self, request):
        access.require_some_write(request)
        key = _idempotency_key(request)
        serializer = IncidentInputSerializer(data=request.data,
                                             teams=access.reader(request).teams())
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        team = data.pop("team", None)
        if team is None:
            # Needed only from someone who writes in several teams.
            writable = list(access.writable_teams(request)[:2])
            if len(writable) != 1:
                raise ValidationError({"team": [SAY_WHICH_TEAM]})
            team = writable[0]
        access.require_write(request, team)
        incident, created = services.incident_create(
            user=request.user, team=team, idempotency_key=key,
            **service_data(data, team=team))
        return self.show(incident, status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    def _change(self, request, public_id, *, partial: bool) -> Response:
        incident = self.get_object()
        access.require_write(request, incident.team)
        serializer = IncidentInputSerializer(
            data=request.data, partial=partial, teams=access.reader(request).teams(),
            incident=incident)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        team = data.pop("team", None)
        if team is not None and team.pk != incident.team_id:
            raise ValidationError({"team": [TEAM_FIXED]})
        services.incident_update(user=request.user, incident=incident,
                                 data=service_data(data, team=incident.team))
        return self.show(incident)

    @extend_schema(parameters=[INCIDENT_ID], request=IncidentInputSerializer,
                   responses=IncidentSerializer,
                   description="Replace the incident's fields: the required ones must be "
                               "given; optional ones left out keep their values.")
    def update(self, request, public_id=None):
        return self._change(request, public_id, partial=False)

    @extend_schema(parameters=[INCIDENT_ID], request=IncidentInputSerializer,
                   responses=IncidentSerializer)
    def partial_update(self, request, public_id=None):
        return self._change(request, public_id, partial=True)

    @extend_schema(parameters=[INCIDENT_ID], request=None, responses=IncidentSerializer,
                   description="Take the incident out of lists and search; it can be restored.")
    @action(detail=True, methods=["post"])
    def archive(self, request, public_id=None):
        incident = self.get_object()
        access.require_write(request, incident.team)
        services.incident_archive(user=request.user, incident=incident)
        return self.show(incident)

    @extend_schema(parameters=[INCIDENT_ID], request=None, responses=IncidentSerializer)
    @action(detail=True, methods=["post"])
    def restore(self, request, public_id=None):
        incident = self.get_object()
        access.require_write(request, incident.team)
        services.incident_restore(user=request.user, incident=incident)
        return self.show(incident)


class _IncidentPart(ApiViewSet):
    """What hangs off one incident: list, create, delete."""

    def incident(self):
        return readable_incident(self.request, self.kwargs["incident_id"])

    def page_of(self, queryset, serializer_class) -> Response:
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(
            serializer_class(page, many=True, context=self.get_serializer_context()).data)


@extend_schema(tags=["incidents"])
class IncidentSourceViewSet(_IncidentPart):
    """An incident's sources; one link may back several incidents, each with its own words."""

    lookup_field = "source_id"
    serializer_class = SourceInputSerializer

    def get_queryset(self):
        return IncidentSource.objects.for_incident(self.incident()).order_by("created_at", "pk")

    @extend_schema(parameters=[NESTED_INCIDENT_ID], responses=SourceSerializer(many=True))
    def list(self, request, incident_id=None):
        return self.page_of(self.get_queryset(), SourceSerializer)

    @extend_schema(parameters=[NESTED_INCIDENT_ID], request=SourceInputSerializer,
                   responses={201: SourceSerializer})
    def create(self, request, incident_id=None):
        incident = self.incident()
        access.require_write(request, incident.team)
        serializer = SourceInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        link = services.source_add(user=request.user, incident=incident,
                                   **serializer.validated_data)
        return Response(SourceSerializer(link).data, status=status.HTTP_201_CREATED)

    @extend_schema(parameters=[NESTED_INCIDENT_ID, OpenApiParameter(
        "source_id", OpenApiTypes.UUID, OpenApiParameter.PATH, description="The source's id.")],
        responses={204: None})
    def destroy(self, request, incident_id=None, source_id=None):
        incident = self.incident()
        access.require_write(request, incident.team)
        source = incident.sources.filter(public_id=_uuid_or_404(source_id)).first()
        if source is None:
            raise Http404("That link is not a source of this incident.")
        services.source_remove(user=request.user, incident=incident, source=source)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(tags=["incidents"])
class IncidentTimelineViewSet(_IncidentPart):
    """An incident's timeline. A response or apology moves its first_response_at."""

    lookup_field = "event_id"
    serializer_class = TimelineEventSerializer

    def get_queryset(self):
        return self.incident().timeline.order_by("at", "pk")

    @extend_schema(parameters=[NESTED_INCIDENT_ID], responses=TimelineEventSerializer(many=True))
    def list(self, request, incident_id=None):
        return self.page_of(self.get_queryset(), TimelineEventSerializer)

    @extend_schema(parameters=[NESTED_INCIDENT_ID], request=TimelineEventSerializer,
                   responses={201: TimelineEventSerializer})
    def create(self, request, incident_id=None):
        incident = self.incident()
        access.require_write(request, incident.team)
        serializer = TimelineEventSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        event = services.timeline_event_add(user=request.user, incident=incident,
                                            **serializer.validated_data)
        return Response(TimelineEventSerializer(event).data, status=status.HTTP_201_CREATED)

    @extend_schema(parameters=[NESTED_INCIDENT_ID, OpenApiParameter(
        "event_id", OpenApiTypes.UUID, OpenApiParameter.PATH,
        description="The timeline entry's id.")], responses={204: None})
    def destroy(self, request, incident_id=None, event_id=None):
        incident = self.incident()
        access.require_write(request, incident.team)
        event = incident.timeline.filter(public_id=_uuid_or_404(event_id)).first()
        if event is None:
            raise Http404("That entry is not on this incident's timeline.")
        services.timeline_event_remove(user=request.user, event=event)
        return Response(status=status.HTTP_204_NO_CONTENT)
