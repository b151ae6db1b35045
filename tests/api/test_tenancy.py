"""Another team's private incidents never reach the API, whichever door is tried: the list,
one incident, filters and search, and what hangs off an incident. Tokens (real ones, sent in
the Authorization header) narrow what a person reads: a token limited to a team reads what
that team reads, and opens nothing once the person has left it."""

import pytest
from django.http import Http404
from django.test import RequestFactory
from rest_framework.request import Request

from accounts.models import ApiToken, Membership
from accounts.services import token_revoke
from api import access
from incidents.models import Incident, Organization
from incidents.selectors import incident_get, incident_list
from tests.api.conftest import token_client
from tests.factories import (
    IncidentFactory,
    IncidentSourceFactory,
    MembershipFactory,
    TeamFactory,
    TimelineEventFactory,
)

LIST = "/api/v1/incidents/"


@pytest.fixture
def secret(other_team, outsider):
    """Elsewhere's private incident, with a private organisation, a source and an entry."""
    organization = Organization.objects.create(name="Umbrella Secret", team=other_team,
                                               slug="umbrella-secret-x1y2z3w4")
    incident = IncidentFactory(team=other_team, created_by=outsider, visibility="team",
                               organization=organization,
                               title="Elsewhere's secret misstep about zebras")
    IncidentSourceFactory(incident=incident)
    TimelineEventFactory(incident=incident)
    return incident


def ids(response) -> set[str]:
    assert response.status_code == 200, response.json()
    return {row["id"] for row in response.json()["results"]}


def test_the_list_holds_the_callers_teams_and_the_library(
        api, member, private_incident, library_incident, secret):
    assert ids(api(member).get(LIST)) == {str(private_incident.public_id),
                                          str(library_incident.public_id)}


@pytest.mark.parametrize("params", [
    {"q": "zebras"}, {"q": "Umbrella"}, {"visibility": "team"}, {"archived": "all"},
    {"cause": "production-slip"}, {"ordering": "severity"}, {"team": "comms"},
])
def test_no_filter_or_search_reaches_another_teams_private_incident(
        api, member, private_incident, secret, params):
    assert str(secret.public_id) not in ids(api(member).get(LIST, params))


def test_filtering_by_another_teams_private_organisation_is_refused_as_an_unknown_one(
        api, member, secret):
    client = api(member)
    theirs = client.get(LIST, {"organization": secret.organization.slug})
    unknown = client.get(LIST, {"organization": "no-such-brand"})
    assert theirs.status_code == unknown.status_code == 400
    assert theirs.json() == unknown.json()
    assert list(theirs.json()["errors"]) == ["organization"]


def test_filtering_by_a_team_the_caller_is_not_in_is_refused_as_an_unknown_one(
        api, member, other_team, secret):
    client = api(member)
    theirs = client.get(LIST, {"team": other_team.slug})
    unknown = client.get(LIST, {"team": "no-such-team"})
    assert theirs.status_code == unknown.status_code == 400
    assert theirs.json() == unknown.json()


@pytest.mark.parametrize("suffix", ["", "sources/", "timeline/"])
def test_another_teams_private_incident_and_what_hangs_off_it_are_404(
        api, member, secret, suffix):
    response = api(member).get(f"{LIST}{secret.public_id}/{suffix}")
    assert response.status_code == 404
    assert response.json() == {"detail": "No such incident.", "errors": {}}


def test_an_archived_incident_of_another_team_stays_hidden_with_archived_all(
        api, member, secret):
    Incident.objects.filter(pk=secret.pk).update(archived_at="2026-10-01T00:00Z")
    assert str(secret.public_id) not in ids(api(member).get(LIST, {"archived": "all"}))


@pytest.fixture
def two_teams(member, team):
    """The member also belongs to a second team, with a private incident of its own."""
    second = TeamFactory(name="Second", slug="second")
    MembershipFactory(team=second, user=member, role="member")
    return second, IncidentFactory(team=second, visibility="team", title="Second's own")


def test_a_token_limited_to_a_team_reads_what_that_team_reads(
        api_token, member, team, private_incident, library_incident, two_teams):
    second, seconds = two_teams
    everything = ids(api_token(member).get(LIST))
    limited = api_token(member, team=team)
    assert str(seconds.public_id) in everything
    assert ids(limited.get(LIST)) == {str(private_incident.public_id),
                                      str(library_incident.public_id)}
    assert limited.get(f"{LIST}{seconds.public_id}/").status_code == 404
    assert limited.get(LIST, {"team": "second"}).status_code == 400


def test_a_token_limited_to_a_team_writes_only_to_that_team(
        api_token, member, team, two_teams):
    second, _ = two_teams
    limited = api_token(member, team=team)
    body = {"title": "Logged with a team token", "organization": "Acme",
            "platform": "twitter", "occurred_on": "2026-10-01",
            "primary_cause": "production-slip"}
    refused = limited.post(LIST, {**body, "team": "second"}, format="json")
    assert refused.status_code == 400
    assert list(refused.json()["errors"]) == ["team"]
    made = limited.post(LIST, body, format="json")  # its one team needs no naming
    assert made.status_code == 201
    assert made.json()["team"] == "comms"


def test_a_token_whose_person_left_its_team_opens_nothing(
        member, team, private_incident, library_incident, two_teams):
    """Leaving the team ends the token (accounts.services.token_for_key): 401 on every door,
    as a wrong key is, while the person's other tokens keep working."""
    client, _ = token_client(member, team=team)
    other, _ = token_client(member)
    assert ids(client.get(LIST)) == {str(private_incident.public_id),
                                     str(library_incident.public_id)}
    Membership.objects.filter(user=member, team=team).delete()
    for response in (client.get(LIST), client.get(LIST, {"format": "csv"}),
                     client.get(f"{LIST}{library_incident.public_id}/"),
                     client.post(f"{LIST}{private_incident.public_id}/archive/")):
        assert response.status_code == 401
        assert response.json()["errors"] == {}
    assert str(private_incident.public_id) not in ids(other.get(LIST))
    assert Incident.objects.get(pk=private_incident.pk).archived_at is None


def test_if_the_person_leaves_while_a_request_runs_it_reads_nothing(
        member, team, private_incident, library_incident):
    """The second line: a token whose team the person has left by the time the API reads
    (after the token opened the request) reads an empty list and 404s (api.access)."""
    _, token = token_client(member, team=team)
    Membership.objects.filter(user=member, team=team).delete()
    request = Request(RequestFactory().get(LIST))
    request.user, request.auth = member, ApiToken.objects.get(pk=token.pk)
    reader = access.reader(request)
    assert reader.cut_off
    assert list(reader.narrow(incident_list(**reader.scope))) == []
    with pytest.raises(Http404):
        access.get_readable(request, incident_get, public_id=library_incident.public_id)


def test_a_revoked_token_opens_nothing(member, private_incident):
    client, token = token_client(member)
    assert client.get(f"{LIST}{private_incident.public_id}/").status_code == 200
    token_revoke(user=member, token=token)
    response = client.get(f"{LIST}{private_incident.public_id}/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert client.get(LIST, {"format": "csv"}).status_code == 401


def test_a_read_only_token_reads_but_cannot_log(api_token, member, private_incident):
    client = api_token(member, read_only=True)
    assert client.get(f"{LIST}{private_incident.public_id}/").status_code == 200
    assert client.get(LIST, {"format": "csv"}).status_code == 200
    response = client.post(LIST, {"title": "x"}, format="json")
    assert response.status_code == 403
    assert response.json()["detail"] == "This token is read-only: it cannot change anything."
    assert not Incident.objects.filter(title="x").exists()
