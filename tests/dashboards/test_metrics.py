"""Each dashboard metric against a hand-built data set whose expected numbers are written here.

The team works in Tokyo (UTC+9), so a stored time late in a UTC day is the next day there: the
period's first and last days, and the week boundaries, are checked on both sides. Another
team's private data, a library incident of another team, archived incidents, learnings and
action items are present and must not count.

Today is Sunday 22 November 2026 in Tokyo; "30d" is Saturday 24 October to 22 November, whose
Monday-start weeks begin 19 Oct, 26 Oct, 2 Nov, 9 Nov and 16 Nov. The previous period is 24
September to 23 October.
"""

import datetime as dt
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import time_machine

from accounts.models import Role
from dashboards.metrics import (
    CauseCount,
    WeekCount,
    action_item_counts,
    incident_counts,
    incidents_per_week,
    learning_counts,
    library_metrics,
    median_minutes_to_first_response,
    own_incident_measures,
    team_has_history,
    team_metrics,
)
from dashboards.periods import Period, period_from
from incidents.models import Incident
from learnings.models import ActionItem, Learning
from tests.conftest import built_once
from tests.factories import (
    IncidentFactory,
    MembershipFactory,
    OrganizationFactory,
    TeamFactory,
    UserFactory,
    cause,
)

NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)        # 19:00 in Tokyo
TODAY = date(2026, 11, 22)
PERIOD = Period(start=date(2026, 10, 24), end=TODAY, name="30d")


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def incident(team, day, origin="own", primary="production-slip", *, gap=None, **fields):
    """An incident on `day`; `gap`: minutes from detection to first response."""
    if gap is not None:
        detected = utc(day.year, day.month, day.day, 1, 0)
        fields.update(detected_at=detected,
                      first_response_at=detected + dt.timedelta(minutes=gap))
    visibility = fields.pop("visibility", "team" if origin == "own" else "library")
    return IncidentFactory(team=team, occurred_on=day, origin=origin, visibility=visibility,
                           primary_cause=cause(primary), **fields)


def learning(team, *incidents, created, **fields):
    made = Learning.objects.create(team=team, title=fields.pop("title", "A learning"), **fields)
    Learning.objects.filter(pk=made.pk).update(created_at=created)
    made.incidents.set(incidents)
    return made


def item(learning, **fields):
    return ActionItem.objects.create(learning=learning, title="Do it", **fields)


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    with built_once(django_db_blocker), time_machine.travel(NOW, tick=False):
        team = TeamFactory(name="Tokyo comms", slug="tokyo", timezone="Asia/Tokyo")
        other = TeamFactory(name="Elsewhere", slug="elsewhere", timezone="UTC")
        member = MembershipFactory(team=team, role=Role.VIEWER, user=UserFactory()).user
        brand = OrganizationFactory(name="Acme")
        w = {"team": team, "other": other, "member": member}
        # In the period. A, B: Saturday and Sunday of the week of 19 Oct.
        w["A"] = incident(team, date(2026, 10, 24), gap=30, acknowledged=True, apologized=True,
                          response_score=2, organization=brand)
        w["B"] = incident(team, date(2026, 10, 25), gap=60, response_score=1)
        w["C"] = incident(team, date(2026, 10, 26), "external", "automation-misfire", gap=5,
                          response_score=4)
        w["E"] = incident(team, date(2026, 11, 10), primary="insensitive-timing",
                          detected_at=utc(2026, 11, 10, 1), response_score=4)
        w["D"] = incident(team, TODAY, primary="automation-misfire", gap=45)
        # The previous period, and before it.
        w["F"] = incident(team, date(2026, 10, 23), gap=50, response_score=3)
        w["G"] = incident(team, date(2026, 9, 23), primary="insensitive-timing")
        # Never counted: archived; another team's private one; another team's shared one.
        incident(team, date(2026, 11, 1), gap=1, response_score=4, archived_at=NOW)
        incident(other, date(2026, 11, 1), gap=1, response_score=4, title="Private elsewhere")
        w["J"] = incident(other, date(2026, 11, 2), "external", "automation-misfire")
        # Shared long ago by the other team (the library's years and response patterns), and
        # one it archived.
        incident(other, date(2019, 5, 1), "external", "insensitive-timing", platform="facebook",
                 severity="high", acknowledged=True, apologized=True, response_score=2,
                 organization=brand)
        incident(other, date(2021, 7, 1), "own", platform="facebook", severity="high",
                 explained_fix=True, response_score=1, organization=brand, visibility="library")
        incident(other, date(2021, 7, 2), "external", severity="critical", archived_at=NOW)

        # Learnings. L1 in force since 1 Oct on production-slip (through F): A and B repeat it.
        w["L1"] = learning(team, w["F"], created=utc(2026, 9, 1), status="adopted",
                           adopted_at=utc(2026, 10, 1))
        # Created 24 Oct 01:00 in Tokyo (23 Oct in UTC): in the period, drawn from another
        # organisation's failure (J, another team's library incident).
        w["L2"] = learning(team, w["J"], created=utc(2026, 10, 23, 16), status="draft",
                           title="Drawn from elsewhere")
        # Created 23 Oct 23:00 in Tokyo: before the period, though drawn from C.
        learning(team, w["C"], created=utc(2026, 10, 23, 14), status="proposed")
        # Adopted on 22 Nov in Tokyo (21 Nov in UTC): in the period, but not before D happened
        # that day, so D is no repeat.
        w["L4"] = learning(team, w["D"], created=utc(2026, 11, 5), status="adopted",
                           adopted_at=utc(2026, 11, 21, 20), title="Newest")
        # Covered insensitive-timing (through G) but retired on 20 Oct: E is no repeat.
        w["L5"] = learning(team, w["G"], created=utc(2026, 1, 1), status="retired",
                           adopted_at=utc(2026, 1, 2), retired_at=utc(2026, 10, 20))
        # Archived, though adopted long ago on automation-misfire (through C).
        learning(team, w["C"], created=utc(2026, 1, 1), status="adopted",
                 adopted_at=utc(2026, 1, 2), archived_at=NOW)
        # Another team's, drawn from another organisation, in the period.
        elsewhere = learning(other, w["J"], created=utc(2026, 11, 1), status="adopted",
                             adopted_at=utc(2026, 11, 1))

        # Action items: done 1 Nov; done 24 Oct 00:30 in Tokyo; done 23 Oct 23:30 in Tokyo.
        item(w["L1"], done_at=utc(2026, 11, 1))
        item(w["L1"], done_at=utc(2026, 10, 23, 15, 30))
        item(w["L1"], done_at=utc(2026, 10, 23, 14, 30))
        item(w["L1"], due_on=date(2026, 11, 21))                 # open and overdue
        item(w["L1"], due_on=TODAY)                              # open, due today
        item(w["L4"])                                            # open, undated
        item(w["L5"], due_on=date(2026, 11, 1))                  # its learning is retired
        item(w["L1"], due_on=date(2026, 11, 1), archived_at=NOW)  # archived
        item(elsewhere, due_on=date(2026, 11, 1))                # another team's
        yield w


@pytest.fixture
def at_now():
    with time_machine.travel(NOW, tick=False):
        yield


pytestmark = pytest.mark.usefixtures("at_now")


@pytest.mark.django_db
def test_incidents_count_the_teams_own_logged_incidents_by_origin_in_the_period(world):
    totals, _ = incident_counts(team=world["team"], period=PERIOD)
    assert totals == {"own": 4, "external": 1}


@pytest.mark.django_db
def test_causes_count_by_origin_with_the_previous_period_most_first(world):
    _, causes = incident_counts(team=world["team"], period=PERIOD)
    assert causes == [
        CauseCount("automation-misfire", "Automation gone wrong", own=1, external=1,
                   own_before=0, external_before=0),
        CauseCount("production-slip", "Production or QA slip", own=2, external=0,
                   own_before=1, external_before=0),
        CauseCount("insensitive-timing", "Insensitive timing", own=1, external=0,
                   own_before=0, external_before=0),
    ]


@pytest.mark.django_db
def test_weeks_start_on_monday_include_the_partial_first_and_last_and_empty_ones(world):
    weeks = incidents_per_week(team=world["team"], period=PERIOD)
    assert weeks == [
        WeekCount(date(2026, 10, 19), own=2, external=0),
        WeekCount(date(2026, 10, 26), own=0, external=1),
        WeekCount(date(2026, 11, 2), own=0, external=0),
        WeekCount(date(2026, 11, 9), own=1, external=0),
        WeekCount(date(2026, 11, 16), own=1, external=0),
    ]


@pytest.mark.django_db
def test_learnings_count_status_now_and_creation_and_adoption_in_the_teams_calendar(world):
    counts, from_others = learning_counts(team=world["team"], period=PERIOD)
    assert counts == {"draft": 1, "proposed": 1, "adopted": 2, "retired": 1,
                      "created": 2, "adopted_in_period": 1}
    assert from_others == 1


@pytest.mark.django_db
def test_action_items_open_overdue_and_done_in_the_period(world):
    assert action_item_counts(team=world["team"], period=PERIOD) == {
        "open": 3, "overdue": 1, "done": 2}


@pytest.mark.django_db
def test_repeats_are_own_incidents_after_a_learning_in_force_on_their_cause(world):
    measures = own_incident_measures(team=world["team"], period=PERIOD)
    assert measures == {"repeat_causes": 2, "mean_response_score": Decimal("1.75")}


@pytest.mark.django_db
def test_repeats_agree_with_the_incident_pages_rule(world, django_assert_num_queries):
    from learnings.selectors import incident_repeat_of
    reader = world["member"]
    own = Incident.objects.filter(team=world["team"], origin="own", archived_at__isnull=True,
                                  occurred_on__gte=PERIOD.start)
    one_by_one = sum(bool(incident_repeat_of(user=reader, incident=i)) for i in own)
    with django_assert_num_queries(1):
        in_bulk = own_incident_measures(team=world["team"], period=PERIOD)["repeat_causes"]
    assert in_bulk == one_by_one


@pytest.mark.django_db
def test_the_mean_score_rounds_half_up_at_two_decimals(world):
    day = date(2026, 1, 5)
    for score in [1] * 3 + [0] * 37:
        incident(world["team"], day, response_score=score)
    measures = own_incident_measures(team=world["team"], period=Period(start=day, end=day))
    assert measures["mean_response_score"] == Decimal("0.08")   # 3 / 40 = 0.075


@pytest.mark.django_db
def test_median_minutes_skips_incidents_without_both_times_and_external_ones(world):
    # A 30, B 60, D 45 (C is external, E has no response, F is before the period).
    assert median_minutes_to_first_response(team=world["team"], period=PERIOD) == 45


@pytest.mark.django_db
def test_median_of_an_even_number_is_the_mean_of_the_middle_two_rounded_half_up(world):
    period = Period(start=date(2026, 10, 23), end=date(2026, 10, 25))
    # F 50 and A 30 and B 60 → 50; without B (a period ending on the 24th): 30, 50 → 40.
    assert median_minutes_to_first_response(team=world["team"], period=period) == 50
    period = Period(start=date(2026, 10, 23), end=date(2026, 10, 24))
    assert median_minutes_to_first_response(team=world["team"], period=period) == 40
    incident(world["team"], date(2026, 10, 24), gap=31)
    # 30, 31, 50 → 31; adding 61 gives 30, 31, 50, 61 → 40.5 → 41.
    assert median_minutes_to_first_response(team=world["team"], period=period) == 31
    incident(world["team"], date(2026, 10, 24), gap=61)
    assert median_minutes_to_first_response(team=world["team"], period=period) == 41


@pytest.mark.django_db
def test_the_whole_metrics_of_the_period(world, django_assert_num_queries):
    with django_assert_num_queries(8):
        metrics = team_metrics(team=world["team"], period=PERIOD)
    assert metrics.incidents == {"own": 4, "external": 1}
    assert metrics.learning_ratio == Decimal("0.25")
    assert metrics.repeat_causes == 2
    assert metrics.median_minutes_to_first_response == 45
    assert metrics.mean_response_score == Decimal("1.75")
    assert [i.pk for i in metrics.recent_incidents] == [
        world[name].pk for name in ("D", "E", "C", "B", "A")]
    assert [learning.pk for learning in metrics.recent_learnings] == [
        world["L4"].pk, world["L2"].pk]
    assert not metrics.is_quiet


@pytest.mark.django_db
def test_an_empty_period_counts_zero_and_says_none_where_nothing_can_be_measured(world):
    empty = Period(start=date(2020, 3, 1), end=date(2020, 3, 15))
    metrics = team_metrics(team=world["team"], period=empty)
    assert metrics.incidents == {"own": 0, "external": 0}
    assert metrics.causes == []
    assert [(w.week, w.own, w.external) for w in metrics.incidents_per_week] == [
        (date(2020, 2, 24), 0, 0), (date(2020, 3, 2), 0, 0), (date(2020, 3, 9), 0, 0)]
    # Statuses are the learnings now, whatever the period; the rest is of the period.
    assert metrics.learnings == {"draft": 1, "proposed": 1, "adopted": 2, "retired": 1,
                                 "created": 0, "adopted_in_period": 0}
    assert metrics.action_items == {"open": 3, "overdue": 1, "done": 0}
    assert metrics.learning_ratio is None
    assert metrics.repeat_causes == 0
    assert metrics.median_minutes_to_first_response is None
    assert metrics.mean_response_score is None
    assert (metrics.recent_incidents, metrics.recent_learnings) == ([], [])


@pytest.mark.django_db
def test_the_same_numbers_whatever_time_zone_the_request_runs_in(world, settings):
    from django.utils import timezone
    with timezone.override("Pacific/Kiritimati"):
        far_east = team_metrics(team=world["team"], period=PERIOD)
    with timezone.override("America/Los_Angeles"):
        far_west = team_metrics(team=world["team"], period=PERIOD)
    assert far_east.learnings == far_west.learnings
    assert far_east.action_items == far_west.action_items == {"open": 3, "overdue": 1,
                                                              "done": 2}


@pytest.mark.django_db
def test_another_teams_numbers_are_its_own(world):
    metrics = team_metrics(team=world["other"], period=period_from({"period": "30d"},
                                                                   today=TODAY))
    assert metrics.incidents == {"own": 1, "external": 1}
    assert metrics.learnings["adopted"] == 1
    assert metrics.action_items == {"open": 1, "overdue": 1, "done": 0}
    assert [i.title for i in metrics.recent_incidents][-1] == "Private elsewhere"


@pytest.mark.django_db
def test_a_new_team_has_no_history_and_a_team_with_only_archived_rows_has(world):
    assert team_has_history(team=world["team"]) is True
    new = TeamFactory(name="New", slug="new")
    assert team_has_history(team=new) is False
    IncidentFactory(team=new, archived_at=NOW)
    assert team_has_history(team=new) is True


# The library


@pytest.mark.django_db
def test_library_counts_only_active_shared_incidents(world, django_assert_num_queries):
    # Causes, the grouped counts, the organisations with most and their names (uncached).
    with django_assert_num_queries(4):
        metrics = library_metrics(team=world["team"])
    # Shared: C (Tokyo's), J, the 2019 and the 2021 ones (elsewhere's); the rest is private
    # or archived.
    assert metrics.incidents == 4
    assert metrics.years == list(range(2019, 2027))
    assert [(c.slug, c.per_year) for c in metrics.causes_by_year] == [
        ("automation-misfire", [0, 0, 0, 0, 0, 0, 0, 2]),
        ("insensitive-timing", [1, 0, 0, 0, 0, 0, 0, 0]),
        ("production-slip", [0, 0, 1, 0, 0, 0, 0, 0]),
    ]
    assert [(p.key, p.label, p.incidents) for p in metrics.platforms] == [
        ("facebook", "Facebook", 2), ("twitter", "X / Twitter", 2)]
    assert [(o.key, o.incidents) for o in metrics.organizations][0] == ("acme", 2)
    assert sorted(o.incidents for o in metrics.organizations) == [1, 1, 2]
    assert [(c.slug, c.incidents, c.mean_response_score) for c in metrics.score_by_cause] == [
        ("insensitive-timing", 1, Decimal("2.00")),
        ("automation-misfire", 2, Decimal("2.00")),
        ("production-slip", 1, Decimal("1.00")),
    ]
    by_severity = {s.severity: (s.incidents, s.moves) for s in metrics.response_by_severity}
    assert by_severity == {
        "low": (0, {"acknowledged": 0, "apologized": 0, "explained_fix": 0,
                    "asked_for_help": 0}),
        "medium": (2, {"acknowledged": 0, "apologized": 0, "explained_fix": 0,
                       "asked_for_help": 0}),
        "high": (2, {"acknowledged": 1, "apologized": 1, "explained_fix": 1,
                     "asked_for_help": 0}),
        "critical": (0, {"acknowledged": 0, "apologized": 0, "explained_fix": 0,
                         "asked_for_help": 0}),
    }
    high = next(s for s in metrics.response_by_severity if s.severity == "high")
    assert (high.share("acknowledged"), high.share("asked_for_help")) == (Decimal("0.50"),
                                                                          Decimal("0.00"))
    low = next(s for s in metrics.response_by_severity if s.severity == "low")
    assert low.share("acknowledged") is None


@pytest.mark.django_db
def test_an_empty_library_has_no_years_and_no_rows(world):
    Incident.objects.update(visibility="team")
    metrics = library_metrics(team=world["team"])
    assert (metrics.incidents, metrics.years, metrics.causes_by_year, metrics.platforms,
            metrics.organizations, metrics.score_by_cause) == (0, [], [], [], [], [])
    assert [s.incidents for s in metrics.response_by_severity] == [0, 0, 0, 0]


@pytest.mark.django_db
def test_library_is_the_same_for_every_reader(world):
    by_team = library_metrics(team=world["team"])
    by_person = library_metrics(user=world["member"])
    assert by_team == by_person


@pytest.mark.django_db
def test_a_platform_or_severity_outside_the_choices_is_counted_without_a_crash(world):
    """Rows written round the services (a shell, an import) may hold values the choices do
    not know: the total and the platforms count them, the severity table has no row for one."""
    odd = incident(world["other"], date(2026, 11, 3), "external")
    Incident.objects.filter(pk=odd.pk).update(platform="myspace", severity="extreme")
    metrics = library_metrics(team=world["team"])
    assert metrics.incidents == 5
    assert ("myspace", "myspace", 1) in [(p.key, p.label, p.incidents) for p in metrics.platforms]
    assert sum(s.incidents for s in metrics.response_by_severity) == 4
