"""The dashboards' benchmark (bench/dashboards.py), on one database: which team it reads as,
the named measurements (pages, selectors, floors), the check that the floor computes the
selectors' numbers, and EXPLAIN of the selectors' queries. Import after django.setup(),
except the pure helpers at the top, which tests use without a database.

The team: "the same team in a database of 100k and one of 1M" cannot be one team with the
same data, because the generator draws each incident's team from the incident's row number
scaled by the number of incidents and teams (learnings/datagen/incident_steps.py): team 7 of
the 100k set and team 7 of the 1M set log different incidents. So each database reads as
the team whose incidents in the last 90 days are closest in number to one target: the
median team of the first (smallest) database.
"""

import contextlib
import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass

# ---------------------------------------------------------------------------------------------
# Pure helpers (no Django)

PERIODS = ("90d", "12m")
TEAM_PAGE = "team page, {period}"
TEAM_SELECTOR = "team_metrics, {period}"
TEAM_FLOOR = "team floor, {period}"
# Diagnostic: team_metrics' own eight statements, as it sent them, replayed through the floor's
# connection (its SQL's cost without Django's), compared with the floor but not a target.
TEAM_REPLAY = "team_metrics' SQL replayed, {period}"
LIBRARY_PAGE = "library page"
LIBRARY_SELECTOR = "library_metrics"
# The same with the library's cache off (LIBRARY_METRICS_CACHE_SECONDS=0): what the first view
# after a change costs.
LIBRARY_PAGE_COUNTED = "library page, counted (no cache)"
LIBRARY_SELECTOR_COUNTED = "library_metrics, counted (no cache)"
LIBRARY_FLOOR = "library floor"
COUNTED = (LIBRARY_PAGE_COUNTED, LIBRARY_SELECTOR_COUNTED)
# Each measured scenario, and the floor it is compared with.
AGAINST = {
    **{TEAM_PAGE.format(period=p): TEAM_FLOOR.format(period=p) for p in PERIODS},
    **{TEAM_SELECTOR.format(period=p): TEAM_FLOOR.format(period=p) for p in PERIODS},
    **{TEAM_REPLAY.format(period=p): TEAM_FLOOR.format(period=p) for p in PERIODS},
    LIBRARY_PAGE: LIBRARY_FLOOR,
    LIBRARY_SELECTOR: LIBRARY_FLOOR,
    LIBRARY_PAGE_COUNTED: LIBRARY_FLOOR,
    LIBRARY_SELECTOR_COUNTED: LIBRARY_FLOOR,
}
# In the order reports list them.
NAMES = (
    *(name for p in PERIODS for name in (TEAM_PAGE.format(period=p),
                                         TEAM_SELECTOR.format(period=p),
                                         TEAM_REPLAY.format(period=p),
                                         TEAM_FLOOR.format(period=p))),
    LIBRARY_PAGE, LIBRARY_SELECTOR, LIBRARY_PAGE_COUNTED, LIBRARY_SELECTOR_COUNTED,
    LIBRARY_FLOOR,
)


def median_count(counts: Sequence[int]) -> int:
    """The median team's count (the lower middle one of an even number: a real team's)."""
    if not counts:
        raise ValueError("no teams")
    ordered = sorted(counts)
    return ordered[(len(ordered) - 1) // 2]


def closest(counts: Sequence[tuple[int, int]], target: int) -> int:
    """Of (team id, count) pairs, the team whose count is closest to `target`; of equally close
    ones, the larger count, then the smaller id (deterministic)."""
    if not counts:
        raise ValueError("no teams")
    return min(counts, key=lambda pair: (abs(pair[1] - target), -pair[1], pair[0]))[0]


def differences(expected: object, found: object, path: str = "") -> list[str]:
    """Where two nested values (dicts, lists, tuples, scalars) differ, one line each."""
    if isinstance(expected, dict) and isinstance(found, dict):
        out = []
        for key in sorted(set(expected) | set(found), key=str):
            if key not in found:
                out.append(f"{path}.{key}: missing")
            elif key not in expected:
                out.append(f"{path}.{key}: unexpected {found[key]!r}")
            else:
                out += differences(expected[key], found[key], f"{path}.{key}")
        return out
    if isinstance(expected, list | tuple) and isinstance(found, list | tuple):
        if len(expected) != len(found):
            return [f"{path}: {len(expected)} items, found {len(found)}: "
                    f"{expected!r} vs {found!r}"]
        out = []
        for number, (a, b) in enumerate(zip(expected, found, strict=True)):
            out += differences(a, b, f"{path}[{number}]")
        return out
    return [] if expected == found else [f"{path}: {expected!r} vs {found!r}"]


# ---------------------------------------------------------------------------------------------
# The selectors' results as the floor's plain values


def team_values(metrics) -> dict:
    """dashboards.metrics.TeamMetrics as dashboards_floor.team_numbers returns it."""
    def text(value):
        return None if value is None else str(value)

    return {
        "incidents": dict(metrics.incidents),
        "incidents_per_week": [(w.week.isoformat(), w.own, w.external)
                               for w in metrics.incidents_per_week],
        "causes": [(c.slug, c.name, c.own, c.external, c.own_before, c.external_before)
                   for c in metrics.causes],
        "learnings": dict(metrics.learnings),
        "action_items": dict(metrics.action_items),
        "learning_ratio": text(metrics.learning_ratio),
        "repeat_causes": metrics.repeat_causes,
        "median_minutes_to_first_response": metrics.median_minutes_to_first_response,
        "mean_response_score": text(metrics.mean_response_score),
        "recent_incidents": [str(i.public_id) for i in metrics.recent_incidents],
        "recent_learnings": [str(x.public_id) for x in metrics.recent_learnings],
    }


def library_values(metrics) -> dict:
    """dashboards.metrics.LibraryMetrics as dashboards_floor.library_numbers returns it."""
    return {
        "incidents": metrics.incidents,
        "years": list(metrics.years),
        "causes_by_year": [(c.slug, list(c.per_year)) for c in metrics.causes_by_year],
        "platforms": {p.key: p.incidents for p in metrics.platforms},
        "organizations": [(o.key, o.label, o.incidents) for o in metrics.organizations],
        "response_by_severity": {s.severity: {"incidents": s.incidents, **s.moves}
                                 for s in metrics.response_by_severity},
        "score_by_cause": [(c.slug, c.incidents, str(c.mean_response_score))
                           for c in metrics.score_by_cause],
    }


# ---------------------------------------------------------------------------------------------
# On the database (Django set up)


@dataclass
class DashboardSetting:
    """Who the benchmark reads as on one database, and what the report says of it."""

    user: object
    team: object
    target: int
    teams: int
    incidents: int
    library: int
    rows: dict  # the chosen team's row counts
    biggest: object  # the team with the most incidents (for EXPLAIN)


def counts_in_last(days: int) -> list[tuple[int, int]]:
    """(team id, active own incidents in the last `days` days, counted back from today in
    UTC, for every team, teams without any included."""
    from django.db.models import Count, Q
    from django.utils import timezone

    from accounts.models import Team

    since = timezone.now().date() - dt.timedelta(days=days - 1)
    return list(Team.objects.annotate(n=Count("incidents", filter=Q(
        incidents__occurred_on__gte=since, incidents__archived_at__isnull=True)))
        .values_list("pk", "n"))


def team_rows(team) -> dict:
    from incidents.models import Incident
    from learnings.models import ActionItem, Learning

    own = Incident.objects.filter(team=team, archived_at__isnull=True)
    today = team.today()
    return {
        "incidents": own.count(),
        "in 90 days": own.filter(occurred_on__gt=today - dt.timedelta(days=90)).count(),
        "in 12 months": own.filter(occurred_on__gt=today - dt.timedelta(days=365)).count(),
        "learnings": Learning.objects.filter(team=team, archived_at__isnull=True).count(),
        "action items": ActionItem.objects.filter(learning__team=team,
                                                  archived_at__isnull=True).count(),
    }


def resolve(target: int | None) -> DashboardSetting:
    """The team closest to `target` incidents in 90 days (the median team's count when None)
    and one of its members (a member before a manager)."""
    from django.db.models import Count

    from accounts.models import Membership, Team
    from incidents.models import Incident, Visibility

    counts = counts_in_last(90)
    if target is None:
        target = median_count([n for _, n in counts])
    team = Team.objects.get(pk=closest(counts, target))
    membership = (Membership.objects.filter(team=team, role__in=Membership.WRITE_ROLES)
                  .select_related("user").order_by("-role", "pk").first())
    if membership is None:
        raise SystemExit(f"Team {team.slug} has no member or manager to read as.")
    biggest = Team.objects.annotate(n=Count("incidents")).order_by("-n", "pk").first()
    return DashboardSetting(
        user=membership.user, team=team, target=target, teams=len(counts),
        incidents=Incident.objects.count(),
        library=Incident.objects.filter(visibility=Visibility.LIBRARY,
                                        archived_at__isnull=True).count(),
        rows=team_rows(team), biggest=biggest)


def period_of(team, name: str):
    from dashboards.periods import period_from

    return period_from({"period": name}, today=team.today())


def page_urls(team) -> dict[str, str]:
    """The pages' addresses, where the URLconf has them (the pages may not be built yet)."""
    from django.urls import NoReverseMatch, reverse

    urls = {}
    try:
        team_url = reverse("dashboards:team-dashboard", kwargs={"slug": team.slug})
    except NoReverseMatch:
        team_url = None
    for name in PERIODS:
        if team_url:
            urls[TEAM_PAGE.format(period=name)] = f"{team_url}?period={name}"
    with contextlib.suppress(NoReverseMatch):
        urls[LIBRARY_PAGE] = urls[LIBRARY_PAGE_COUNTED] = reverse("dashboards:library-dashboard")
    return urls


def calls(setting: DashboardSetting, floor_cursor) -> dict[str, Callable[[], object]]:
    """The measurements that are function calls: each selector as a page would call it (the
    period read from the query string, for the team's today) and its floor."""
    import dashboards_floor

    from dashboards.metrics import library_metrics, team_metrics

    team, user = setting.team, setting.user
    out: dict[str, Callable[[], object]] = {}
    for name in PERIODS:
        def selector(name=name):
            return team_metrics(team=team, period=period_of(team, name))

        def floor(name=name):
            period = period_of(team, name)
            return dashboards_floor.team_numbers(floor_cursor, team.pk, period.start,
                                                 period.end, team.today())

        out[TEAM_SELECTOR.format(period=name)] = selector
        out[TEAM_FLOOR.format(period=name)] = floor
        out[TEAM_REPLAY.format(period=name)] = _replay(selector, floor_cursor)
    out[LIBRARY_SELECTOR] = out[LIBRARY_SELECTOR_COUNTED] = lambda: library_metrics(user=user)
    out[LIBRARY_FLOOR] = lambda: dashboards_floor.library_numbers(floor_cursor)
    return out


def _replay(call: Callable[[], object], cursor) -> Callable[[], None]:
    """The statements `call` sends (with their parameters in place), sent again as they are
    and read to the last row."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        call()
    statements = [query["sql"] for query in queries.captured_queries]

    def replay() -> None:
        for sql in statements:
            cursor.execute(sql)
            cursor.fetchall()

    return replay


def check(setting: DashboardSetting, floor_cursor, teams: Sequence | None = None) -> list[str]:
    """Where the floor's numbers differ from the selectors', for the chosen team (and any
    `teams`) in both periods, and for the library: empty when they agree."""
    import dashboards_floor

    from dashboards.metrics import library_metrics, team_metrics

    problems = []
    for team in [setting.team, *(teams or [])]:
        for name in PERIODS:
            period = period_of(team, name)
            expected = team_values(team_metrics(team=team, period=period))
            found = dashboards_floor.team_numbers(floor_cursor, team.pk, period.start,
                                                  period.end, team.today())
            problems += [f"{team.slug} {name}{line}" for line in differences(expected, found)]
    expected = library_values(library_metrics(user=setting.user))
    found = dashboards_floor.library_numbers(floor_cursor)
    problems += [f"library{line}" for line in differences(expected, found)]
    return problems


def library_after_a_write(setting: DashboardSetting) -> dict:
    """The library's numbers stay right after a write: in one transaction that is rolled back,
    the numbers (read once so that they are cached), then one shared incident archived and
    one team-only incident shared through the incident services, then the numbers again,
    which must equal the floor's, run on the same connection so that it sees the changes."""
    import dashboards_floor
    from django.db import connection, transaction

    from dashboards.metrics import library_metrics
    from incidents.models import Incident, Visibility
    from incidents.services import incident_archive, incident_update

    user = setting.user
    steps = []
    problems: list[str] = []
    with transaction.atomic():
        library_values(library_metrics(user=user))
        counts = [library_values(library_metrics(user=user))["incidents"]]  # from the cache
        shared = (Incident.objects.filter(team=setting.team, visibility=Visibility.LIBRARY,
                                          archived_at__isnull=True).order_by("-pk").first())
        private = (Incident.objects.filter(team=setting.team, visibility=Visibility.TEAM,
                                           archived_at__isnull=True).order_by("-pk").first())
        if shared is not None:
            steps.append(("archived a shared incident",
                          lambda: incident_archive(user=user, incident=shared)))
        if private is not None:
            steps.append(("shared a team-only incident", lambda: incident_update(
                user=user, incident=private, data={"visibility": Visibility.LIBRARY})))
        for label, step in steps:
            step()
            after = library_values(library_metrics(user=user))
            with connection.cursor() as cursor:
                floor = dashboards_floor.library_numbers(cursor)
            counts.append(after["incidents"])
            problems += [f"{label}{line}" for line in differences(floor, after)]
        transaction.set_rollback(True)
    return {"steps": [label for label, _ in steps], "counts": counts, "problems": problems}


def explain(team, name: str = "90d") -> list[dict]:
    """Each query team_metrics sends for `team` and `name`, with EXPLAIN (ANALYZE, BUFFERS),
    and the sequential scans in its plan (table names)."""
    import re

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from dashboards.metrics import team_metrics

    period = period_of(team, name)
    with CaptureQueriesContext(connection) as queries:
        team_metrics(team=team, period=period)
    plans = []
    with connection.cursor() as cursor:
        for query in queries.captured_queries:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + query["sql"])
            plan = "\n".join(row[0] for row in cursor.fetchall())
            plans.append({"sql": query["sql"], "ms": float(query["time"]) * 1000, "plan": plan,
                          "seq_scans": sorted(set(re.findall(r"Seq Scan on (\w+)", plan)))})
    return plans
