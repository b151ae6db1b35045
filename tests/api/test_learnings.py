"""Learnings in the API: the JSON contract, writes through learnings.services (validation,
history, idempotency, the status steps), linking incidents, owners by email, filters."""

import uuid

import pytest

from accounts.models import Role
from incidents.models import Incident
from learnings.models import Learning
from learnings.services import learning_change_status, learning_create_from_incidents
from tests.factories import IncidentFactory, MembershipFactory, TeamFactory, cause

LIST = "/api/v1/learnings/"


def detail(learning) -> str:
    return f"{LIST}{learning.public_id}/"


@pytest.fixture
def drawn(member, team, private_incident, library_incident):
    """Comms' learning drawn from its own incident and a library one, owned by the member."""
    private_incident.contributing_causes.set([cause("insensitive-timing")])
    library_incident.primary_cause = cause("insensitive-timing")
    library_incident.save()
    learning, _ = learning_create_from_incidents(
        user=member, team=team, incident_ids=[private_incident.public_id,
                                              library_incident.public_id],
        title="Check the calendar before posting", lesson="We now know.",
        practice="We will check.", owner=member)
    return learning


def test_a_learning_in_json(api, member, drawn, private_incident, library_incident):
    response = api(member).get(detail(drawn))
    assert response.status_code == 200
    body = response.json()
    assert body == {
        "id": str(drawn.public_id),
        "team": "comms",
        "title": "Check the calendar before posting",
        "lesson": "We now know.",
        "practice": "We will check.",
        "status": "draft",
        "owner": "member@example.com",
        "incidents": body["incidents"],  # below, as a set
        # Insensitive timing: both incidents; production slip: one.
        "causes": ["insensitive-timing", "production-slip"],
        "adopted_at": None,
        "review_on": None,
        "created_at": body["created_at"],
        "updated_at": body["updated_at"],
        "archived": False,
        "url": f"http://testserver/learnings/{drawn.public_id}/",
    }
    assert set(body["incidents"]) == {str(private_incident.public_id),
                                      str(library_incident.public_id)}


def test_the_list_shows_the_same_rows(api, member, drawn):
    response = api(member).get(LIST)
    assert response.status_code == 200
    assert response.json()["results"] == [api(member).get(detail(drawn)).json()]
    assert response.json()["next"] is None


def test_create_drafts_a_learning_with_its_history(api, member, private_incident,
                                                   library_incident):
    response = api(member).post(LIST, {
        "title": "  Pause the queue  ", "incidents": [str(private_incident.public_id),
                                                      str(library_incident.public_id)],
        "owner": "MEMBER@example.com", "review_on": "2030-01-01"}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["team"], body["title"], body["status"], body["owner"], body["review_on"]) == (
        "comms", "Pause the queue", "draft", "member@example.com", "2030-01-01")
    learning = Learning.objects.get(public_id=body["id"])
    assert set(learning.incidents.all()) == {private_incident, library_incident}
    record = learning.history.get()
    assert record.history_type == "+"
    assert record.history_user == member


def test_the_same_idempotency_key_makes_one_learning(api, member):
    key = str(uuid.uuid4())
    client = api(member)
    first = client.post(LIST, {"title": "Once"}, format="json", HTTP_IDEMPOTENCY_KEY=key)
    again = client.post(LIST, {"title": "Once"}, format="json", HTTP_IDEMPOTENCY_KEY=key)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    assert Learning.objects.count() == 1


def test_someone_in_several_teams_says_which(api, member):
    second = TeamFactory(name="Second", slug="second")
    MembershipFactory(team=second, user=member, role=Role.MEMBER)
    client = api(member)
    refused = client.post(LIST, {"title": "Where?"}, format="json")
    assert refused.status_code == 400
    assert list(refused.json()["errors"]) == ["team"]
    made = client.post(LIST, {"title": "Here", "team": "second"}, format="json")
    assert made.status_code == 201
    assert made.json()["team"] == "second"


def test_an_incident_the_team_cannot_read_is_refused_like_an_unknown_one(
        api, member, outsider_private_incident):
    client = api(member)
    answers = [client.post(LIST, {"title": "x", "incidents": [value]}, format="json")
               for value in (str(outsider_private_incident.public_id), str(uuid.uuid4()),
                             "not-an-id")]
    assert {r.status_code for r in answers} == {400}
    assert answers[0].json() == answers[1].json() == answers[2].json()
    assert list(answers[0].json()["errors"]) == ["incidents"]
    assert not Learning.objects.exists()


def test_an_owner_outside_the_team_is_refused_like_an_unknown_one(api, member, outsider):
    client = api(member)
    theirs = client.post(LIST, {"title": "x", "owner": outsider.email}, format="json")
    nobody = client.post(LIST, {"title": "x", "owner": "nobody@example.com"}, format="json")
    assert theirs.status_code == nobody.status_code == 400
    assert theirs.json() == nobody.json() == {
        "detail": "owner: No member of Comms has this email.",
        "errors": {"owner": ["No member of Comms has this email."]}}


def test_a_viewer_cannot_own_a_new_learning(api, member, viewer):
    response = api(member).post(LIST, {"title": "x", "owner": viewer.email}, format="json")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["owner"]


def test_patch_changes_fields_and_clears_the_owner(api, member, drawn):
    response = api(member).patch(detail(drawn), {"lesson": "More.", "owner": None},
                                 format="json")
    assert response.status_code == 200
    assert (response.json()["lesson"], response.json()["owner"]) == ("More.", None)
    drawn.refresh_from_db()
    assert drawn.owner is None
    assert drawn.history.count() == 2


def test_the_team_cannot_change(api, member, drawn):
    second = TeamFactory(name="Second", slug="second")
    MembershipFactory(team=second, user=member, role=Role.MEMBER)
    response = api(member).patch(detail(drawn), {"team": "second"}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == {"team": ["A learning's team cannot change."]}


def test_status_moves_through_the_same_steps_as_the_page(api, member, drawn):
    client = api(member)
    adopted = client.patch(detail(drawn), {"status": "adopted"}, format="json")
    assert adopted.status_code == 200
    assert adopted.json()["status"] == "adopted"
    assert adopted.json()["adopted_at"] is not None
    refused = client.patch(detail(drawn), {"status": "proposed"}, format="json")
    assert refused.status_code == 400
    assert refused.json()["errors"] == {
        "status": ["An adopted learning can't become proposed."]}
    no_reason = client.patch(detail(drawn), {"status": "retired"}, format="json")
    assert no_reason.status_code == 400
    assert list(no_reason.json()["errors"]) == ["reason"]
    retired = client.patch(detail(drawn), {"status": "retired", "reason": "Moved on."},
                           format="json")
    assert retired.status_code == 200
    drawn.refresh_from_db()
    assert (drawn.status, drawn.retired_reason, drawn.status_changed_by) == (
        "retired", "Moved on.", member)


def test_a_refused_status_change_leaves_the_other_fields_as_they_were(api, member, drawn):
    response = api(member).patch(detail(drawn), {"title": "Renamed", "status": "retired"},
                                 format="json")
    assert response.status_code == 400
    drawn.refresh_from_db()
    assert (drawn.title, drawn.status) == ("Check the calendar before posting", "draft")


def test_a_new_learning_takes_no_status(api, member):
    response = api(member).post(LIST, {"title": "x", "status": "adopted"}, format="json")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["status"]


def test_incidents_on_a_change_are_the_whole_list(api, member, other_team, drawn,
                                                  private_incident, library_incident):
    another = IncidentFactory(team=other_team, visibility="library", origin="external")
    response = api(member).patch(detail(drawn), {"incidents": [
        str(library_incident.public_id), str(another.public_id).upper()]}, format="json")
    assert response.status_code == 200, response.json()
    assert set(response.json()["incidents"]) == {str(library_incident.public_id),
                                                 str(another.public_id)}
    assert set(drawn.incidents.all()) == {library_incident, another}


def test_a_link_the_team_can_no_longer_read_is_neither_shown_nor_dropped(
        api, member, drawn, private_incident, library_incident):
    Incident.objects.filter(pk=library_incident.pk).update(visibility="team")
    client = api(member)
    assert client.get(detail(drawn)).json()["incidents"] == [str(private_incident.public_id)]
    response = client.patch(detail(drawn), {"incidents": []}, format="json")
    assert response.status_code == 200
    assert response.json()["incidents"] == []
    assert list(drawn.incidents.all()) == [library_incident]


def test_linking_an_unreadable_incident_changes_nothing(api, member, drawn,
                                                        outsider_private_incident,
                                                        private_incident, library_incident):
    response = api(member).patch(detail(drawn), {"incidents": [
        str(private_incident.public_id), str(outsider_private_incident.public_id)]},
        format="json")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["incidents"]
    assert set(drawn.incidents.all()) == {private_incident, library_incident}


def test_put_needs_the_title(api, member, drawn):
    response = api(member).put(detail(drawn), {"lesson": "Only this"}, format="json")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["title"]


def test_archive_and_restore_and_never_delete(api, member, drawn):
    client = api(member)
    archived = client.post(f"{detail(drawn)}archive/")
    assert archived.status_code == 200
    assert archived.json()["archived"] is True
    assert client.get(LIST).json()["results"] == []
    assert [r["id"] for r in client.get(LIST, {"archived": "true"}).json()["results"]] == [
        str(drawn.public_id)]
    refused = client.patch(detail(drawn), {"status": "adopted"}, format="json")
    assert refused.status_code == 400
    assert list(refused.json()["errors"]) == ["status"]
    restored = client.post(f"{detail(drawn)}restore/")
    assert restored.json()["archived"] is False
    deleted = client.delete(detail(drawn))
    assert deleted.status_code == 405
    assert deleted.json()["detail"] == ("Learnings are never deleted: archive it "
                                        "(POST …/archive/) instead.")
    assert Learning.objects.filter(pk=drawn.pk).exists()


@pytest.fixture
def several(member, manager, team, drawn, library_incident):
    """Three more of comms' learnings: adopted (the manager's), archived, and one with no
    incident."""
    adopted, _ = learning_create_from_incidents(
        user=manager, team=team, incident_ids=[library_incident.public_id],
        title="Adopted rule about hashtags", owner=manager)
    learning_change_status(user=manager, learning=adopted, status="adopted")
    archived, _ = learning_create_from_incidents(user=member, team=team, incident_ids=[],
                                                 title="Archived idea")
    Learning.objects.filter(pk=archived.pk).update(archived_at="2026-01-01T00:00Z")
    bare, _ = learning_create_from_incidents(user=member, team=team, incident_ids=[],
                                             title="Bare thought")
    return {"drawn": drawn, "adopted": adopted, "archived": archived, "bare": bare}


def titles(response) -> set[str]:
    assert response.status_code == 200, response.json()
    return {row["title"] for row in response.json()["results"]}


@pytest.mark.parametrize(("params", "expected"), [
    ({}, {"drawn", "adopted", "bare"}),
    ({"status": "adopted"}, {"adopted"}),
    ({"cause": "insensitive-timing"}, {"drawn", "adopted"}),
    ({"cause": "production-slip"}, {"drawn"}),
    ({"owner": "manager@example.com"}, {"adopted"}),
    ({"q": "hashtags"}, {"adopted"}),
    ({"team": "comms"}, {"drawn", "adopted", "bare"}),
    ({"archived": "true"}, {"archived"}),
    ({"archived": "all"}, {"drawn", "adopted", "bare", "archived"}),
    ({"archived": "false"}, {"drawn", "adopted", "bare"}),
])
def test_filters(api, member, manager, several, params, expected):
    assert titles(api(member).get(LIST, params)) == {several[k].title for k in expected}


def test_the_incident_filter(api, member, several, private_incident, library_incident):
    client = api(member)
    assert titles(client.get(LIST, {"incident": str(private_incident.public_id)})) == {
        several["drawn"].title}
    assert titles(client.get(LIST, {"incident": str(library_incident.public_id)})) == {
        several["drawn"].title, several["adopted"].title}


def test_ordering(api, member, several):
    response = api(member).get(LIST, {"ordering": "title"})
    assert [row["title"] for row in response.json()["results"]] == sorted(
        [several[k].title for k in ("drawn", "adopted", "bare")])


def test_pages_hold_every_learning_once(api, member, team):
    for n in range(7):
        learning_create_from_incidents(user=member, team=team, incident_ids=[],
                                       title=f"Learning {n}")
    client = api(member)
    seen, url = [], LIST + "?page_size=3"
    while url:
        body = client.get(url).json()
        seen += [row["id"] for row in body["results"]]
        url = body["next"]
    assert len(seen) == len(set(seen)) == 7
