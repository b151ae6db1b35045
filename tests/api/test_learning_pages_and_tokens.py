"""The new lists read in cursor pages without skipping or repeating a row (organisations by
a name whose case differs, action items by time), and real personal tokens, sent in the
Authorization header, read and write learnings as their limits say."""

import pytest
from rest_framework.test import APIClient

from accounts.models import Role
from accounts.services import token_create
from incidents.models import Organization
from learnings.models import Learning
from learnings.services import action_item_create, learning_create_from_incidents
from tests.api.test_pagination import walk
from tests.factories import MembershipFactory, TeamFactory


def test_organisation_pages_hold_every_organisation_once_by_name(api, member, team):
    names = ["acme", "Acme Air", "ACME Bank", "AT&T", "beta", "Beta Co", "zeta"]
    for number, name in enumerate(names):
        Organization.objects.create(name=name, slug=f"org-{number}",
                                    team=team if number % 2 else None)
    client = api(member)
    ids, pages = walk(client, "/api/v1/organizations/?page_size=2")
    assert [Organization.objects.get(slug=slug).name for slug in ids] == sorted(
        names, key=lambda name: (name.lower(), name))
    assert len(pages) == 4
    back = client.get(pages[-1]["previous"]).json()
    assert back["results"] == pages[-2]["results"]


def test_action_item_pages_hold_every_item_once(api, member, team):
    learning, _ = learning_create_from_incidents(user=member, team=team, incident_ids=[],
                                                 title="Many actions")
    made = [action_item_create(user=member, learning=learning, title=f"Action {n}")
            for n in range(7)]
    ids, _pages = walk(api(member), "/api/v1/action-items/?page_size=3")
    assert ids == [str(item.public_id) for item in reversed(made)]


def token_client(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


@pytest.fixture
def second(member):
    second = TeamFactory(name="Second", slug="second")
    MembershipFactory(team=second, user=member, role=Role.MEMBER)
    return second


def test_a_real_token_limited_to_a_team_reads_and_writes_that_team_only(member, team, second):
    theirs, _ = learning_create_from_incidents(user=member, team=second, incident_ids=[],
                                               title="Second's lesson")
    _token, key = token_create(user=member, name="Notebook", team=team)
    client = token_client(key)
    assert [row["id"] for row in client.get("/api/v1/teams/").json()["results"]] == ["comms"]
    assert client.get(f"/api/v1/learnings/{theirs.public_id}/").status_code == 404
    made = client.post("/api/v1/learnings/", {"title": "From the notebook"}, format="json")
    assert made.status_code == 201
    assert made.json()["team"] == "comms"


def test_a_real_read_only_token_reads_but_cannot_write(member, team):
    learning, _ = learning_create_from_incidents(user=member, team=team, incident_ids=[],
                                                 title="Read me")
    _token, key = token_create(user=member, name="Dashboard", read_only=True)
    client = token_client(key)
    assert client.get(f"/api/v1/learnings/{learning.public_id}/").status_code == 200
    response = client.patch(f"/api/v1/learnings/{learning.public_id}/", {"title": "Changed"},
                            format="json")
    assert response.status_code == 403
    assert set(response.json()) == {"detail", "errors"}
    assert Learning.objects.get(pk=learning.pk).title == "Read me"
