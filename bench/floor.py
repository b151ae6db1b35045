"""The floor: the least a server can do to answer the incident list's first page.

A plain WSGI app with one psycopg2 connection per worker process and one hand-written query:
the 25 newest active incidents the member may read (their teams' incidents and every team's
library ones, newest first, as the app's list orders them), with what the app's rows show,
as a small HTML page. No framework, no session, no template engine: the member is named in
the address (?user=<id>), which a real app must never trust; it is a floor, not an app.

    FLOOR_DATABASE_URL=postgres://postgres@127.0.0.1:5432/misfire_gen_1m \
        .venv/bin/gunicorn --chdir bench --workers 2 --bind 127.0.0.1:8102 floor:application

bench/run.py --serve starts it beside the app; tests/test_bench_harness.py checks that its
query returns the incidents of the app's first page.
"""

import html
import os
from urllib.parse import parse_qs

PAGE_SIZE = 25

# The app's readable set (accounts.tenancy: team in the member's teams, or shared in the
# library), active only (IncidentQuerySet.active), in the lists' default order.
FLOOR_SQL = """
SELECT i.public_id, i.title, i.occurred_on, i.origin, i.visibility, i.platform,
       i.severity, i.status, t.name, o.name, o.slug, c.name
FROM incidents_incident i
JOIN accounts_team t ON t.id = i.team_id
JOIN incidents_organization o ON o.id = i.organization_id
JOIN incidents_rootcause c ON c.id = i.primary_cause_id
WHERE i.archived_at IS NULL
  AND (i.team_id IN (SELECT team_id FROM accounts_membership WHERE user_id = %s)
       OR i.visibility = 'library')
ORDER BY i.occurred_on DESC, i.created_at DESC
LIMIT %s
"""


def floor_rows(cursor, user_id: int) -> list[tuple]:
    """The first page's rows for this member, with any DB-API cursor (psycopg2, Django's)."""
    cursor.execute(FLOOR_SQL, [user_id, PAGE_SIZE])
    return cursor.fetchall()


_connection = None


def _cursor():
    # One connection per worker process, opened after gunicorn forks, kept for its life.
    global _connection
    if _connection is None or _connection.closed:
        import psycopg2

        _connection = psycopg2.connect(os.environ["FLOOR_DATABASE_URL"])
        _connection.autocommit = True
    return _connection.cursor()


def _page(rows: list[tuple]) -> bytes:
    e = html.escape
    body = "".join(
        f'<tr><td>{occurred:%d %b %Y}</td><td><a href="/incidents/{public_id}/">{e(title)}</a>'
        f"{' <span>own</span>' if origin == 'own' else ''}</td>"
        f'<td><a href="/organizations/{e(org_slug)}/">{e(org)}</a></td><td>{e(platform)}</td>'
        f"<td>{e(cause)}</td><td>{e(severity)}</td><td>{e(status)}</td>"
        f"<td>{'Library' if visibility == 'library' else e(team) + ' only'}</td></tr>"
        for (public_id, title, occurred, origin, visibility, platform, severity, status, team,
             org, org_slug, cause) in rows
    )
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Incidents</title>'
        f"</head><body><h1>Incidents</h1><table>{body}</table></body></html>"
    ).encode()


def application(environ, start_response):
    try:
        user_id = int(parse_qs(environ.get("QUERY_STRING", "")).get("user", [""])[0])
    except ValueError:
        start_response("400 Bad Request", [("Content-Type", "text/plain")])
        return [b"?user=<id> is required"]
    cursor = _cursor()
    try:
        content = _page(floor_rows(cursor, user_id))
    finally:
        cursor.close()
    start_response("200 OK", [("Content-Type", "text/html; charset=utf-8"),
                              ("Content-Length", str(len(content)))])
    return [content]
