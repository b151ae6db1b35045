"""Incident pages: logging, the "looks like…" panel, lists, the incident page and its htmx
sections, editing, archiving, organisations, and the query count of every list."""

import json
import re
import uuid
from datetime import UTC, date, datetime, timedelta
from html import escape

import pytest
import time_machine
from django.forms import CheckboxInput
from django.http import QueryDict
from django.urls import reverse

from accounts.models import Role
from common import pages
from incidents.models import Factor, Incident, RootCause, Source, TimelineEvent
from incidents.services import incident_update, source_add
from tests.factories import (
    IncidentFactory,
    MembershipFactory,
    OrganizationFactory,
    SourceFactory,
    TimelineEventFactory,
    cause,
)
from tests.factories import (
    edit_form_data as edit_data,
)

TODAY = date(2026, 11, 10)
NOW = datetime(2026, 11, 10, 12, 0, tzinfo=UTC)
HTMX_RESULTS = {"HX-Request": "true", "HX-Target": "incident-results"}
HTMX = {"HX-Request": "true"}


@pytest.fixture(autouse=True)
def frozen_today():
    with time_machine.travel(NOW, tick=True):
        yield


@pytest.fixture
def member_client(client, member):
    client.force_login(member)
    return client


def detail_url(incident: Incident, name: str = "incident-detail", **kwargs) -> str:
    return reverse(f"incidents:{name}", kwargs={"public_id": incident.public_id, **kwargs})


def page_titles(response) -> list[str]:
    return [incident.title for incident in response.context["page"].object_list]


def field_error(field: str, message: str) -> str:
    """The error list rendered beside a form field (includes/field.html)."""
    return (f'<ul class="errorlist" id="id_{field}_error" role="alert">'
            f"<li>{escape(message)}</li></ul>")


def input_value(name: str, value: str) -> str:
    return f'name="{name}" value="{escape(value)}"'


# Log an incident


def log_data(team, /, **overrides) -> dict:
    data = {
        "team": team.pk,
        "title": "Storm sale post went out",
        "organization": "Northwind Coffee",
        "link": "",
        "platform": "instagram",
        "occurred_on": "2026-11-08",
        "summary": "The scheduled sale post ran during the storm.",
        "primary_cause": "insensitive-timing",
        "origin": "own",
        "idempotency_key": str(uuid.uuid4()),
    }
    data.update(overrides)
    return data


def test_log_form_page_offers_the_current_team_and_a_fresh_idempotency_key(
        member_client, team):
    response = member_client.get(reverse("incidents:incident-create"))
    assert response.status_code == 200
    assert f'<input type="hidden" name="team" value="{team.pk}">' in response.content.decode()
    assert response.context["form"]["idempotency_key"].value() is not None


def test_logging_an_incident_creates_it_and_redirects_to_its_page(member_client, team, member):
    response = member_client.post(reverse("incidents:incident-create"), log_data(team))
    incident = Incident.objects.get()
    assert response.status_code == 302
    assert response.url == incident.get_absolute_url()
    assert incident.title == "Storm sale post went out"
    assert incident.team == team
    assert incident.created_by == member
    assert incident.organization.name == "Northwind Coffee"
    assert incident.platform == "instagram"
    assert incident.occurred_on == date(2026, 11, 8)
    assert incident.primary_cause == cause("insensitive-timing")
    assert incident.visibility == "team"
    page = member_client.get(response.url)
    assert "Incident logged. Add the details whenever you can." in page.content.decode()


def test_platform_is_guessed_from_a_pasted_x_link_when_left_blank(member_client, team):
    link = "https://x.com/northwind/status/1850000000000000000"
    member_client.post(reverse("incidents:incident-create"),
                       log_data(team, platform="", link=link))
    incident = Incident.objects.get()
    assert incident.platform == "twitter"
    assert [(s.source.url, s.kind, s.source.platform) for s in incident.source_links.all()] == [
        ("https://twitter.com/northwind/status/1850000000000000000", "post", "twitter")
    ]



def test_log_form_asks_whether_to_share_it_and_its_severity_with_plain_defaults(
        member_client, team):
    html = member_client.get(reverse("incidents:incident-create")).content.decode()
    assert "Share it in the library?" in html
    assert re.search(r'<input type="radio" name="visibility" value="team"[^>]* checked>', html)
    assert re.search(r'<input type="radio" name="visibility" value="library"[^>]*>'
                     r'\s*Yes, visible to every team', html)
    assert '<option value="medium" selected>Medium</option>' in html


@pytest.mark.parametrize(("origin", "visibility", "expected"), [
    pytest.param("external", "team", "team", id="external-kept-to-the-team"),
    pytest.param("external", "library", "library", id="external-shared"),
    pytest.param("own", "library", "library", id="own-shared"),
    pytest.param("own", "team", "team", id="own-kept"),
    pytest.param("external", "", "library", id="external-unanswered-follows-origin"),
    pytest.param("own", "", "team", id="own-unanswered-follows-origin"),
])
def test_logged_incident_is_shared_only_as_the_form_says(
        member_client, team, origin, visibility, expected):
    response = member_client.post(reverse("incidents:incident-create"), log_data(
        team, origin=origin, visibility=visibility, severity="high"))
    assert response.status_code == 302
    incident = Incident.objects.get()
    assert (incident.origin, incident.visibility, incident.severity) == (
        origin, expected, "high")


def test_log_form_without_a_severity_logs_a_medium_one(member_client, team):
    member_client.post(reverse("incidents:incident-create"), log_data(team))
    assert Incident.objects.get().severity == "medium"


BAD_LOG_INPUT = [
    pytest.param({"platform": "myspace"}, "platform",
                 "Select a valid choice. myspace is not one of the available choices.",
                 id="unknown-platform"),
    pytest.param({"primary_cause": "bad-luck"}, "primary_cause",
                 "Select a valid choice. That choice is not one of the available choices.",
                 id="unknown-cause"),
    pytest.param({"occurred_on": "2026-11-12"}, "occurred_on", "That date is in the future.",
                 id="future-date"),
    pytest.param({"link": "javascript:alert(1)"}, "link",
                 "Enter a web address starting with http:// or https://.",
                 id="javascript-link"),
    pytest.param({"link": "ftp://x"}, "link",
                 "Enter a web address starting with http:// or https://.", id="ftp-link"),
    pytest.param({"title": "T" * 201}, "title",
                 "Ensure this value has at most 200 characters (it has 201).",
                 id="201-character-title"),
    pytest.param({"organization": ""}, "organization", "This field is required.",
                 id="empty-organisation"),
    pytest.param({"platform": "", "link": ""}, "platform",
                 "Choose the platform, or paste a link to guess it.", id="no-platform-no-link"),
]


@pytest.mark.parametrize(("overrides", "field", "message"), BAD_LOG_INPUT)
def test_bad_log_input_keeps_what_was_typed_and_shows_the_error_beside_the_field(
        member_client, team, overrides, field, message):
    data = log_data(team, **overrides)
    response = member_client.post(reverse("incidents:incident-create"), data)
    html = response.content.decode()
    assert response.status_code == 200
    assert Incident.objects.count() == 0
    assert field_error(field, message) in html
    assert input_value("title", data["title"]) in html
    assert input_value("idempotency_key", data["idempotency_key"]) in html
    if overrides.get("link"):
        assert input_value("link", overrides["link"]) in html


def test_double_submitted_log_form_creates_one_incident_and_both_posts_redirect_to_it(
        member_client, team):
    data = log_data(team)
    first = member_client.post(reverse("incidents:incident-create"), data)
    second = member_client.post(reverse("incidents:incident-create"), data)
    incident = Incident.objects.get()
    assert first.status_code == second.status_code == 302
    assert first.url == second.url == incident.get_absolute_url()


def test_logging_into_another_teams_space_is_refused_with_a_form_error(
        member_client, team, other_team):
    response = member_client.post(reverse("incidents:incident-create"),
                                  log_data(team, team=other_team.pk))
    assert response.status_code == 200
    assert response.context["form"].errors["team"] == [
        "Select a valid choice. That choice is not one of the available choices."
    ]
    assert Incident.objects.count() == 0


def test_member_of_two_teams_picks_the_team_in_the_log_form(client, member, other_team):
    MembershipFactory(user=member, team=other_team, role=Role.MEMBER)
    client.force_login(member)
    response = client.post(reverse("incidents:incident-create"), log_data(other_team))
    assert response.status_code == 302
    assert Incident.objects.get().team == other_team


def test_viewer_of_the_current_team_logs_into_the_one_team_they_write_for(
        client, viewer, other_team):
    MembershipFactory(user=viewer, team=other_team, role=Role.MEMBER)
    client.force_login(viewer)
    client.post(reverse("accounts:team-switch"), {"team": "comms"})
    page = client.get(reverse("incidents:incident-create")).content.decode()
    assert f'<input type="hidden" name="team" value="{other_team.pk}">' in page
    response = client.post(reverse("incidents:incident-create"), log_data(other_team))
    assert response.status_code == 302
    assert Incident.objects.get().team == other_team


def test_viewer_is_told_they_cannot_log(client, viewer):
    client.force_login(viewer)
    response = client.get(reverse("incidents:incident-create"))
    assert response.status_code == 403
    assert "Viewers can read incidents but not log them." in response.content.decode()


# The "looks like…" panel


@pytest.fixture
def acme(db):
    return OrganizationFactory(name="Acme Rockets", slug="acme-rockets")


def similar(client, **params):
    return client.get(reverse("incidents:incident-similar"), params, headers=HTMX)


def test_similar_panel_lists_a_same_organisation_incident_within_30_days(
        member_client, team, acme):
    IncidentFactory(team=team, organization=acme, occurred_on=date(2026, 10, 20),
                    title="Rocket emoji backfired")
    IncidentFactory(team=team, organization=acme, occurred_on=date(2026, 6, 1),
                    title="Old rocket story")
    response = similar(member_client, organization="acme rockets", occurred_on="2026-11-05")
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    assert "1 possible duplicate." in html
    assert "Rocket emoji backfired" in html
    assert "Old rocket story" not in html


def test_similar_panel_lists_an_incident_with_the_same_source_link(member_client, team):
    incident = IncidentFactory(team=team, title="Screenshot went viral")
    incident.sources.add(SourceFactory(url="https://www.reddit.com/r/brands/comments/abc/"))
    response = similar(member_client, link="https://www.reddit.com/r/brands/comments/abc/")
    assert "Screenshot went viral" in response.content.decode()


def test_similar_panel_lists_an_incident_with_a_similar_title(member_client, team):
    IncidentFactory(team=team, title="McDStories hashtag hijacked by critics")
    html = similar(member_client, title="McDstories hashtag hijacked").content.decode()
    assert "McDStories hashtag hijacked by critics" in html
    assert "similar title" in html


def test_similar_panel_keeps_its_hint_until_something_is_typed(member_client, team):
    IncidentFactory(team=team, title="Anything at all", occurred_on=date(2026, 11, 8))
    html = similar(member_client, occurred_on="2026-11-08", platform="").content.decode()
    assert "Possible duplicates appear here as you type" in html
    assert "No similar incident found" not in html
    html = similar(member_client, title="Nothing like it").content.decode()
    assert "No similar incident found for this title, organisation or link." in html


@pytest.fixture
def logged_once(team, member):
    """What log_data logs, with its link stored as sources are: normalised."""
    incident = IncidentFactory(
        team=team, created_by=member, title="Storm sale post went out",
        organization=OrganizationFactory(name="Northwind Coffee"),
        occurred_on=date(2026, 11, 8))
    incident.sources.add(SourceFactory(url="https://twitter.com/northwind/status/7"))
    return incident


def test_saving_the_same_link_again_warns_and_keeps_the_form_as_typed(
        member_client, team, logged_once):
    data = log_data(team, title="Storm post, logged again", organization="Someone Else",
                    link="https://twitter.com/northwind/status/7/")
    response = member_client.post(reverse("incidents:incident-create"), data)
    html = response.content.decode()
    assert response.status_code == 200
    assert Incident.objects.count() == 1
    assert "This looks already logged." in html
    assert (f'<a href="{logged_once.get_absolute_url()}">Storm sale post went out</a>'
            in html)
    assert 'name="log_anyway"' in html
    assert input_value("title", "Storm post, logged again") in html
    assert input_value("link", "https://twitter.com/northwind/status/7/") in html
    assert input_value("idempotency_key", data["idempotency_key"]) in html

    data["log_anyway"] = "on"
    response = member_client.post(reverse("incidents:incident-create"), data)
    assert response.status_code == 302
    assert Incident.objects.count() == 2


def test_saving_a_very_similar_title_of_the_same_organisation_and_date_warns(
        member_client, team, logged_once):
    response = member_client.post(reverse("incidents:incident-create"), log_data(
        team, title="Storm sale post went out!", occurred_on="2026-11-07"))
    assert response.status_code == 200
    assert "This looks already logged." in response.content.decode()
    assert Incident.objects.count() == 1


@pytest.mark.parametrize("overrides", [
    pytest.param({"title": "Loyalty app outage"}, id="another-title"),
    pytest.param({"organization": "Southwind Tea"}, id="another-organisation"),
    pytest.param({"occurred_on": "2026-10-01"}, id="weeks-apart"),
])
def test_a_different_incident_of_the_same_team_logs_without_a_warning(
        member_client, team, logged_once, overrides):
    response = member_client.post(reverse("incidents:incident-create"),
                                  log_data(team, **overrides))
    assert response.status_code == 302
    assert Incident.objects.count() == 2


def test_another_teams_private_incident_with_the_same_link_is_never_named(
        member_client, team, other_team, outsider):
    hidden = IncidentFactory(team=other_team, visibility="team", title="Elsewhere's secret")
    hidden.sources.add(SourceFactory(url="https://twitter.com/northwind/status/7"))
    response = member_client.post(reverse("incidents:incident-create"), log_data(
        team, link="https://x.com/northwind/status/7"))
    assert response.status_code == 302
    assert Incident.objects.filter(team=team).count() == 1
    page = member_client.get(response.url).content.decode()
    assert "Elsewhere's secret" not in page


def test_similar_panel_announces_the_platform_guessed_from_the_link(member_client):
    response = similar(member_client, link="https://x.com/acme/status/1")
    assert json.loads(response["HX-Trigger"]) == {"platform-guessed": {"value": "twitter"}}
    assert "No similar incident found for this title, organisation or link." in (
        response.content.decode())


def test_similar_panel_guesses_nothing_without_a_web_link(member_client):
    response = similar(member_client, link="javascript:alert(1)")
    assert "HX-Trigger" not in response


def test_similar_panel_never_shows_another_teams_private_incident(
        member_client, outsider_private_incident, library_incident):
    name = outsider_private_incident.organization.name
    library_incident.organization = outsider_private_incident.organization
    library_incident.save()
    response = similar(member_client, organization=name,
                       occurred_on=outsider_private_incident.occurred_on.isoformat())
    html = response.content.decode()
    assert "Elsewhere&#x27;s secret misstep" not in html
    assert "Elsewhere's secret misstep" not in html
    assert "Shared hashtag hijack" in html


# The incident list


@pytest.fixture
def three_incidents(team, other_team, outsider):
    """Three readable incidents that differ in every filter, and one the member can't read."""
    alpha = IncidentFactory(
        team=team, title="Alpha slip", summary="A giraffe costume post.", origin="own",
        visibility="team", platform="twitter", primary_cause=cause("production-slip"),
        severity="low", status="open", organization=OrganizationFactory(name="Acme"),
        occurred_on=TODAY - timedelta(days=5),
    )
    bravo = IncidentFactory(
        team=other_team, created_by=outsider, title="Bravo breach", origin="external",
        visibility="library", platform="facebook", primary_cause=cause("account-compromise"),
        severity="critical", status="closed", organization=OrganizationFactory(name="Globex"),
        occurred_on=TODAY - timedelta(days=100),
    )
    bravo.contributing_causes.add(cause("insensitive-timing"))
    charlie = IncidentFactory(
        team=team, title="Charlie timing", origin="own", visibility="team",
        platform="instagram", primary_cause=cause("insensitive-timing"), severity="high",
        status="monitoring", organization=OrganizationFactory(name="Initech"),
        occurred_on=TODAY - timedelta(days=400),
    )
    IncidentFactory(team=other_team, title="Delta hidden", visibility="team",
                    organization=OrganizationFactory(name="Acme"),
                    primary_cause=cause("insensitive-timing"), severity="critical",
                    occurred_on=TODAY - timedelta(days=3))
    return alpha, bravo, charlie


def incident_list(client, **params):
    return client.get(reverse("incidents:incident-list"), params)


def test_incident_list_shows_own_and_library_incidents_newest_first(
        member_client, three_incidents):
    response = incident_list(member_client)
    assert response.status_code == 200
    assert page_titles(response) == ["Alpha slip", "Bravo breach", "Charlie timing"]
    assert "3 incidents" in response.content.decode()
    assert "Delta hidden" not in response.content.decode()


@pytest.mark.parametrize(("params", "expected"), [
    pytest.param({"origin": "external"}, ["Bravo breach"], id="origin"),
    pytest.param({"visibility": "team"}, ["Alpha slip", "Charlie timing"], id="visibility"),
    pytest.param({"platform": "instagram"}, ["Charlie timing"], id="platform"),
    pytest.param({"cause": "insensitive-timing"}, ["Bravo breach", "Charlie timing"],
                 id="cause-primary-or-contributing"),
    pytest.param({"cause": "account-compromise"}, ["Bravo breach"], id="cause-primary"),
    pytest.param({"primary_cause": "insensitive-timing"}, ["Charlie timing"],
                 id="primary-cause-only"),
    pytest.param({"severity": "critical"}, ["Bravo breach"], id="severity"),
    pytest.param({"status": "monitoring"}, ["Charlie timing"], id="status"),
    pytest.param({"organization": "acme"}, ["Alpha slip"], id="organisation"),
    pytest.param({"period": "30d"}, ["Alpha slip"], id="period-30-days"),
    pytest.param({"period": "90d"}, ["Alpha slip"], id="period-90-days"),
    pytest.param({"period": "12m"}, ["Alpha slip", "Bravo breach"], id="period-12-months"),
    pytest.param({"occurred_after": "2026-01-01", "occurred_before": "2026-08-31"},
                 ["Bravo breach"], id="date-range"),
    pytest.param({"q": "giraffe"}, ["Alpha slip"], id="search-summary"),
    pytest.param({"q": "breach"}, ["Bravo breach"], id="search-title"),
    pytest.param({"q": "Globex"}, ["Bravo breach"], id="search-organisation"),
    pytest.param({"origin": "own", "severity": "high"}, ["Charlie timing"], id="combined"),
])
def test_incident_list_filters(member_client, three_incidents, params, expected):
    response = incident_list(member_client, **params)
    assert response.status_code == 200
    assert page_titles(response) == expected


@pytest.mark.parametrize(("sort", "expected"), [
    ("-occurred_on", ["Alpha slip", "Bravo breach", "Charlie timing"]),
    ("occurred_on", ["Charlie timing", "Bravo breach", "Alpha slip"]),
    ("-severity", ["Bravo breach", "Charlie timing", "Alpha slip"]),
    ("severity", ["Alpha slip", "Charlie timing", "Bravo breach"]),
])
def test_incident_list_sorts(member_client, three_incidents, sort, expected):
    assert page_titles(incident_list(member_client, sort=sort)) == expected


def older(response) -> dict:
    """The query of the page's Older link, as the browser would follow it."""
    url = response.context["page"].older_url
    return dict(QueryDict(url.split("?", 1)[1]).items()) if url else {}


def newer(response) -> dict:
    url = response.context["page"].newer_url
    return dict(QueryDict(url.split("?", 1)[1]).items()) if url else {}


def test_incident_list_reads_25_a_page_older_and_newer(member_client, team):
    IncidentFactory.create_batch(30, team=team)
    first = incident_list(member_client)
    second = incident_list(member_client, **older(first))
    assert len(first.context["page"].object_list) == 25
    assert len(second.context["page"].object_list) == 5
    html = second.content.decode()
    assert html.count('<tr class="archived">') + html.count("<tr>\n") == 5
    assert "30 incidents" in html
    assert 'rel="prev">← Newer</a>' in html
    assert 'rel="next"' not in html
    back = incident_list(member_client, **newer(second))
    assert page_titles(back) == page_titles(first)
    assert newer(back) == {}


def test_pages_of_equal_dates_neither_skip_nor_repeat_a_row_while_rows_are_added(
        member_client, team):
    """The keyset reads on from the last row seen: an incident logged meanwhile, even on
    the same day, neither pushes a row onto the next page twice nor hides one."""
    day = date(2026, 3, 1)
    IncidentFactory.create_batch(40, team=team, occurred_on=day, title="Same day")
    seen = []
    page = incident_list(member_client, sort="-occurred_on", severity="medium")
    seen += [i.pk for i in page.context["page"].object_list]
    IncidentFactory.create_batch(3, team=team, occurred_on=day, title="Logged meanwhile")
    while older(page):
        assert older(page)["sort"] == "-occurred_on"  # the filters travel with the cursor
        assert older(page)["severity"] == "medium"
        page = incident_list(member_client, **older(page))
        seen += [i.pk for i in page.context["page"].object_list]
    assert len(seen) == len(set(seen)) == 40


@pytest.mark.parametrize("cursor", ["garbage", "W1sidiIsMV1d", "W10", "x" * 3000,
                                    "WyJ0IiwiMjAyNi0xMy0wMSJd",
                                    # Values of the wrong kind for the columns:
                                    "W1sidiIsICJhYmMiXSwgWyJ2IiwgIngiXSwgWyJ2IiwgImFiYyJdXQ"])
def test_a_garbled_cursor_reads_the_first_page(member_client, team, cursor):
    IncidentFactory.create_batch(3, team=team)
    for direction in ("after", "before"):
        response = incident_list(member_client, **{direction: cursor})
        assert response.status_code == 200
        assert len(response.context["page"].object_list) == 3


def test_a_large_list_says_how_many_up_to_a_cap(member_client, team, monkeypatch):
    monkeypatch.setattr(pages, "COUNT_CAP", 4)
    IncidentFactory.create_batch(5, team=team)
    assert "4+ incidents" in incident_list(member_client).content.decode()
    monkeypatch.setattr(pages, "COUNT_CAP", 5)
    assert "5 incidents" in incident_list(member_client).content.decode()


def test_htmx_request_for_the_results_gets_only_the_results_partial(
        member_client, three_incidents):
    response = member_client.get(reverse("incidents:incident-list"), {"severity": "critical"},
                                 headers=HTMX_RESULTS)
    html = response.content.decode()
    assert response.status_code == 200
    assert html.startswith('<div id="incident-results"')
    assert "<html" not in html
    assert 'class="filters"' not in html
    assert "Bravo breach" in html
    assert "Alpha slip" not in html


def test_htmx_request_for_another_target_gets_the_whole_page(member_client, three_incidents):
    response = member_client.get(reverse("incidents:incident-list"),
                                 headers={"HX-Request": "true", "HX-Target": "main"})
    assert "<html" in response.content.decode()


def test_organisation_filter_offers_only_organisations_the_reader_can_see(
        member_client, private_incident, library_incident, outsider_private_incident):
    # A name logged only in another team's private incident stays private (organization_get):
    # typed into the filter, it is refused as a name that does not exist would be.
    for incident in (private_incident, library_incident):
        response = incident_list(member_client, organization=incident.organization.name)
        assert [row.pk for row in response.context["page"].object_list] == [incident.pk]
    hidden = outsider_private_incident.organization.name
    response = incident_list(member_client, organization=hidden)
    assert response.context["filter"].errors["organization"] == [
        "No organisation you can see has that name: pick one from the suggestions."]
    unknown = incident_list(member_client, organization="No such organisation at all")
    assert unknown.context["filter"].errors == response.context["filter"].errors
    assert hidden not in incident_list(member_client).content.decode()


def test_empty_incident_list_invites_a_member_to_log_the_first_incident(member_client):
    html = incident_list(member_client).content.decode()
    assert "No incidents yet." in html
    assert "Log your first incident" in html


def test_empty_incident_list_tells_a_viewer_nothing_is_logged_yet(client, viewer):
    client.force_login(viewer)
    html = incident_list(client).content.decode()
    assert "No incidents yet." in html
    assert "Your team has not logged any incidents yet." in html
    assert "Log your first incident" not in html


def test_filters_matching_nothing_say_so_and_offer_to_clear_them(
        member_client, three_incidents):
    html = incident_list(member_client, q="zeppelin").content.decode()
    assert "No incidents match these filters." in html
    assert "Clear the filters" in html
    assert "No incidents yet." not in html


def test_archived_incidents_are_hidden_from_the_list_unless_asked_for(
        member_client, team, member):
    IncidentFactory(team=team, title="Still current")
    IncidentFactory(team=team, title="Put away", archived_at=NOW)
    assert page_titles(incident_list(member_client)) == ["Still current"]
    archived = incident_list(member_client, archived="true")
    assert page_titles(archived) == ["Put away"]
    assert '<span class="tag">archived</span>' in archived.content.decode()


def test_library_lists_only_library_incidents_of_every_team(
        member_client, team, private_incident, library_incident, outsider_private_incident):
    IncidentFactory(team=team, title="Comms shared case", visibility="library",
                    origin="external", occurred_on=date(2026, 9, 1))
    response = member_client.get(reverse("incidents:library"))
    assert response.status_code == 200
    assert page_titles(response) == ["Shared hashtag hijack", "Comms shared case"]


def test_library_filters_and_searches_too(member_client, three_incidents):
    response = member_client.get(reverse("incidents:library"), {"q": "Globex"})
    assert page_titles(response) == ["Bravo breach"]
    response = member_client.get(reverse("incidents:library"), {"severity": "low"})
    assert page_titles(response) == []
    assert "No incidents match these filters." in response.content.decode()


def test_empty_library_says_so(member_client, private_incident):
    html = member_client.get(reverse("incidents:library")).content.decode()
    assert "The shared library is empty." in html


# The incident page


@pytest.fixture
def full_incident(team, member):
    incident = IncidentFactory(
        team=team, created_by=member, title="Unread hashtag", summary="Nobody read it.",
        primary_cause=cause("production-slip"), acknowledged=True, apologized=True,
        explained_fix=True, response_score=3, context=["anniversary"], actor="agency",
    )
    incident.contributing_causes.add(cause("unchecked-trend"))
    incident.factors.add(Factor.objects.get(slug="no-approval-step"))
    incident.sources.add(SourceFactory(url="https://news.example.com/hashtag"),
                         through_defaults={"title": "Brand misreads hashtag"})
    TimelineEventFactory(incident=incident, at=datetime(2026, 10, 1, 9, 0, tzinfo=UTC),
                         kind="posted", text="The post went out")
    return incident


def test_incident_page_shows_sources_timeline_causes_and_response_score(
        member_client, full_incident):
    response = member_client.get(full_incident.get_absolute_url())
    html = response.content.decode()
    assert response.status_code == 200
    assert "<h1>Unread hashtag</h1>" in html
    assert "Brand misreads hashtag" in html
    assert 'href="https://news.example.com/hashtag"' in html
    assert "The post went out" in html
    assert "C13 Production or QA slip" in html
    assert '<a href="/incidents/?cause=unchecked-trend">Trend joined without checking</a>' in html
    assert "<dd>No approval step</dd>" in html
    assert "<dd>Anniversary</dd>" in html
    assert "<dd>Agency</dd>" in html
    assert 'title="Response score, 0 to 4">3/4</span>' in html


def test_incident_page_history_names_the_fields_an_edit_changed(
        member_client, member, private_incident):
    member_client.post(detail_url(private_incident, "incident-update"),
                       edit_data(private_incident, title="Renamed slip", severity="critical"))
    html = member_client.get(private_incident.get_absolute_url()).content.decode()
    assert f"<strong>{escape(str(member))}</strong> changed" in html
    assert "Title: <del>Private slip about the spring sale</del> → <ins>Renamed slip</ins>" in html
    assert "Severity: <del>Medium</del> → <ins>Critical</ins>" in html
    assert "logged it" in html


def test_incident_page_hides_change_buttons_from_a_viewer(client, viewer, full_incident):
    client.force_login(viewer)
    html = client.get(full_incident.get_absolute_url()).content.decode()
    assert "Unread hashtag" in html
    assert detail_url(full_incident, "incident-update") not in html
    assert "Add to timeline" not in html
    assert "Add source" not in html


def test_incident_page_element_ids_are_unique(member_client, full_incident):
    # The source and timeline forms sit on one page: a shared id breaks their labels.
    html = member_client.get(full_incident.get_absolute_url()).content.decode()
    ids = re.findall(r'\sid="([^"]+)"', html)
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    assert duplicates == []


def test_summary_markdown_is_rendered_and_sanitised(member_client, team):
    incident = IncidentFactory(
        team=team,
        summary="**Bold move** <script>alert('x')</script> "
                "[click](javascript:alert(1)) <img src=x onerror=alert(2)>",
    )
    html = member_client.get(incident.get_absolute_url()).content.decode()
    prose = html.split('<div class="prose">', 1)[1].split("</div>", 1)[0]
    assert "<strong>Bold move</strong>" in prose
    assert "<script" not in prose
    assert "<img" not in prose
    assert 'href="javascript' not in prose
    assert "&lt;script&gt;" in prose


# htmx sections: timeline and sources


def test_htmx_timeline_add_returns_the_timeline_with_the_new_entry(
        member_client, private_incident):
    response = member_client.post(
        detail_url(private_incident, "timeline-create"),
        {"timeline-at": "2026-11-09T08:15", "timeline-kind": "apology",
         "timeline-text": "We said sorry"}, headers=HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert html.startswith('<section id="timeline"')
    assert "<html" not in html
    assert "We said sorry" in html
    assert 'id="response-times" hx-swap-oob="true"' in html
    event = private_incident.timeline.get()
    assert (event.kind, event.text) == ("apology", "We said sorry")
    private_incident.refresh_from_db()
    assert private_incident.first_response_at == event.at


@pytest.mark.parametrize(("data", "field", "message"), [
    pytest.param({"timeline-at": "2026-11-12T08:00", "timeline-kind": "note",
                  "timeline-text": "Too early"}, "timeline-at",
                 "That time is in the future.", id="future-time"),
    pytest.param({"timeline-at": "2026-11-09T08:00", "timeline-kind": "note",
                  "timeline-text": ""}, "timeline-text",
                 "This field is required.", id="empty-text"),
])
def test_htmx_timeline_add_with_bad_input_returns_the_timeline_with_the_error(
        member_client, private_incident, data, field, message):
    response = member_client.post(detail_url(private_incident, "timeline-create"), data,
                                  headers=HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert html.startswith('<section id="timeline"')
    assert field_error(field, message) in html
    assert input_value("timeline-at", data["timeline-at"]) in html
    assert private_incident.timeline.count() == 0


def test_plain_post_of_a_bad_timeline_entry_goes_back_to_the_page_with_the_error(
        member_client, private_incident):
    response = member_client.post(detail_url(private_incident, "timeline-create"),
                                  {"timeline-at": "2026-11-09T08:00", "timeline-kind": "note",
                                   "timeline-text": ""},
                                  follow=True)
    assert response.redirect_chain == [(private_incident.get_absolute_url(), 302)]
    assert "This field is required." in response.content.decode()


def test_htmx_timeline_remove_returns_the_timeline_without_the_entry(
        member_client, private_incident):
    event = TimelineEventFactory(incident=private_incident, text="Remove me")
    response = member_client.post(detail_url(private_incident, "timeline-delete",
                                             event_id=event.public_id), headers=HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert html.startswith('<section id="timeline"')
    assert "Remove me" not in html
    assert "No timeline yet." in html
    assert not TimelineEvent.objects.filter(pk=event.pk).exists()


def test_removing_another_incidents_timeline_entry_is_404(
        member_client, team, private_incident):
    elsewhere = TimelineEventFactory(incident=IncidentFactory(team=team))
    response = member_client.post(detail_url(private_incident, "timeline-delete",
                                             event_id=elsewhere.public_id), headers=HTMX)
    assert response.status_code == 404
    assert TimelineEvent.objects.filter(pk=elsewhere.pk).exists()


def test_htmx_source_add_returns_the_sources_with_the_new_link(member_client, private_incident):
    response = member_client.post(
        detail_url(private_incident, "source-create"),
        {"source-url": "https://www.instagram.com/p/abc/", "source-kind": "post",
         "source-title": "The post"},
        headers=HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert html.startswith('<section id="sources"')
    assert "<html" not in html
    assert "The post" in html
    link = private_incident.source_links.get()
    assert (link.source.url, link.kind, link.source.platform) == (
        "https://instagram.com/p/abc", "post", "instagram")


def test_htmx_source_add_of_a_link_already_there_shows_the_error_beside_the_link(
        member_client, private_incident):
    private_incident.sources.add(SourceFactory(url="https://news.example.com/once"))
    response = member_client.post(detail_url(private_incident, "source-create"),
                                  {"source-url": "https://news.example.com/once",
                                   "source-kind": "article"},
                                  headers=HTMX)
    assert field_error("source-url", "This link is already a source of this incident.") in (
        response.content.decode())
    assert private_incident.sources.count() == 1


def test_htmx_source_add_refuses_a_javascript_link(member_client, private_incident):
    response = member_client.post(detail_url(private_incident, "source-create"),
                                  {"source-url": "javascript:alert(1)", "source-kind": "article"},
                                  headers=HTMX)
    assert field_error("source-url",
                       "Enter a web address starting with http:// or https://.") in (
        response.content.decode())
    assert private_incident.sources.count() == 0


def test_htmx_source_remove_detaches_the_link_and_keeps_it_for_other_incidents(
        member_client, team, private_incident):
    shared = SourceFactory(url="https://news.example.com/shared")
    other = IncidentFactory(team=team)
    private_incident.sources.add(shared)
    other.sources.add(shared)
    response = member_client.post(detail_url(private_incident, "source-delete",
                                             source_id=shared.public_id), headers=HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert html.startswith('<section id="sources"')
    assert "https://news.example.com/shared" not in html
    assert private_incident.sources.count() == 0
    assert list(other.sources.all()) == [shared]
    assert Source.objects.filter(pk=shared.pk).exists()


def test_removing_a_link_that_is_not_a_source_of_the_incident_is_404(
        member_client, private_incident):
    stranger = SourceFactory()
    response = member_client.post(detail_url(private_incident, "source-delete",
                                             source_id=stranger.public_id), headers=HTMX)
    assert response.status_code == 404


def test_sources_and_timeline_entries_are_removed_by_their_public_id(
        member_client, private_incident):
    source = SourceFactory()
    private_incident.sources.add(source)
    event = TimelineEventFactory(incident=private_incident)
    html = member_client.get(detail_url(private_incident)).content.decode()
    remove_source = detail_url(private_incident, "source-delete", source_id=source.public_id)
    remove_event = detail_url(private_incident, "timeline-delete", event_id=event.public_id)
    assert f'action="{remove_source}"' in html
    assert f'action="{remove_event}"' in html


@pytest.mark.parametrize("address", ["unknown", "integer", "malformed"])
@pytest.mark.parametrize("route", ["sources", "timeline"])
def test_a_source_or_timeline_address_that_is_not_a_public_id_is_404(
        member_client, private_incident, route, address):
    source = SourceFactory()
    private_incident.sources.add(source)
    event = TimelineEventFactory(incident=private_incident)
    target = source if route == "sources" else event
    ident = {"unknown": uuid.uuid4(), "integer": target.pk, "malformed": "not-a-uuid"}[address]
    response = member_client.post(f"{detail_url(private_incident)}{route}/{ident}/remove/",
                                  headers=HTMX)
    assert response.status_code == 404
    assert list(private_incident.sources.all()) == [source]
    assert list(private_incident.timeline.all()) == [event]


# Archive and restore


def test_archive_then_restore_keeps_the_incident(member_client, private_incident):
    count = Incident.objects.count()
    archived = member_client.post(detail_url(private_incident, "incident-archive"), follow=True)
    private_incident.refresh_from_db()
    assert archived.redirect_chain == [(private_incident.get_absolute_url(), 302)]
    assert private_incident.archived_at is not None
    assert Incident.objects.count() == count
    assert "It is out of lists and search until restored." in archived.content.decode()
    assert page_titles(incident_list(member_client)) == []

    restored = member_client.post(detail_url(private_incident, "incident-restore"), follow=True)
    private_incident.refresh_from_db()
    assert private_incident.archived_at is None
    assert Incident.objects.count() == count
    assert "Incident restored." in restored.content.decode()
    assert page_titles(incident_list(member_client)) == ["Private slip about the spring sale"]
    assert "restored it" in restored.content.decode()
    assert "archived it" in restored.content.decode()


def test_archive_and_restore_refuse_get(member_client, private_incident):
    assert member_client.get(detail_url(private_incident, "incident-archive")).status_code == 405
    assert member_client.get(detail_url(private_incident, "incident-restore")).status_code == 405


# Edit


def test_edit_page_shows_the_incident_in_the_form(member_client, full_incident):
    response = member_client.get(detail_url(full_incident, "incident-update"))
    html = response.content.decode()
    assert response.status_code == 200
    assert input_value("title", "Unread hashtag") in html
    assert input_value("organization_name", full_incident.organization.name) in html
    assert re.search(r'name="contributing_causes" value="unchecked-trend" id="[^"]+" checked',
                     html)
    assert re.search(r'name="factors" value="no-approval-step" id="[^"]+" checked', html)
    assert re.search(r'name="context" value="anniversary" id="[^"]+" checked', html)
    assert '<option value="agency" selected>Agency</option>' in html
    assert '<input type="checkbox" name="acknowledged" id="id_acknowledged" checked>' in html


def test_edit_saves_causes_factors_context_and_response_moves(member_client, private_incident):
    response = member_client.post(detail_url(private_incident, "incident-update"), edit_data(
        private_incident,
        title="Spring sale slip, fully told",
        organization_name="Wayne Enterprises",
        contributing_causes=["unchecked-trend", "tone-deaf-creative"],
        factors=["no-approval-step", "slow-response"],
        context=["tragedy", "political"],
        actor="agency",
        status="closed",
        severity="high",
        acknowledged="on", apologized="on", asked_for_help="on", defensive="on",
        detected_at="2026-10-01T09:00", resolved_at="2026-10-02T17:30",
    ))
    assert response.status_code == 302
    assert response.url == private_incident.get_absolute_url()
    incident = Incident.objects.get(pk=private_incident.pk)
    assert incident.title == "Spring sale slip, fully told"
    assert incident.organization.name == "Wayne Enterprises"
    assert sorted(c.slug for c in incident.contributing_causes.all()) == [
        "tone-deaf-creative", "unchecked-trend"]
    assert sorted(f.slug for f in incident.factors.all()) == ["no-approval-step", "slow-response"]
    assert incident.context == ["political", "tragedy"]
    assert (incident.actor, incident.status, incident.severity) == ("agency", "closed", "high")
    assert (incident.acknowledged, incident.apologized, incident.asked_for_help,
            incident.defensive, incident.explained_fix) == (True, True, True, True, False)
    assert incident.response_score == 2
    assert incident.resolved_at - incident.detected_at == timedelta(hours=32, minutes=30)
    page = member_client.get(response.url).content.decode()
    assert "Incident saved." in page
    assert "2/4" in page


def test_edit_shows_resolved_before_detected_beside_the_field_and_keeps_the_input(
        member_client, private_incident):
    response = member_client.post(detail_url(private_incident, "incident-update"), edit_data(
        private_incident, title="Typed but not saved",
        detected_at="2026-10-02T10:00", resolved_at="2026-10-01T10:00"))
    html = response.content.decode()
    assert response.status_code == 200
    assert field_error("resolved_at", "Resolved can't be before it was detected.") in html
    assert input_value("title", "Typed but not saved") in html
    private_incident.refresh_from_db()
    assert private_incident.title == "Private slip about the spring sale"
    assert private_incident.resolved_at is None


@pytest.mark.parametrize(("overrides", "field", "message"), [
    pytest.param({"occurred_on": "2026-12-01"}, "occurred_on", "That date is in the future.",
                 id="future-date"),
    pytest.param({"title": ""}, "title", "This field is required.", id="empty-title"),
    pytest.param({"primary_cause": "bad-luck"}, "primary_cause",
                 "Select a valid choice. That choice is not one of the available choices.",
                 id="unknown-cause"),
    pytest.param({"context": ["birthday"]}, "context",
                 "Select a valid choice. birthday is not one of the available choices.",
                 id="unknown-context"),
])
def test_edit_with_bad_input_shows_the_error_beside_the_field(
        member_client, private_incident, overrides, field, message):
    response = member_client.post(detail_url(private_incident, "incident-update"),
                                  edit_data(private_incident, **overrides))
    assert response.status_code == 200
    assert field_error(field, message) in response.content.decode()


# Organisations


def test_organisation_list_counts_the_incidents_each_reader_can_see(
        member_client, team, private_incident, library_incident, outsider_private_incident):
    IncidentFactory(team=team, organization=private_incident.organization)
    response = member_client.get(reverse("incidents:organization-list"))
    html = response.content.decode()
    rows = [(org.name, org.incident_count) for org in response.context["page"].object_list]
    assert rows == sorted([(private_incident.organization.name, 2),
                           (library_incident.organization.name, 1)])
    assert outsider_private_incident.organization.name not in html


def test_organisation_list_searches_by_name(member_client, three_incidents):
    response = member_client.get(reverse("incidents:organization-list"), {"q": "glob"})
    assert [org.name for org in response.context["page"].object_list] == ["Globex"]
    empty = member_client.get(reverse("incidents:organization-list"), {"q": "zeppelin"})
    assert "No organisation matches “zeppelin”." in empty.content.decode()


def test_empty_organisation_list_says_so(member_client):
    html = member_client.get(reverse("incidents:organization-list")).content.decode()
    assert "No organisations yet." in html


def test_organisation_page_lists_its_readable_incidents(
        member_client, team, other_team, three_incidents):
    acme = three_incidents[0].organization
    response = member_client.get(acme.get_absolute_url())
    html = response.content.decode()
    assert response.status_code == 200
    assert "<h1>Acme</h1>" in html
    assert page_titles(response) == ["Alpha slip"]
    assert "1 incident" in html
    assert "Delta hidden" not in html


def test_organisation_known_only_from_another_teams_private_incident_is_404(
        member_client, outsider_private_incident):
    response = member_client.get(outsider_private_incident.organization.get_absolute_url())
    assert response.status_code == 404


# Query counts: a list costs the same whatever its length. Every page pays 3 for the
# session, the user and their memberships (header); the rest is named beside each number.

# count, rows and root causes for the filter form (organisations are suggested as one types,
# never listed)
LIST_QUERIES = 6
# count and rows only: the partial has no filter form
LIST_PARTIAL_QUERIES = 5
LIBRARY_QUERIES = 6
# incident, its 4 prefetches, can_write, 3 history (records + 2 m2m), names of causes and
# organisations, timeline and source-link history, the owning team's people in it; then the
# learnings panel (learnings' template tag): writable teams, linked learnings, learning
# precedents, library precedents, repeat cause (tests/learnings/test_views.py counts it
# with learnings and precedents)
DETAIL_QUERIES = 22
# organisation, count, rows
ORGANIZATION_QUERIES = 6
# rows only, each counted in the same query (the page shows no total)
ORGANIZATION_LIST_QUERIES = 4


def make_incidents(team, n):
    for i in range(n):
        incident = IncidentFactory(team=team, title=f"Counted {i}",
                                   organization=OrganizationFactory(name=f"Org {i % 7}"))
        incident.contributing_causes.add(cause("unchecked-trend"))


def make_shared(team, n):
    for i in range(n):
        IncidentFactory(team=team, title=f"Shared {i}", visibility="library", origin="external",
                        organization=OrganizationFactory(name=f"Org {i % 7}"))


@pytest.mark.parametrize("n", [5, 30])
def test_incident_list_query_count_does_not_grow_with_rows(
        member_client, team, django_assert_num_queries, n):
    make_incidents(team, n)
    with django_assert_num_queries(LIST_QUERIES):
        response = incident_list(member_client)
    assert len(response.context["page"].object_list) == min(n, 25)


@pytest.mark.parametrize("n", [5, 30])
def test_htmx_incident_results_query_count_does_not_grow_with_rows(
        member_client, team, django_assert_num_queries, n):
    make_incidents(team, n)
    with django_assert_num_queries(LIST_PARTIAL_QUERIES):
        member_client.get(reverse("incidents:incident-list"), headers=HTMX_RESULTS)


@pytest.mark.parametrize("n", [5, 30])
def test_library_query_count_does_not_grow_with_rows(
        member_client, team, django_assert_num_queries, n):
    make_shared(team, n)
    with django_assert_num_queries(LIBRARY_QUERIES):
        response = member_client.get(reverse("incidents:library"))
    assert len(response.context["page"].object_list) == min(n, 25)


@pytest.mark.parametrize("n", [1, 10])
def test_incident_page_query_count_does_not_grow_with_sources_timeline_or_history(
        member_client, member, team, django_assert_num_queries, n):
    incident = IncidentFactory(team=team, created_by=member)
    for i in range(n):
        source_add(user=member, incident=incident, url=f"https://news.example.com/{i}",
                   kind="article")
        TimelineEventFactory(incident=incident, at=NOW - timedelta(hours=i + 1))
        incident.contributing_causes.add(cause(
            ["unchecked-trend", "tone-deaf-creative", "automation-misfire", "rogue-insider",
             "defensive-response", "account-compromise", "insensitive-timing",
             "cultural-insensitivity", "personal-account-mixup",
             "participation-hijacked"][i]))
        incident_update(user=member, incident=incident, data={"title": f"Version {i}"})
    with django_assert_num_queries(DETAIL_QUERIES):
        response = member_client.get(incident.get_absolute_url())
    assert response.context["incident"].sources.count() == n
    assert len(response.context["history"]) >= 4 * n


@pytest.mark.parametrize("n", [5, 30])
def test_organisation_page_query_count_does_not_grow_with_rows(
        member_client, team, django_assert_num_queries, n):
    acme = OrganizationFactory(name="Acme")
    for i in range(n):
        IncidentFactory(team=team, organization=acme, title=f"Acme {i}")
    with django_assert_num_queries(ORGANIZATION_QUERIES):
        response = member_client.get(acme.get_absolute_url())
    assert len(response.context["page"].object_list) == min(n, 25)


@pytest.mark.parametrize("n", [5, 60])
def test_organisation_list_query_count_does_not_grow_with_rows(
        member_client, team, django_assert_num_queries, n):
    for i in range(n):
        IncidentFactory(team=team, organization=OrganizationFactory(name=f"Company {i:02d}"))
    with django_assert_num_queries(ORGANIZATION_LIST_QUERIES):
        response = member_client.get(reverse("incidents:organization-list"))
    assert len(response.context["page"].object_list) == min(n, 50)



def form_as_sent(form) -> dict:
    """What a browser sends back for an unbound form it was shown, untouched."""
    data = {}
    for name, field in form.fields.items():
        value = form[name].value()
        if isinstance(field.widget, CheckboxInput):
            if value:
                data[name] = "on"
        elif value is None:
            data[name] = ""
        elif isinstance(value, list | tuple):
            data[name] = [str(v) for v in value]
        else:
            data[name] = form[name].field.widget.format_value(value) or ""
    return data


def test_edit_form_preselects_the_primary_cause_contributing_causes_and_factors(
        member_client, full_incident):
    html = member_client.get(detail_url(full_incident, "incident-update")).content.decode()
    assert re.search(r'<option value="production-slip"[^>]* selected>', html)
    assert html.count(" selected>") == 5  # primary cause, platform, severity, status, actor
    assert re.search(r'name="contributing_causes" value="unchecked-trend" id="[^"]+" checked',
                     html)
    assert re.search(r'name="factors" value="no-approval-step" id="[^"]+" checked', html)


def test_edit_that_changes_only_the_severity_keeps_the_causes_and_factors(
        member_client, full_incident):
    url = detail_url(full_incident, "incident-update")
    data = form_as_sent(member_client.get(url).context["form"])
    data["severity"] = "critical"
    response = member_client.post(url, data)
    assert response.status_code == 302, response.context["form"].errors
    incident = Incident.objects.get(pk=full_incident.pk)
    assert incident.severity == "critical"
    assert incident.primary_cause.slug == "production-slip"
    assert [c.slug for c in incident.contributing_causes.all()] == ["unchecked-trend"]
    assert [f.slug for f in incident.factors.all()] == ["no-approval-step"]


# Active filters as chips; a date range that cannot match


def chip(href: str, text: str) -> str:
    return (f'<a class="chip" href="{escape(href)}" aria-label="Remove the filter {escape(text)}">'
            f'{escape(text)} <span aria-hidden="true">×</span></a>')


def test_a_filter_the_form_does_not_show_is_a_chip_that_removes_it(
        member_client, three_incidents):
    # The link of the precedents panel: "All library incidents with this cause".
    response = member_client.get(reverse("incidents:library"),
                                 {"primary_cause": "account-compromise", "sort": "-severity"})
    html = response.content.decode()
    assert page_titles(response) == ["Bravo breach"]
    assert chip("/library/?sort=-severity", "Primary cause: Account compromise") in html
    assert html.count('class="chip"') == 1  # the order is not a filter


def test_every_active_filter_is_a_chip_linking_to_the_list_without_it(
        member_client, three_incidents):
    params = {"cause": "insensitive-timing", "platform": "instagram", "q": "timing",
              "occurred_after": "2025-01-01", "archived": "", "page": "1"}
    html = member_client.get(reverse("incidents:incident-list"), params).content.decode()
    assert chip("/incidents/?platform=instagram&q=timing&occurred_after=2025-01-01&archived=",
                "Cause: Insensitive timing") in html
    assert chip("/incidents/?cause=insensitive-timing&q=timing&occurred_after=2025-01-01"
                "&archived=", "Platform: Instagram") in html
    assert chip("/incidents/?cause=insensitive-timing&platform=instagram"
                "&occurred_after=2025-01-01&archived=", "Search: “timing”") in html
    assert chip("/incidents/?cause=insensitive-timing&platform=instagram&q=timing&archived=",
                "From: 1 Jan 2025") in html
    assert html.count('class="chip"') == 4


def test_archived_filter_chip_reads_plainly(member_client, three_incidents):
    html = member_client.get(reverse("incidents:incident-list"),
                             {"archived": "true"}).content.decode()
    assert chip("/incidents/", "Archived only") in html


def test_an_unfiltered_list_shows_no_chips(member_client, three_incidents):
    html = member_client.get(reverse("incidents:incident-list")).content.decode()
    assert 'class="filter-chips"' not in html


def test_from_after_to_says_so_beside_from_instead_of_listing_nothing(
        member_client, three_incidents):
    response = member_client.get(reverse("incidents:incident-list"), {
        "occurred_after": "2026-11-01", "occurred_before": "2026-01-01"})
    html = response.content.decode()
    assert field_error("occurred_after", "From must be on or before To.") in html
    assert page_titles(response) == ["Alpha slip", "Bravo breach", "Charlie timing"]
    assert "No incidents match" not in html


def test_from_after_to_changed_in_place_sends_the_message_beside_from(
        member_client, three_incidents):
    response = member_client.get(reverse("incidents:incident-list"), {
        "occurred_after": "2026-11-01", "occurred_before": "2026-01-01"},
        headers=HTMX_RESULTS)
    html = response.content.decode()
    assert ('<div class="filter-errors" id="id_occurred_after_errors" hx-swap-oob="true">'
            + field_error("occurred_after", "From must be on or before To.") + "</div>") in html
    # Once the range is right again, the message goes.
    html = member_client.get(reverse("incidents:incident-list"), {
        "occurred_after": "2026-01-01", "occurred_before": "2026-11-01"},
        headers=HTMX_RESULTS).content.decode()
    assert ('<div class="filter-errors" id="id_occurred_after_errors" hx-swap-oob="true">'
            "</div>") in html


def test_from_equal_to_to_is_one_day(member_client, three_incidents):
    day = (TODAY - timedelta(days=5)).isoformat()
    response = member_client.get(reverse("incidents:incident-list"), {
        "occurred_after": day, "occurred_before": day})
    assert page_titles(response) == ["Alpha slip"]
    assert "From must be on or before To." not in response.content.decode()


# One wording for each thing


def test_who_posted_it_is_called_the_same_on_the_edit_form_the_page_and_its_history(
        member_client, member, full_incident):
    edit = member_client.get(detail_url(full_incident, "incident-update")).content.decode()
    assert '<label for="id_actor">Who posted it <span class="req"' in edit
    member_client.post(detail_url(full_incident, "incident-update"),
                       edit_data(full_incident, actor="intern",
                                 contributing_causes=["unchecked-trend"],
                                 factors=["no-approval-step"], context=["anniversary"]))
    page = member_client.get(full_incident.get_absolute_url()).content.decode()
    assert "<dt>Who posted it</dt>\n          <dd>Intern</dd>" in page
    assert "Who posted it: <del>Agency</del> → <ins>Intern</ins>" in page
    assert "Actor" not in edit + page


def test_cause_codes_never_appear_without_the_cause_name(member_client, member, full_incident):
    incident_update(user=member, incident=full_incident,
                    data={"primary_cause": cause("defensive-response")})
    names = {c.code: c.name for c in RootCause.objects.all()}
    pages = [member_client.get(url).content.decode() for url in (
        full_incident.get_absolute_url(), detail_url(full_incident, "incident-update"),
        reverse("incidents:incident-list"), reverse("incidents:incident-create"))]
    for html in pages:
        for code in re.findall(r"\bC\d\d\b", html):
            assert re.search(rf"\b{code} {re.escape(escape(names[code]))}", html), code
    assert "Defensive or hostile response" in pages[0]


def test_another_teams_own_failure_is_labelled_as_theirs_not_ours(
        member_client, team, other_team, outsider):
    theirs = IncidentFactory(team=other_team, created_by=outsider, visibility="library",
                             origin="own", title="Their own shared slip")
    ours = IncidentFactory(team=team, origin="own", title="Our own slip")
    listed = member_client.get(reverse("incidents:incident-list")).content.decode()
    assert '<span class="tag own">Elsewhere\'s own</span>' in listed
    assert '<span class="tag own">own</span>' in listed
    page = member_client.get(theirs.get_absolute_url()).content.decode()
    assert "Elsewhere's own</span>" in page
    assert ">Our own</span>" not in page
    assert ">Our own</span>" in member_client.get(ours.get_absolute_url()).content.decode()
