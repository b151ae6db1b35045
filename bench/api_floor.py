"""The API's floor: the least a server can do to answer the incident API's requests.

A plain WSGI app, one psycopg2 connection per worker process, hand-written SQL and orjson. It
answers `/api/v1/incidents/` as the API does for the parameters the benchmark sends (`user`,
which a real app must never trust, plus `team`, `severity`, `platform`, `occurred_after`,
`after` and `format=csv`): the same rows in the same order, each with every field the API
shows (its causes, factors and sources too), 50 to a page with a `next` cursor in the API's
own encoding (common.pages), or the whole filtered set as CSV streamed from a server-side
cursor. No framework, no authentication, no serializer: it is a floor, not an app.

    FLOOR_DATABASE_URL=postgres://postgres@127.0.0.1:5432/misfire_gen_1m \
        .venv/bin/gunicorn --chdir bench --workers 2 --bind 127.0.0.1:8103 api_floor:application

bench/api.py starts it beside the app; tests/test_bench_harness.py checks that its SQL
returns the API's rows.
"""

import base64
import csv
import datetime
import io
import os
from urllib.parse import parse_qs

import orjson

PAGE_SIZE = 50
# Rows fetched from the server-side cursor at a time while streaming CSV.
CSV_CHUNK = 2000
SITE = os.environ.get("FLOOR_SITE", "http://127.0.0.1")

# What the API filters on (api.incidents.filters), for the parameters the benchmark sends.
# A team by its id: its slug is looked up first, as the API does (page_rows), so that the
# planner sees the team it reads.
FILTERS = {"team": "i.team_id = %s", "severity": "i.severity = %s", "platform": "i.platform = %s",
           "occurred_after": "i.occurred_on >= %s"}

COLUMNS = """
    i.public_id, t.slug, i.origin, i.visibility, o.slug, o.name, i.title, i.summary,
    i.platform, i.occurred_on, i.detected_at, i.first_response_at, i.resolved_at, i.status,
    i.severity, c.slug,
    ARRAY(SELECT rc.slug FROM incidents_incident_contributing_causes ic
          JOIN incidents_rootcause rc ON rc.id = ic.rootcause_id
          WHERE ic.incident_id = i.id ORDER BY rc.code),
    ARRAY(SELECT f.slug FROM incidents_incident_factors ifa
          JOIN incidents_factor f ON f.id = ifa.factor_id
          WHERE ifa.incident_id = i.id ORDER BY f.name),
    i.context, i.actor, i.acknowledged, i.apologized, i.explained_fix, i.asked_for_help,
    i.deleted_silently, i.defensive, i.blamed_others, i.response_score,
    {sources},
    i.archived_at IS NOT NULL, i.created_at, i.updated_at, i.id
"""
# A page's sources as the API nests them (JSON text, passed through to the response as is).
SOURCES_JSON = """
    (SELECT coalesce(json_agg(json_build_object(
         'id', s.public_id, 'url', s.url, 'platform', s.platform, 'kind', l.kind,
         'title', l.title, 'captured_at', l.captured_at, 'created_at', l.created_at)
         ORDER BY l.created_at, l.id), '[]')::text
     FROM incidents_incidentsource l JOIN incidents_source s ON s.id = l.source_id
     WHERE l.incident_id = i.id)"""


def _escaped(name: str) -> str:
    # A cell a spreadsheet would read as a formula starts with a quote (CSV injection).
    return (f"CASE WHEN left(i.{name}, 1) IN ('=', '+', '-', '@') THEN chr(39) || i.{name} "
            f"ELSE i.{name} END")


def _utc(name: str) -> str:
    return f"""to_char(i.{name} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')"""


def _boolean(name: str) -> str:
    return f"CASE WHEN i.{name} THEN 'true' ELSE 'false' END"


BOOLEANS = ("acknowledged", "apologized", "explained_fix", "asked_for_help",
            "deleted_silently", "defensive", "blamed_others")
# In CSV every cell is text made by PostgreSQL, so that writing rows is the csv module's C
# code alone: lists joined by "|" (the sources' links), booleans true/false, times in ISO
# 8601 UTC, formulas escaped, and the links made from the site (the first two parameters).
CSV_COLUMNS = f"""
    i.public_id::text, t.slug, i.origin, i.visibility, o.slug, {_escaped("title")},
    {_escaped("summary")}, i.platform, i.occurred_on::text, {_utc("detected_at")},
    {_utc("first_response_at")}, {_utc("resolved_at")}, i.status, i.severity, c.slug,
    array_to_string(ARRAY(SELECT rc.slug FROM incidents_incident_contributing_causes ic
          JOIN incidents_rootcause rc ON rc.id = ic.rootcause_id
          WHERE ic.incident_id = i.id ORDER BY rc.code), '|'),
    array_to_string(ARRAY(SELECT f.slug FROM incidents_incident_factors ifa
          JOIN incidents_factor f ON f.id = ifa.factor_id
          WHERE ifa.incident_id = i.id ORDER BY f.name), '|'),
    array_to_string(ARRAY(SELECT jsonb_array_elements_text(i.context)), '|'), i.actor,
    {", ".join(_boolean(name) for name in BOOLEANS)}, i.response_score::text,
    array_to_string(ARRAY(SELECT s.url FROM incidents_incidentsource l
          JOIN incidents_source s ON s.id = l.source_id
          WHERE l.incident_id = i.id ORDER BY l.created_at, l.id), '|'),
    CASE WHEN i.archived_at IS NULL THEN 'false' ELSE 'true' END,
    {_utc("created_at")}, {_utc("updated_at")},
    %s || '/incidents/' || i.public_id || '/', %s || '/incidents/' || i.public_id || '/history/'
"""  # noqa: S608  (this module's own fragments; no input)

# The API's readable set (accounts.tenancy: the member's teams' incidents and every team's
# library ones), active only, newest first with the primary key as the last tie-breaker
# (api.pagination, common.pages: every key descending).
QUERY = """
SELECT {columns}
FROM incidents_incident i
JOIN accounts_team t ON t.id = i.team_id
JOIN incidents_organization o ON o.id = i.organization_id
JOIN incidents_rootcause c ON c.id = i.primary_cause_id
WHERE i.archived_at IS NULL
  AND (i.team_id IN (SELECT team_id FROM accounts_membership WHERE user_id = %s)
       OR i.visibility = 'library')
  {where}
ORDER BY i.occurred_on DESC, i.created_at DESC, i.id DESC
{limit}
"""

FIELDS = (
    "id", "team", "origin", "visibility", "organization", "title", "summary", "platform",
    "occurred_on", "detected_at", "first_response_at", "resolved_at", "status", "severity",
    "primary_cause", "contributing_causes", "factors", "context", "actor", "acknowledged",
    "apologized", "explained_fix", "asked_for_help", "deleted_silently", "defensive",
    "blamed_others", "response_score", "sources", "archived", "created_at", "updated_at",
    "url", "history_url",
)


def encode_cursor(occurred_on: datetime.date, created_at: datetime.datetime, pk: int) -> str:
    """The API's `after` cursor for a row (common.pages._encode, keys in the list's order)."""
    raw = orjson.dumps([["d", occurred_on.isoformat()], ["t", created_at.isoformat()],
                        ["v", pk]])
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime.date, datetime.datetime, int]:
    raw = orjson.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    (_, day), (_, at), (_, pk) = raw
    return datetime.date.fromisoformat(day), datetime.datetime.fromisoformat(at), int(pk)


def query(user_id: int, params: dict[str, str], *, csv_rows: bool = False,
          page_size: int = PAGE_SIZE) -> tuple[str, list]:
    """The SQL and its parameters: a page (page_size + 1 rows, to know whether there is a
    next one) or, with csv_rows, every row."""
    where, values = [], [user_id]
    for name, condition in FILTERS.items():
        if params.get(name):
            where.append(f"AND {condition}")
            values.append(params[name])
    if params.get("after") and not csv_rows:
        where.append("AND (i.occurred_on, i.created_at, i.id) < (%s, %s, %s)")
        values.extend(decode_cursor(params["after"]))
    limit = ""
    if not csv_rows:
        limit = "LIMIT %s"
        values.append(page_size + 1)
    if csv_rows:
        columns = CSV_COLUMNS
        values = [SITE, SITE, *values]  # the links' site, first in the select list
    else:
        columns = COLUMNS.format(sources=SOURCES_JSON)
    # Only fixed fragments of this module are put together; values go as parameters.
    sql = QUERY.format(columns=columns, where="\n  ".join(where), limit=limit)
    return sql, values


def _team_id(cursor, params: dict[str, str]) -> dict[str, str]:
    """The parameters with the team's slug replaced by its id (none: no row matches)."""
    if not params.get("team"):
        return params
    cursor.execute("SELECT id FROM accounts_team WHERE slug = %s", [params["team"]])
    found = cursor.fetchone()
    return {**params, "team": found[0] if found else 0}


def page_rows(cursor, user_id: int, params: dict[str, str],
              page_size: int = PAGE_SIZE) -> list[tuple]:
    """A page's rows (and one more when there is a next page), with any DB-API cursor."""
    params = _team_id(cursor, params)
    cursor.execute(*query(user_id, params, page_size=page_size))
    return cursor.fetchall()


def as_json(row: tuple) -> dict:
    (public_id, team, origin, visibility, org_slug, org_name, title, summary, platform,
     occurred_on, detected_at, first_response_at, resolved_at, status, severity, cause,
     contributing, factors, context, actor, acknowledged, apologized, explained_fix,
     asked_for_help, deleted_silently, defensive, blamed_others, response_score, sources,
     archived, created_at, updated_at, _pk) = row
    return {
        "id": public_id, "team": team, "origin": origin, "visibility": visibility,
        "organization": {"slug": org_slug, "name": org_name}, "title": title,
        "summary": summary, "platform": platform, "occurred_on": occurred_on,
        "detected_at": detected_at, "first_response_at": first_response_at,
        "resolved_at": resolved_at, "status": status, "severity": severity,
        "primary_cause": cause, "contributing_causes": contributing, "factors": factors,
        "context": context, "actor": actor, "acknowledged": acknowledged,
        "apologized": apologized, "explained_fix": explained_fix,
        "asked_for_help": asked_for_help, "deleted_silently": deleted_silently,
        "defensive": defensive, "blamed_others": blamed_others,
        "response_score": response_score, "sources": orjson.Fragment(sources),
        "archived": archived, "created_at": created_at, "updated_at": updated_at,
        "url": f"{SITE}/incidents/{public_id}/",
        "history_url": f"{SITE}/incidents/{public_id}/history/",
    }


def page_json(rows: list[tuple], params: dict[str, str], path: str,
              page_size: int = PAGE_SIZE) -> bytes:
    more = len(rows) > page_size
    rows = rows[:page_size]
    next_url = None
    if more:
        last = rows[-1]
        rest = {k: v for k, v in params.items() if k != "after"}
        query_string = "&".join(f"{k}={v}" for k, v in rest.items())
        cursor = encode_cursor(last[9], last[30], last[-1])
        next_url = f"{SITE}{path}?{query_string}{'&' if query_string else ''}after={cursor}"
    previous = f"{SITE}{path}" if params.get("after") else None
    return orjson.dumps({"next": next_url, "previous": previous,
                         "results": [as_json(row) for row in rows]})


def csv_chunks(connection, user_id: int, params: dict[str, str]):
    """Every row of the filtered set as CSV, a chunk of rows at a time from a server-side
    cursor, so that memory stays flat however many rows."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(FIELDS)
    with connection.cursor() as cursor:
        params = _team_id(cursor, params)
    with connection.cursor(name="floor_csv") as cursor:
        cursor.itersize = CSV_CHUNK
        cursor.execute(*query(user_id, params, csv_rows=True))
        while True:
            rows = cursor.fetchmany(CSV_CHUNK)
            if not rows:
                break
            writer.writerows(rows)
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()


def _then_rollback(chunks, connection):
    try:
        yield from chunks
    finally:
        connection.rollback()  # ends the server-side cursor's transaction


_connection = None


def _connect():
    # One connection per worker process, opened after gunicorn forks, kept for its life.
    global _connection
    if _connection is None or _connection.closed:
        import psycopg2

        # In UTC, as Django reads: cursors' times come out as the API writes them.
        _connection = psycopg2.connect(os.environ["FLOOR_DATABASE_URL"],
                                       options="-c timezone=UTC")
    return _connection


def application(environ, start_response):
    params = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
    try:
        user_id = int(params.pop("user", ""))
    except ValueError:
        start_response("400 Bad Request", [("Content-Type", "text/plain")])
        return [b"?user=<id> is required"]
    connection = _connect()
    if params.pop("format", "") == "csv":
        start_response("200 OK", [("Content-Type", "text/csv; charset=utf-8")])
        return _then_rollback(csv_chunks(connection, user_id, params), connection)
    try:
        with connection.cursor() as cursor:
            rows = page_rows(cursor, user_id, params)
    finally:
        connection.rollback()
    content = page_json(rows, params, environ.get("PATH_INFO", "/"))
    start_response("200 OK", [("Content-Type", "application/json"),
                              ("Content-Length", str(len(content)))])
    return [content]
