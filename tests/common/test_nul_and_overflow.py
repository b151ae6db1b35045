"""NUL characters, year-1 dates and over-long emails in requests are refused, never a 500.

Reproductions from issue 7, item 7: each answered 500 (or raised) before.
"""

import pytest
from django.urls import reverse

from accounts.models import User
from common.middleware import MESSAGE
from learnings.services import learning_create_from_incidents
from tests.factories import IncidentFactory

HTMX = {"HX-Request": "true"}


@pytest.fixture
def member_client(client, member):
    client.force_login(member)
    return client


def assert_refused_page(response) -> None:
    assert response.status_code == 400
    html = response.content.decode()
    assert "<h1>Misfire could not read that</h1>" in html
    assert MESSAGE in html


def test_nul_in_the_organisation_search_answers_a_400_page(member_client, private_incident):
    assert_refused_page(member_client.get(reverse("incidents:organization-list"),
                                          {"q": "Acme\x00"}))


def test_nul_in_the_link_search_of_a_learning_answers_a_400_page(member_client, member, team):
    learning, _ = learning_create_from_incidents(user=member, team=team, incident_ids=[],
                                                 title="T")
    assert_refused_page(member_client.get(
        reverse("learnings:learning-incident-search", kwargs={"public_id": learning.public_id}),
        {"q": "\x00"}))


def test_nul_in_the_similar_panel_answers_a_400_page(member_client):
    assert_refused_page(member_client.get(reverse("incidents:incident-similar"),
                                          {"organization": "Ac\x00me"}))


def test_nul_in_a_parameter_name_is_refused_too(member_client):
    response = member_client.get(reverse("incidents:incident-list") + "?q%00=x")
    assert_refused_page(response)


def test_nul_in_a_posted_form_is_refused_and_nothing_is_stored(member_client, private_incident):
    response = member_client.post(
        reverse("incidents:timeline-create", kwargs={"public_id": private_incident.public_id}),
        {"timeline-at": "2026-11-09T08:15", "timeline-kind": "note", "timeline-text": "a\x00b"})
    assert_refused_page(response)
    assert private_incident.timeline.count() == 0


def test_htmx_post_with_nul_leaves_the_form_in_place_and_shows_why(member_client,
                                                                   private_incident):
    response = member_client.post(
        reverse("incidents:timeline-create", kwargs={"public_id": private_incident.public_id}),
        {"timeline-at": "2026-11-09T08:15", "timeline-kind": "note", "timeline-text": "a\x00b"},
        headers=HTMX)
    assert response.status_code == 400
    assert response["HX-Reswap"] == "beforebegin"
    assert response.content.decode() == f'<p class="alert alert-error" role="alert">{MESSAGE}</p>'


@pytest.mark.parametrize("occurred_on", ["0001-01-01", "9999-12-31"])
def test_similar_panel_ignores_a_date_out_of_range(member_client, team, occurred_on):
    IncidentFactory(team=team, organization__name="Acme", title="Acme's slip")
    response = member_client.get(reverse("incidents:incident-similar"),
                                 {"organization": "Acme", "occurred_on": occurred_on})
    assert response.status_code == 200
    # Without a usable date, the organisation alone still finds it.
    assert "Acme&#x27;s slip" in response.content.decode()


def test_a_300_character_email_is_refused_beside_the_field(client, manager, team):
    client.force_login(manager)
    email = "a" * 288 + "@example.com"
    response = client.post(reverse("accounts:team-settings", kwargs={"slug": team.slug}),
                           {"action": "add-member", "email": email, "role": "member"})
    assert response.status_code == 422
    assert response.context["add_form"].errors["email"] == [
        "Ensure this value has at most 254 characters (it has 300)."]
    assert not User.objects.filter(email=email).exists()


@pytest.mark.parametrize("name", ["incidents:incident-list", "incidents:library",
                                  "incidents:organization-list", "learnings:learning-list"])
def test_a_100_kb_search_reads_its_first_200_characters(member_client, team, name):
    """SQLite refused the LIKE pattern (500); PostgreSQL searched 100 KB of words."""
    IncidentFactory(team=team, visibility="library", organization__name="x" * 150,
                    title="x" * 150)
    response = member_client.get(reverse(name), {"q": "x" * 100_000})
    assert response.status_code == 200


def test_a_100_kb_link_search_answers_200(member_client, member, team):
    learning, _ = learning_create_from_incidents(user=member, team=team, incident_ids=[],
                                                 title="T")
    response = member_client.get(
        reverse("learnings:learning-incident-search", kwargs={"public_id": learning.public_id}),
        {"q": "x" * 100_000})
    assert response.status_code == 200
    assert response.context["results"] == []
