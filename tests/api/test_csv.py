"""`?format=csv` on the incident list: the whole filtered list, as the JSON pages show it,
streamed; formula-leading cells escaped; another team's private incidents never in it."""

from datetime import UTC, date, datetime

import pytest
import time_machine
from django.db import connection
from django.http import StreamingHttpResponse
from django.test.utils import CaptureQueriesContext

from accounts.models import Role
from api import csv as api_csv
from incidents.models import Factor, Incident, RootCause
from tests.api.conftest import token_client
from tests.api.csv_round_trip import read_csv, round_trip
from tests.conftest import built_once
from tests.factories import (
    IncidentFactory,
    IncidentSourceFactory,
    MembershipFactory,
    TeamFactory,
    UserFactory,
)

LIST = "/api/v1/incidents/"
FORMULAS = ["=HYPERLINK(\"https://evil.example\",\"click\")", "+1 sale gone wrong",
            "-minus the apology", "@everyone ping", "\ttabbed", "\rreturned"]
OURS = 57  # more than a page (50)


@pytest.fixture(scope="module")
def data(django_db_setup, django_db_blocker):
    with built_once(django_db_blocker):
        team = TeamFactory(name="Comms", slug="comms")
        elsewhere = TeamFactory(name="Elsewhere", slug="elsewhere")
        member = MembershipFactory(team=team, role=Role.MEMBER,
                                   user=UserFactory(email="member@example.com")).user
        outsider = MembershipFactory(team=elsewhere, role=Role.MANAGER,
                                     user=UserFactory(email="outsider@example.com")).user
        causes = list(RootCause.objects.order_by("code")[:4])
        factors = list(Factor.objects.order_by("name")[:3])
        ours = []
        for n in range(OURS):
            title = FORMULAS[n] if n < len(FORMULAS) else f"Comms slip {n}, with \"quotes\""
            incident = IncidentFactory(
                team=team, created_by=member, title=title,
                summary="- a bullet\n- another" if n % 4 == 0 else f"Line one\nline {n}",
                occurred_on=date(2026, 9, 1 + n % 5),
                severity=("low", "medium", "high", "critical")[n % 4],
                detected_at=datetime(2026, 9, 1, 8, n % 60, tzinfo=UTC) if n % 3 else None,
                context=["launch", "crisis"][: n % 3],
                acknowledged=n % 2 == 0, apologized=n % 5 == 0,
                visibility="library" if n % 7 == 0 else "team",
                archived_at=datetime(2026, 10, 1, tzinfo=UTC) if n % 10 == 9 else None)
            incident.contributing_causes.set(causes[: n % 4])
            incident.factors.set(factors[: n % 3])
            for _ in range(n % 3):
                IncidentSourceFactory(incident=incident)
            ours.append(incident)
        theirs_private = [IncidentFactory(team=elsewhere, created_by=outsider, visibility="team",
                                          title=f"Elsewhere secret {n}", severity="high")
                          for n in range(3)]
        theirs_shared = [IncidentFactory(team=elsewhere, created_by=outsider,
                                         visibility="library", origin="external",
                                         title=f"Elsewhere shared {n}") for n in range(2)]
        client, _ = token_client(member)
        yield {"member": member, "client": client, "ours": ours,
               "theirs_private": theirs_private, "theirs_shared": theirs_shared,
               "outsider": outsider, "elsewhere": elsewhere}


@pytest.fixture
def client(data, db):
    return data["client"]


@pytest.mark.parametrize("params", [
    {}, {"severity": "high"}, {"ordering": "severity"}, {"ordering": "-created_at"},
    {"archived": "all"}, {"archived": "true"}, {"visibility": "library"}, {"team": "comms"},
    {"q": "slip"}, {"cause": "production-slip"}, {"occurred_after": "2026-09-03"},
])
def test_the_csv_holds_what_every_json_page_holds_in_the_same_order(client, params):
    round_trip(client, LIST, params)


def test_the_csv_is_the_whole_list_not_one_page(client, data):
    page = client.get(LIST).json()
    assert len(page["results"]) == 50
    assert page["next"] is not None
    table = read_csv(client.get(LIST, {"format": "csv", "page_size": "5"}))
    active = [i for i in data["ours"] if i.archived_at is None]
    expected = {str(i.public_id) for i in active + data["theirs_shared"]}
    ids = [row[0] for row in table[1:]]
    assert len(ids) == len(set(ids)) == len(expected) > 50
    assert set(ids) == expected


def test_formula_leading_cells_start_with_a_quote(client, data):
    table = read_csv(client.get(LIST, {"format": "csv", "archived": "all"}))
    header = table[0]
    by_id = {row[0]: dict(zip(header, row, strict=True)) for row in table[1:]}
    for incident, formula in zip(data["ours"], FORMULAS, strict=False):
        assert by_id[str(incident.public_id)]["title"] == "'" + formula
    first = by_id[str(data["ours"][0].public_id)]
    assert first["summary"] == "'- a bullet\n- another"
    plain = by_id[str(data["ours"][10].public_id)]
    assert plain["title"] == 'Comms slip 10, with "quotes"'
    assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r"))
                   for row in table for cell in row)


def test_another_teams_private_incidents_are_never_in_the_csv(client, data):
    secrets = {str(i.public_id) for i in data["theirs_private"]}
    for params in ({}, {"archived": "all"}, {"q": "secret"}, {"severity": "high"},
                   {"visibility": "team"}, {"ordering": "severity"}):
        table = read_csv(client.get(LIST, {**params, "format": "csv"}))
        assert not secrets & {row[0] for row in table[1:]}
        assert "Elsewhere secret" not in "".join(",".join(row) for row in table)
    # Their own token reads them, by the same door.
    theirs, _ = token_client(data["outsider"])
    table = read_csv(theirs.get(LIST, {"format": "csv", "q": "secret"}))
    assert {row[0] for row in table[1:]} == secrets


def test_a_bad_filter_is_the_same_json_400_as_without_csv(client):
    for params in ({"severity": "nope"}, {"team": "elsewhere"}, {"occurred_after": "soon"}):
        as_json = client.get(LIST, params)
        as_csv = client.get(LIST, {**params, "format": "csv"})
        assert as_csv.status_code == as_json.status_code == 400
        assert as_csv["Content-Type"] == "application/json"
        assert as_csv.json() == as_json.json()


def test_without_credentials_the_csv_is_a_json_401(data, db):
    from rest_framework.test import APIClient
    response = APIClient().get(LIST, {"format": "csv"})
    assert response.status_code == 401
    assert response["Content-Type"] == "application/json"
    assert set(response.json()) == {"detail", "errors"}


def test_the_file_is_named_for_what_and_when(client):
    with time_machine.travel(datetime(2026, 11, 22, 12, 0, tzinfo=UTC), tick=False):
        response = client.get(LIST, {"format": "csv"})
    assert response["Content-Disposition"] == (
        'attachment; filename="misfire-incidents-2026-11-22.csv"')
    assert "no-store" in response["Cache-Control"]
    assert b"".join(response.streaming_content).startswith(b"id,")


def test_accept_text_csv_is_the_same_as_format_csv(client):
    by_header = read_csv(client.get(LIST, HTTP_ACCEPT="text/csv"))
    by_format = read_csv(client.get(LIST, {"format": "csv"}))
    assert by_header == by_format


def test_the_csv_streams_from_a_server_side_cursor_in_batches(client, data, monkeypatch,
                                                             postgres):
    """The body is never built whole: the header is sent before the list is queried, and
    rows come from a server-side cursor (open in PostgreSQL's pg_cursors while the response
    is being read) a batch at a time."""
    monkeypatch.setattr(api_csv, "FETCH_ROWS", 4)
    monkeypatch.setattr(api_csv, "BATCH_ROWS", 4)
    response = client.get(LIST, {"format": "csv", "archived": "all"})
    assert isinstance(response, StreamingHttpResponse)
    assert not response.has_header("Content-Length")
    chunks = iter(response.streaming_content)
    with CaptureQueriesContext(connection) as queries:
        header = next(chunks)
    assert header.startswith(b"id,team,origin,")
    assert len(queries) == 0  # nothing read yet
    first = next(chunks)
    assert first.count(b"\r\n") >= 4
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_cursors WHERE name LIKE '_django_curs_%%'")
        assert cursor.fetchone()[0] == 1
    rest = list(chunks)
    total = len(data["ours"]) + len(data["theirs_shared"])
    assert len(rest) + 1 == -(-total // 4)  # one chunk per batch of four rows
    assert b"".join([first, *rest]).count(b"\r\n") >= total


def test_an_archived_incident_is_marked_so(client, data):
    table = read_csv(client.get(LIST, {"format": "csv", "archived": "true"}))
    header = table[0]
    archived = [dict(zip(header, row, strict=True)) for row in table[1:]]
    assert {row["id"] for row in archived} == {
        str(i.public_id) for i in data["ours"] if i.archived_at is not None}
    assert {row["archived"] for row in archived} == {"true"}
    assert Incident.objects.filter(archived_at__isnull=False).count() == len(archived)


def test_the_queries_do_not_grow_with_the_rows(client):
    """One query reads every row (causes, factors and sources as arrays in it); a larger
    result only means more rows fetched from its cursor."""
    def queries(params) -> int:
        with CaptureQueriesContext(connection) as captured:
            table = read_csv(client.get(LIST, {**params, "format": "csv"}))
        assert len(table) > 1
        return len(captured)
    queries({})  # the token's use, recorded at most once a minute
    # The token, then the rows.
    few, all_of_them = queries({"severity": "critical", "archived": "true"}), queries(
        {"archived": "all"})
    assert few == all_of_them == 2
