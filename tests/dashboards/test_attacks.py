"""The dashboards, the metrics API and the incident list's team filter as another team or a
hostile user would try them: odd bytes in addresses and query strings, other teams' slugs,
and what each answer lets through. (Each test was written failing, for a finding.)"""

from html import escape

import pytest
from rest_framework.test import APIClient

from tests.factories import IncidentFactory, OrganizationFactory

NO_SUCH_TEAM = {"detail": "No such team.", "errors": {}}


def api_as(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user=user)
    return client


# A NUL in the address: no slug holds one, so it names nothing (PostgreSQL cannot even
# compare one: the lookup used to answer 500).


@pytest.mark.django_db
@pytest.mark.parametrize(("path", "unknown"), [
    ("/api/v1/teams/%00/metrics/", "/api/v1/teams/nobody/metrics/"),
    ("/api/v1/teams/comms%00/metrics/", "/api/v1/teams/nobody/metrics/"),
    ("/api/v1/teams/%00/", "/api/v1/teams/nobody/"),
    ("/api/v1/organizations/%00/", "/api/v1/organizations/nobody/"),
    ("/api/v1/root-causes/%00/", "/api/v1/root-causes/nobody/"),
    ("/api/v1/factors/%00/", "/api/v1/factors/nobody/"),
])
def test_a_nul_in_an_api_slug_is_the_same_404_as_an_unknown_slug(manager, path, unknown):
    client = api_as(manager)
    response = client.get(path)
    assert response.status_code == 404
    assert response.json() == client.get(unknown).json()


@pytest.mark.django_db
def test_a_nul_in_the_team_slug_of_the_metrics_is_no_such_team(manager):
    response = api_as(manager).get("/api/v1/teams/comms%00/metrics/", {"period": "30d"})
    assert response.status_code == 404
    assert response.json() == NO_SUCH_TEAM


# The team filter on the library page, which shows no team choice unless one is asked for


@pytest.mark.django_db
def test_the_library_refuses_another_teams_slug_beside_the_team_field(
        client, manager, outsider_private_incident, library_incident):
    IncidentFactory(team=manager.memberships.get().team, visibility="library",
                    title="Comms shared case")
    client.force_login(manager)
    theirs = client.get("/library/?team=elsewhere")
    unknown = client.get("/library/?team=no-such-team")
    html = theirs.content.decode()
    assert ('<ul class="errorlist" id="id_team_error" role="alert"><li>None of your teams has '
            'this slug.</li></ul>') in html
    assert theirs.context["filter"].errors == unknown.context["filter"].errors
    assert escape(outsider_private_incident.title) not in html
    # The choice offers the reader's own team only.
    assert '<option value="comms"' in html
    assert '<option value="elsewhere"' not in html


@pytest.mark.django_db
def test_the_library_shows_the_team_it_is_narrowed_to(client, manager):
    client.force_login(manager)
    html = client.get("/library/?team=comms").content.decode()
    assert '<option value="comms" selected>' in html
    assert 'aria-label="Remove the filter Team: Comms"' in html


@pytest.mark.django_db
def test_the_library_offers_no_team_choice_unless_one_is_asked_for(client, manager):
    client.force_login(manager)
    assert 'name="team"' not in client.get("/library/").content.decode()


# The library's organisations: read through the door like every other organisation name


@pytest.mark.django_db
def test_a_private_organisation_never_reaches_the_library_numbers(
        client, manager, other_team, outsider):
    """Services share an organisation before a library incident names it; should a shared
    incident ever name another team's private one (an edit in the admin), its name and slug
    stay out of the library dashboard and the metrics API all the same."""
    private = OrganizationFactory(name="Elsewhere's secret client", slug="secret-client",
                                  team=other_team)
    IncidentFactory(team=other_team, created_by=outsider, visibility="library",
                    organization=private, title="Shared case")
    client.force_login(manager)
    html = client.get("/library/dashboard/").content.decode()
    body = api_as(manager).get("/api/v1/library/metrics/").json()
    assert body["incidents"] == 1
    assert body["organizations"] == []
    assert "secret-client" not in html
    assert escape("Elsewhere's secret client") not in html


# The learnings list, where the dashboard's learning cards lead (?team=…&status=…)


@pytest.mark.django_db
def test_the_learnings_list_refuses_another_teams_slug_beside_the_team_field(
        client, manager, outsider):
    client.force_login(manager)
    theirs = client.get("/learnings/?team=elsewhere&status=proposed")
    unknown = client.get("/learnings/?team=no-such-team&status=proposed")
    html = theirs.content.decode()
    assert ('<ul class="errorlist" id="id_team_error" role="alert"><li>None of your teams has '
            'this slug.</li></ul>') in html
    assert theirs.context["filter"].errors == unknown.context["filter"].errors
    assert '<option value="elsewhere"' not in html


@pytest.mark.django_db
def test_a_one_team_reader_sees_the_team_a_card_link_narrowed_the_learnings_to(client, manager):
    client.force_login(manager)
    html = client.get("/learnings/?team=comms&status=proposed").content.decode()
    assert '<option value="comms" selected>' in html
    assert 'name="team"' not in client.get("/learnings/").content.decode()


# Methods: the dashboards only read


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/", "/teams/comms/dashboard/", "/teams/elsewhere/dashboard/",
                                  "/teams/nobody/dashboard/", "/library/dashboard/"])
def test_a_post_to_a_dashboard_is_405_whoever_owns_the_team(client, manager, other_team, path):
    client.force_login(manager)
    response = client.post(path, {"period": "30d"})
    assert response.status_code == 405
    assert response["Allow"] == "GET"
    assert response.content == b""


# Another team's dashboard answers exactly as a team that does not exist: nothing in the
# answer says that the slug is taken.


@pytest.mark.django_db
@pytest.mark.parametrize("query", ["", "?period=12m", "?from=2026-13-01&to=x"])
def test_another_teams_dashboard_answers_byte_for_byte_as_an_unknown_team(
        client, manager, other_team, query):
    import re
    client.force_login(manager)
    theirs = client.get(f"/teams/{other_team.slug}/dashboard/{query}")
    unknown = client.get(f"/teams/no-such-team/dashboard/{query}")
    csrf = re.compile(rb'value="[^"]{64}"|"X-CSRFToken": "[^"]+"')

    def body(response):
        return csrf.sub(b"", response.content.replace(other_team.slug.encode(), b"SLUG")
                        .replace(b"no-such-team", b"SLUG"))

    assert (theirs.status_code, unknown.status_code) == (404, 404)
    assert body(theirs) == body(unknown)
    assert other_team.name.encode() not in theirs.content
    assert sorted(theirs.headers.items()) == sorted(unknown.headers.items())
