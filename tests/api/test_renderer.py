"""The API's JSON renderer (orjson) writes the bytes DRF's own renderer writes."""

import uuid
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

from django.utils.translation import gettext_lazy
from rest_framework.exceptions import ErrorDetail
from rest_framework.renderers import JSONRenderer as DrfJSONRenderer
from rest_framework.utils.serializer_helpers import ReturnDict, ReturnList

from api.renderers import JSONRenderer

PAYLOAD = {
    "next": None,
    "results": ReturnList([ReturnDict({
        "id": uuid.UUID("12345678-1234-5678-1234-567812345678"),
        "title": "Café “quotes” \u2028 line \u2029 para </script> \\ \"",
        "occurred_on": date(2026, 10, 1),
        "created_at": datetime(2026, 10, 1, 9, 0, 0, 123456, tzinfo=UTC),
        "detected_at": datetime(2026, 10, 1, 9, 0, tzinfo=timezone(timedelta(hours=5, minutes=30))),
        "score": Decimal("1.50"), "count": 3, "ratio": 0.25, "flags": [True, False, None],
        "nested": {"causes": ("a", "b"), 7: "non-string key"},
    }, serializer=None)], serializer=None),
    "errors": {"title": [ErrorDetail("Too long.", code="max_length")],
               "detail": gettext_lazy("Not found.")},
}


def test_it_writes_what_drfs_renderer_writes():
    assert JSONRenderer().render(PAYLOAD) == DrfJSONRenderer().render(PAYLOAD)
    assert b"\\u2028" in JSONRenderer().render(PAYLOAD)


def test_pretty_printing_is_drfs():
    for accepted, context in [("application/json; indent=4", {}), (None, {"indent": 2})]:
        assert (JSONRenderer().render(PAYLOAD, accepted, context)
                == DrfJSONRenderer().render(PAYLOAD, accepted, context))
    assert JSONRenderer().render(None) == b""


def test_a_number_orjson_cannot_hold_is_written_by_drf():
    big = {"n": 2 ** 70}
    assert JSONRenderer().render(big) == DrfJSONRenderer().render(big)
    assert JSONRenderer().render(big) == b'{"n":1180591620717411303424}'
