"""/api/v1/: every resource on one router, the schema and its documentation.

Adding a resource (api/incidents/ is the pattern):

1. `serializers.py`: an explicit output serializer (enums as ChoiceFields, URLs absolute) and
   input serializers that only parse; the services validate the rest.
2. `filters.py`: the list page's FilterSet, subclassed only for what the API adds, with a
   description per filter (api.schema.filter_parameters refuses an undescribed one).
3. `views.py`: a viewset on api.views.ApiViewSet. Reads go through a selector with
   `access.reader(request).scope` (user=… or team=…, narrowed by a token): declare
   `input_serializer`, `output_serializer`, `read_one` (the one object, or a 404),
   `read_list` with `filterset_class` and `filter_descriptions` (the list, its filters and
   its schema), and ApiViewSet gives get_object, list and `show` (a write's answer, read
   again). Writes call `access.require_write(request, team)` after the object is found (404
   first), then the service. Name each other action's request, responses and parameters with
   extend_schema. A method the resource does not have (DELETE on what is never deleted) is
   not defined at all: say why in `not_allowed` and it is a 405 with `Allow`, and absent
   from the schema.
4. CSV export (`?format=csv`, api/csv.py): mix CsvExportMixin into the viewset and declare
   `csv_export = CsvExport("<name>", [Column(...), ...])` with the output serializer's field
   names; the list answers with it, and its schema says so (`?format=`, the CSV response).
5. Register it below (an action of an object: `@action(detail=True)` on its viewset, as
   teams/{slug}/metrics/; a viewset with no list, as library/metrics/, is a path of its own:
   on the router, ApiViewSet's `list` would answer its prefix); add its rows to
   tests/api/test_views_permissions.py (a route or method without rows fails there) and pin
   its list and detail query counts. Throttling (api/
   throttles.py) applies to every view by the settings; nothing to declare.
"""

from django.urls import path, re_path
from rest_framework.permissions import AllowAny
from rest_framework.routers import DefaultRouter

from .catalog.views import FactorViewSet, OrganizationViewSet, RootCauseViewSet, TeamViewSet
from .dashboards.views import LibraryViewSet
from .incidents.views import IncidentSourceViewSet, IncidentTimelineViewSet, IncidentViewSet
from .learnings.views import ActionItemViewSet, LearningViewSet
from .views import DocsView, SchemaView, not_found

app_name = "api"


class Router(DefaultRouter):
    # `?format=` chooses the format; no ".json" twins of every route.
    include_format_suffixes = False


router = Router()
router.register("incidents", IncidentViewSet, basename="incident")
router.register(r"incidents/(?P<incident_id>[^/]+)/sources", IncidentSourceViewSet,
                basename="incident-source")
router.register(r"incidents/(?P<incident_id>[^/]+)/timeline", IncidentTimelineViewSet,
                basename="incident-timeline")
router.register("learnings", LearningViewSet, basename="learning")
router.register("action-items", ActionItemViewSet, basename="action-item")
router.register("organizations", OrganizationViewSet, basename="organization")
router.register("root-causes", RootCauseViewSet, basename="root-cause")
router.register("factors", FactorViewSet, basename="factor")
router.register("teams", TeamViewSet, basename="team")  # with teams/{slug}/metrics/

urlpatterns = [
    *router.urls,
    # Not on the router, which would also answer library/ with ApiViewSet's list.
    path("library/metrics/", LibraryViewSet.as_view({"get": "metrics"}),
         name="library-metrics"),
    # The schema says nothing private: anyone may read it and its documentation.
    path("schema/", SchemaView.as_view(permission_classes=[AllowAny]), name="schema"),
    path("docs/", DocsView.as_view(url_name="api:schema",
                                                 permission_classes=[AllowAny]),
         name="docs"),
    # Last: any other path under /api/v1/ is a 404 in the API's shape, not an HTML page.
    re_path(r"^(?P<path>.*)$", not_found, name="not-found"),
]
