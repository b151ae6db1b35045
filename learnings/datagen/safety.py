"""When generate_data may write: never over data that people made.

The rule: the database is either an empty installation (no people, teams, organisations,
incidents, learnings or sources; the taxonomy that migrations seed does not count), or one that
generate_data made (its marker table exists) and in which every person is a generated one,
with an address at GENERATED_DOMAIN, which no one can receive mail at (RFC 2606), so no one
can have signed up or been invited with it. There is no option to override the rule.
"""

from django.db import connection

from .tables import Tables

MARKER_TABLE = "generate_data_marker"
GENERATED_DOMAIN = "generated.invalid"


class Refused(Exception):
    """generate_data will not write to this database; the message says why."""


def marker_exists(cursor) -> bool:
    cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [MARKER_TABLE])
    return cursor.fetchone()[0]


def check(cursor, t: Tables) -> bool:
    """Raise Refused unless the load may write; True when it replaces an earlier load."""
    if connection.vendor != "postgresql":
        raise Refused(
            f"generate_data fills PostgreSQL only (this database is {connection.vendor}): "
            "set DATABASE_URL=postgres://… to a scratch database.")
    counts = {}
    for label, table in (("people", t.user), ("teams", t.team),
                         ("organisations", t.organization), ("incidents", t.incident),
                         ("learnings", t.learning), ("sources", t.source)):
        cursor.execute(f"SELECT count(*) FROM (SELECT 1 FROM {table} LIMIT 1) s")
        counts[label] = cursor.fetchone()[0]
    if not any(counts.values()):
        return False
    holds = ", ".join(label for label, count in counts.items() if count)
    if not marker_exists(cursor):
        raise Refused(f"This database already holds {holds} that generate_data did not make. "
                      "It only fills an empty, migrated database or replaces its own data.")
    cursor.execute(f"SELECT email FROM {t.user} WHERE email NOT LIKE %s ORDER BY id LIMIT 1",
                   [f"%@{GENERATED_DOMAIN}"])
    person = cursor.fetchone()
    if person:
        raise Refused(f"This database was made by generate_data, but someone has joined it "
                      f"since ({person[0]}): their data is real, so it is left alone.")
    return True


def mark(cursor, *, teams: int, incidents: int, library_share: float, seed: int) -> None:
    cursor.execute(f"""CREATE TABLE IF NOT EXISTS {MARKER_TABLE} (
        made_at timestamptz NOT NULL DEFAULT now(), teams integer NOT NULL,
        incidents integer NOT NULL, library_share double precision NOT NULL,
        seed bigint NOT NULL)""")
    cursor.execute(f"COMMENT ON TABLE {MARKER_TABLE} IS 'This database holds data made by "
                   "manage.py generate_data, which may replace it.'")
    cursor.execute(f"INSERT INTO {MARKER_TABLE} (teams, incidents, library_share, seed) "
                   "VALUES (%s, %s, %s, %s)", [teams, incidents, library_share, seed])
