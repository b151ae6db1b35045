"""The API's JSON written by orjson: the bytes DRF's JSONRenderer writes (compact, UTF-8,
U+2028 and U+2029 escaped, dates and times and lazy text as DRF's encoder writes them), in a
fraction of the time. Pretty-printed JSON (`Accept: application/json; indent=4`, the
browsable API) and anything orjson refuses are left to DRF's renderer."""

import orjson
from rest_framework import renderers
from rest_framework.utils.encoders import JSONEncoder

# Dates and times go to DRF's encoder (UTC written Z); so does what orjson does not know
# (lazy translations, Decimal, querysets, generators).
OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_NON_STR_KEYS
_drf_default = JSONEncoder().default


class JSONRenderer(renderers.JSONRenderer):
    def render(self, data, accepted_media_type=None, renderer_context=None):
        if data is None:
            return b""
        indent = self.get_indent(accepted_media_type, renderer_context or {})
        if indent is not None or self.ensure_ascii or not self.compact:
            return super().render(data, accepted_media_type, renderer_context)
        try:
            content = orjson.dumps(data, default=_drf_default, option=OPTIONS)
        except orjson.JSONEncodeError:
            return super().render(data, accepted_media_type, renderer_context)
        # As DRF does: JSON that is also a strict subset of JavaScript.
        return content.replace("\u2028".encode(), b"\\u2028").replace(
            "\u2029".encode(), b"\\u2029")
