"""The team dashboard (and the signed-in home), the library dashboard, and the incident list's
team filter that the dashboards' links use: who may read them, what they count (and what
they leave out), the period selector, htmx, and their query counts."""

import json
import re
from datetime import UTC, date, datetime
from html import escape

import pytest
import time_machine
from django.urls import reverse

from accounts.models import Role
from learnings.services import learning_change_status, learning_create_from_incidents
from tests.conftest import built_once
from tests.factories import (
    IncidentFactory,
    MembershipFactory,
    TeamFactory,
    UserFactory,
    cause,
)

NOW = datetime(2026, 11, 10, 12, 0, tzinfo=UTC)
HTMX = {"HX-Request": "true", "HX-Target": "dashboard"}
DASHBOARD = "/teams/comms/dashboard/"
# What each page asks of the database, whatever the data's size: the session, the user and
# their memberships (3); then the team's history (1: it has an incident) and its metrics (8);
# or the library's metrics (3: the grouped read, the causes, the top organisations). Pinned so
# that an N+1 cannot creep in.
TEAM_QUERIES = 12
TEAM_PARTIAL_QUERIES = 12
LIBRARY_QUERIES = 6


@pytest.fixture(autouse=True)
def frozen_now():
    with time_machine.travel(NOW, tick=False):
        yield


class World:
    """Two teams, Comms (a manager, a member, a viewer; the person in both teams) and
    Elsewhere, with incidents and learnings of each: what the dashboards count and what they
    must leave out."""


def person(team, role, email):
    return MembershipFactory(team=team, role=role, user=UserFactory(email=email)).user


def build() -> World:
    world = World()
    with time_machine.travel(NOW, tick=False):
        comms = TeamFactory(name="Comms", slug="comms", timezone="UTC")
        elsewhere = TeamFactory(name="Elsewhere", slug="elsewhere", timezone="UTC")
        world.comms, world.elsewhere = comms, elsewhere
        world.manager = person(comms, Role.MANAGER, "manager@example.com")
        world.member = person(comms, Role.MEMBER, "member@example.com")
        world.viewer = person(comms, Role.VIEWER, "viewer@example.com")
        world.outsider = person(elsewhere, Role.MANAGER, "outsider@example.com")
        world.both = person(comms, Role.MEMBER, "both@example.com")
        MembershipFactory(team=elsewhere, user=world.both, role=Role.VIEWER)
        slip, timing = cause("production-slip"), cause("insensitive-timing")
        own = IncidentFactory(team=comms, created_by=world.member, title="Comms own slip",
                              occurred_on=date(2026, 11, 2), primary_cause=slip)
        world.own = own
        world.external = IncidentFactory(
            team=comms, created_by=world.member, title="Comms shared case", origin="external",
            visibility="library", occurred_on=date(2026, 10, 20), primary_cause=timing)
        IncidentFactory(team=comms, created_by=world.member, title="Comms archived slip",
                        occurred_on=date(2026, 11, 3), primary_cause=slip, archived_at=NOW)
        IncidentFactory(team=comms, created_by=world.member, title="Comms spring slip",
                        occurred_on=date(2026, 5, 4), primary_cause=timing)
        world.secret = IncidentFactory(
            team=elsewhere, created_by=world.outsider, title="Elsewhere's secret misstep",
            occurred_on=date(2026, 11, 2), primary_cause=slip)
        world.shared = IncidentFactory(
            team=elsewhere, created_by=world.outsider, title="Shared hashtag hijack",
            origin="external", visibility="library", occurred_on=date(2026, 11, 4),
            primary_cause=timing, platform="instagram", severity="high", acknowledged=True)
        learning, _ = learning_create_from_incidents(
            user=world.member, team=comms, incident_ids=[world.shared.public_id],
            title="Check the calendar before posting", owner=world.member)
        learning_change_status(user=world.member, learning=learning, status="proposed")
        world.learning = learning
        learning_create_from_incidents(
            user=world.outsider, team=elsewhere, incident_ids=[world.secret.public_id],
            title="Elsewhere's private learning", owner=world.outsider)
        world.new_team = TeamFactory(name="Newcomers", slug="newcomers", timezone="UTC")
        world.new_writer = person(world.new_team, Role.MEMBER, "new-writer@example.com")
        world.new_viewer = person(world.new_team, Role.VIEWER, "new-viewer@example.com")
        world.teamless = UserFactory(email="teamless@example.com")
    return world


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    with built_once(django_db_blocker):
        yield build()


def signed_in(client, user):
    client.force_login(user)
    return client


def page(client, user, path=DASHBOARD, **headers):
    return signed_in(client, user).get(path, headers=headers)


def field_error(field: str, message: str) -> str:
    return (f'<ul class="errorlist" id="id_{field}_error" role="alert">'
            f"<li>{escape(message)}</li></ul>")


# Who may read the team dashboard


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["manager", "member", "viewer"])
def test_every_person_of_the_team_reads_its_dashboard(client, world, role):
    response = page(client, getattr(world, role))
    assert response.status_code == 200
    assert response.context["team"] == world.comms


@pytest.mark.django_db
def test_someone_of_another_team_gets_404_not_403(client, world):
    response = page(client, world.outsider)
    assert response.status_code == 404


@pytest.mark.django_db
def test_an_unknown_team_is_404_too(client, world):
    response = page(client, world.manager, "/teams/nobody/dashboard/")
    assert response.status_code == 404


@pytest.mark.django_db
def test_an_anonymous_visitor_is_sent_to_sign_in(client, world):
    response = client.get(DASHBOARD + "?period=30d")
    assert response.status_code == 302
    assert response.url == "/accounts/login/?next=/teams/comms/dashboard/%3Fperiod%3D30d"


# The signed-in home


@pytest.mark.django_db
def test_home_is_the_current_teams_dashboard(client, world):
    response = page(client, world.member, "/")
    assert response.status_code == 200
    assert response.context["team"] == world.comms
    assert '<a href="/teams/comms/dashboard/" aria-current="page">Dashboard</a>' in (
        response.content.decode())


@pytest.mark.django_db
def test_home_follows_the_team_chosen_in_the_switcher(client, world):
    signed_in(client, world.both)
    client.post(reverse("accounts:team-switch"), {"team": "elsewhere", "next": "/"})
    response = client.get("/")
    assert response.context["team"] == world.elsewhere


@pytest.mark.django_db
def test_someone_in_no_team_is_sent_to_the_incident_list_as_before(client, world):
    response = page(client, world.teamless, "/")
    assert response.status_code == 302
    assert response.url == "/incidents/"


@pytest.mark.django_db
def test_home_sends_an_anonymous_visitor_to_sign_in_and_back(client, world):
    response = client.get("/")
    assert response.url == "/accounts/login/?next=/"


# What the dashboard counts


@pytest.mark.django_db
def test_the_dashboard_counts_the_teams_own_active_incidents_of_the_period(client, world):
    response = page(client, world.viewer)
    numbers = response.context["m"]
    assert numbers.incidents == {"own": 1, "external": 1}
    assert [(c.slug, c.own, c.external) for c in numbers.causes] == [
        ("insensitive-timing", 0, 1), ("production-slip", 1, 0)]
    assert numbers.learnings["proposed"] == 1
    assert [incident.title for incident in numbers.recent_incidents] == [
        "Comms own slip", "Comms shared case"]
    assert [learning.title for learning in numbers.recent_learnings] == [
        "Check the calendar before posting"]


@pytest.mark.django_db
def test_another_teams_private_incidents_and_learnings_are_not_on_the_page(client, world):
    html = page(client, world.manager).content.decode()
    assert "Comms own slip" in html
    assert "Elsewhere" not in html.replace("Elsewhere&#x27;s", "")  # no team switcher either
    assert escape("Elsewhere's secret misstep") not in html
    assert escape("Elsewhere's private learning") not in html
    assert escape("Shared hashtag hijack") not in html  # the library's, not the team's


@pytest.mark.django_db
def test_archived_incidents_are_neither_listed_nor_counted(client, world):
    response = page(client, world.manager, DASHBOARD + "?period=30d")
    week = next(row for row in response.context["weeks"]["rows"] if row["label"] == "2 Nov 2026")
    assert (week["own"], week["external"]) == (1, 0)
    assert "Comms archived slip" not in response.content.decode()


@pytest.mark.django_db
def test_the_weekly_table_holds_the_charts_numbers_and_links_each_week(client, world):
    response = page(client, world.manager, DASHBOARD + "?period=30d")
    chart = response.context["weeks_json"]
    rows = response.context["weeks"]["rows"]
    assert [row["label"] for row in rows] == [
        "12 Oct 2026", "19 Oct 2026", "26 Oct 2026", "2 Nov 2026", "9 Nov 2026"]
    assert chart["datasets"][0]["data"] == [0, 0, 0, 1, 0]
    assert chart["datasets"][1]["data"] == [0, 1, 0, 0, 0]
    assert rows[3]["urls"]["own"] == ("/incidents/?team=comms&origin=own"
                                      "&occurred_after=2026-11-02&occurred_before=2026-11-08")
    assert chart["datasets"][0]["links"][3] == rows[3]["urls"]["own"]
    # The last week is clipped to the period's last day (today).
    assert rows[4]["url"] == ("/incidents/?team=comms"
                              "&occurred_after=2026-11-09&occurred_before=2026-11-10")
    html = response.content.decode()
    assert ('<tr data-href="/incidents/?team=comms&amp;occurred_after=2026-11-02&amp;'
            'occurred_before=2026-11-08"><th scope="row"><a href=') in html
    script = re.search(r'<script id="weeks-data" type="application/json">(.*?)</script>', html)
    assert json.loads(script.group(1)) == chart


@pytest.mark.django_db
def test_the_first_week_is_clipped_to_the_periods_first_day(client, world):
    rows = page(client, world.manager).context["weeks"]["rows"]  # 90 days: from Thursday 13 Aug
    assert rows[0]["label"] == "10 Aug 2026"
    assert rows[0]["url"] == ("/incidents/?team=comms"
                              "&occurred_after=2026-08-13&occurred_before=2026-08-16")


@pytest.mark.django_db
def test_the_causes_link_to_the_list_of_that_cause_in_the_period(client, world):
    response = page(client, world.manager)
    rows = response.context["causes"]["rows"]
    assert rows[1]["urls"]["own"] == (
        "/incidents/?team=comms&origin=own&primary_cause=production-slip"
        "&occurred_after=2026-08-13&occurred_before=2026-11-10")


@pytest.mark.django_db
def test_the_learning_cards_link_to_the_learnings_of_each_status(client, world):
    html = page(client, world.manager).content.decode()
    assert ('<a href="/learnings/?team=comms&amp;status=proposed"><span class="status '
            'status-proposed">Proposed</span> <strong>1</strong></a>') in html


@pytest.mark.django_db
def test_each_card_says_how_it_is_counted(client, world):
    html = page(client, world.manager).content.decode()
    assert html.count("<summary>How is this counted?</summary>") == 11
    assert "the median minutes from detection to" in html


@pytest.mark.django_db
def test_numbers_that_cannot_be_counted_show_a_dash_and_why(client, world):
    html = page(client, world.manager).content.decode()
    assert ('<p class="figure">—</p><p class="muted">No own incident in this period has both '
            'a detection time and a first public response.</p>') in html


@pytest.mark.django_db
def test_a_period_without_an_own_incident_has_no_learning_ratio(client, world):
    response = page(client, world.manager, DASHBOARD + "?from=2026-10-15&to=2026-10-25")
    assert response.context["m"].learning_ratio is None
    assert ('<p class="figure">—</p><p class="muted">No own incident in this period to divide '
            'by.</p>') in response.content.decode()


# A new team


@pytest.mark.django_db
def test_a_new_team_is_told_what_to_do_first_with_the_log_button_for_writers(client, world):
    html = page(client, world.new_writer, "/teams/newcomers/dashboard/").content.decode()
    assert "Nothing logged yet" in html
    assert '<a class="button primary" href="/incidents/log/">Log an incident</a>' in html
    assert '<a class="button" href="/learnings/new/">Draft a learning</a>' in html
    assert '<canvas' not in html


@pytest.mark.django_db
def test_a_new_teams_viewer_is_told_what_viewers_can_do(client, world):
    html = page(client, world.new_viewer, "/teams/newcomers/dashboard/").content.decode()
    assert "Nothing logged yet" in html
    assert "Log an incident" not in html
    assert "As a viewer you can read everything your team logs" in html


# The period selector


@pytest.mark.django_db
@pytest.mark.parametrize(("query", "start", "end", "label"), [
    ("", date(2026, 8, 13), date(2026, 11, 10), "Last 90 days"),
    ("?period=30d", date(2026, 10, 12), date(2026, 11, 10), "Last 30 days"),
    ("?period=90d", date(2026, 8, 13), date(2026, 11, 10), "Last 90 days"),
    ("?period=12m", date(2025, 11, 11), date(2026, 11, 10), "Last 12 months"),
    ("?from=2026-05-01&to=2026-05-31", date(2026, 5, 1), date(2026, 5, 31),
     "1 May 2026 – 31 May 2026"),
])
def test_each_period_counts_its_days(client, world, query, start, end, label):
    response = page(client, world.manager, DASHBOARD + query)
    period = response.context["period"]
    assert (period.start, period.end, period.label) == (start, end, label)
    assert response.status_code == 200


@pytest.mark.django_db
def test_the_twelve_months_include_the_spring_incident(client, world):
    response = page(client, world.manager, DASHBOARD + "?period=12m")
    assert response.context["m"].incidents == {"own": 2, "external": 1}


@pytest.mark.django_db
def test_the_chosen_period_is_pressed_and_a_custom_range_fills_its_dates(client, world):
    html = page(client, world.manager, DASHBOARD + "?period=12m").content.decode()
    assert '<button type="submit" name="period" value="12m" aria-pressed="true">' in html
    assert '<button type="submit" name="period" value="90d" aria-pressed="false">' in html
    response = page(client, world.manager, DASHBOARD + "?from=2026-05-01&to=2026-05-31")
    html = response.content.decode()
    assert 'name="from" id="id_period_from" value="2026-05-01"' in html
    assert 'aria-pressed="true"' not in html


@pytest.mark.django_db
@pytest.mark.parametrize(("query", "field", "message"), [
    ("?from=2026-06-01&to=2026-05-01", "from", "The range must start on or before its last day."),
    ("?from=%FF%FE%C3%28&to=2026-05-01", "from", "Enter a date as YYYY-MM-DD."),
    ("?period=30d&from=2026-05-01", "period", "Give either period or from and to, not both."),
    ("?period=7y", "period", "Choose one of 30d, 90d, 12m, or give from and to."),
    ("?from=2026-05-01", "to", "Give to as well, as YYYY-MM-DD."),
    ("?from=1989-12-31&to=2026-05-01", "from", "Misfire counts from 1990 on: check the year."),
    ("?from=2026-05-01&to=2026-12-01", "to", "That date is in the future."),
    ("?from=2020-01-01&to=2026-05-01", "to", "A range can span at most 1098 days."),
])
def test_a_bad_period_is_refused_beside_its_field(client, world, query, field, message):
    response = page(client, world.manager, DASHBOARD + query)
    assert response.status_code == 400
    html = response.content.decode()
    assert field_error(field, message) in html
    assert "Choose a period above to see the numbers." in html
    assert "m" not in response.context


@pytest.mark.django_db
def test_raw_bytes_that_are_not_utf8_are_refused_too(client, world):
    signed_in(client, world.manager)
    raw = b"from=\xff\xfe\xc3(&to=2026-05-01"  # as from a socket, not percent-escaped
    response = client.get(f"{DASHBOARD}?{raw.decode('latin-1')}")
    assert response.status_code == 400
    assert field_error("from", "Enter a date as YYYY-MM-DD.") in response.content.decode()


@pytest.mark.django_db
def test_htmx_gets_the_dashboard_body_alone(client, world):
    response = page(client, world.manager, DASHBOARD + "?period=30d", **HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    assert html.lstrip().startswith('<div class="period-picker">')
    assert 'id="chart-weeks"' in html


@pytest.mark.django_db
def test_htmx_gets_a_refused_period_as_a_400_partial(client, world):
    response = page(client, world.manager, DASHBOARD + "?period=nope", **HTMX)
    assert response.status_code == 400
    assert "<html" not in response.content.decode()
    assert field_error("period", "Choose one of 30d, 90d, 12m, or give from and to.") in (
        response.content.decode())


@pytest.mark.django_db
def test_the_forms_ask_htmx_to_swap_the_body_and_keep_the_address(client, world):
    html = page(client, world.manager).content.decode()
    assert html.count('hx-get="/teams/comms/dashboard/" hx-target="#dashboard" '
                      'hx-push-url="true"') == 2
    assert html.count('<form method="get" action="/teams/comms/dashboard/"') == 2


@pytest.mark.django_db
@pytest.mark.parametrize("query", ["?period=30d", "?from=2026-05-01&to=2026-05-31"])
def test_a_periods_address_round_trips(client, world, query):
    first = page(client, world.manager, DASHBOARD + query).context["period"]
    again = client.get(DASHBOARD + "?" + "&".join(f"{k}={v}" for k, v in first.query().items()))
    assert again.context["period"] == first


# Query counts


def more_data(world, n: int) -> None:
    for index in range(n):
        day = date(2026, 10, 1 + index)
        incident = IncidentFactory(
            team=world.comms, created_by=world.member, title=f"More slip {index}",
            occurred_on=day, origin="own" if index % 2 else "external",
            detected_at=datetime(2026, 10, 1 + index, 9, tzinfo=UTC),
            first_response_at=datetime(2026, 10, 1 + index, 10, tzinfo=UTC))
        learning_create_from_incidents(
            user=world.member, team=world.comms, incident_ids=[incident.public_id],
            title=f"More learning {index}", owner=world.member)
        IncidentFactory(team=world.elsewhere, created_by=world.outsider, visibility="library",
                        origin="external", title=f"More shared {index}",
                        occurred_on=date(2020 + index % 6, 3, 1))


@pytest.mark.django_db
@pytest.mark.parametrize("n", [0, 12])
def test_the_team_dashboard_costs_the_same_queries_whatever_the_data(
        client, world, django_assert_num_queries, n):
    more_data(world, n)
    signed_in(client, world.manager)
    with django_assert_num_queries(TEAM_QUERIES):
        response = client.get(DASHBOARD + "?period=12m")
    assert response.context["m"].incidents["own"] == 2 + n // 2


@pytest.mark.django_db
@pytest.mark.parametrize("n", [0, 12])
def test_the_dashboards_htmx_body_costs_the_same_queries_whatever_the_data(
        client, world, django_assert_num_queries, n):
    more_data(world, n)
    signed_in(client, world.manager)
    with django_assert_num_queries(TEAM_PARTIAL_QUERIES):
        client.get(DASHBOARD + "?period=12m", headers=HTMX)


@pytest.mark.django_db
@pytest.mark.parametrize("n", [0, 12])
def test_the_library_dashboard_costs_the_same_queries_whatever_the_data(
        client, world, django_assert_num_queries, n):
    more_data(world, n)
    signed_in(client, world.viewer)
    with django_assert_num_queries(LIBRARY_QUERIES):
        response = client.get("/library/dashboard/")
    assert response.context["m"].incidents == 2 + n


# The library dashboard


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["viewer", "outsider", "teamless"])
def test_anyone_signed_in_reads_the_library_dashboard(client, world, role):
    response = page(client, getattr(world, role), "/library/dashboard/")
    assert response.status_code == 200


@pytest.mark.django_db
def test_the_library_dashboard_needs_an_account(client, world):
    response = client.get("/library/dashboard/")
    assert response.url == "/accounts/login/?next=/library/dashboard/"


@pytest.mark.django_db
def test_the_library_dashboard_counts_shared_incidents_only(client, world):
    response = page(client, world.outsider, "/library/dashboard/")
    numbers = response.context["m"]
    assert numbers.incidents == 2
    assert [(row.key, row.incidents) for row in numbers.organizations] == sorted(
        [(world.external.organization.slug, 1), (world.shared.organization.slug, 1)],
        key=lambda row: [o.name for o in (world.external.organization, world.shared.organization)
                         if o.slug == row[0]][0])
    html = response.content.decode()
    assert escape("Elsewhere's secret misstep") not in html
    assert escape(world.secret.organization.name) not in html
    assert "Comms own slip" not in html


@pytest.mark.django_db
def test_the_library_charts_link_into_the_filtered_library(client, world):
    response = page(client, world.viewer, "/library/dashboard/")
    charts = response.context["charts"]
    assert charts["platforms"]["rows"][0]["url"].startswith("/library/?platform=")
    assert {row["url"] for row in charts["platforms"]["rows"]} == {
        "/library/?platform=instagram", "/library/?platform=twitter"}
    high = next(row for row in charts["responses"]["rows"] if row["label"] == "High")
    assert high["url"] == "/library/?severity=high"
    assert [share["percent"] for share in high["shares"]] == [100.0, 0.0, 0.0, 0.0]
    timing = next(row for row in charts["causes_by_year"]["rows"]
                  if row["label"] == cause("insensitive-timing").name)
    assert timing["cells"] == [{"count": 2, "url": (
        "/library/?primary_cause=insensitive-timing"
        "&occurred_after=2026-01-01&occurred_before=2026-12-31")}]
    html = response.content.decode()
    assert html.count("<caption") == 5
    assert "<td class=\"num\">—</td>" in html  # a severity without shared incidents


@pytest.mark.django_db
def test_the_library_page_links_to_its_dashboard(client, world):
    html = page(client, world.viewer, "/library/").content.decode()
    assert '<a href="/library/dashboard/">Library stats</a>' in html


# The incident list's team filter


def titles(response) -> set[str]:
    return {row["title"] for row in response.context["page"].object_list}


@pytest.mark.django_db
def test_the_incident_list_shows_one_teams_incidents_when_asked(client, world):
    response = page(client, world.both, "/incidents/?team=elsewhere")
    assert titles(response) == {"Elsewhere's secret misstep", "Shared hashtag hijack"}
    response = client.get("/incidents/?team=comms&origin=own&occurred_after=2026-11-02"
                          "&occurred_before=2026-11-08")
    assert titles(response) == {"Comms own slip"}


@pytest.mark.django_db
def test_another_teams_slug_is_refused_like_an_unknown_one(client, world):
    response = page(client, world.manager, "/incidents/?team=elsewhere")
    unknown = client.get("/incidents/?team=no-such-team")
    html = response.content.decode()
    assert "None of your teams has this slug." in html
    assert escape("Elsewhere's secret misstep") not in html
    assert response.context["filter"].errors == unknown.context["filter"].errors
    assert titles(response) == titles(unknown)


@pytest.mark.django_db
def test_the_team_choice_shows_for_readers_of_several_teams_or_when_set(client, world):
    several = page(client, world.both, "/incidents/").content.decode()
    assert '<select name="team"' in several
    one = page(client, world.manager, "/incidents/").content.decode()
    assert 'name="team"' not in one
    set_ = client.get("/incidents/?team=comms").content.decode()
    assert '<select name="team"' in set_
    assert '<option value="elsewhere"' not in set_
