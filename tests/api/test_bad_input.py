"""Bad input is a 400 (or 413) naming the field, query parameter or header at fault, in the
API's one error shape; never a 500."""

import base64
import json

import pytest
from django.test import override_settings

from incidents.models import Incident

LIST = "/api/v1/incidents/"


def new_incident(**overrides) -> dict:
    body = {"title": "Hashtag hijacked", "organization": "Acme Air", "platform": "twitter",
            "occurred_on": "2026-10-03", "primary_cause": "participation-hijacked"}
    body.update(overrides)
    return body


def refused(response, *names: str) -> dict:
    assert response.status_code == 400, response.content
    body = response.json()
    assert set(body) == {"detail", "errors"}
    assert list(body["errors"]) == list(names)
    assert all(isinstance(m, str) and m for ms in body["errors"].values() for m in ms)
    return body


@pytest.mark.parametrize(("body", "field"), [
    (new_incident(title=["a list"]), "title"),
    (new_incident(title=""), "title"),
    (new_incident(title="x" * 201), "title"),
    (new_incident(occurred_on="yesterday"), "occurred_on"),
    (new_incident(occurred_on="1989-12-31"), "occurred_on"),
    (new_incident(occurred_on=20261003), "occurred_on"),
    (new_incident(platform="myspace"), "platform"),
    (new_incident(severity="apocalyptic"), "severity"),
    (new_incident(primary_cause="bad-luck"), "primary_cause"),
    (new_incident(primary_cause=7), "primary_cause"),
    (new_incident(contributing_causes=["insensitive-timing", "bad-luck"]),
     "contributing_causes"),
    (new_incident(contributing_causes="insensitive-timing"), "contributing_causes"),
    (new_incident(factors=[{"slug": "x"}]), "factors"),
    (new_incident(context=["weather"]), "context.0"),
    (new_incident(context="tragedy"), "context"),
    (new_incident(acknowledged="maybe"), "acknowledged"),
    (new_incident(detected_at="not a time"), "detected_at"),
    (new_incident(detected_at="2999-01-01T00:00:00Z"), "detected_at"),
    (new_incident(summary="x" * 20_001), "summary"),
    (new_incident(title="nul \u0000 inside"), "title"),
    (new_incident(primary_cause="nul\u0000"), "primary_cause"),
    (new_incident(organization={"slug": "acme"}), "organization"),
    (new_incident(team=["comms"]), "team"),
])
def test_a_bad_field_is_a_400_naming_it(api, member, body, field):
    refused(api(member).post(LIST, body, format="json"), field)
    assert not Incident.objects.exists()


def test_a_missing_field_is_named(api, member):
    body = new_incident()
    del body["platform"]
    refused(api(member).post(LIST, body, format="json"), "platform")


@pytest.mark.parametrize("raw", [b"{not json", b"[1, 2]", b'"a string"', b"null", b"\xff\xfe"])
def test_a_body_that_is_not_a_json_object_is_a_400(api, member, raw):
    response = api(member).generic("POST", LIST, raw, content_type="application/json")
    body = refused(response, *(["body"] if raw in (b"{not json", b"\xff\xfe") else
                               ["non_field_errors"]))
    assert body["detail"]


def test_a_body_that_is_not_json_is_a_415(api, member):
    response = api(member).post(LIST, "title=x", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 415
    assert set(response.json()) == {"detail", "errors"}


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1_000)
def test_a_body_too_large_is_a_413(api, member):
    response = api(member).post(LIST, new_incident(summary="x" * 2_000), format="json")
    assert response.status_code == 413
    assert response.json() == {"detail": "The request body is larger than 1,000 bytes.",
                               "errors": {}}


@pytest.mark.parametrize(("params", "name"), [
    ({"severity": "huge"}, "severity"),
    ({"platform": "myspace"}, "platform"),
    ({"status": "done"}, "status"),
    ({"origin": "mine"}, "origin"),
    ({"visibility": "public"}, "visibility"),
    ({"cause": "bad-luck"}, "cause"),
    ({"primary_cause": "bad-luck"}, "primary_cause"),
    ({"ordering": "title"}, "ordering"),
    ({"archived": "maybe"}, "archived"),
    ({"team": "nope"}, "team"),
    ({"organization": "nope"}, "organization"),
    ({"occurred_after": "soon"}, "occurred_after"),
    ({"occurred_after": "2026-02-01", "occurred_before": "2026-01-01"}, "occurred_after"),
    ({"period": "forever"}, "period"),
    ({"after": "garbled"}, "after"),
    ({"before": "eyJ4Ijox"}, "before"),
    ({"page_size": "0"}, "page_size"),
    ({"page_size": "201"}, "page_size"),
    ({"page_size": "ten"}, "page_size"),
    ({"page_size": "²"}, "page_size"),
    ({"q": "nul\u0000"}, "q"),
])
def test_a_bad_query_parameter_is_a_400_naming_it(api, member, private_incident, params,
                                                  name):
    refused(api(member).get(LIST, params), name)


@pytest.mark.parametrize("path", [
    "not-a-uuid/", "12345678-1234-1234-1234-1234567890ab/", "not-a-uuid/sources/",
    "not-a-uuid/timeline/", "not-a-uuid/archive/",
])
def test_an_id_that_names_nothing_is_a_json_404(api, member, path):
    method = "post" if path.endswith("archive/") else "get"
    response = getattr(api(member), method)(f"{LIST}{path}")
    assert response.status_code == 404
    assert set(response.json()) == {"detail", "errors"}


def test_a_nested_id_that_is_not_a_uuid_is_a_404(api, member, private_incident):
    base = f"{LIST}{private_incident.public_id}"
    for path in (f"{base}/sources/nope/", f"{base}/timeline/nope/"):
        response = api(member).delete(path)
        assert response.status_code == 404
        assert set(response.json()) == {"detail", "errors"}


@pytest.mark.parametrize(("body", "field"), [
    ({"url": "javascript:alert(1)"}, "url"),
    ({"url": "https://x.example/" + "a" * 1_000}, "url"),
    ({"url": "https://news.example.com/a", "kind": "rumour"}, "kind"),
    ({}, "url"),
])
def test_a_bad_source_is_a_400_naming_the_field(api, member, private_incident, body, field):
    refused(api(member).post(f"{LIST}{private_incident.public_id}/sources/", body,
                             format="json"), field)


@pytest.mark.parametrize(("body", "field"), [
    ({"at": "2026-10-01T10:00:00Z", "kind": "gossip", "text": "x"}, "kind"),
    ({"at": "1980-01-01T10:00:00Z", "text": "x"}, "at"),
    ({"at": "2026-10-01T10:00:00Z", "text": ""}, "text"),
    ({"at": "2026-10-01T10:00:00Z", "text": "x", "url": "ftp://files.example.com/a"}, "url"),
])
def test_a_bad_timeline_entry_is_a_400_naming_the_field(api, member, private_incident, body,
                                                        field):
    refused(api(member).post(f"{LIST}{private_incident.public_id}/timeline/", body,
                             format="json"), field)


def cursor(values) -> str:
    raw = json.dumps(values).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@pytest.mark.parametrize(("params", "name"), [
    ({"after": cursor([["v", "abc"], ["v", "x"], ["v", "abc"]])}, "after"),
    ({"after": cursor([["d", "2026-01-01"], ["t", "2026-01-01T00:00:00+00:00"],
                       ["v", "abc"]])}, "after"),
    ({"before": cursor([["d", "2026-01-01"], ["v", 3]])}, "before"),
    ({"ordering": "severity", "after": cursor([["v", "high"], ["d", "2026-01-01"],
                                               ["v", 1]])}, "after"),
    ({"q": "slip", "after": cursor([["v", "best"], ["d", "2026-01-01"], ["v", 1]])}, "after"),
])
def test_a_hand_made_cursor_of_the_wrong_kind_is_a_400(api, member, private_incident, params,
                                                       name):
    refused(api(member).get(LIST, params), name)


def test_a_cursor_for_a_row_that_is_gone_reads_on(api, member, private_incident):
    params = {"after": cursor([["d", "2026-01-01"], ["t", "2026-01-01T00:00:00+00:00"],
                               ["v", 10 ** 30]])}
    response = api(member).get(LIST, params)
    assert response.status_code == 200


@pytest.mark.parametrize("method", ["get", "post", "patch", "delete"])
def test_a_path_that_names_no_endpoint_is_a_json_404(api, member, method):
    response = getattr(api(member), method)("/api/v1/nothing-here/")
    assert response.status_code == 404
    assert response.json() == {"detail": "No such endpoint: see /api/v1/docs/.", "errors": {}}


def test_a_path_without_its_slash_says_so(api, member):
    response = api(member).post("/api/v1/incidents", {}, format="json")
    assert response.status_code == 404
    assert response.json()["detail"] == (
        "No such endpoint: paths end with a slash (/api/v1/incidents/).")


ODD_VALUES = [None, [], {}, 1e308, -1, True, "", "\u0000", "x" * 5_000, "0001-01-01",
              "9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00+14:00", ["\u0000"], [None],
              [{}], "-", "team", "   "]


def test_no_odd_value_of_any_field_is_a_500(api, member, private_incident):
    from api.incidents.serializers import IncidentInputSerializer

    client = api(member)
    for name in IncidentInputSerializer().fields:
        for value in ODD_VALUES:
            created = client.post(LIST, new_incident(**{name: value}), format="json")
            changed = client.patch(f"{LIST}{private_incident.public_id}/", {name: value},
                                   format="json")
            assert created.status_code in (201, 400), (name, value, created.content)
            assert changed.status_code in (200, 400), (name, value, changed.content)


def test_no_odd_value_of_any_filter_is_a_500(api, member, private_incident):
    from api.incidents.filters import IncidentApiFilter

    client = api(member)
    for name in [*IncidentApiFilter.base_filters, "after", "before", "page_size"]:
        for value in ["", "x", "-1", "0001-01-01", "9999-12-31", "x" * 3_000, "%", "'", "[]"]:
            response = client.get(LIST, {name: value})
            assert response.status_code in (200, 400), (name, value, response.content)


@pytest.mark.parametrize(("path", "params", "formats"), [
    (LIST, {"format": "xml"}, "json or csv"),
    (LIST + "00000000-0000-0000-0000-000000000000/", {"format": "csv"}, "json"),
    ("/api/v1/schema/", {"format": "csv"}, "yaml or json"),
])
def test_an_unknown_format_is_a_400_naming_it(api, member, path, params, formats):
    response = api(member).get(path, params)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "detail": f"format: Not a format of this endpoint: give {formats}.",
        "errors": {"format": [f"Not a format of this endpoint: give {formats}."]}}


METRICS = "/api/v1/teams/comms/metrics/"


@pytest.mark.parametrize(("params", "name"), [
    ({"period": "forever"}, "period"),
    ({"period": "30d", "to": "2026-01-01"}, "period"),
    ({"from": "2026-02-30", "to": "2026-03-01"}, "from"),
    ({"from": "2026-01-01"}, "to"),
    ({"from": "2026-03-01", "to": "2026-02-01"}, "from"),
    ({"from": "2026-01-01", "to": "9999-12-31"}, "to"),
    ({"from": "0001-01-01", "to": "2026-01-01"}, "from"),
])
def test_a_bad_period_of_the_metrics_is_a_400_naming_it(api, member, params, name):
    refused(api(member).get(METRICS, params), name)


def test_no_odd_value_of_a_metrics_parameter_is_a_500(api, member, private_incident):
    client = api(member)
    for name in ("period", "from", "to"):
        for value in ["", "x", "-1", "0001-01-01", "9999-12-31", "x" * 3_000, "%", "'", "[]",
                      "12m", "2026-W01-1", "20260101", "2026-01-01T00:00", "²⁰²⁶-01-01"]:
            for other in ({}, {"from": "2026-01-01"}, {"to": "2026-01-01"}):
                response = client.get(METRICS, {**other, name: value})
                assert response.status_code in (200, 400), (name, value, response.content)
