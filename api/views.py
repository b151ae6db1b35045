"""What every viewset of the API shares, and the answer for a path that names no endpoint."""

from collections.abc import Callable
from typing import Any

from django.http import JsonResponse
from django.urls import Resolver404, resolve
from django.utils.cache import patch_cache_control
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.utils import extend_schema, extend_schema_view
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework import status, viewsets
from rest_framework.exceptions import MethodNotAllowed
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from . import access
from .csv import FORMAT_PARAMETER, csv_responses
from .errors import form_errors
from .schema import filter_parameters

NO_ENDPOINT = "No such endpoint: see /api/v1/docs/."
ADD_THE_SLASH = "No such endpoint: paths end with a slash ({path}/)."


class JsonErrors:
    """Errors in JSON, whatever the success would have been in (a list's CSV, the schema's
    YAML): a 400, 401 or 429 is the same `Error` everywhere."""

    def finalize_response(self, request, response, *args, **kwargs):
        # No renderer yet: the negotiation itself failed (an unknown ?format=).
        renderer = getattr(request, "accepted_renderer", None)
        if response.status_code >= 400 and (renderer is None
                                            or renderer.format not in ("json", "api")):
            request.accepted_renderer = JSONRenderer()
            request.accepted_media_type = JSONRenderer.media_type
        return super().finalize_response(request, response, *args, **kwargs)


class SchemaView(JsonErrors, SpectacularAPIView):
    """The OpenAPI schema (YAML, or JSON with ?format=json); its errors in JSON."""


class DocsView(JsonErrors, SpectacularSwaggerView):
    """Swagger UI over the schema; its errors (a 429) in JSON."""


class ApiViewSet(JsonErrors, viewsets.GenericViewSet):
    """A resource of the API. Subclasses name their serializers per action and read through
    selectors with api.access; `service_fields` renames a service's ValidationError fields
    to the API's names (api.errors).

    A resource read by its selectors declares them, and the viewset does the rest:

    - `input_serializer` parses create and update bodies, `output_serializer` writes every
      answer (get_serializer_class, for the browsable API's forms, chooses between them);
    - `read_one(request, lookup)` is the one object the caller may read, or a 404: the
      object of a detail route, and what a write answers with, read again (`show`);
    - `read_list(user=…/team=…, filters=…, filterset_class=…)` is the list's filterset
      selector and `filterset_class` its API FilterSet: list() refuses bad filters as a 400,
      then answers the whole list as CSV (with CsvExportMixin) or a keyset page of JSON. Its
      schema is made from them: a query parameter per filter, described by
      `filter_descriptions`, `?format=` and `list_description`.
    """

    lookup_value_regex = "[^/]+"
    service_fields: dict[str, str] = {}
    # Why a method is not an operation here, by method ("delete": nothing is deleted). Such a
    # method is not routed, so the schema does not list it; a call is a 405 in the API's
    # error shape, with `Allow` naming the methods that are answered.
    not_allowed: dict[str, str] = {}

    input_serializer: type | None = None
    output_serializer: type | None = None
    # staticmethod(...): called as read_one(request, lookup_value).
    read_one: Callable[[Any, str], Any] | None = None
    # staticmethod(...): a selector giving the list's filterset.
    read_list: Callable[..., Any] | None = None
    filterset_class: type | None = None
    filter_descriptions: dict[str, str] = {}
    list_description: str | None = None

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        # The list's schema, from the declarations, unless the class writes list() itself.
        if cls.filterset_class is not None and "list" not in cls.__dict__:
            extend_schema_view(list=extend_schema(
                parameters=[*filter_parameters(cls.filterset_class, cls.filter_descriptions),
                            FORMAT_PARAMETER],
                responses=csv_responses(cls.output_serializer(many=True)),
                description=cls.list_description))(cls)

    def http_method_not_allowed(self, request, *args, **kwargs):
        raise MethodNotAllowed(request.method,
                               detail=self.not_allowed.get(request.method.lower()))

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        # A team's private data, whether the caller came with a session or a token: no
        # shared cache may keep it (the pages say the same: PrivateCacheMiddleware).
        patch_cache_control(response, private=True, no_store=True)
        return response

    def get_serializer_class(self):
        if self.input_serializer is not None and self.action in (
                "create", "update", "partial_update"):
            return self.input_serializer
        if self.output_serializer is not None:
            return self.output_serializer
        return super().get_serializer_class()

    def get_object(self):
        if self.read_one is None:
            return super().get_object()
        return self.read_one(self.request, self.kwargs[self.lookup_field])

    def output(self, obj, status_code=status.HTTP_200_OK) -> Response:
        """The object as output_serializer writes it."""
        return Response(self.output_serializer(obj, context=self.get_serializer_context()).data,
                        status=status_code)

    def show(self, obj, status_code=status.HTTP_200_OK) -> Response:
        """After a write: the object read again through its selector (what the services
        derived, with every relation)."""
        fresh = self.read_one(self.request, str(getattr(obj, self.lookup_field)))
        return self.output(fresh, status_code)

    def wants_csv(self) -> bool:
        # CsvExportMixin says yes to ?format=csv.
        return False

    def csv_rows(self, rows, filterset):
        """The list's rows as the CSV reads them (a subclass may annotate them)."""
        return rows

    def page_of_rows(self, rows):
        """One page of the list's rows, as output_serializer writes them."""
        return self.paginate_queryset(rows)

    # No docstring: the schema describes the list by list_description or the class's.
    def list(self, request, *args, **kwargs):
        reader = access.reader(request)
        filterset = self.read_list(**reader.scope, filters=request.query_params,
                                   filterset_class=self.filterset_class)
        if not filterset.is_valid():
            raise form_errors(filterset.form)
        rows = reader.narrow(filterset.qs)
        if self.wants_csv():
            return self.csv_export.response(self.csv_rows(rows, filterset), request)
        return self.get_paginated_response(self.output_serializer(
            self.page_of_rows(rows), many=True, context=self.get_serializer_context()).data)


@csrf_exempt  # it changes nothing, whatever the method
def not_found(request, path: str = ""):
    """A path under /api/v1/ that names no endpoint: a 404 in the API's error shape."""
    detail = NO_ENDPOINT
    if not request.path.endswith("/"):
        try:
            resolve(request.path + "/")
        except Resolver404:
            pass
        else:
            detail = ADD_THE_SLASH.format(path=request.path)
    return JsonResponse({"detail": detail, "errors": {}}, status=404)
