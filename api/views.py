"""What every viewset of the API shares, and the answer for a path that names no endpoint."""

from django.http import JsonResponse
from django.urls import Resolver404, resolve
from django.utils.cache import patch_cache_control
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework import viewsets
from rest_framework.exceptions import MethodNotAllowed
from rest_framework.renderers import JSONRenderer

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
    to the API's names (api.errors)."""

    lookup_value_regex = "[^/]+"
    service_fields: dict[str, str] = {}
    # Why a method is not an operation here, by method ("delete": nothing is deleted). Such a
    # method is not routed, so the schema does not list it; a call is a 405 in the API's
    # error shape, with `Allow` naming the methods that are answered.
    not_allowed: dict[str, str] = {}

    def http_method_not_allowed(self, request, *args, **kwargs):
        raise MethodNotAllowed(request.method,
                               detail=self.not_allowed.get(request.method.lower()))

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        # A team's private data, whether the caller came with a session or a token: no
        # shared cache may keep it (the pages say the same: PrivateCacheMiddleware).
        patch_cache_control(response, private=True, no_store=True)
        return response


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
