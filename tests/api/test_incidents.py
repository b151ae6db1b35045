"""/api/v1/incidents/: what an incident looks like in JSON, and creating, changing,
archiving and restoring it through the API, with the same validation, history and
idempotency as the pages (the services'), and sources and timeline entries under it."""

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from incidents.history import incident_history
from incidents.models import Factor, Incident, Organization
from tests.factories import (
    IncidentFactory,
    IncidentSourceFactory,
    MembershipFactory,
    OrganizationFactory,
    TeamFactory,
    cause,
)

LIST = "/api/v1/incidents/"
TESTSERVER = "http://testserver"


def detail(incident) -> str:
    return f"{LIST}{incident.public_id}/"


def actions(incident, reader) -> list[str]:
    """What the incident's History says was done, newest first (common.history)."""
    return [entry.action for entry in incident_history(incident, reader=reader)]


def new_incident(**overrides) -> dict:
    body = {"title": "Hashtag hijacked by critics", "organization": "Acme Air",
            "platform": "twitter", "occurred_on": "2026-10-03",
            "primary_cause": "participation-hijacked"}
    body.update(overrides)
    return body


@pytest.fixture
def described(private_incident):
    """A private incident with every kind of field filled in."""
    incident = private_incident
    incident.contributing_causes.set([cause("insensitive-timing"), cause("unchecked-trend")])
    incident.context = ["tragedy"]
    incident.acknowledged = True
    incident.detected_at = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)
    incident.save()
    IncidentSourceFactory(incident=incident, source__url="https://news.example.com/acme",
                          kind="post", title="The post")
    return incident


def test_an_incident_in_json_carries_every_field_of_the_contract(api, member, described):
    body = api(member).get(detail(described)).json()
    incident = described
    link = incident.source_links.get()
    assert body == {
        "id": str(incident.public_id), "team": "comms", "origin": "own", "visibility": "team",
        "organization": {"slug": incident.organization.slug,
                         "name": incident.organization.name},
        "title": "Private slip about the spring sale", "summary": "A post went wrong.",
        "platform": "twitter", "occurred_on": "2026-10-01",
        "detected_at": "2026-10-01T09:00:00Z", "first_response_at": None,
        "resolved_at": None, "status": "open", "severity": "medium",
        "primary_cause": "production-slip",
        "contributing_causes": ["insensitive-timing", "unchecked-trend"], "factors": [],
        "context": ["tragedy"], "actor": "unknown",
        "acknowledged": True, "apologized": False, "explained_fix": False,
        "asked_for_help": False, "deleted_silently": False, "defensive": False,
        "blamed_others": False, "response_score": 0,
        "sources": [{"id": str(link.source.public_id), "url": "https://news.example.com/acme",
                     "platform": "website", "kind": "post", "title": "The post",
                     "captured_at": None,
                     "created_at": link.created_at.isoformat().replace("+00:00", "Z")}],
        "archived": False,
        "created_at": incident.created_at.isoformat().replace("+00:00", "Z"),
        "updated_at": Incident.objects.get(pk=incident.pk).updated_at.isoformat()
        .replace("+00:00", "Z"),
        "url": f"{TESTSERVER}/incidents/{incident.public_id}/",
        "history_url": f"{TESTSERVER}/incidents/{incident.public_id}/history/",
    }


def test_each_row_of_the_list_is_the_incident_as_its_detail_shows_it(member, described, team):
    # The list writes its rows from values read once per page; the detail from the incident's
    # prefetched relations: the same JSON, in the reader's time zone too.
    member.timezone = "Asia/Kolkata"
    member.save()
    described.factors.set(Factor.objects.order_by("-name")[:3])
    IncidentSourceFactory(incident=described, kind="screenshot", title="",
                          captured_at=datetime(2026, 10, 2, 8, 30, tzinfo=UTC))
    bare = IncidentFactory(team=team, visibility="library")
    client = APIClient()
    client.force_login(member)  # signed in in the browser: times in the member's zone

    rows = client.get(LIST).json()["results"]

    assert [row["id"] for row in rows] == [str(bare.public_id), str(described.public_id)]
    assert rows == [client.get(detail(bare)).json(), client.get(detail(described)).json()]
    assert (len(rows[1]["sources"]), len(rows[1]["factors"])) == (2, 3)
    assert rows[1]["sources"][1]["captured_at"] == "2026-10-02T14:00:00+05:30"


def test_creating_logs_it_through_the_service_with_its_history(api, member, team):
    response = api(member).post(LIST, new_incident(
        contributing_causes=["insensitive-timing"], context=["tragedy"], apologized=True,
        severity="high"), format="json")
    assert response.status_code == 201
    body = response.json()
    incident = Incident.objects.get(public_id=body["id"])
    assert (incident.team, incident.created_by, incident.visibility) == (team, member, "team")
    assert body["organization"]["name"] == "Acme Air"
    assert body["contributing_causes"] == ["insensitive-timing"]
    assert body["response_score"] == 1  # derived by the service
    assert actions(incident, member) == ["logged it"]


def test_the_same_idempotency_key_logs_once(api, member):
    client, key = api(member), str(uuid.uuid4())
    first = client.post(LIST, new_incident(), format="json", HTTP_IDEMPOTENCY_KEY=key)
    again = client.post(LIST, new_incident(), format="json", HTTP_IDEMPOTENCY_KEY=key)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    assert Incident.objects.filter(title="Hashtag hijacked by critics").count() == 1


def test_an_idempotency_key_that_is_not_a_uuid_is_a_400_naming_the_header(api, member):
    response = api(member).post(LIST, new_incident(), format="json",
                                HTTP_IDEMPOTENCY_KEY="twice")
    assert response.status_code == 400
    assert response.json()["errors"] == {"Idempotency-Key": ["Give a UUID."]}
    assert not Incident.objects.exists()


def test_the_services_validation_answers_by_field(api, member, team):
    tomorrow = (date.today() + timedelta(days=3)).isoformat()
    response = api(member).post(LIST, new_incident(occurred_on=tomorrow), format="json")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["occurred_on"]
    assert not Incident.objects.exists()


def test_resolved_before_detected_is_refused_as_the_page_refuses_it(api, member,
                                                                    private_incident):
    response = api(member).patch(detail(private_incident), {
        "detected_at": "2026-10-02T10:00:00Z", "resolved_at": "2026-10-02T09:00:00Z"},
        format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "resolved_at": ["Resolved can't be before it was detected."]}


def test_patch_changes_only_what_it_names_and_leaves_one_history_record(
        api, member, private_incident):
    response = api(member).patch(detail(private_incident), {
        "title": "Renamed", "factors": ["no-approval-step"], "status": "closed"},
        format="json")
    assert response.status_code == 200
    incident = Incident.objects.get(pk=private_incident.pk)
    assert (incident.title, incident.status, incident.severity) == ("Renamed", "closed",
                                                                    "medium")
    assert response.json()["factors"] == ["no-approval-step"]
    history = incident_history(incident, reader=member)
    assert history[0].action == "changed"
    assert {change.field for change in history[0].changes} == {"title", "status", "factors"}


def test_put_needs_the_required_fields(api, member, private_incident):
    response = api(member).put(detail(private_incident), {"title": "Only a title"},
                               format="json")
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"organization", "platform", "occurred_on",
                                              "primary_cause"}


def test_the_team_of_an_incident_cannot_change(api, member, team, private_incident):
    second = TeamFactory(name="Second", slug="second")
    MembershipFactory(team=second, user=member, role="member")
    response = api(member).patch(detail(private_incident), {"team": "second"}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == {"team": ["An incident's team cannot change."]}


def test_archive_and_restore_leave_history(api, member, private_incident):
    client = api(member)
    archived = client.post(f"{detail(private_incident)}archive/")
    assert archived.status_code == 200
    assert archived.json()["archived"] is True
    restored = client.post(f"{detail(private_incident)}restore/")
    assert restored.status_code == 200
    assert restored.json()["archived"] is False
    assert actions(Incident.objects.get(pk=private_incident.pk), member)[:2] == [
        "restored it", "archived it"]


def test_delete_is_refused_and_nothing_is_deleted(api, member, private_incident):
    response = api(member).delete(detail(private_incident))
    assert response.status_code == 405
    assert "archive" in response.json()["detail"]
    assert Incident.objects.filter(pk=private_incident.pk).exists()


def test_several_teams_must_say_which_team_logs_it(api, member, team):
    MembershipFactory(team=TeamFactory(name="Second", slug="second"), user=member,
                      role="member")
    client = api(member)
    response = client.post(LIST, new_incident(), format="json")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["team"]
    response = client.post(LIST, new_incident(team="second"), format="json")
    assert response.status_code == 201
    assert response.json()["team"] == "second"


def test_a_team_the_caller_is_not_in_is_refused_alike_whether_it_exists_or_not(
        api, member, other_team):
    client = api(member)
    existing = client.post(LIST, new_incident(team=other_team.slug), format="json")
    missing = client.post(LIST, new_incident(team="no-such-team"), format="json")
    assert existing.status_code == missing.status_code == 400
    assert existing.json() == missing.json()
    assert existing.json()["errors"] == {"team": ["None of your teams has this slug."]}


def test_an_organisation_is_named_by_slug_or_by_a_new_name(api, member, team):
    shared = OrganizationFactory(name="Globex", slug="globex")
    own = Organization.objects.create(name="Initech", slug="initech-k3x9q2mz", team=team)
    client = api(member)
    by_slug = client.post(LIST, new_incident(organization="globex", visibility="team"),
                          format="json").json()
    by_private_slug = client.post(LIST, new_incident(organization="initech-k3x9q2mz",
                                                     title="Another"), format="json").json()
    new = client.post(LIST, new_incident(organization="Brand New Co", title="Third"),
                      format="json").json()
    assert by_slug["organization"] == {"slug": "globex", "name": shared.name}
    assert by_private_slug["organization"] == {"slug": own.slug, "name": "Initech"}
    assert new["organization"]["name"] == "Brand New Co"


def test_another_teams_private_organisation_slug_is_refused_as_an_unknown_one(
        api, member, other_team):
    Organization.objects.create(name="Hidden", slug="hidden-q7w8e9r0", team=other_team)
    client = api(member)
    theirs = client.post(LIST, new_incident(organization="hidden-q7w8e9r0"), format="json")
    unknown = client.post(LIST, new_incident(organization="nothing-a1b2c3d4"), format="json")
    assert theirs.status_code == unknown.status_code == 400
    assert theirs.json() == unknown.json()
    assert list(theirs.json()["errors"]) == ["organization"]
    assert not Incident.objects.exists()


def test_sources_are_added_listed_and_removed_through_the_services(
        api, member, private_incident):
    client = api(member)
    url = f"{detail(private_incident)}sources/"
    added = client.post(url, {"url": "https://news.example.com/a?utm_source=x",
                              "kind": "article", "title": "Coverage"}, format="json")
    assert added.status_code == 201
    assert added.json()["url"] == "https://news.example.com/a"  # normalised by the service
    again = client.post(url, {"url": "https://news.example.com/a"}, format="json")
    assert again.status_code == 400
    assert list(again.json()["errors"]) == ["url"]
    listed = client.get(url).json()
    assert [s["title"] for s in listed["results"]] == ["Coverage"]
    removed = client.delete(f"{url}{added.json()['id']}/")
    assert removed.status_code == 204
    assert client.get(url).json()["results"] == []
    assert actions(private_incident, member)[:2] == ["removed a source", "added a source"]


def test_a_response_on_the_timeline_moves_first_response_as_on_the_page(
        api, member, private_incident):
    client = api(member)
    url = f"{detail(private_incident)}timeline/"
    client.post(url, {"at": "2026-10-02T10:00:00Z", "kind": "note", "text": "Seen"},
                format="json")
    assert client.get(detail(private_incident)).json()["first_response_at"] is None
    apology = client.post(url, {"at": "2026-10-02T12:00:00Z", "kind": "apology",
                                "text": "We are sorry"}, format="json")
    assert apology.status_code == 201
    assert set(apology.json()) == {"id", "at", "kind", "text", "url"}
    assert client.get(detail(private_incident)).json()[
        "first_response_at"] == "2026-10-02T12:00:00Z"
    client.post(url, {"at": "2026-10-02T11:00:00Z", "kind": "response", "text": "Looking"},
                format="json")
    assert client.get(detail(private_incident)).json()[
        "first_response_at"] == "2026-10-02T11:00:00Z"
    listed = client.get(url).json()["results"]
    assert [e["kind"] for e in listed] == ["note", "response", "apology"]
    earliest = listed[1]["id"]
    assert client.delete(f"{url}{earliest}/").status_code == 204
    assert client.get(detail(private_incident)).json()[
        "first_response_at"] == "2026-10-02T12:00:00Z"


def test_a_timeline_entry_in_the_future_is_refused_naming_at(api, member, private_incident):
    later = (datetime.now(UTC) + timedelta(days=2)).isoformat()
    response = api(member).post(f"{detail(private_incident)}timeline/", {
        "at": later, "kind": "note", "text": "Soon"}, format="json")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["at"]


def test_session_writes_need_the_csrf_token(member, private_incident):
    from rest_framework.test import APIClient

    client = APIClient(enforce_csrf_checks=True)
    client.force_login(member)
    assert client.get(detail(private_incident)).status_code == 200
    response = client.patch(detail(private_incident), {"title": "No token"}, format="json")
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
    assert Incident.objects.get(pk=private_incident.pk).title != "No token"


def test_the_browsable_api_answers_a_browser(client, member, private_incident):
    client.force_login(member)
    for path in (LIST, detail(private_incident), reverse("api:api-root")):
        response = client.get(path, HTTP_ACCEPT="text/html")
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/html")


def test_options_describes_without_revealing(api, member, private_incident,
                                             outsider_private_incident):
    client = api(member)
    for path in (LIST, detail(private_incident), detail(outsider_private_incident),
                 f"{detail(private_incident)}timeline/"):
        response = client.options(path)
        assert response.status_code == 200
    assert "POST" in client.options(LIST).json()["actions"]
    # Another team's private incident is described as an id that names nothing.
    assert client.options(detail(outsider_private_incident)).json() == client.options(
        f"{LIST}{uuid.uuid4()}/").json()
