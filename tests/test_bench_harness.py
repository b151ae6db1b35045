"""The benchmark harness (bench/) measures honestly: its statistics are the ones it names, its
floor lists the same incidents as the app's first page, and its scenarios resolve to pages a
member can open."""

import argparse
import asyncio
import csv
import io
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.mail import EmailMessage, get_connection
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import Role
from incidents.models import Incident
from learnings.models import Learning

from .factories import (
    IncidentFactory,
    IncidentSourceFactory,
    MembershipFactory,
    TeamFactory,
    UserFactory,
    cause,
)

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

import api_floor  # noqa: E402
import dashboards_floor  # noqa: E402
import floor  # noqa: E402
from harness import (  # noqa: E402
    dashboard_scenarios,
    digest_sides,
    load,
    runner,
    scenarios,
    smtp_sink,
    stats,
)

from dashboards.metrics import library_metrics, team_metrics  # noqa: E402
from dashboards.periods import Period  # noqa: E402
from dashboards.services import digests_due  # noqa: E402
from tests.dashboards import test_metrics as metrics_tests  # noqa: E402


def test_the_median_is_the_middle_value_or_the_mean_of_the_middle_two():
    assert stats.median([30.0, 10.0, 20.0]) == 20.0
    assert stats.median([40.0, 10.0, 30.0, 20.0]) == 25.0


def test_p95_is_the_nearest_rank_and_the_largest_of_few_samples():
    assert stats.p95([float(n) for n in range(1, 101)]) == 95.0
    assert stats.p95([float(n) for n in range(20, 0, -1)]) == 19.0
    assert stats.p95([5.0, 1.0, 3.0]) == 5.0
    assert stats.p99([float(n) for n in range(1, 201)]) == 198.0


def test_the_ratio_divides_the_later_database_by_the_earlier_and_skips_a_missing_one():
    assert stats.ratio(300.0, 120.0) == pytest.approx(2.5)
    assert stats.ratio(None, 120.0) is None
    assert stats.ratio(300.0, None) is None
    assert stats.pairs(["100k", "1m", "10m"]) == [("100k", "1m"), ("100k", "10m"),
                                                  ("1m", "10m")]



def test_the_commands_share_their_options_and_name_databases_as_urls():
    parser = argparse.ArgumentParser()
    runner.add_run_options(parser, databases={"required": True, "help": "which"},
                           rounds_help=None, repeat_help="how many", timeout_help="how long")
    runner.add_serve_options(parser)
    args = parser.parse_args(["--databases", "misfire_a,postgres://u@h:1/b,", "--rounds", "2",
                              "--serve-rounds", "3"])
    assert (args.rounds, args.repeat, args.timeout) == (2, 3, 120.0)
    assert (args.workers, args.connections, args.seconds, args.serve_rounds) == (2, 4, 15.0, 3)
    assert runner.database_urls(args) == ["postgres://postgres@127.0.0.1:5432/misfire_a",
                                          "postgres://u@h:1/b"]
    with pytest.raises(SystemExit):
        parser.parse_args([])  # --databases is required here


def test_the_report_starts_with_when_the_machine_the_load_and_the_command(capsys, monkeypatch):
    monkeypatch.setattr(sys, "argv", ["bench/api.py", "--databases", "x"])
    runner.report_heading("0.10 0.20 0.30", "17.2")
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("## Run of ")
    assert lines[1] == ""
    assert lines[2].startswith("- machine: ")
    assert lines[2].endswith("PostgreSQL 17.2")
    assert lines[3:] == ["- load average before: 0.10 0.20 0.30",
                         f"- command: `{Path(sys.executable).name} bench/api.py --databases x`"]
    runner.report_heading("1 2 3")  # no machine line before the databases are read
    assert [line for line in capsys.readouterr().out.splitlines() if line.startswith("- ")] == [
        "- load average before: 1 2 3",
        f"- command: `{Path(sys.executable).name} bench/api.py --databases x`"]


@pytest.fixture
def installation(postgres):
    """A member's team with own incidents (shared and not), another team's library incidents,
    and what the member must not see: the other team's private ones and archived ones, all
    newer than anything readable. Some readable incidents share a date, so the order by
    creation time decides between them."""
    team, other = TeamFactory(slug="bench"), TeamFactory(slug="bench-other")
    member = MembershipFactory(team=team, role=Role.MEMBER,
                               user=UserFactory(email="bench@example.com")).user
    start = date(2026, 1, 1)
    for n in range(20):
        IncidentFactory(team=team, occurred_on=start + timedelta(days=n // 2),
                        visibility="library" if n % 3 else "team")
        IncidentFactory(team=other, occurred_on=start + timedelta(days=n), visibility="library",
                        origin="external")
    later = start + timedelta(days=100)
    IncidentFactory.create_batch(3, team=other, occurred_on=later, visibility="team")
    IncidentFactory.create_batch(3, team=team, occurred_on=later, archived_at=timezone.now())
    return member


def test_the_floor_lists_the_same_incidents_as_the_apps_first_page(installation, client):
    client.force_login(installation)
    page = client.get("/incidents/").content.decode()

    with connection.cursor() as cursor:
        rows = floor.floor_rows(cursor, installation.pk)

    app_ids = load.incident_ids(page)
    assert len(app_ids) == 25
    assert [str(row[0]) for row in rows] == app_ids


def test_every_scenario_resolves_to_a_page_the_member_can_open(installation, client):
    # The newest active own incident, linked to a learning: the page with the most to show.
    incident = installation.memberships.get().team.incidents.active().first()
    learning = Learning.objects.create(team=incident.team, title="Check before posting",
                                       created_by=installation, owner=installation)
    learning.incidents.add(incident)

    setting, found = scenarios.resolve()

    assert setting.user == installation
    assert [s.name for s in found] == list(scenarios.NAMES)
    assert f"/incidents/{incident.public_id}/" in [s.url for s in found]
    client.force_login(installation)
    for scenario in found:
        assert client.get(scenario.url).status_code == 200, scenario


# The REST API's floor (bench/api_floor.py) and scenarios (bench/api.py).

def api_client(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user=user)
    return client


def ids(rows) -> list[str]:
    return [str(row[0]) for row in rows]


@pytest.fixture
def described(installation):
    """The installation with severities and platforms to filter by, causes, factors and
    sources on some incidents, and a title a spreadsheet would read as a formula."""
    incidents = list(Incident.objects.order_by("pk"))
    for n, incident in enumerate(incidents):
        incident.severity = ("high", "low", "medium")[n % 3]
        incident.platform = ("twitter", "facebook")[(n // 2) % 2]
        incident.save()
        if n % 4 == 0:
            incident.contributing_causes.set([cause("insensitive-timing"),
                                              cause("unchecked-trend")])
            IncidentSourceFactory(incident=incident)
            IncidentSourceFactory(incident=incident)
    newest = Incident.objects.filter(visibility="library", archived_at=None).order_by(
        "-occurred_on", "-created_at").first()
    newest.title = "=HYPERLINK(evil)"
    newest.save()
    return installation


def test_the_api_floor_lists_the_same_rows_as_the_api_with_a_team_and_two_filters(
        described, postgres):
    params = {"team": "bench", "severity": "high", "platform": "twitter"}
    answer = api_client(described).get("/api/v1/incidents/", params).json()

    with connection.cursor() as cursor:
        rows = api_floor.page_rows(cursor, described.pk, params)

    expected = Incident.objects.filter(team__slug="bench", archived_at=None, severity="high",
                                       platform="twitter").count()
    assert 0 < expected < 20
    assert len(answer["results"]) == expected
    assert ids(rows) == [row["id"] for row in answer["results"]]


def test_the_api_floor_reads_on_from_the_apis_cursor_and_writes_it_the_same_way(
        described, postgres):
    client = api_client(described)
    first = client.get("/api/v1/incidents/", {"page_size": 7}).json()
    cursor_value = parse_qs(urlsplit(first["next"]).query)["after"][0]
    second = client.get(first["next"]).json()

    with connection.cursor() as cursor:
        floor_first = api_floor.page_rows(cursor, described.pk, {}, page_size=7)
        floor_second = api_floor.page_rows(cursor, described.pk, {"after": cursor_value},
                                           page_size=7)
    last = floor_first[6]

    assert ids(floor_first[:7]) == [row["id"] for row in first["results"]]
    assert api_floor.encode_cursor(last[9], last[30], last[-1]) == cursor_value
    assert ids(floor_second[:7]) == [row["id"] for row in second["results"]]


def test_the_deep_scenario_is_the_page_the_apis_next_links_lead_to(described, postgres):
    # Three pages of 5 in: the cursor the scenario makes is the one the API's third page
    # links to.
    client = api_client(described)
    url = "/api/v1/incidents/?page_size=5"
    for _ in range(3):
        url = client.get(url).json()["next"]

    setting, found = scenarios.resolve_api(deep=15, csv_rows=10)

    deep = {s.name: s.url for s in found}[scenarios.API_NAMES[2]]
    assert setting.deep == 15
    assert parse_qs(urlsplit(deep).query)["after"] == parse_qs(urlsplit(url).query)["after"]
    assert [s.name for s in found] == list(scenarios.API_NAMES)


def test_the_api_floors_csv_holds_every_filtered_row_of_the_api_escaped(described, postgres):
    setting, found = scenarios.resolve_api(deep=15, csv_rows=10)
    since = setting.csv_since
    whole = api_client(described).get(
        "/api/v1/incidents/", {"occurred_after": since, "page_size": 200}).json()

    connection.ensure_connection()
    body = b"".join(api_floor.csv_chunks(connection.connection, described.pk,
                                         {"occurred_after": since})).decode()
    table = list(csv.DictReader(io.StringIO(body)))

    assert setting.csv_rows == len(whole["results"]) >= 10
    assert [row["id"] for row in table] == [row["id"] for row in whole["results"]]
    assert list(table[0]) == list(whole["results"][0])  # the JSON's names, in its order
    by_id = {row["id"]: row for row in whole["results"]}
    for row in table:
        assert row["contributing_causes"] == "|".join(by_id[row["id"]]["contributing_causes"])
        assert row["sources"] == "|".join(s["url"] for s in by_id[row["id"]]["sources"])
    assert "'=HYPERLINK(evil)" in [row["title"] for row in table]


# The dashboards' benchmark (bench/dashboards.py): its floor and its choice of team. The floor
# is checked on the dashboards' metrics tests' world (built once for this module too).
world, at_now = metrics_tests.world, metrics_tests.at_now
PERIOD, TODAY = metrics_tests.PERIOD, metrics_tests.TODAY

def test_the_dashboards_benchmark_reads_as_the_team_closest_to_the_median_teams_count():
    assert dashboard_scenarios.median_count([5, 1, 9, 3]) == 3  # the lower middle of four
    assert dashboard_scenarios.median_count([7, 31, 2]) == 7
    counts = [(1, 40), (2, 28), (3, 34), (4, 31)]
    assert dashboard_scenarios.closest(counts, 31) == 4
    assert dashboard_scenarios.closest(counts, 37) == 1  # 40 and 34 are as close: the larger
    assert dashboard_scenarios.closest([(9, 3), (8, 3)], 0) == 8  # then the smaller id
    with pytest.raises(ValueError, match="no teams"):
        dashboard_scenarios.closest([], 1)


def test_the_dashboards_benchmark_says_where_two_results_differ():
    expected = {"a": 1, "b": [("x", 2), ("y", 3)], "c": {"d": None}}
    assert dashboard_scenarios.differences(expected, expected) == []
    assert dashboard_scenarios.differences(
        expected, {"a": 2, "b": [("x", 2), ("y", 4)], "c": {}, "e": 0}) == [
        ".a: 1 vs 2", ".b[1][1]: 3 vs 4", ".c.d: missing", ".e: unexpected 0"]
    assert dashboard_scenarios.differences([1, 2], [1]) == [": 2 items, found 1: [1, 2] vs [1]"]


@pytest.mark.usefixtures("at_now")
def test_the_dashboards_floor_computes_every_number_of_the_selectors(world, postgres):
    # The metrics tests' Tokyo team: week and day edges in its calendar, archived rows,
    # repeats and a retired learning, another team's private and shared incidents.
    connection.ensure_connection()
    with connection.connection.cursor() as cursor:
        for team in (world["team"], world["other"]):
            for period in (PERIOD, Period(start=date(2025, 11, 23), end=TODAY, name="12m"),
                           Period(start=date(2026, 10, 1), end=date(2026, 10, 31))):
                metrics = team_metrics(team=team, period=period)
                found = dashboards_floor.team_numbers(cursor, team.pk, period.start,
                                                      period.end, TODAY)
                assert found == dashboard_scenarios.team_values(metrics), (team, period)
        library = dashboard_scenarios.library_values(library_metrics(user=world["member"]))
        assert dashboards_floor.library_numbers(cursor) == library
    tokyo = team_metrics(team=world["team"], period=PERIOD)
    # Not a comparison of two empty results: the month holds every kind of number.
    assert tokyo.repeat_causes == 2
    assert tokyo.action_items == {"open": 3, "overdue": 1, "done": 2}
    assert library["incidents"] == 4


# ---------------------------------------------------------------------------------------------
# The digest benchmark (bench/digest.py): its sink counts what arrives, and its "make every
# team due" is what the tick's own selector then finds.


def test_the_sink_tally_counts_duplicates_missing_and_a_wrong_message_id():
    tally = smtp_sink.Tally()
    tally.add(["A@example.com"], "<1@x>", 10.0)
    tally.add(["a@example.com"], "<1@x>", 11.0)  # the same email again
    tally.add(["b@example.com"], "<9@x>", 12.0)
    tally.add(["stranger@example.com"], "<3@x>", 13.0)
    summary = tally.summary()
    assert (summary["received"], summary["first"], summary["last"]) == (4, 10.0, 13.0)
    assert (summary["duplicates"], summary["repeated_message_ids"]) == (1, 1)
    assert smtp_sink.check(summary, {"a@example.com": "<1@x>", "b@example.com": "<2@x>",
                                     "c@example.com": "<4@x>"}) == {
        "duplicates": 1, "missing": ["c@example.com"], "unexpected": ["stranger@example.com"],
        "wrong_message_id": ["b@example.com"]}
    tally.reset()
    assert tally.count() == {"received": 0, "first": None, "last": None}


def test_the_sink_process_receives_what_djangos_smtp_backend_sends():
    sink = smtp_sink.SinkProcess(Path(tempfile.gettempdir()) / "test-smtp-sink.log")
    try:
        backend = get_connection("django.core.mail.backends.smtp.EmailBackend",
                                 host="127.0.0.1", port=sink.port, timeout=10)
        messages = [EmailMessage("Hi", "body", "from@example.com", [to],
                                 headers={"Message-ID": f"<{n}@bench>"})
                    for n, to in enumerate(["x@example.com", "y@example.com", "x@example.com"])]
        assert backend.send_messages(messages) == 3
        summary = sink.ask(cmd="tally")
    finally:
        sink.close()
    assert summary["by_recipient"] == {"x@example.com": 2, "y@example.com": 1}
    assert sorted(map(tuple, summary["pairs"])) == [
        ("x@example.com", "<0@bench>"), ("x@example.com", "<2@bench>"),
        ("y@example.com", "<1@bench>")]
    assert summary["duplicates"] == 1


def test_the_digest_benchmark_makes_the_teams_it_names_due_now_and_no_other(postgres):
    teams = [TeamFactory(slug=f"due-{zone.split('/')[-1].lower()}", timezone=zone)
             for zone in ("Pacific/Auckland", "America/Los_Angeles", "Asia/Kolkata")]
    for team in teams:
        MembershipFactory(team=team, role=Role.MANAGER)
    digest_sides.set_due([teams[0].pk, teams[2].pk])
    assert [team.pk for team, _ in digests_due(now=timezone.now())] == [teams[0].pk,
                                                                        teams[2].pk]
    digest_sides.set_due()
    assert [team.pk for team, _ in digests_due(now=timezone.now())] == [t.pk for t in teams]
    assert {team_id: [m.user.email for m in members] for team_id, members in
            digest_sides.recipients_by_team().items()} == {
        team.pk: [team.memberships.get().user.email] for team in teams}


def test_the_sink_unfolds_a_long_message_id_before_counting_it():
    tally = smtp_sink.Tally()
    envelope = type("Envelope", (), {
        "rcpt_tos": ["a@example.com"], "content": None,
        "original_content": b"Message-ID:\r\n <123.digest.a-long-team-slug@misfire.example.com>"
                            b"\r\nSubject: x\r\n\r\nbody\r\n"})()
    # In a thread of its own: the browser tests' Playwright keeps an event loop running in
    # this one for the rest of the session.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, smtp_sink.Sink(tally).handle_DATA(None, None, envelope)).result()
    assert tally.summary()["pairs"] == [
        ("a@example.com", "<123.digest.a-long-team-slug@misfire.example.com>")]
