"""The numbers of the team dashboard, the library dashboard, the metrics API and the digest.

One definition per metric, each in its own selector whose docstring is the definition; the
dashboards show the same words under "How is this counted?" (`DEFINITIONS`, read from the
docstrings, so the page and the code cannot drift apart). Every count reads through the
tenancy layer: a team's own rows (`owned_by(team)`), or the library's shared rows
(`readable(...)` narrowed to library visibility). Archived objects never count. Dates are
the team's calendar: `occurred_on` is a day already, and stored times (created, adopted, done)
are read in the team's time zone.
"""

import datetime as dt
import functools
import inspect
import zoneinfo
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.models import Count, Exists, Max, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import ExtractYear
from django.utils import timezone

from accounts.models import Team, User
from common.changes import change_token
from incidents.models import (
    Incident,
    Organization,
    Origin,
    Platform,
    RootCause,
    Severity,
    Visibility,
)
from learnings.models import ActionItem, Learning, LearningStatus, counted_links

from .periods import Period, monday_of

TWO_PLACES = Decimal("0.01")
RECENT = 5
TOP_ORGANIZATIONS = 10
# The response moves the library dashboard reports, in the order a good answer makes them.
RESPONSE_MOVES = ("acknowledged", "apologized", "explained_fix", "asked_for_help")


# ---------------------------------------------------------------------------------------------
# What the selectors return


@dataclass(frozen=True)
class WeekCount:
    """A Monday-start week's incidents by origin (`week` is its Monday)."""

    week: dt.date
    own: int
    external: int

    @property
    def last_day(self) -> dt.date:
        return self.week + dt.timedelta(days=6)

    @property
    def total(self) -> int:
        return self.own + self.external


@dataclass(frozen=True)
class CauseCount:
    """One primary cause's incidents in the period and in the one before, by origin."""

    slug: str
    name: str
    own: int
    external: int
    own_before: int
    external_before: int

    @property
    def total(self) -> int:
        return self.own + self.external


@dataclass(frozen=True)
class TeamMetrics:
    """Everything the team dashboard and the metrics API show, for one team and period."""

    team: Team
    period: Period
    incidents: dict[str, int]
    incidents_per_week: list[WeekCount]
    causes: list[CauseCount]
    learnings: dict[str, int]
    action_items: dict[str, int]
    learning_ratio: Decimal | None
    repeat_causes: int
    median_minutes_to_first_response: int | None
    mean_response_score: Decimal | None
    recent_incidents: list[Incident] = field(default_factory=list)
    recent_learnings: list[Learning] = field(default_factory=list)

    @property
    def is_quiet(self) -> bool:
        """Nothing logged in the period and no learning at all."""
        return not (sum(self.incidents.values()) or any(
            self.learnings[status] for status in LearningStatus.values))


@dataclass(frozen=True)
class Count_:
    """A named count: a platform, an organisation, a cause."""

    key: str
    label: str
    incidents: int


@dataclass(frozen=True)
class CauseYears:
    """One primary cause's shared incidents per year (aligned with LibraryMetrics.years)."""

    slug: str
    name: str
    per_year: list[int]

    @property
    def total(self) -> int:
        return sum(self.per_year)


@dataclass(frozen=True)
class SeverityResponse:
    """How brands answered their shared incidents of one severity: incidents with each move."""

    severity: str
    label: str
    incidents: int
    moves: dict[str, int]

    def share(self, move: str) -> Decimal | None:
        if not self.incidents:
            return None
        return (Decimal(self.moves[move]) / self.incidents).quantize(TWO_PLACES, ROUND_HALF_UP)


@dataclass(frozen=True)
class CauseScore:
    """The mean response score of the shared incidents of one primary cause."""

    slug: str
    name: str
    incidents: int
    mean_response_score: Decimal


@dataclass(frozen=True)
class LibraryMetrics:
    """Everything the library dashboard shows, over every active shared incident."""

    incidents: int
    years: list[int]
    causes_by_year: list[CauseYears]
    platforms: list[Count_]
    organizations: list[Count_]
    response_by_severity: list[SeverityResponse]
    score_by_cause: list[CauseScore]


# ---------------------------------------------------------------------------------------------
# The team's rows


def _team_incidents(team: Team) -> QuerySet[Incident]:
    """The team's own logged incidents that are not archived."""
    return Incident.objects.owned_by(team).active()


def _in(period: Period) -> Q:
    return Q(occurred_on__gte=period.start, occurred_on__lte=period.end)


def _dated(name: str, period: Period) -> Q:
    """A stored time whose day, in the active (the team's) time zone, is in the period."""
    return Q(**{f"{name}__date__gte": period.start, f"{name}__date__lte": period.end})


def in_team_calendar(selector):
    """Run a team selector in its team's time zone, so that a stored time's day (`__date`)
    is the team's day whoever asks, and wherever the request runs."""
    @functools.wraps(selector)
    def read(*, team: Team, **kwargs):
        with timezone.override(zoneinfo.ZoneInfo(team.timezone)):
            return selector(team=team, **kwargs)
    return read


def _two_places(value) -> Decimal | None:
    return None if value is None else Decimal(value).quantize(TWO_PLACES, ROUND_HALF_UP)


# ---------------------------------------------------------------------------------------------
# Team metrics, one selector per metric


def incident_counts(*, team: Team, period: Period) -> tuple[dict[str, int], list[CauseCount]]:
    """incidents: the team's logged incidents with `occurred_on` in the period, by origin
    (own, external).

    causes: the primary causes of those incidents by origin, non-zero ones only, most first
    (then by name); own_before and external_before are the same counts over the previous
    period of the same length (the days just before it)."""
    before = period.previous()
    rows = (
        _team_incidents(team).filter(occurred_on__gte=before.start, occurred_on__lte=period.end)
        .values("origin", "primary_cause__slug", "primary_cause__name")
        .annotate(now=Count("pk", filter=_in(period)), then=Count("pk", filter=_in(before)))
        .order_by()
    )
    totals = {Origin.OWN.value: 0, Origin.EXTERNAL.value: 0}
    causes: dict[str, dict] = {}
    for row in rows:
        origin = row["origin"]
        totals[origin] += row["now"]
        cause = causes.setdefault(row["primary_cause__slug"], {
            "slug": row["primary_cause__slug"], "name": row["primary_cause__name"],
            "own": 0, "external": 0, "own_before": 0, "external_before": 0})
        cause[origin] += row["now"]
        cause[f"{origin}_before"] += row["then"]
    counted = [CauseCount(**cause) for cause in causes.values() if cause["own"] + cause["external"]]
    counted.sort(key=lambda cause: (-cause.total, cause.name))
    return totals, counted


def incidents_per_week(*, team: Team, period: Period) -> list[WeekCount]:
    """incidents_per_week: the same incidents in every Monday-start week that overlaps the
    period, in order, zeros included; `week` is that Monday. The first and last weeks count
    only their days inside the period."""
    rows = (_team_incidents(team).filter(_in(period)).values("occurred_on", "origin")
            .annotate(n=Count("pk")).order_by())
    weeks = {monday: {"own": 0, "external": 0} for monday in period.weeks()}
    for row in rows:
        weeks[monday_of(row["occurred_on"])][row["origin"]] += row["n"]
    return [WeekCount(week=monday, **counts) for monday, counts in weeks.items()]


def _in_force_learnings(team: Team) -> Exists:
    """For an outer own incident: one of the team's learnings was in force when it happened
    and already covered its primary cause (the rule of learnings.selectors.incident_repeat_of,
    for every incident of a query at once)."""
    occurred_on = OuterRef("occurred_on")
    cause = OuterRef(OuterRef("primary_cause_id"))
    covering = counted_links().filter(
        Q(incident__primary_cause_id=cause) | Q(incident__contributing_causes=cause)
    ).exclude(incident_id=OuterRef(OuterRef("pk")))
    return Exists(
        Learning.objects.owned_by(team).active()
        .filter(adopted_at__isnull=False, adopted_at__date__lt=occurred_on)
        .filter(Q(retired_at__isnull=True) | Q(retired_at__date__gte=occurred_on))
        .filter(Exists(covering))
    )


@in_team_calendar
def own_incident_measures(*, team: Team, period: Period) -> dict:
    """repeat_causes: the team's own incidents in the period that are repeats by the learnings
    rule: one of its learnings (not archived) was adopted on an earlier day than the incident
    occurred, was not retired before that day, and covers the incident's primary cause through
    another incident. Counted in one query, not one per incident.

    mean_response_score: the mean response score (0–4) of the team's own incidents in the
    period, to 2 decimals; none when there is no own incident."""
    result = (
        _team_incidents(team).filter(_in(period), origin=Origin.OWN)
        .aggregate(scored=Count("pk"), score=Sum("response_score"),
                   repeats=Count("pk", filter=Q(_in_force_learnings(team))))
    )
    # Sum and count, not AVG: the database's mean comes back a float, which rounds 0.075 down.
    mean = (_two_places(Decimal(result["score"]) / result["scored"]) if result["scored"]
            else None)
    return {"repeat_causes": result["repeats"], "mean_response_score": mean}


def median_minutes_to_first_response(*, team: Team, period: Period) -> int | None:
    """median_minutes_to_first_response: over the team's own incidents in the period that have
    both a detection time and a first public response, the median minutes from detection to
    response (the mean of the middle two when there is an even number), rounded to the
    nearest minute; none when no incident has both."""
    gaps = sorted(
        (responded - detected).total_seconds() / 60
        for detected, responded in _team_incidents(team)
        .filter(_in(period), origin=Origin.OWN, detected_at__isnull=False,
                first_response_at__isnull=False)
        .values_list("detected_at", "first_response_at")
    )
    if not gaps:
        return None
    middle = len(gaps) // 2
    median = gaps[middle] if len(gaps) % 2 else (gaps[middle - 1] + gaps[middle]) / 2
    return int(Decimal(str(median)).quantize(Decimal(1), ROUND_HALF_UP))


@in_team_calendar
def learning_counts(*, team: Team, period: Period) -> tuple[dict[str, int], int]:
    """learnings: draft, proposed, adopted and retired are the team's learnings now, by status;
    created: learnings created in the period; adopted_in_period: learnings whose adoption date
    is in the period (whatever their status now).

    learning_ratio (its numerator, here): learnings created in the period that are linked to
    at least one incident of another organisation (external origin, active, one the team may
    read) ÷ the team's own incidents in the period, to 2 decimals; none with no own incident."""
    statuses = {status: Count("pk", filter=Q(status=status)) for status in LearningStatus.values}
    drawn_from_others = Exists(counted_links().filter(incident__origin=Origin.EXTERNAL))
    result = (
        Learning.objects.owned_by(team).active()
        .aggregate(**statuses,
                   created=Count("pk", filter=_dated("created_at", period)),
                   adopted_in_period=Count("pk", filter=_dated("adopted_at", period)),
                   from_others=Count("pk", filter=_dated("created_at", period)
                                     & Q(drawn_from_others)))
    )
    from_others = result.pop("from_others")
    return result, from_others


@in_team_calendar
def action_item_counts(*, team: Team, period: Period) -> dict[str, int]:
    """action_items of the team's learnings (neither the item nor its learning archived):
    open: not done, on a learning that still asks for it (not retired); overdue: open and due
    before today (the team's today); done: done in the period."""
    today = team.today()
    open_ = Q(done_at__isnull=True) & ~Q(learning__status=LearningStatus.RETIRED)
    return (
        ActionItem.objects.owned_by(team)
        .active().filter(learning__archived_at__isnull=True)
        .aggregate(open=Count("pk", filter=open_),
                   overdue=Count("pk", filter=open_ & Q(due_on__lt=today)),
                   done=Count("pk", filter=_dated("done_at", period)))
    )


def recent_incidents(*, team: Team, period: Period) -> list[Incident]:
    """recent_incidents: the team's newest incidents of the period (by the day they occurred,
    then when they were logged), at most five."""
    return list(_team_incidents(team).filter(_in(period))
                .select_related("organization", "primary_cause")
                .order_by("-occurred_on", "-created_at", "-pk")[:RECENT])


@in_team_calendar
def recent_learnings(*, team: Team, period: Period) -> list[Learning]:
    """recent_learnings: the team's learnings created in the period, newest first, at most
    five."""
    return list(Learning.objects.owned_by(team).active()
                .filter(_dated("created_at", period)).select_related("owner")
                .order_by("-created_at", "-pk")[:RECENT])


@in_team_calendar
def team_metrics(*, team: Team, period: Period) -> TeamMetrics:
    """Every number of the team dashboard, for `team` over `period` (its calendar): eight
    queries, whatever the data's size."""
    incidents, causes = incident_counts(team=team, period=period)
    learnings, from_others = learning_counts(team=team, period=period)
    own = own_incident_measures(team=team, period=period)
    ratio = (_two_places(Decimal(from_others) / incidents[Origin.OWN])
             if incidents[Origin.OWN] else None)
    return TeamMetrics(
        team=team, period=period, incidents=incidents,
        incidents_per_week=incidents_per_week(team=team, period=period),
        causes=causes, learnings=learnings,
        action_items=action_item_counts(team=team, period=period),
        learning_ratio=ratio, repeat_causes=own["repeat_causes"],
        median_minutes_to_first_response=median_minutes_to_first_response(
            team=team, period=period),
        mean_response_score=own["mean_response_score"],
        recent_incidents=recent_incidents(team=team, period=period),
        recent_learnings=recent_learnings(team=team, period=period),
    )


def team_has_history(*, team: Team) -> bool:
    """Whether the team has ever logged an incident or drawn a learning (archived ones
    included): a team with neither is new, and its dashboard says what to do first."""
    return (Incident.objects.owned_by(team).exists()
            or Learning.objects.owned_by(team).exists())


# ---------------------------------------------------------------------------------------------
# The library


def _library(*, user: User | None, team: Team | None) -> QuerySet[Incident]:
    return (Incident.objects.readable(user=user, team=team).active()
            .filter(visibility=Visibility.LIBRARY))


def library_metrics(*, user: User | None = None, team: Team | None = None) -> LibraryMetrics:
    """Every number of the library dashboard, over every active shared incident (the same for
    every reader: shared incidents are readable by every team).

    causes_by_year: shared incidents per primary cause and year they occurred.
    platforms: shared incidents per platform, most first.
    organizations: the ten organisations with most shared incidents.
    response_by_severity: per severity, how many shared incidents the brand acknowledged,
    apologised for, explained a fix for, asked for help on (a share of that severity's).
    score_by_cause: the mean response score (0–4) of each primary cause's shared incidents."""
    # The counts are kept in the cache under the number of the newest incident change (every
    # create, edit, archive, restore and change of visibility writes one to the incidents'
    # history) and the incidents' change token (common.changes, moved when such a write
    # commits: history numbers are handed out in the order writes are made, not committed),
    # so they are counted again after any change and read from the cache until then: three
    # queries when cached, five when counted (four with no cache). Names of causes and
    # organisations are always read fresh.
    if user is not None and not user.is_authenticated:
        return _assemble(_LibraryCounts(rows=[], organizations=[]))
    library = _library(user=user, team=team)
    seconds = settings.LIBRARY_METRICS_CACHE_SECONDS
    if not seconds:
        return _assemble(_count_library(library))
    newest = Incident.history.aggregate(newest=Max("history_id"))["newest"]
    key = (f"dashboards:library:{connection.settings_dict['NAME']}:{newest}:"
           f"{change_token(Incident)}")
    counts = cache.get(key)
    if counts is None:
        counts = _count_library(library)
        cache.set(key, counts, seconds)
    return _assemble(counts)


@dataclass(frozen=True)
class _LibraryCounts:
    """What the library's numbers are made of, as cached: grouped rows, and the organisations
    with most incidents by primary key (names are read when shown)."""

    # (primary cause id, platform, severity, year, incidents, score sum, *RESPONSE_MOVES)
    rows: list[tuple]
    organizations: list[tuple[int, int]]   # (organisation id, incidents)


def _count_library(library: QuerySet[Incident]) -> _LibraryCounts:
    """Two queries: one grouped read of the shared incidents (from the covering index
    incident_library_metrics, not the table's rows), and the organisations with most."""
    rows = (library.values_list("primary_cause_id", "platform", "severity",
                                ExtractYear("occurred_on"))
            .annotate(n=Count("*"), score=Sum("response_score"),
                      **{move: Count("occurred_on", filter=Q(**{move: True}))
                         for move in RESPONSE_MOVES})
            .order_by())
    top = (library.values_list("organization_id").annotate(n=Count("*"))
           .order_by("-n", "organization_id")[:TOP_ORGANIZATIONS])
    return _LibraryCounts(rows=[tuple(row) for row in rows],
                          organizations=[tuple(row) for row in top])


def _assemble(counts: _LibraryCounts) -> LibraryMetrics:
    causes = {cause.pk: cause for cause in RootCause.objects.order_by("code")}
    by_cause_year: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    score: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    platforms: dict[str, int] = defaultdict(int)
    severities = {value: {"incidents": 0, **dict.fromkeys(RESPONSE_MOVES, 0)}
                  for value in Severity.values}
    total = 0
    for cause_id, platform, severity, year, n, score_sum, *moves in counts.rows:
        total += n
        by_cause_year[cause_id][year] += n
        score[cause_id][0] += score_sum
        score[cause_id][1] += n
        platforms[platform] += n
        # A severity outside the choices (written round the services) has no row of its own.
        tally = severities.get(severity)
        if tally is None:
            continue
        tally["incidents"] += n
        for move, count in zip(RESPONSE_MOVES, moves, strict=True):
            tally[move] += count
    years = sorted({year for per_year in by_cause_year.values() for year in per_year})
    if years:
        years = list(range(years[0], years[-1] + 1))
    ordered = sorted(by_cause_year, key=lambda pk: (-sum(by_cause_year[pk].values()),
                                                    causes[pk].name))
    platform_labels = dict(Platform.choices)
    return LibraryMetrics(
        incidents=total,
        years=years,
        causes_by_year=[CauseYears(slug=causes[pk].slug, name=causes[pk].name,
                                   per_year=[by_cause_year[pk].get(year, 0) for year in years])
                        for pk in ordered],
        platforms=sorted((Count_(key=key, label=platform_labels.get(key, key), incidents=n)
                          for key, n in platforms.items()),
                         key=lambda count: (-count.incidents, count.label)),
        organizations=_named_organizations(counts.organizations),
        response_by_severity=[
            SeverityResponse(severity=value, label=label, incidents=tally.pop("incidents"),
                             moves=tally)
            for (value, label), tally in zip(Severity.choices, severities.values(), strict=True)
        ],
        score_by_cause=[
            CauseScore(slug=causes[pk].slug, name=causes[pk].name, incidents=score[pk][1],
                       mean_response_score=_two_places(Decimal(score[pk][0]) / score[pk][1]))
            for pk in sorted(score, key=lambda pk: causes[pk].code)
        ],
    )


def _named_organizations(top: list[tuple[int, int]]) -> list[Count_]:
    """The organisations' names and slugs as they are now (an organisation a shared incident
    names is shared, so any reader may see it), most incidents first, then by name. Read
    through the door all the same: a private one (which no service lets a shared incident
    name) is left out."""
    if not top:
        return []
    named = Organization.objects.shared().in_bulk([pk for pk, _ in top])
    return sorted((Count_(key=named[pk].slug, label=named[pk].name, incidents=n)
                   for pk, n in top if pk in named),
                  key=lambda count: (-count.incidents, count.label))


# ---------------------------------------------------------------------------------------------
# The definitions, as the pages show them


def _definition(selector) -> str:
    return inspect.cleandoc(selector.__doc__ or "")


DEFINITIONS = {
    "incidents": _definition(incident_counts),
    "incidents_per_week": _definition(incidents_per_week),
    "learnings": _definition(learning_counts),
    "action_items": _definition(action_item_counts),
    "own_incidents": _definition(own_incident_measures),
    "median_minutes_to_first_response": _definition(median_minutes_to_first_response),
    "recent": _definition(recent_incidents) + "\n\n" + _definition(recent_learnings),
    "library": _definition(library_metrics),
}
