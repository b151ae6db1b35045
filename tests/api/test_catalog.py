"""Organisations, root causes, factors and teams: what the caller may see of each, by slug."""

import pytest

from accounts.models import Role
from incidents.models import Factor, Organization, RootCause
from tests.factories import MembershipFactory, TeamFactory


@pytest.fixture
def organizations(team, other_team):
    return {
        "shared": Organization.objects.create(name="Acme Air", slug="acme-air"),
        "ours": Organization.objects.create(name="Our Client", team=team,
                                            slug="our-client-a1b2c3d4"),
        "theirs": Organization.objects.create(name="Their Client", team=other_team,
                                              slug="their-client-x1y2z3w4"),
    }


def ids(response) -> list[str]:
    assert response.status_code == 200, response.json()
    return [row["id"] for row in response.json()["results"]]


def test_organisations_shared_and_the_teams_own_private_ones(api, member, organizations):
    client = api(member)
    assert ids(client.get("/api/v1/organizations/")) == ["acme-air", "our-client-a1b2c3d4"]
    assert client.get("/api/v1/organizations/our-client-a1b2c3d4/").json() == {
        "id": "our-client-a1b2c3d4", "name": "Our Client", "aliases": [], "industry": "",
        "website": "", "handles": [], "team": "comms"}
    assert client.get("/api/v1/organizations/acme-air/").json()["team"] is None


def test_another_teams_private_organisation_is_a_404_like_an_unknown_one(
        api, member, organizations):
    client = api(member)
    theirs = client.get("/api/v1/organizations/their-client-x1y2z3w4/")
    unknown = client.get("/api/v1/organizations/no-such-client/")
    assert theirs.status_code == unknown.status_code == 404
    assert theirs.json() == unknown.json() == {"detail": "No such organisation.", "errors": {}}


def test_root_causes_and_factors(api, member):
    client = api(member)
    causes = client.get("/api/v1/root-causes/", {"page_size": 200}).json()["results"]
    assert [row["id"] for row in causes] == list(
        RootCause.objects.order_by("code").values_list("slug", flat=True))
    slip = client.get("/api/v1/root-causes/production-slip/").json()
    assert set(slip) == {"id", "code", "name", "description", "prevention", "active"}
    assert slip["id"] == "production-slip"
    factors = client.get("/api/v1/factors/", {"page_size": 200}).json()["results"]
    assert [row["id"] for row in factors] == list(
        Factor.objects.order_by("name").values_list("slug", flat=True))
    assert client.get("/api/v1/root-causes/bad-luck/").status_code == 404


@pytest.fixture
def second(member):
    second = TeamFactory(name="Second", slug="second")
    MembershipFactory(team=second, user=member, role=Role.VIEWER)
    return second


def test_teams_are_the_callers_with_their_role(api, member, team, other_team, second):
    client = api(member)
    assert client.get("/api/v1/teams/").json()["results"] == [
        {"id": "comms", "name": "Comms", "timezone": team.timezone, "role": "member"},
        {"id": "second", "name": "Second", "timezone": second.timezone, "role": "viewer"},
    ]
    assert client.get("/api/v1/teams/elsewhere/").status_code == 404


def test_a_token_limited_to_a_team_sees_that_team_and_its_organisations(
        api_token, api, member, team, second, organizations):
    Organization.objects.create(name="Second's Client", team=second, slug="seconds-client-q1")
    limited = api_token(member, team=second)
    assert ids(limited.get("/api/v1/teams/")) == ["second"]
    assert limited.get("/api/v1/teams/comms/").status_code == 404
    assert ids(limited.get("/api/v1/organizations/")) == ["acme-air", "seconds-client-q1"]
