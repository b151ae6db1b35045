"""The schema documents the learning and action item filters with their enums, the status
and kind enums, and every new path."""

import pytest
import yaml
from django.core.management import call_command


@pytest.fixture(scope="module")
def schema(tmp_path_factory):
    path = tmp_path_factory.mktemp("schema") / "schema.yml"
    call_command("spectacular", "--file", str(path))
    return yaml.safe_load(path.read_text())


def parameters(schema, path: str) -> dict:
    return {p["name"]: p for p in schema["paths"][path]["get"]["parameters"]}


def test_every_new_path_is_in_the_schema(schema):
    for name in ("learnings", "action-items"):
        assert {f"/api/v1/{name}/", f"/api/v1/{name}/{{public_id}}/",
                f"/api/v1/{name}/{{public_id}}/archive/",
                f"/api/v1/{name}/{{public_id}}/restore/"} <= set(schema["paths"])
    for name in ("organizations", "root-causes", "factors", "teams"):
        assert set(schema["paths"][f"/api/v1/{name}/"]) == {"get"}
        assert set(schema["paths"][f"/api/v1/{name}/{{slug}}/"]) == {"get"}


def test_the_learning_list_documents_its_filters_and_enums(schema):
    found = parameters(schema, "/api/v1/learnings/")
    assert {"team", "status", "cause", "incident", "owner", "q", "archived", "ordering",
            "after", "before", "page_size"} <= set(found)
    assert set(found["status"]["schema"]["enum"]) == {"draft", "proposed", "adopted",
                                                      "retired"}
    assert set(found["archived"]["schema"]["enum"]) == {"true", "false", "all"}
    assert set(found["ordering"]["schema"]["enum"]) == {"-updated_at", "-created_at", "title"}


def test_the_action_item_list_documents_its_filters(schema):
    found = parameters(schema, "/api/v1/action-items/")
    assert {"learning", "owner", "done", "overdue", "archived"} <= set(found)
    assert set(found["overdue"]["schema"]["enum"]) == {"true", "false"}


def test_the_status_and_kind_enums_are_named(schema):
    components = schema["components"]["schemas"]
    assert components["LearningStatusEnum"]["enum"] == ["draft", "proposed", "adopted",
                                                         "retired"]
    assert components["ActionKindEnum"]["enum"] == ["preventive", "detective", "corrective"]
    learning = components["Learning"]["properties"]
    assert set(learning) == {"id", "team", "title", "lesson", "practice", "status", "owner",
                             "incidents", "causes", "adopted_at", "review_on", "created_at",
                             "updated_at", "archived", "url"}
    assert set(components["ActionItem"]["properties"]) == {
        "id", "learning", "title", "owner", "due_on", "kind", "done_at", "overdue",
        "archived", "url"}
