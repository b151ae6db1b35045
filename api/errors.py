"""Every error the API answers has one shape, documented in the schema as `Error`:

    {"detail": "title: This field is required.", "errors": {"title": ["This field is required."]}}

`detail` says what went wrong in a sentence; `errors` maps each field, query parameter or
header at fault (dotted for an item of a list: "contributing_causes.1") to its messages, and
is empty when no one field is to blame (401, 403, 404, 405, 413, 415, 429). The same names are used
as in the input (a service's "organization_name" is the API's "organization").
"""

from collections.abc import Iterator

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions, serializers, status
from rest_framework.settings import api_settings

NON_FIELD = api_settings.NON_FIELD_ERRORS_KEY
# Malformed JSON, a body that is not an object: the body as a whole is at fault.
BODY = "body"


class ErrorSerializer(serializers.Serializer):
    """The body of every error response."""

    detail = serializers.CharField(help_text="What went wrong, in one sentence.")
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text="The messages of each field, query parameter or header at fault; empty "
                  "when none is.")


class RequestTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "too_large"


def too_large_message() -> str:
    return f"The request body is larger than {settings.DATA_UPLOAD_MAX_MEMORY_SIZE:,} bytes."


def field_errors(error: DjangoValidationError, renames: dict[str, str] | None = None
                 ) -> exceptions.ValidationError:
    """A service's ValidationError as the API's 400, its fields named as the API names them."""
    renames = renames or {}
    if not hasattr(error, "error_dict"):
        return exceptions.ValidationError({NON_FIELD: error.messages})
    return exceptions.ValidationError({
        NON_FIELD if name == NON_FIELD_ERRORS else renames.get(name, name): messages
        for name, messages in error.message_dict.items()
    })


def _flatten(data, prefix: str = "") -> Iterator[tuple[str, list[str]]]:
    if isinstance(data, dict):
        for key, value in data.items():
            yield from _flatten(value, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(data, list | tuple):
        if all(isinstance(item, str) for item in data):
            if data:
                yield prefix or NON_FIELD, [str(item) for item in data]
        else:
            for index, item in enumerate(data):
                yield from _flatten(item, f"{prefix}.{index}" if prefix else str(index))
    else:
        yield prefix or NON_FIELD, [str(data)]


def error_body(data) -> dict:
    """DRF's error data (a detail, or messages by field) in the API's one shape."""
    if isinstance(data, dict) and set(data) == {"detail"} and isinstance(data["detail"], str):
        return {"detail": str(data["detail"]), "errors": {}}
    errors: dict[str, list[str]] = {}
    for name, messages in _flatten(data):
        errors.setdefault(name, []).extend(messages)
    if not errors:
        return {"detail": "Invalid input.", "errors": {}}
    name, messages = next(iter(errors.items()))
    detail = messages[0] if name == NON_FIELD else f"{name}: {messages[0]}"
    if len(errors) > 1 or len(messages) > 1:
        detail += f" (and {sum(map(len, errors.values())) - 1} more)"
    return {"detail": detail, "errors": errors}


def exception_handler(exc, context):
    """DRF's handler, then the API's one shape. A service's ValidationError (which DRF would
    let through as a 500) is a 400 naming the fields as the view names them
    (`service_fields`); malformed JSON names the body."""
    # Here, not above: rest_framework.views reads the API settings, which name this module's
    # neighbours (api.parsers imports this module).
    from rest_framework.views import exception_handler as drf_exception_handler

    view = context.get("view")
    if isinstance(exc, DjangoValidationError):
        exc = field_errors(exc, getattr(view, "service_fields", None))
    elif isinstance(exc, RequestDataTooBig):
        # Django's own check of the body's size, when DRF reads the body through it.
        exc = RequestTooLarge(too_large_message())
    elif isinstance(exc, exceptions.ParseError):
        exc = exceptions.ValidationError({BODY: [str(exc.detail)]})
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
        # No credentials is a 401 whichever authentication came first (DRF answers 403 when
        # the first cannot name a scheme, as a session cannot). Clients send a token.
        response.status_code = status.HTTP_401_UNAUTHORIZED
        response.setdefault("WWW-Authenticate", 'Token realm="api"')
    response.data = error_body(response.data)
    return response


def form_errors(form) -> exceptions.ValidationError:
    """A Django form's errors (a FilterSet's: query parameters) as the API's 400."""
    return exceptions.ValidationError({
        NON_FIELD if name == NON_FIELD_ERRORS else name: [error["message"] for error in errors]
        for name, errors in form.errors.get_json_data().items()
    })
