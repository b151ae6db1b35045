"""The floor of the dashboards (issue 11): every number of `dashboards.metrics.team_metrics`
and of `library_metrics`, computed by hand-written SQL with any DB-API cursor (psycopg2 in
the benchmark, Django's in the tests), without Django's models, querysets or tenancy layer.

What it computes is the selectors' definitions (their docstrings), written again in SQL:

- team: one statement for one team and period. The team's rows are its own incidents that
  are not archived (`team_id = team`); stored times are read in the team's time zone as a
  range of instants (the period's first midnight to the midnight after its last day there),
  so that the indexes on those columns can serve. The repeat rule is turned around: first
  the causes each of the team's adopted learnings covered and from when to when, then the
  own incidents that fall in one of those spans (through another incident than themselves).
- library: two statements over every active shared incident (`visibility = 'library'`):
  one grouped read for causes by year, platforms, response moves by severity and scores by
  cause; one for the ten organisations with most incidents (grouped by id, then named).

The numbers come back as plain values (`team_numbers`, `library_numbers`), in the shape
`bench/harness/dashboard_scenarios.py` turns the selectors' results into, so that the two can
be compared before anything is timed.
"""

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

TWO_PLACES = Decimal("0.01")
RECENT = 5
STATUSES = ("draft", "proposed", "adopted", "retired")
SEVERITIES = ("low", "medium", "high", "critical")
MOVES = ("acknowledged", "apologized", "explained_fix", "asked_for_help")
TOP_ORGANIZATIONS = 10

TEAM_SQL = """
WITH params AS (
    SELECT %(team)s::bigint AS team, %(start)s::date AS start, %(end)s::date AS stop,
           %(before)s::date AS before, t.timezone AS tz,
           (%(start)s::date::timestamp AT TIME ZONE t.timezone) AS t0,
           ((%(end)s::date + 1)::timestamp AT TIME ZONE t.timezone) AS t1,
           %(today)s::date AS today
    FROM accounts_team t WHERE t.id = %(team)s
),
inc AS MATERIALIZED (
    SELECT i.id, i.public_id, i.origin, i.primary_cause_id, i.occurred_on, i.created_at,
           i.detected_at, i.first_response_at, i.response_score,
           i.occurred_on >= p.start AS now
    FROM incidents_incident i, params p
    WHERE i.team_id = p.team AND i.archived_at IS NULL
      AND i.occurred_on >= p.before AND i.occurred_on <= p.stop
),
lrn AS MATERIALIZED (
    SELECT l.id, l.public_id, l.status, l.created_at, l.adopted_at,
           (l.adopted_at AT TIME ZONE p.tz)::date AS adopted_on,
           (l.retired_at AT TIME ZONE p.tz)::date AS retired_on
    FROM learnings_learning l, params p
    WHERE l.team_id = p.team AND l.archived_at IS NULL
),
linked AS MATERIALIZED (
    -- The incidents that count for each adopted learning (active, readable by the team).
    SELECT l.adopted_on, l.retired_on, x.id AS incident_id, x.primary_cause_id
    FROM lrn l
    JOIN learnings_learning_incidents li ON li.learning_id = l.id
    JOIN incidents_incident x ON x.id = li.incident_id
    CROSS JOIN params p
    WHERE l.adopted_at IS NOT NULL AND x.archived_at IS NULL
      AND (x.team_id = p.team OR x.visibility = 'library')
),
covered AS MATERIALIZED (
    -- What each adopted learning covers: the primary and contributing causes of those
    -- incidents, from the day after its adoption to the day it was retired.
    SELECT primary_cause_id AS cause, incident_id, adopted_on, retired_on FROM linked
    UNION ALL
    SELECT cc.rootcause_id, k.incident_id, k.adopted_on, k.retired_on
    FROM linked k JOIN incidents_incident_contributing_causes cc ON cc.incident_id = k.incident_id
),
own AS MATERIALIZED (
    SELECT * FROM inc WHERE now AND origin = 'own'
)
SELECT
    (SELECT coalesce(json_agg(json_build_array(c.slug, c.name, g.own, g.external,
                                               g.own_before, g.external_before)
                              ORDER BY g.own + g.external DESC, c.name), '[]')
     FROM (SELECT primary_cause_id,
                  count(*) FILTER (WHERE now AND origin = 'own') AS own,
                  count(*) FILTER (WHERE now AND origin = 'external') AS external,
                  count(*) FILTER (WHERE NOT now AND origin = 'own') AS own_before,
                  count(*) FILTER (WHERE NOT now AND origin = 'external') AS external_before
           FROM inc GROUP BY primary_cause_id) g
     JOIN incidents_rootcause c ON c.id = g.primary_cause_id
     WHERE g.own + g.external > 0),
    (SELECT json_agg(json_build_array(w.monday, coalesce(n.own, 0), coalesce(n.external, 0))
                     ORDER BY w.monday)
     FROM params p
     CROSS JOIN LATERAL generate_series(date_trunc('week', p.start::timestamp),
                                        p.stop::timestamp, interval '7 days') AS w0(monday)
     CROSS JOIN LATERAL (SELECT w0.monday::date AS monday) w
     LEFT JOIN (SELECT date_trunc('week', occurred_on::timestamp)::date AS monday,
                       count(*) FILTER (WHERE origin = 'own') AS own,
                       count(*) FILTER (WHERE origin = 'external') AS external
                FROM inc WHERE now GROUP BY 1) n ON n.monday = w.monday),
    (SELECT json_build_array(
         count(*) FILTER (WHERE status = 'draft'), count(*) FILTER (WHERE status = 'proposed'),
         count(*) FILTER (WHERE status = 'adopted'), count(*) FILTER (WHERE status = 'retired'),
         count(*) FILTER (WHERE created_at >= p.t0 AND created_at < p.t1),
         count(*) FILTER (WHERE adopted_at >= p.t0 AND adopted_at < p.t1),
         count(*) FILTER (WHERE created_at >= p.t0 AND created_at < p.t1 AND EXISTS (
             SELECT 1 FROM learnings_learning_incidents li
             JOIN incidents_incident x ON x.id = li.incident_id
             WHERE li.learning_id = lrn.id AND x.origin = 'external'
               AND x.archived_at IS NULL AND (x.team_id = p.team OR x.visibility = 'library'))))
     FROM lrn, params p),
    (SELECT json_build_array(
         count(*) FILTER (WHERE a.done_at IS NULL AND l.status <> 'retired'),
         count(*) FILTER (WHERE a.done_at IS NULL AND l.status <> 'retired'
                          AND a.due_on < p.today),
         count(*) FILTER (WHERE a.done_at >= p.t0 AND a.done_at < p.t1))
     FROM params p
     JOIN learnings_learning l ON l.team_id = p.team AND l.archived_at IS NULL
     JOIN learnings_actionitem a ON a.learning_id = l.id AND a.archived_at IS NULL),
    (SELECT json_build_array(
         -- A semi-join (hashed on the cause), not a subplan per incident.
         (SELECT count(*) FROM own o WHERE EXISTS (
             SELECT 1 FROM covered v
             WHERE v.cause = o.primary_cause_id AND v.incident_id <> o.id
               AND v.adopted_on < o.occurred_on
               AND (v.retired_on IS NULL OR v.retired_on >= o.occurred_on))),
         round(avg(response_score), 2),
         round(percentile_cont(0.5) WITHIN GROUP (
                   ORDER BY extract(epoch FROM first_response_at - detected_at) / 60)
               FILTER (WHERE detected_at IS NOT NULL AND first_response_at IS NOT NULL)
               ::numeric))
     FROM own),
    -- The recent rows with what the page shows of them.
    (SELECT coalesce(json_agg(json_build_array(r.public_id, x.title, r.occurred_on, r.origin,
                                               o.name, c.name)
                              ORDER BY r.occurred_on DESC, r.created_at DESC, r.id DESC), '[]')
     FROM (SELECT * FROM inc WHERE now
           ORDER BY occurred_on DESC, created_at DESC, id DESC LIMIT %(recent)s) r
     JOIN incidents_incident x ON x.id = r.id
     JOIN incidents_organization o ON o.id = x.organization_id
     JOIN incidents_rootcause c ON c.id = r.primary_cause_id),
    (SELECT coalesce(json_agg(json_build_array(r.public_id, l.title, r.status, r.created_at,
                                               u.display_name, u.email)
                              ORDER BY r.created_at DESC, r.id DESC), '[]')
     FROM (SELECT lrn.* FROM lrn, params p WHERE created_at >= p.t0 AND created_at < p.t1
           ORDER BY created_at DESC, id DESC LIMIT %(recent)s) r
     JOIN learnings_learning l ON l.id = r.id
     LEFT JOIN accounts_user u ON u.id = l.owner_id)
"""


def _two_places(value) -> str | None:
    if value is None:
        return None
    return str(Decimal(str(value)).quantize(TWO_PLACES, ROUND_HALF_UP))


def team_numbers(cursor, team_id: int, start: dt.date, end: dt.date, today: dt.date) -> dict:
    """Every number of team_metrics for this team and period (both days included); `today` is
    the team's today (what is overdue), given like the period."""
    before = start - dt.timedelta(days=(end - start).days + 1)
    cursor.execute(TEAM_SQL, {"team": team_id, "start": start, "end": end, "before": before,
                              "today": today, "recent": RECENT})
    causes, weeks, learnings, items, own, recent, recent_learnings = cursor.fetchone()
    causes, weeks, learnings, items, own, recent, recent_learnings = (
        _json(value) for value in (causes, weeks, learnings, items, own, recent,
                                   recent_learnings))
    totals = {"own": sum(c[2] for c in causes), "external": sum(c[3] for c in causes)}
    repeats, mean, median = own
    *statuses, created, adopted_in_period, from_others = learnings
    return {
        "incidents": totals,
        "incidents_per_week": [(monday[:10], n_own, n_external)
                               for monday, n_own, n_external in weeks],
        "causes": [tuple(cause) for cause in causes],
        "learnings": {**dict(zip(STATUSES, statuses, strict=True)), "created": created,
                      "adopted_in_period": adopted_in_period},
        "action_items": dict(zip(("open", "overdue", "done"), items, strict=True)),
        "learning_ratio": (_two_places(Decimal(from_others) / totals["own"])
                           if totals["own"] else None),
        "repeat_causes": repeats,
        "median_minutes_to_first_response": None if median is None else int(median),
        "mean_response_score": _two_places(mean),
        # Compared by id; the rest of each row is what the page would show.
        "recent_incidents": [str(row[0]) for row in recent],
        "recent_learnings": [str(row[0]) for row in recent_learnings],
    }


LIBRARY_SQL = """
SELECT c.slug, c.name, c.code, g.platform, g.severity, g.year, g.n, g.score,
       g.acknowledged, g.apologized, g.explained_fix, g.asked_for_help
FROM (SELECT primary_cause_id, platform, severity,
             extract(year FROM occurred_on)::int AS year, count(*) AS n,
             sum(response_score) AS score,
             count(*) FILTER (WHERE acknowledged) AS acknowledged,
             count(*) FILTER (WHERE apologized) AS apologized,
             count(*) FILTER (WHERE explained_fix) AS explained_fix,
             count(*) FILTER (WHERE asked_for_help) AS asked_for_help
      FROM incidents_incident
      WHERE visibility = 'library' AND archived_at IS NULL
      GROUP BY 1, 2, 3, 4) g
JOIN incidents_rootcause c ON c.id = g.primary_cause_id
"""

# The ten with most (and any tied with the tenth), named, then ten by count and name.
TOP_ORGANIZATIONS_SQL = """
SELECT o.slug, o.name, g.n
FROM (SELECT organization_id, count(*) AS n FROM incidents_incident
      WHERE visibility = 'library' AND archived_at IS NULL GROUP BY 1
      ORDER BY n DESC FETCH FIRST %(top)s ROWS WITH TIES) g
JOIN incidents_organization o ON o.id = g.organization_id
ORDER BY g.n DESC, o.name, o.slug
LIMIT %(top)s
"""


def library_numbers(cursor) -> dict:
    """Every number of library_metrics (the same for every reader)."""
    cursor.execute(LIBRARY_SQL)
    rows = cursor.fetchall()
    cursor.execute(TOP_ORGANIZATIONS_SQL, {"top": TOP_ORGANIZATIONS})
    organizations = [tuple(row) for row in cursor.fetchall()]
    per_cause: dict[str, dict] = {}
    platforms: dict[str, int] = {}
    severities = {s: {"incidents": 0, **dict.fromkeys(MOVES, 0)} for s in SEVERITIES}
    for slug, name, code, platform, severity, year, n, score, *moves in rows:
        cause = per_cause.setdefault(slug, {"name": name, "code": code, "years": {},
                                            "n": 0, "score": 0})
        cause["years"][year] = cause["years"].get(year, 0) + n
        cause["n"] += n
        cause["score"] += score
        platforms[platform] = platforms.get(platform, 0) + n
        severities[severity]["incidents"] += n
        for move, count in zip(MOVES, moves, strict=True):
            severities[severity][move] += count
    years = sorted({year for cause in per_cause.values() for year in cause["years"]})
    years = list(range(years[0], years[-1] + 1)) if years else []
    return {
        "incidents": sum(cause["n"] for cause in per_cause.values()),
        "years": years,
        "causes_by_year": [
            (slug, [cause["years"].get(year, 0) for year in years])
            for slug, cause in sorted(per_cause.items(),
                                      key=lambda item: (-item[1]["n"], item[1]["name"]))],
        "platforms": platforms,
        "organizations": organizations,
        "response_by_severity": severities,
        "score_by_cause": [
            (slug, cause["n"], str((Decimal(cause["score"]) / cause["n"])
                                   .quantize(TWO_PLACES, ROUND_HALF_UP)))
            for slug, cause in sorted(per_cause.items(), key=lambda item: item[1]["code"])],
    }


def _json(value):
    """psycopg2 reads json as Python values already; another driver may hand back text."""
    if isinstance(value, str):
        import json

        return json.loads(value)
    return value
