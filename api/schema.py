"""How the OpenAPI schema (drf-spectacular) describes what every view shares: the errors each
operation may answer, in the one shape of api/errors.py, and a list's filters, read from its
FilterSet so that the schema cannot drift from what the list accepts."""

import copy

import django_filters
from django import forms
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse

from .errors import ErrorSerializer

ERRORS = {
    "400": "Invalid input: `errors` names each field or query parameter at fault.",
    "401": "No credentials, or credentials that are not valid.",
    "403": "Not allowed: a viewer, a read-only token, a token limited to another team.",
    "404": "No such object, or one of another team's private objects.",
    "405": "This method is not answered here: `Allow` names those that are.",
    "413": "The request body is too large.",
    "415": "The body is not JSON: send it with Content-Type: application/json.",
    "429": "Too many requests: wait as long as Retry-After says.",
}


class ApiSchema(AutoSchema):
    """Adds the error responses an operation may give: 401 and 403 always; 400 where it takes
    parameters or a body; 404 on one object; 413 and 415 where it takes a body; 405 where the
    view says which methods answer it (`schema_405`); 429 where requests are throttled."""

    def _error_codes(self) -> list[str]:
        codes = ["400", "401", "403"]
        if "{" in self.path:
            codes.append("404")
        if self.method in ("POST", "PUT", "PATCH"):
            codes += ["413", "415"]
        if self.method in getattr(self.view, "schema_405", ()):
            codes.append("405")
        if self.view.get_throttles():
            codes.append("429")
        return codes

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        for code in self._error_codes():
            responses.setdefault(code, self._get_response_for_code(
                OpenApiResponse(ErrorSerializer, description=ERRORS[code]), code,
                direction=direction))
        return responses


def _filter_schema(spec: django_filters.Filter) -> tuple[type | str, list | None]:
    if isinstance(spec, django_filters.ModelChoiceFilter):
        return str, None
    # A copy: a filter of the class caches its form field, label and all, for every
    # FilterSet made from it; this one is made before any model gives the label.
    field = copy.deepcopy(spec).field
    if isinstance(field, forms.ChoiceField):
        return str, [value for value, _ in field.choices if value != ""]
    if isinstance(field, forms.DateField):
        return "date", None
    if isinstance(field, forms.BooleanField | forms.NullBooleanField):
        return bool, None
    return str, None


def filter_parameters(filterset_class, descriptions: dict[str, str]) -> list[OpenApiParameter]:
    """One query parameter per filter of the FilterSet, with its enum; every filter must be
    described in `descriptions` (a filter added without a word in the schema fails)."""
    types = {str: OpenApiTypes.STR, "date": OpenApiTypes.DATE, bool: OpenApiTypes.BOOL}
    parameters = []
    for name, spec in filterset_class.base_filters.items():
        if name not in descriptions:
            raise KeyError(f"Describe the filter {name!r} of {filterset_class.__name__}.")
        kind, enum = _filter_schema(spec)
        parameters.append(OpenApiParameter(name, types[kind], OpenApiParameter.QUERY,
                                           description=descriptions[name], enum=enum))
    return parameters

