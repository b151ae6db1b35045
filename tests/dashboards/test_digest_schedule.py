"""When a team's weekly digest is due and which seven days it reports, in the team's calendar.

The hourly tick runs on the hour in UTC. Each case names the instant in UTC and what it is in
the team's time zone: London and New York across both daylight-saving changes of 2026 (a digest
hour inside the skipped hour and inside the repeated one), Kolkata (+05:30: a tick lands at :30
local), Kiritimati (+14) and Pago Pago (−11).

2026's changes: the US springs forward on Sunday 8 March (02:00 EST → 03:00 EDT, 07:00 UTC) and
falls back on Sunday 1 November (02:00 EDT → 01:00 EST, 06:00 UTC); Europe springs forward on
Sunday 29 March (01:00 GMT → 02:00 BST, 01:00 UTC) and falls back on Sunday 25 October
(02:00 BST → 01:00 GMT, 01:00 UTC).
"""

import datetime as dt
from datetime import UTC, date, datetime

import pytest

from accounts.models import Role, Team
from dashboards import services
from dashboards.models import DeliveryStatus, DigestDelivery
from dashboards.periods import Period
from dashboards.schedule import (
    current_week,
    due_week,
    latest_week,
    period_start,
    week_label,
    week_named,
)
from tests.factories import MembershipFactory, TeamFactory, UserFactory

MONDAY, WEDNESDAY, SUNDAY = 0, 2, 6


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def team(zone: str, weekday: int = MONDAY, hour: int = 9) -> Team:
    """A team that is never saved: the schedule's rules read only these three fields."""
    return Team(name=zone, slug="t", timezone=zone, digest_weekday=weekday, digest_hour=hour)


def week(first: date) -> Period:
    return Period(start=first, end=first + dt.timedelta(days=6))


def due_at(zone: str, instants: list[datetime], **fields) -> list[Period | None]:
    the_team = team(zone, **fields)
    return [due_week(the_team, instant) for instant in instants]


# ---------------------------------------------------------------------------------------------
# The week a digest reports


def test_a_monday_digest_reports_monday_to_sunday_named_by_that_monday():
    london = team("Europe/London")
    period = due_week(london, utc(2026, 11, 23, 9))         # Monday 09:00 GMT
    assert period == week(date(2026, 11, 16))
    assert period_start(period) == date(2026, 11, 16)
    assert week_named(london, date(2026, 11, 16)) == period
    assert week_label(period) == "16–22 November 2026"


def test_a_wednesday_digest_reports_the_seven_days_before_named_by_the_monday_of_the_first():
    london = team("Europe/London", weekday=WEDNESDAY)
    period = due_week(london, utc(2026, 11, 25, 9))         # Wednesday 25 November 09:00
    assert period == Period(start=date(2026, 11, 18), end=date(2026, 11, 24))
    assert period_start(period) == date(2026, 11, 16)
    assert week_named(london, date(2026, 11, 16)) == period
    # Any other day of the week is not the digest day.
    assert due_week(london, utc(2026, 11, 23, 9)) is None
    assert due_week(london, utc(2026, 11, 24, 23)) is None


def test_a_sunday_digest_names_its_week_by_the_monday_before_its_first_day():
    london = team("Europe/London", weekday=SUNDAY)
    period = due_week(london, utc(2026, 11, 22, 9))         # Sunday 22 November
    assert period == Period(start=date(2026, 11, 15), end=date(2026, 11, 21))
    assert period_start(period) == date(2026, 11, 9)
    assert week_named(london, date(2026, 11, 9)) == period


def test_labels_name_both_months_or_both_years_when_the_week_spans_them():
    assert week_label(week(date(2026, 11, 30))) == "30 November – 6 December 2026"
    assert week_label(week(date(2026, 12, 28))) == "28 December 2026 – 3 January 2027"


def test_the_latest_week_is_this_digest_days_from_its_hour_and_the_one_before_until_then():
    london = team("Europe/London", weekday=WEDNESDAY)
    before_hour = utc(2026, 11, 25, 8, 59)
    assert latest_week(london, before_hour) == Period(date(2026, 11, 11), date(2026, 11, 17))
    assert latest_week(london, utc(2026, 11, 25, 9)) == Period(date(2026, 11, 18),
                                                               date(2026, 11, 24))
    assert latest_week(london, utc(2026, 11, 27, 12)) == Period(date(2026, 11, 18),
                                                                date(2026, 11, 24))
    assert current_week(london, utc(2026, 11, 27, 12)) == Period(date(2026, 11, 25),
                                                                 date(2026, 12, 1))


# ---------------------------------------------------------------------------------------------
# The hour, daylight saving included


def test_london_monday_nine_is_eight_utc_in_summer_and_nine_utc_in_winter():
    summer = due_at("Europe/London", [utc(2026, 3, 30, 7), utc(2026, 3, 30, 8)])
    assert summer == [None, week(date(2026, 3, 23))]
    winter = due_at("Europe/London", [utc(2026, 10, 26, 8), utc(2026, 10, 26, 9)])
    assert winter == [None, week(date(2026, 10, 19))]


def test_london_a_digest_hour_inside_the_skipped_hour_goes_out_at_the_next_tick():
    # Sunday 29 March: 01:00 GMT does not exist; 00:00 UTC is 00:00 GMT, 01:00 UTC is 02:00 BST.
    assert due_at("Europe/London", [utc(2026, 3, 29, 0), utc(2026, 3, 29, 1)],
                  weekday=SUNDAY, hour=1) == [None, week(date(2026, 3, 22))]


def test_london_a_digest_hour_inside_the_repeated_hour_is_due_at_both_ticks_for_one_week():
    # Sunday 25 October: 00:00 UTC is 01:00 BST and 01:00 UTC is 01:00 GMT.
    assert due_at("Europe/London",
                  [utc(2026, 10, 24, 23), utc(2026, 10, 25, 0), utc(2026, 10, 25, 1)],
                  weekday=SUNDAY, hour=1) == [None, week(date(2026, 10, 18)),
                                              week(date(2026, 10, 18))]


def test_new_york_a_digest_hour_inside_the_skipped_hour_goes_out_at_the_next_tick():
    # Sunday 8 March: 06:00 UTC is 01:00 EST, 07:00 UTC is 03:00 EDT (02:00 never comes).
    assert due_at("America/New_York", [utc(2026, 3, 8, 6), utc(2026, 3, 8, 7)],
                  weekday=SUNDAY, hour=2) == [None, week(date(2026, 3, 1))]


def test_new_york_a_digest_hour_inside_the_repeated_hour_is_due_at_both_ticks_for_one_week():
    # Sunday 1 November: 05:00 UTC is 01:00 EDT and 06:00 UTC is 01:00 EST.
    assert due_at("America/New_York",
                  [utc(2026, 11, 1, 4), utc(2026, 11, 1, 5), utc(2026, 11, 1, 6)],
                  weekday=SUNDAY, hour=1) == [None, week(date(2026, 10, 25)),
                                              week(date(2026, 10, 25))]


def test_new_york_monday_nine_moves_an_hour_in_utc_with_daylight_saving():
    assert due_at("America/New_York", [utc(2026, 3, 9, 12), utc(2026, 3, 9, 13)]) == [
        None, week(date(2026, 3, 2))]
    assert due_at("America/New_York", [utc(2026, 11, 2, 13), utc(2026, 11, 2, 14)]) == [
        None, week(date(2026, 10, 26))]


def test_kolkata_a_tick_on_the_hour_utc_is_half_past_there_so_nine_is_reached_at_half_past():
    # 03:00 UTC is 08:30 IST; 04:00 UTC is 09:30 IST.
    assert due_at("Asia/Kolkata", [utc(2026, 11, 23, 3), utc(2026, 11, 23, 4)]) == [
        None, week(date(2026, 11, 16))]
    # The local day ends at 18:30 UTC: 18:00 UTC is 23:30 Monday, 19:00 UTC 00:30 Tuesday.
    assert due_at("Asia/Kolkata", [utc(2026, 11, 23, 18), utc(2026, 11, 23, 19)]) == [
        week(date(2026, 11, 16)), None]


def test_kiritimati_plus_fourteen_is_due_on_the_sunday_in_utc():
    # Monday 23 November 09:00 at +14 is Sunday 22 November 19:00 UTC.
    assert due_at("Pacific/Kiritimati", [utc(2026, 11, 22, 18), utc(2026, 11, 22, 19),
                                         utc(2026, 11, 23, 9), utc(2026, 11, 23, 10)]) == [
        None, week(date(2026, 11, 16)), week(date(2026, 11, 16)), None]


def test_pago_pago_minus_eleven_is_due_into_the_tuesday_in_utc():
    # Monday 23 November 23:00 at −11 is Tuesday 24 November 10:00 UTC; 11:00 UTC is Tuesday.
    assert due_at("Pacific/Pago_Pago", [utc(2026, 11, 24, 9), utc(2026, 11, 24, 10),
                                        utc(2026, 11, 24, 11)], hour=23) == [
        None, week(date(2026, 11, 16)), None]


def test_a_missed_tick_is_caught_up_the_same_local_day_and_not_the_next():
    # Beat was down at 09:00, 10:00 and 11:00 UTC: the 12:00 tick still finds the week; the
    # first tick of Tuesday does not.
    assert due_at("Europe/London", [utc(2026, 11, 23, 12), utc(2026, 11, 23, 23),
                                    utc(2026, 11, 24, 0)]) == [
        week(date(2026, 11, 16)), week(date(2026, 11, 16)), None]


# ---------------------------------------------------------------------------------------------
# The hourly selection (services.digests_due)


def recipient(the_team, **fields):
    fields.setdefault("role", Role.MANAGER)
    return MembershipFactory(team=the_team, **fields)


def settle(membership, start: date, status=DeliveryStatus.SENT):
    return DigestDelivery.objects.create(team=membership.team, user=membership.user,
                                         period_start=start, status=status)


@pytest.fixture
def teams(db):
    """One team in each zone, every one with a manager who receives the digest; London also
    has a member and a viewer who do not, and a manager whose account is closed."""
    made = {
        "london": TeamFactory(name="London", slug="london", timezone="Europe/London"),
        "new-york": TeamFactory(name="New York", slug="new-york", timezone="America/New_York"),
        "kolkata": TeamFactory(name="Kolkata", slug="kolkata", timezone="Asia/Kolkata"),
        "kiritimati": TeamFactory(name="Kiritimati", slug="kiritimati",
                                  timezone="Pacific/Kiritimati"),
        "pago": TeamFactory(name="Pago Pago", slug="pago", timezone="Pacific/Pago_Pago",
                            digest_hour=23),
        "wednesday": TeamFactory(name="Wednesday", slug="wednesday", timezone="Europe/London",
                                 digest_weekday=WEDNESDAY),
    }
    for each in made.values():
        recipient(each)
    MembershipFactory(team=made["london"], role=Role.MEMBER)
    MembershipFactory(team=made["london"], role=Role.VIEWER)
    recipient(made["london"], user=UserFactory(is_active=False))
    return made


def due_slugs(now: datetime) -> list[tuple[str, Period]]:
    return [(each.slug, period) for each, period in services.digests_due(now=now)]


@pytest.mark.django_db
def test_the_tick_selects_the_teams_whose_local_day_and_hour_have_come(teams):
    monday_week = week(date(2026, 11, 16))
    # Sunday 19:00 UTC: Monday 09:00 in Kiritimati only.
    assert due_slugs(utc(2026, 11, 22, 19)) == [("kiritimati", monday_week)]
    # Monday 04:00 UTC: Kiritimati (18:00) and Kolkata (09:30).
    assert due_slugs(utc(2026, 11, 23, 4)) == [("kolkata", monday_week),
                                               ("kiritimati", monday_week)]
    # Monday 14:00 UTC: London (14:00), New York (09:00) and Kolkata (19:30); Kiritimati is
    # on Tuesday already.
    assert due_slugs(utc(2026, 11, 23, 14)) == [
        ("london", monday_week), ("new-york", monday_week), ("kolkata", monday_week)]
    # Tuesday 10:00 UTC: Monday 23:00 in Pago Pago only.
    assert due_slugs(utc(2026, 11, 24, 10)) == [("pago", monday_week)]
    # Wednesday 09:00 UTC: the Wednesday team, with its Wednesday-to-Tuesday week.
    assert due_slugs(utc(2026, 11, 25, 9)) == [
        ("wednesday", Period(start=date(2026, 11, 18), end=date(2026, 11, 24)))]


@pytest.mark.django_db
def test_after_three_missed_ticks_the_next_one_finds_the_team_and_the_next_day_does_not(teams):
    # London is due from 09:00 UTC; beat was down at 09:00, 10:00 and 11:00.
    assert ("london", week(date(2026, 11, 16))) in due_slugs(utc(2026, 11, 23, 12))
    # Tuesday 00:00 UTC is Tuesday in London (New York's Monday goes on until 05:00 UTC).
    assert [slug for slug, _ in due_slugs(utc(2026, 11, 24, 0))] == ["new-york"]


@pytest.mark.django_db
def test_a_team_whose_recipients_all_have_a_settled_row_is_not_due(teams):
    monday = date(2026, 11, 16)
    for membership in teams["london"].memberships.filter(receives_digest=True,
                                                         user__is_active=True):
        settle(membership, monday)
    settle(teams["new-york"].memberships.get(), monday, DeliveryStatus.SKIPPED)
    settle(teams["kolkata"].memberships.get(), monday, DeliveryStatus.FAILED)
    assert due_slugs(utc(2026, 11, 23, 14)) == []


@pytest.mark.django_db
def test_a_settled_row_of_another_week_does_not_settle_this_one(teams):
    settle(teams["london"].memberships.get(receives_digest=True, user__is_active=True),
           date(2026, 11, 9))
    assert ("london", week(date(2026, 11, 16))) in due_slugs(utc(2026, 11, 23, 14))


@pytest.mark.django_db
def test_a_claimed_row_not_sent_makes_the_team_due_again(teams):
    monday = date(2026, 11, 16)
    settle(teams["london"].memberships.get(receives_digest=True, user__is_active=True), monday,
           DeliveryStatus.CLAIMED)
    assert ("london", week(monday)) in due_slugs(utc(2026, 11, 23, 14))


@pytest.mark.django_db
def test_one_recipient_without_a_row_keeps_the_team_due(teams):
    monday = date(2026, 11, 16)
    london = teams["london"]
    second = recipient(london)
    settle(london.memberships.get(receives_digest=True, user__is_active=True,
                                  role=Role.MANAGER, pk__lt=second.pk), monday)
    assert ("london", week(monday)) in due_slugs(utc(2026, 11, 23, 14))
    settle(second, monday)
    assert "london" not in [slug for slug, _ in due_slugs(utc(2026, 11, 23, 14))]


@pytest.mark.django_db
def test_viewers_members_without_the_digest_and_closed_accounts_are_no_recipients(db):
    london = TeamFactory(name="Quiet readers", slug="readers", timezone="Europe/London")
    MembershipFactory(team=london, role=Role.VIEWER)
    MembershipFactory(team=london, role=Role.MEMBER)
    MembershipFactory(team=london, role=Role.MANAGER, receives_digest=False)
    recipient(london, user=UserFactory(is_active=False))
    assert due_slugs(utc(2026, 11, 23, 9)) == []
    # A viewer who asked for it is one.
    MembershipFactory(team=london, role=Role.VIEWER, receives_digest=True)
    assert due_slugs(utc(2026, 11, 23, 9)) == [("readers", week(date(2026, 11, 16)))]


@pytest.mark.django_db
def test_a_team_that_got_its_week_in_the_first_repeated_hour_is_not_due_in_the_second(db):
    new_york = TeamFactory(name="NY", slug="ny", timezone="America/New_York",
                           digest_weekday=SUNDAY, digest_hour=1)
    membership = recipient(new_york)
    assert due_slugs(utc(2026, 11, 1, 5)) == [("ny", week(date(2026, 10, 25)))]
    settle(membership, date(2026, 10, 19))   # the Monday of 25 October's week
    assert due_slugs(utc(2026, 11, 1, 6)) == []


@pytest.mark.django_db
def test_the_selection_reads_the_teams_once_and_once_per_distinct_week(
        teams, django_assert_num_queries):
    # Monday 14:00 UTC: three teams due, all for the week of 16 November.
    with django_assert_num_queries(2):
        services.digests_due(now=utc(2026, 11, 23, 14))
    # Nobody due: the teams only.
    with django_assert_num_queries(1):
        services.digests_due(now=utc(2026, 11, 26, 14))

