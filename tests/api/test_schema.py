"""The OpenAPI schema is valid and complete (drf-spectacular's own check, warnings as errors),
describes every error in the one shape, and its documentation page serves its files locally."""

import pytest
import yaml
from django.contrib.staticfiles import finders
from django.core.management import call_command

from api.errors import ErrorSerializer


@pytest.fixture(scope="module")
def schema(tmp_path_factory):
    path = tmp_path_factory.mktemp("schema") / "schema.yml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(path))
    return yaml.safe_load(path.read_text())


def test_the_schema_is_valid_without_a_warning(schema):
    assert schema["openapi"].startswith("3.")
    assert schema["paths"]


def test_every_operation_describes_its_errors_as_the_error_component(schema):
    assert set(schema["components"]["schemas"]["Error"]["properties"]) == set(
        ErrorSerializer().fields)
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            assert {"400", "401", "403"} <= set(responses), (method, path)
            if "{" in path:
                assert "404" in responses, (method, path)
            if method in ("post", "put", "patch"):
                assert {"413", "415"} <= set(responses), (method, path)
            for code, response in responses.items():
                if code.startswith(("4", "5")) and code != "405":
                    assert response["content"]["application/json"]["schema"] == {
                        "$ref": "#/components/schemas/Error"}, (method, path, code)


def test_every_parameter_is_described(schema):
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            for parameter in operation.get("parameters", []):
                assert parameter.get("description"), (method, path, parameter["name"])


def test_the_incident_list_documents_its_filters_and_enums(schema):
    parameters = {p["name"]: p for p in schema["paths"]["/api/v1/incidents/"]["get"]
                  ["parameters"]}
    assert {"team", "origin", "visibility", "platform", "primary_cause", "cause", "severity",
            "status", "organization", "occurred_after", "occurred_before", "q", "archived",
            "ordering", "after", "before", "page_size"} <= set(parameters)
    assert set(parameters["ordering"]["schema"]["enum"]) == {
        "occurred_on", "-occurred_on", "severity", "-severity", "created_at", "-created_at"}
    assert set(parameters["archived"]["schema"]["enum"]) == {"true", "false", "all"}
    assert "critical" in parameters["severity"]["schema"]["enum"]


def test_the_schema_and_docs_are_served_and_the_docs_use_local_assets(client):
    assert client.get("/api/v1/schema/").status_code == 200
    response = client.get("/api/v1/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in html
    assert "cdn." not in html
    for name in ("swagger-ui-bundle.js", "swagger-ui.css"):
        assert finders.find(f"drf_spectacular_sidecar/swagger-ui-dist/{name}")


def test_the_incident_list_describes_its_csv(schema):
    operation = schema["paths"]["/api/v1/incidents/"]["get"]
    parameters = {p["name"]: p for p in operation["parameters"]}
    assert set(parameters["format"]["schema"]["enum"]) == {"json", "csv"}
    assert "whole filtered list" in parameters["format"]["description"]
    content = operation["responses"]["200"]["content"]
    assert content["text/csv"]["schema"] == {"type": "string"}
    assert content["application/json"]["schema"] == {
        "$ref": "#/components/schemas/PaginatedIncidentList"}


def test_the_metrics_document_their_period_and_answers(schema):
    operation = schema["paths"]["/api/v1/teams/{slug}/metrics/"]["get"]
    parameters = {p["name"]: p for p in operation["parameters"]}
    assert set(parameters) == {"slug", "period", "from", "to"}
    assert parameters["period"]["schema"] == {"type": "string", "enum": ["12m", "30d", "90d"],
                                              "default": "90d"}
    assert parameters["from"]["schema"] == parameters["to"]["schema"] == {
        "type": "string", "format": "date"}
    assert {"200", "400", "404"} <= set(operation["responses"])
    assert operation["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/TeamMetrics"}
    components = schema["components"]["schemas"]
    team = components["TeamMetrics"]
    assert list(team["properties"]) == [
        "team", "from", "to", "incidents", "incidents_per_week", "causes", "learnings",
        "action_items", "learning_ratio", "repeat_causes", "median_minutes_to_first_response",
        "mean_response_score", "recent_incidents", "recent_learnings"]
    for name in ("learning_ratio", "mean_response_score"):
        assert (team["properties"][name]["type"], team["properties"][name]["nullable"]) == (
            "number", True)

    library = schema["paths"]["/api/v1/library/metrics/"]["get"]
    assert "parameters" not in library
    assert library["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/LibraryMetrics"}
    assert list(components["LibraryMetrics"]["properties"]) == [
        "incidents", "causes_by_year", "platforms", "organizations", "response_by_severity",
        "score_by_cause"]
    assert components["CauseScore"]["properties"]["mean_response_score"]["type"] == "number"
