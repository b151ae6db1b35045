"""Read-only resources: organisations (the reader's: shared ones and their teams' private
ones), the root-cause taxonomy, contributing factors, and the caller's teams with their
role. Each is read by its slug."""

from django.db.models import OuterRef, Subquery
from django.db.models.functions import Lower
from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework.response import Response

from accounts.models import Membership
from incidents.models import Factor, Organization, RootCause

from .. import access
from ..dashboards.views import TeamMetricsActions
from ..views import ApiViewSet
from .serializers import (
    FactorSerializer,
    OrganizationSerializer,
    RootCauseSerializer,
    TeamSerializer,
)


def slug_parameter(what: str) -> OpenApiParameter:
    return OpenApiParameter("slug", OpenApiTypes.STR, OpenApiParameter.PATH,
                            description=f"The {what}'s slug.")


class _ReadOnly(ApiViewSet):
    """A list read by keyset pages and one row by its slug; `queryset()` says which rows."""

    lookup_field = "slug"
    not_found = "Not found."

    def rows(self):
        raise NotImplementedError

    def get_queryset(self):
        return access.reader(self.request).narrow(self.rows())

    def get_object(self):
        slug = self.kwargs["slug"]
        # No slug holds a NUL, and PostgreSQL cannot compare one: it names nothing.
        found = None if "\x00" in slug else self.get_queryset().filter(slug=slug).first()
        if found is None:
            raise Http404(self.not_found)
        return found

    def list(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(
            self.get_serializer_class()(page, many=True,
                                        context=self.get_serializer_context()).data)

    def retrieve(self, request, slug=None):
        return Response(self.get_serializer_class()(
            self.get_object(), context=self.get_serializer_context()).data)


@extend_schema_view(
    list=extend_schema(description="The organisations the caller may see: shared ones and "
                                   "their teams' private ones, by name."),
    retrieve=extend_schema(parameters=[slug_parameter("organisation")]),
)
class OrganizationViewSet(_ReadOnly):
    serializer_class = OrganizationSerializer
    not_found = "No such organisation."

    def rows(self):
        reader = access.reader(self.request)
        # By name as people read it, through the tenancy door (another team's private
        # organisation is not there).
        return (Organization.objects.readable(**reader.scope).select_related("team")
                .annotate(name_key=Lower("name")).order_by("name_key", "name", "pk"))


@extend_schema_view(
    list=extend_schema(description="The root-cause taxonomy, by code."),
    retrieve=extend_schema(parameters=[slug_parameter("root cause")]),
)
class RootCauseViewSet(_ReadOnly):
    serializer_class = RootCauseSerializer
    not_found = "No such root cause."

    def rows(self):
        return RootCause.objects.order_by("code", "pk")


@extend_schema_view(
    list=extend_schema(description="Contributing factors, by name."),
    retrieve=extend_schema(parameters=[slug_parameter("factor")]),
)
class FactorViewSet(_ReadOnly):
    serializer_class = FactorSerializer
    not_found = "No such factor."

    def rows(self):
        return Factor.objects.order_by("name", "pk")


@extend_schema_view(
    list=extend_schema(description="The caller's teams with the caller's role in each (a "
                                   "token limited to a team: that team)."),
    retrieve=extend_schema(parameters=[slug_parameter("team")]),
    metrics=extend_schema(parameters=[slug_parameter("team")]),
)
class TeamViewSet(TeamMetricsActions, _ReadOnly):
    serializer_class = TeamSerializer
    not_found = "No such team."

    def rows(self):
        reader = access.reader(self.request)
        role = Membership.objects.filter(team=OuterRef("pk"), user=reader.user).values("role")
        return reader.teams().annotate(role=Subquery(role[:1])).order_by("name", "pk")
