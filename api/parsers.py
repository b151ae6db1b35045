"""The API reads JSON bodies only, and no larger than Django's own limit for a request body
(DATA_UPLOAD_MAX_MEMORY_SIZE): DRF reads the stream itself, past Django's check."""

from django.conf import settings
from rest_framework.parsers import JSONParser

from .errors import RequestTooLarge, too_large_message


class LimitedJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if limit is not None and stream is not None:
            request = (parser_context or {}).get("request")
            length = request.META.get("CONTENT_LENGTH") if request is not None else None
            if length and length.isdigit() and int(length) > limit:
                raise RequestTooLarge(too_large_message())
        return super().parse(stream, media_type, parser_context)
