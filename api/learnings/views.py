"""/api/v1/learnings/ and /api/v1/action-items/. Thin: learnings.selectors read,
learnings.services write and validate (owners, linkable incidents, dates, the status steps,
closed actions), api.access says who may."""

import uuid

from django.db import transaction
from django.db.models import Q
from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from learnings import selectors, services
from learnings.filters import ActionItemFilter

from .. import access
from ..csv import Column, CsvExport, CsvExportMixin, Link, each
from ..incidents.views import IDEMPOTENCY_HEADER, _idempotency_key, _uuid_or_404
from ..views import ApiViewSet
from .filters import ACTION_ITEM_DESCRIPTIONS, LEARNING_DESCRIPTIONS, LearningApiFilter
from .serializers import (
    ActionItemInputSerializer,
    ActionItemSerializer,
    LearningInputSerializer,
    LearningSerializer,
    team_member,
)

SAY_WHICH_TEAM = "You write in several teams: say which one it belongs to (its slug)."
TEAM_FIXED = "A learning's team cannot change."
LEARNING_FIXED = "An action item's learning cannot change."
NO_SUCH_LEARNING = "No learning you can read has this id."
STATUS_ON_CHANGE = "Create it first: a new learning is a draft; change its status afterwards."
LEARNING_NEVER_DELETED = "Learnings are never deleted: archive it (POST …/archive/) instead."
ITEM_NEVER_DELETED = ("Action items are never deleted: archive it (POST …/archive/) "
                      "instead.")

LEARNING_ID = OpenApiParameter("public_id", OpenApiTypes.UUID, OpenApiParameter.PATH,
                               description="The learning's id.")
ITEM_ID = OpenApiParameter("public_id", OpenApiTypes.UUID, OpenApiParameter.PATH,
                           description="The action item's id.")
IDEMPOTENCY_KEY = OpenApiParameter(
    IDEMPOTENCY_HEADER, OpenApiTypes.UUID, OpenApiParameter.HEADER,
    description="A UUID of the client's choosing: the same key sent again (a retry) answers "
                "200 with the learning it made instead of making it twice.")


def readable_learning(request, public_id: str):
    """The learning at this id if the reader may read it (archived too); 404 otherwise."""
    return access.get_readable(request, selectors.learning_get,
                               public_id=_uuid_or_404(public_id))


def readable_item(request, public_id: str):
    """The action item at this id if the reader may read it (archived too); 404 otherwise."""
    return access.get_readable(request, selectors.action_item_get,
                               public_id=_uuid_or_404(public_id))


def _owner(data: dict, team) -> dict:
    """`owner` (an email) as the services take it: the team's member, or None."""
    if "owner" in data:
        data["owner"] = team_member(data["owner"], team=team)
    return data


def _link_incidents(request, learning, wanted: list[str]) -> None:
    """Make the incidents the learning's team can read that it is drawn from exactly
    `wanted`, through the services (link one, unlink one). Links to incidents the team can no
    longer read stay: the caller cannot see them to name them."""
    shown, _hidden = selectors.visible_incidents(learning)
    linked = {str(incident.public_id): incident for incident in shown}
    kept = set()
    for raw in wanted:
        try:
            key = str(uuid.UUID(raw))
        except ValueError:
            key = raw
        if key in kept:
            continue
        if key in linked:
            kept.add(key)
            continue
        # Refuses, naming `incidents`, any id the team cannot read, existing or not.
        services.learning_incident_link(user=request.user, learning=learning, incident_id=key)
        kept.add(key)
    for key, incident in linked.items():
        if key not in kept:
            services.learning_incident_unlink(user=request.user, learning=learning,
                                              incident=incident)


# The CSV of the learning list: LearningSerializer's fields, in its order. `owner` is the
# owner's email; `incidents` the ids of the linked incidents its team can read and `causes`
# the derived causes' slugs, as the JSON lists them.
LEARNING_CSV = CsvExport("learnings", [
    Column("id", "public_id"),
    Column("team", "team__slug"),
    Column("title"),
    Column("lesson"),
    Column("practice"),
    Column("status"),
    Column("owner", "owner__email"),
    Column("incidents", each(selectors.visible_incident_ids())),
    Column("causes", each(selectors.derived_cause_slugs())),
    Column("adopted_at"),
    Column("review_on"),
    Column("created_at"),
    Column("updated_at"),
    Column("archived", Q(archived_at__isnull=False)),
    Link("url", route="learnings:learning-detail"),
])

# Annotated by the action item list for its CSV (ActionItemQuerySet.with_overdue: each
# team's own today).
OVERDUE = "csv_overdue"

# The CSV of the action item list: ActionItemSerializer's fields, in its order. `learning` is
# its id, `owner` the owner's email, `url` the item on its learning's page.
ACTION_ITEM_CSV = CsvExport("action-items", [
    Column("id", "public_id"),
    Column("learning", "learning__public_id"),
    Column("title"),
    Column("owner", "owner__email"),
    Column("due_on"),
    Column("kind"),
    Column("done_at"),
    Column("overdue", OVERDUE),
    Column("archived", Q(archived_at__isnull=False)),
    Link("url", route="learnings:learning-detail", source="learning__public_id",
         fragment=("item-", "public_id")),
])


class LearningViewSet(CsvExportMixin, ApiViewSet):
    """Learnings of the caller's teams (never shared)."""

    lookup_field = "public_id"
    csv_export = LEARNING_CSV
    # Not an operation (no DELETE in the schema): a 405 to every signed-in caller.
    not_allowed = {"delete": LEARNING_NEVER_DELETED}
    # The services' field names, as the API names them.
    service_fields = {"incident": "incidents"}

    input_serializer = LearningInputSerializer
    output_serializer = LearningSerializer
    read_one = staticmethod(readable_learning)
    read_list = staticmethod(selectors.learning_filterset)
    filterset_class = LearningApiFilter
    filter_descriptions = LEARNING_DESCRIPTIONS

    def get_queryset(self):
        reader = access.reader(self.request)
        return reader.narrow(selectors.learning_list(**reader.scope))

    @extend_schema(parameters=[LEARNING_ID], responses=LearningSerializer)
    def retrieve(self, request, public_id=None):
        return self.output(self.get_object())

    @extend_schema(parameters=[IDEMPOTENCY_KEY], request=LearningInputSerializer,
                   responses={201: LearningSerializer,
                              200: OpenApiResponse(LearningSerializer,
                                                   description="Already made with this "
                                                               "Idempotency-Key.")},
                   description="Draft a learning, drawn from incidents the team can read, "
                               "validated and recorded as its page does.")
    def create(self, request):
        access.require_some_write(request)
        key = _idempotency_key(request)
        serializer = LearningInputSerializer(data=request.data,
                                             teams=access.reader(request).teams())
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        if "status" in data or "reason" in data:
            raise ValidationError({"status" if "status" in data else "reason":
                                   [STATUS_ON_CHANGE]})
        team = data.pop("team", None)
        if team is None:
            writable = list(access.writable_teams(request)[:2])
            if len(writable) != 1:
                raise ValidationError({"team": [SAY_WHICH_TEAM]})
            team = writable[0]
        access.require_write(request, team)
        _owner(data, team)
        learning, created = services.learning_create_from_incidents(
            user=request.user, team=team, idempotency_key=key,
            incident_ids=data.pop("incidents", []), **data)
        return self.show(learning, status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    def _change(self, request, *, partial: bool) -> Response:
        learning = self.get_object()
        access.require_write(request, learning.team)
        serializer = LearningInputSerializer(data=request.data, partial=partial,
                                             teams=access.reader(request).teams())
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        team = data.pop("team", None)
        if team is not None and team.pk != learning.team_id:
            raise ValidationError({"team": [TEAM_FIXED]})
        new_status, reason = data.pop("status", None), data.pop("reason", "")
        incidents = data.pop("incidents", None)
        _owner(data, learning.team)
        # All of it or none of it: a refused status or link leaves the fields as they were.
        with transaction.atomic():
            if data:
                services.learning_update(user=request.user, learning=learning, data=data)
            if incidents is not None:
                _link_incidents(request, learning, incidents)
            if new_status is not None:
                services.learning_change_status(user=request.user, learning=learning,
                                                status=new_status, reason=reason)
        return self.show(learning)

    @extend_schema(parameters=[LEARNING_ID], request=LearningInputSerializer,
                   responses=LearningSerializer,
                   description="Replace the learning's fields: the title must be given; "
                               "others left out keep their values.")
    def update(self, request, public_id=None):
        return self._change(request, partial=False)

    @extend_schema(parameters=[LEARNING_ID], request=LearningInputSerializer,
                   responses=LearningSerializer,
                   description="Change some fields; `{\"status\": …, \"reason\": …}` moves it "
                               "along its steps as its page does (a refused step is a 400 "
                               "naming `status`).")
    def partial_update(self, request, public_id=None):
        return self._change(request, partial=True)

    @extend_schema(parameters=[LEARNING_ID], request=None, responses=LearningSerializer,
                   description="Take the learning out of lists and counts (its actions are "
                               "closed); it can be restored.")
    @action(detail=True, methods=["post"])
    def archive(self, request, public_id=None):
        learning = self.get_object()
        access.require_write(request, learning.team)
        services.learning_archive(user=request.user, learning=learning)
        return self.show(learning)

    @extend_schema(parameters=[LEARNING_ID], request=None, responses=LearningSerializer)
    @action(detail=True, methods=["post"])
    def restore(self, request, public_id=None):
        learning = self.get_object()
        access.require_write(request, learning.team)
        services.learning_restore(user=request.user, learning=learning)
        return self.show(learning)


class ActionItemViewSet(CsvExportMixin, ApiViewSet):
    """Action items of the caller's teams' learnings."""

    lookup_field = "public_id"
    csv_export = ACTION_ITEM_CSV
    not_allowed = {"delete": ITEM_NEVER_DELETED}

    input_serializer = ActionItemInputSerializer
    output_serializer = ActionItemSerializer
    read_one = staticmethod(readable_item)
    read_list = staticmethod(selectors.action_item_filterset)
    filterset_class = ActionItemFilter
    filter_descriptions = ACTION_ITEM_DESCRIPTIONS
    list_description = "The newest first."

    def get_queryset(self):
        reader = access.reader(self.request)
        return reader.narrow(selectors.action_item_filterset(**reader.scope).qs)

    def csv_rows(self, rows, filterset):
        # Overdue in each team's calendar, as ActionItem.overdue says it for one item.
        return rows.with_overdue(filterset.teams, OVERDUE)

    @extend_schema(parameters=[ITEM_ID], responses=ActionItemSerializer)
    def retrieve(self, request, public_id=None):
        return self.output(self.get_object())

    @extend_schema(request=ActionItemInputSerializer, responses={201: ActionItemSerializer},
                   description="Add an action to a learning (`learning` is needed); "
                               "`done: true` records one already taken.")
    def create(self, request):
        access.require_some_write(request)
        serializer = ActionItemInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        learning_id = data.pop("learning", None)
        if learning_id is None:
            raise ValidationError({"learning": ["This field is required."]})
        try:
            learning = access.get_readable(request, selectors.learning_get,
                                           public_id=learning_id)
        except Http404:
            raise ValidationError({"learning": [NO_SUCH_LEARNING]}) from None
        access.require_write(request, learning.team)
        _owner(data, learning.team)
        item = services.action_item_create(user=request.user, learning=learning, **data)
        return self.show(item, status.HTTP_201_CREATED)

    def _change(self, request, *, partial: bool) -> Response:
        item = self.get_object()
        access.require_write(request, item.learning.team)
        serializer = ActionItemInputSerializer(data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        learning_id = data.pop("learning", None)
        if learning_id is not None and learning_id != item.learning.public_id:
            raise ValidationError({"learning": [LEARNING_FIXED]})
        done = data.pop("done", None)
        _owner(data, item.learning.team)
        with transaction.atomic():
            if data:
                item = services.action_item_update(user=request.user, item=item, data=data)
            if done is True:
                services.action_item_complete(user=request.user, item=item)
            elif done is False:
                services.action_item_reopen(user=request.user, item=item)
        return self.show(item)

    @extend_schema(parameters=[ITEM_ID], request=ActionItemInputSerializer,
                   responses=ActionItemSerializer,
                   description="Replace the item's fields: the title must be given; others "
                               "left out keep their values.")
    def update(self, request, public_id=None):
        return self._change(request, partial=False)

    @extend_schema(parameters=[ITEM_ID], request=ActionItemInputSerializer,
                   responses=ActionItemSerializer,
                   description="Change some fields; `{\"done\": true}` completes it and "
                               "`{\"done\": false}` reopens it.")
    def partial_update(self, request, public_id=None):
        return self._change(request, partial=True)

    @extend_schema(parameters=[ITEM_ID], request=None, responses=ActionItemSerializer,
                   description="Take the item off its learning; its history stays and it can "
                               "be restored.")
    @action(detail=True, methods=["post"])
    def archive(self, request, public_id=None):
        item = self.get_object()
        access.require_write(request, item.learning.team)
        services.action_item_archive(user=request.user, item=item)
        return self.show(item)

    @extend_schema(parameters=[ITEM_ID], request=None, responses=ActionItemSerializer)
    @action(detail=True, methods=["post"])
    def restore(self, request, public_id=None):
        item = self.get_object()
        access.require_write(request, item.learning.team)
        services.action_item_restore(user=request.user, item=item)
        return self.show(item)
