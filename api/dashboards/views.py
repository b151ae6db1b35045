"""The metrics API: every number of the team dashboard (`/teams/{slug}/metrics/`, over a
period) and of the library dashboard (`/library/metrics/`), computed by the same selectors
as the pages (dashboards.metrics), so the API and the dashboards cannot disagree.

The team is found first, through the caller's teams (a token limited to a team: that team
only), so that another team's metrics are a 404 whatever the query string; then the period
(dashboards.periods) is read, and a bad one is a 400 naming its parameter. Other query
parameters are ignored, as the other endpoints ignore them."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from common.dates import PERIOD_DAYS
from dashboards.metrics import library_metrics, team_metrics
from dashboards.periods import DEFAULT_PERIOD, LONGEST_DAYS, PeriodError, period_from

from .. import access
from ..errors import ErrorSerializer
from ..schema import ERRORS
from ..views import ApiViewSet
from .serializers import LibraryMetricsSerializer, TeamMetricsSerializer

PERIOD_PARAMETERS = [
    OpenApiParameter(
        "period", OpenApiTypes.STR, OpenApiParameter.QUERY, enum=list(PERIOD_DAYS),
        default=DEFAULT_PERIOD,
        description="The last 30 days, 90 days or 12 months up to the team's today (the "
                    f"default: {DEFAULT_PERIOD}). Not with from and to."),
    OpenApiParameter(
        "from", OpenApiTypes.DATE, OpenApiParameter.QUERY,
        description="A custom period's first day (YYYY-MM-DD, from 1990-01-01 to the team's "
                    "today), with to."),
    OpenApiParameter(
        "to", OpenApiTypes.DATE, OpenApiParameter.QUERY,
        description="A custom period's last day, included (YYYY-MM-DD, not after the team's "
                    f"today), with from; at most {LONGEST_DAYS} days after from."),
]


def period_of(request, team):
    """The period the query string asks for, in the team's calendar, or a 400 naming the
    parameter at fault."""
    try:
        return period_from(request.query_params, today=team.today())
    except PeriodError as error:
        raise ValidationError({name: [message] for name, message in error.errors.items()}
                              ) from error


class TeamMetricsActions:
    """`metrics` on the team resource (mixed into api.catalog.views.TeamViewSet, whose
    get_object finds the team among the caller's or answers 404)."""

    @extend_schema(
        description="The numbers of the team's dashboard over a period, for every member "
                    "of the team (viewers included).",
        parameters=PERIOD_PARAMETERS,
        responses={200: TeamMetricsSerializer,
                   404: OpenApiResponse(ErrorSerializer, description=ERRORS["404"])},
    )
    @action(detail=True, methods=["get"], url_path="metrics", url_name="metrics")
    def metrics(self, request, slug=None):
        team = self.get_object()
        period = period_of(request, team)
        return Response(TeamMetricsSerializer(team_metrics(team=team, period=period)).data)


class LibraryViewSet(ApiViewSet):
    """The shared library as a whole: its numbers. Routed by hand (api/urls.py), not on the
    router: ApiViewSet has a `list`, which the router would answer at /library/ (the
    library's incidents are /incidents/?visibility=library)."""

    output_serializer = LibraryMetricsSerializer

    @extend_schema(
        description="The numbers of the library dashboard, over every shared incident that "
                    "is not archived: the same for every caller.",
        responses={200: LibraryMetricsSerializer,
                   404: OpenApiResponse(ErrorSerializer,
                                        description="A token whose team is no longer the "
                                                    "person's: it reads nothing.")},
    )
    def metrics(self, request):
        metrics = access.get_readable(request, library_metrics)
        return self.output(metrics)
