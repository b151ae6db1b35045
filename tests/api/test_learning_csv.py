"""`?format=csv` on the learning and action item lists: the whole filtered list, as every JSON
page shows it and in the same order, streamed; lists joined with `|`; formula-leading cells
escaped; another team's learnings and items never in it; a fixed number of queries."""

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from accounts.models import Role
from learnings.models import ActionItem, Learning
from tests.api.conftest import token_client
from tests.api.csv_round_trip import read_csv, round_trip
from tests.conftest import built_once
from tests.factories import IncidentFactory, MembershipFactory, TeamFactory, UserFactory, cause

LEARNINGS = "/api/v1/learnings/"
ITEMS = "/api/v1/action-items/"
FORMULAS = ["=HYPERLINK(\"https://evil.example\",\"click\")", "+1 more apology",
            "-minus the tone", "@channel heads up", "\ttabbed", "\rreturned"]
# Comms works in Kiritimati (UTC+14): at NOW it is already the 23rd there, so an item due on
# the 22nd is overdue for comms though not in UTC.
NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
COMMS_TODAY = date(2026, 11, 23)
OURS = 56  # learnings: more than a page (50)
CAUSES = ["production-slip", "tone-deaf-creative", "rogue-insider", "unchecked-trend",
          "insensitive-timing"]


@pytest.fixture(scope="module")
def data(django_db_setup, django_db_blocker):
    with built_once(django_db_blocker):
        team = TeamFactory(name="Comms", slug="comms", timezone="Pacific/Kiritimati")
        elsewhere = TeamFactory(name="Elsewhere", slug="elsewhere")
        member = MembershipFactory(team=team, role=Role.MEMBER,
                                   user=UserFactory(email="member@example.com")).user
        manager = MembershipFactory(team=team, role=Role.MANAGER,
                                    user=UserFactory(email="=manager@example.com")).user
        outsider = MembershipFactory(team=elsewhere, role=Role.MANAGER,
                                     user=UserFactory(email="outsider@example.com")).user
        # Incidents the learnings draw from: comms' own (some archived), the library's, and
        # one of elsewhere's that was in the library when linked and is private now.
        own = []
        for n in range(12):
            incident = IncidentFactory(
                team=team, created_by=member, primary_cause=cause(CAUSES[n % 5]),
                occurred_on=date(2026, 9, 1 + n % 4),
                archived_at=datetime(2026, 10, 1, tzinfo=UTC) if n % 6 == 5 else None)
            incident.contributing_causes.set(
                [cause(slug) for slug in CAUSES[(n + 1) % 5:(n + 1) % 5 + n % 3]]
                + ([cause(CAUSES[n % 5])] if n % 4 == 0 else []))
            own.append(incident)
        library = IncidentFactory(team=elsewhere, visibility="library", origin="external",
                                  primary_cause=cause("unchecked-trend"))
        gone_private = IncidentFactory(team=elsewhere, visibility="team",
                                       primary_cause=cause("rogue-insider"),
                                       title="Elsewhere secret incident")
        statuses = ["draft", "proposed", "adopted", "retired"]
        ours, items = [], []
        for n in range(OURS):
            title = FORMULAS[n] if n < len(FORMULAS) else f"Comms learning {n}, \"quoted\""
            learning = Learning.objects.create(
                team=team, title=title, created_by=member,
                lesson="- a bullet\n- another" if n % 4 == 0 else f"Lesson {n}\nline two",
                practice="@team check first" if n % 9 == 0 else "",
                status=statuses[n % 4], owner=[member, manager, None][n % 3],
                adopted_at=datetime(2026, 10, 2, 9, n, tzinfo=UTC) if n % 4 == 2 else None,
                review_on=date(2027, 1, 1 + n % 20) if n % 5 else None,
                archived_at=datetime(2026, 10, 3, tzinfo=UTC) if n % 10 == 9 else None)
            linked = [own[(n + k) % len(own)] for k in range(n % 4)]
            if n % 5 == 1:
                linked.append(library)
            if n % 7 == 3:
                linked.append(gone_private)
            learning.incidents.set(linked)
            ours.append(learning)
            if n % 2 == 0:
                item = ActionItem.objects.create(
                    learning=learning, created_by=member,
                    title=FORMULAS[n // 2] if n // 2 < len(FORMULAS) else f"Do thing {n}",
                    owner=[member, manager, None][n % 3], kind=["preventive", "detective",
                                                                "corrective"][n % 3],
                    due_on=[None, date(2026, 11, 22), date(2026, 11, 23), date(2026, 10, 1),
                            date(2027, 2, 1)][n % 5],
                    done_at=datetime(2026, 11, 1, 8, 0, tzinfo=UTC) if n % 6 == 4 else None,
                    archived_at=datetime(2026, 11, 2, tzinfo=UTC) if n % 8 == 6 else None)
                items.append(item)
        theirs = [Learning.objects.create(team=elsewhere, title=f"Elsewhere secret {n}",
                                          owner=outsider, status="adopted") for n in range(3)]
        for learning in theirs:
            learning.incidents.set([gone_private, library])
        their_items = [ActionItem.objects.create(learning=learning, title="Elsewhere secret "
                                                 "action", owner=outsider,
                                                 due_on=date(2026, 1, 1))
                       for learning in theirs]
        client, _ = token_client(member)
        yield {"member": member, "client": client, "ours": ours, "items": items,
               "theirs": theirs, "their_items": their_items, "outsider": outsider,
               "own": own, "library": library}


@pytest.fixture
def client(data, db):
    with time_machine.travel(NOW, tick=False):
        yield data["client"]


@pytest.mark.parametrize("params", [
    {}, {"status": "adopted"}, {"ordering": "title"}, {"ordering": "-created_at"},
    {"archived": "all"}, {"archived": "true"}, {"team": "comms"}, {"q": "learning"},
    {"cause": "rogue-insider"}, {"owner": "member@example.com"}, {"drawn_from": "own"},
    {"drawn_from": "both", "ordering": "title"},
])
def test_the_learning_csv_holds_what_every_json_page_holds(client, params):
    round_trip(client, LEARNINGS, params)


def test_the_learning_csv_by_incident(client, data):
    rows = round_trip(client, LEARNINGS, {"incident": str(data["library"].public_id),
                                          "archived": "all"})
    assert all(str(data["library"].public_id) in row["incidents"] for row in rows)


def test_the_learning_csv_shows_lists_and_derived_causes(client, data):
    """Not only equal to the JSON: what the JSON shows is right, and so the CSV too."""
    rows = round_trip(client, LEARNINGS, {"archived": "all"})
    assert any(len(row["incidents"]) >= 3 for row in rows)
    assert any(len(row["causes"]) >= 3 for row in rows)
    by_id = {row["id"]: row for row in rows}
    # Linked to comms' own incidents, the library's, and elsewhere's now private one: the
    # private one is not shown and shapes nothing.
    learning = data["ours"][31]  # n % 5 == 1 and n % 7 == 3
    row = by_id[str(learning.public_id)]
    assert len(row["incidents"]) == 4 == learning.incidents.count() - 1
    assert str(data["library"].public_id) in row["incidents"]
    table = read_csv(client.get(LEARNINGS, {"format": "csv", "archived": "all"}))
    header = table[0]
    cells = {line[0]: dict(zip(header, line, strict=True)) for line in table[1:]}
    assert cells[str(learning.public_id)]["incidents"].count("|") == 3
    assert cells[str(learning.public_id)]["causes"] == "|".join(row["causes"])
    assert cells[str(data["ours"][0].public_id)]["incidents"] == ""
    # The owner is their email; an owner's email that starts like a formula is escaped.
    owners = {line["owner"] for line in cells.values()}
    assert owners == {"member@example.com", "'=manager@example.com", ""}


def test_the_learning_csv_is_the_whole_list_not_one_page(client, data):
    page = client.get(LEARNINGS).json()
    assert len(page["results"]) == 50
    assert page["next"] is not None
    table = read_csv(client.get(LEARNINGS, {"format": "csv", "page_size": "5"}))
    expected = {str(learning.public_id) for learning in data["ours"]
                if learning.archived_at is None}
    ids = [row[0] for row in table[1:]]
    assert len(ids) == len(set(ids)) == len(expected) > 50
    assert set(ids) == expected


def test_formula_leading_learning_cells_start_with_a_quote(client, data):
    table = read_csv(client.get(LEARNINGS, {"format": "csv", "archived": "all"}))
    header = table[0]
    by_id = {row[0]: dict(zip(header, row, strict=True)) for row in table[1:]}
    for learning, formula in zip(data["ours"], FORMULAS, strict=False):
        assert by_id[str(learning.public_id)]["title"] == "'" + formula
    assert by_id[str(data["ours"][0].public_id)]["lesson"] == "'- a bullet\n- another"
    assert by_id[str(data["ours"][9].public_id)]["practice"] == "'@team check first"
    assert by_id[str(data["ours"][10].public_id)]["title"] == 'Comms learning 10, "quoted"'
    assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r"))
                   for row in table for cell in row)


@pytest.mark.parametrize("params", [
    {}, {"done": "true"}, {"done": "false"}, {"overdue": "true"}, {"overdue": "false"},
    {"archived": "all"}, {"archived": "true"}, {"owner": "member@example.com"},
    {"owner": "=manager@example.com", "archived": "all"},
])
def test_the_action_item_csv_holds_what_every_json_page_holds(client, params):
    round_trip(client, ITEMS, params)


def test_the_action_item_csv_by_learning(client, data):
    learning = data["ours"][2]
    rows = round_trip(client, ITEMS, {"learning": str(learning.public_id)})
    assert [row["learning"] for row in rows] == [str(learning.public_id)]


def test_overdue_is_in_each_teams_calendar(client, data):
    """Comms is in Kiritimati: an item due on the 22nd is overdue there at noon UTC on the
    22nd; one due on the 23rd is not; a done one or one of a retired learning never is."""
    table = read_csv(client.get(ITEMS, {"format": "csv", "archived": "all"}))
    header = table[0]
    overdue = {row[0]: row[header.index("overdue")] for row in table[1:]}
    for item in data["items"]:
        learning = item.learning
        expected = (item.due_on is not None and item.due_on < COMMS_TODAY
                    and item.done_at is None and learning.status != "retired"
                    and learning.archived_at is None)
        assert overdue[str(item.public_id)] == ("true" if expected else "false"), item.title
    assert "true" in overdue.values()
    due_22 = [item for item in data["items"] if item.due_on == date(2026, 11, 22)
              and item.done_at is None and item.learning.status != "retired"
              and item.learning.archived_at is None]
    assert due_22
    assert {overdue[str(item.public_id)] for item in due_22} == {"true"}


def test_the_action_item_csv_is_the_whole_list_and_links_to_the_item(client, data):
    table = read_csv(client.get(ITEMS, {"format": "csv", "archived": "all", "page_size": 3}))
    header = table[0]
    assert header == ["id", "learning", "title", "owner", "due_on", "kind", "done_at",
                      "overdue", "archived", "url"]
    rows = {row[0]: dict(zip(header, row, strict=True)) for row in table[1:]}
    assert set(rows) == {str(item.public_id) for item in data["items"]}
    item = data["items"][7]
    assert rows[str(item.public_id)]["url"] == (
        f"http://testserver/learnings/{item.learning.public_id}/#item-{item.public_id}")
    assert rows[str(item.public_id)]["learning"] == str(item.learning.public_id)
    titled = {row["title"] for row in rows.values()}
    assert {"'" + formula for formula in FORMULAS} <= titled


def test_another_teams_learnings_and_items_are_never_in_the_csv(client, data):
    for url, secrets, params_list in (
        (LEARNINGS, data["theirs"], ({}, {"archived": "all"}, {"q": "secret"},
                                     {"status": "adopted"}, {"cause": "rogue-insider"},
                                     {"incident": str(data["library"].public_id)})),
        (ITEMS, data["their_items"], ({}, {"archived": "all"}, {"overdue": "true"},
                                      {"done": "false"})),
    ):
        ids = {str(row.public_id) for row in secrets}
        for params in params_list:
            response = client.get(url, {**params, "format": "csv"})
            table = read_csv(response)
            assert not ids & {row[0] for row in table[1:]}
            assert "Elsewhere secret" not in "".join(",".join(row) for row in table)
    # Their own token reads them, by the same door; nothing of comms'.
    theirs, _ = token_client(data["outsider"])
    table = read_csv(theirs.get(LEARNINGS, {"format": "csv"}))
    assert {row[0] for row in table[1:]} == {str(row.public_id) for row in data["theirs"]}
    table = read_csv(theirs.get(ITEMS, {"format": "csv"}))
    assert {row[0] for row in table[1:]} == {str(row.public_id)
                                             for row in data["their_items"]}
    # A comms learning as a filter is refused to them as one that does not exist.
    response = theirs.get(ITEMS, {"format": "csv",
                                  "learning": str(data["ours"][0].public_id)})
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"


def test_a_bad_filter_is_the_same_json_400_as_without_csv(client):
    for url, params in ((LEARNINGS, {"status": "nope"}), (LEARNINGS, {"team": "elsewhere"}),
                        (LEARNINGS, {"incident": "not-an-id"}), (ITEMS, {"done": "maybe"}),
                        (ITEMS, {"owner": "outsider@example.com"})):
        as_json = client.get(url, params)
        as_csv = client.get(url, {**params, "format": "csv"})
        assert as_csv.status_code == as_json.status_code == 400
        assert as_csv["Content-Type"] == "application/json"
        assert as_csv.json() == as_json.json()


def test_without_credentials_the_csv_is_a_json_401(data, db):
    for url in (LEARNINGS, ITEMS):
        response = APIClient().get(url, {"format": "csv"})
        assert response.status_code == 401
        assert set(response.json()) == {"detail", "errors"}


def test_the_files_are_named_for_what_and_when(client):
    for url, name in ((LEARNINGS, "learnings"), (ITEMS, "action-items")):
        response = client.get(url, {"format": "csv"})
        assert response["Content-Disposition"] == (
            f'attachment; filename="misfire-{name}-2026-11-22.csv"')
        assert "no-store" in response["Cache-Control"]
        assert b"".join(response.streaming_content).startswith(b"id,")


def test_accept_text_csv_is_the_same_as_format_csv(client):
    for url in (LEARNINGS, ITEMS):
        assert read_csv(client.get(url, HTTP_ACCEPT="text/csv")) == read_csv(
            client.get(url, {"format": "csv"}))


@pytest.mark.parametrize(("url", "few", "many", "queries"), [
    # The token, then the rows (incidents and causes as arrays in the one query).
    (LEARNINGS, {"status": "retired", "archived": "true"}, {"archived": "all"}, 2),
    # The token, the reader's teams (for each team's today), then the rows.
    (ITEMS, {"done": "true", "archived": "true"}, {"archived": "all"}, 3),
])
def test_the_queries_do_not_grow_with_the_rows(client, url, few, many, queries):
    def counted(params) -> tuple[int, int]:
        with CaptureQueriesContext(connection) as captured:
            table = read_csv(client.get(url, {**params, "format": "csv"}))
        return len(captured), len(table) - 1
    counted({})  # the token's use, recorded at most once a minute
    (small, few_rows), (large, many_rows) = counted(few), counted(many)
    assert 0 < few_rows < 5 < many_rows
    assert small == large == queries


def test_the_schema_describes_format_csv_on_both_lists(client):
    schema = client.get("/api/v1/schema/", {"format": "json"}).json()
    for path in (LEARNINGS, ITEMS):
        operation = schema["paths"][path]["get"]
        formats = [parameter for parameter in operation["parameters"]
                   if parameter["name"] == "format"]
        assert len(formats) == 1
        assert set(formats[0]["schema"]["enum"]) == {"json", "csv"}
        assert set(operation["responses"]["200"]["content"]) == {"application/json",
                                                                 "text/csv"}


def test_a_week_later_the_file_has_the_new_date(data, db):
    with time_machine.travel(NOW + timedelta(days=7), tick=False):
        response = data["client"].get(ITEMS, {"format": "csv"})
    assert "misfire-action-items-2026-11-29.csv" in response["Content-Disposition"]
