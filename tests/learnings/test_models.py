"""Model-level rules: a new learning, who reads learnings, and when an action is overdue.

Where a learning's status may go next is tested through its page and service in
test_status_moves.
"""

from datetime import UTC, date, datetime

import pytest
import time_machine
from django.contrib.auth.models import AnonymousUser

from learnings.models import ActionItem, Learning, LearningStatus

# Late on 21 November in London is already 22 November in Tokyo and Auckland.
LATE_EVENING_UTC = datetime(2026, 11, 21, 23, 30, tzinfo=UTC)


def test_next_statuses_gives_plain_strings_for_templates_and_forms():
    (to, label), _ = Learning(status="draft").next_statuses()
    assert type(to) is str
    assert type(label) is str


def test_a_new_learning_is_a_draft():
    assert Learning().status == LearningStatus.DRAFT


def test_learning_reads_as_its_title():
    assert str(Learning(title="Pause the queue when the news turns")) == (
        "Pause the queue when the news turns")


def test_learning_is_archived_once_archived_at_is_set():
    assert Learning().is_archived is False
    assert Learning(archived_at=LATE_EVENING_UTC).is_archived is True


def test_learnings_are_nobodys_to_read_when_anonymous(team, member):
    Learning.objects.create(team=team, title="Ours")
    assert list(Learning.objects.for_user(AnonymousUser())) == []
    assert list(ActionItem.objects.for_user(AnonymousUser())) == []


def test_learnings_are_read_by_their_teams_members_only(team, other_team, member, outsider):
    ours = Learning.objects.create(team=team, title="Ours")
    theirs = Learning.objects.create(team=other_team, title="Theirs")
    assert list(Learning.objects.for_user(member)) == [ours]
    assert list(Learning.objects.for_user(outsider)) == [theirs]


def test_action_items_are_read_by_the_learnings_team_only(team, other_team, member, outsider):
    ours = ActionItem.objects.create(
        learning=Learning.objects.create(team=team, title="Ours"), title="Our item")
    theirs = ActionItem.objects.create(
        learning=Learning.objects.create(team=other_team, title="Theirs"), title="Their item")
    assert list(ActionItem.objects.for_user(member)) == [ours]
    assert list(ActionItem.objects.for_user(outsider)) == [theirs]


# Team.today


@pytest.mark.parametrize(
    ("tz", "today"),
    [
        ("Europe/London", date(2026, 11, 21)),
        ("UTC", date(2026, 11, 21)),
        ("America/Los_Angeles", date(2026, 11, 21)),
        ("Asia/Tokyo", date(2026, 11, 22)),
        ("Pacific/Auckland", date(2026, 11, 22)),
    ],
)
def test_team_today_is_the_date_where_the_team_works(team, tz, today):
    team.timezone = tz
    with time_machine.travel(LATE_EVENING_UTC, tick=False):
        assert team.today() == today


# ActionItem.is_overdue


def item_due(team, due_on, **fields):
    learning = Learning.objects.create(team=team, title="Pause the queue")
    return ActionItem.objects.create(learning=learning, title="Add a pause button",
                                     due_on=due_on, **fields)


@pytest.mark.parametrize(
    ("due_on", "overdue"),
    [
        (date(2026, 11, 20), True),
        (date(2026, 11, 21), False),
        (date(2026, 11, 22), False),
        (None, False),
    ],
)
def test_open_item_is_overdue_only_once_its_due_date_has_passed(team, due_on, overdue):
    item = item_due(team, due_on)
    with time_machine.travel(LATE_EVENING_UTC, tick=False):
        assert item.is_overdue() is overdue
        assert item.overdue is overdue


def test_done_item_is_never_overdue(team):
    item = item_due(team, date(2026, 1, 1), done_at=datetime(2026, 1, 5, tzinfo=UTC))
    with time_machine.travel(LATE_EVENING_UTC, tick=False):
        assert item.is_done is True
        assert item.is_overdue() is False
        assert item.overdue is False


def test_item_due_today_in_london_is_already_overdue_in_tokyo(team, other_team):
    team.timezone = "Europe/London"
    team.save()
    other_team.timezone = "Asia/Tokyo"
    other_team.save()
    london = item_due(team, date(2026, 11, 21))
    tokyo = item_due(other_team, date(2026, 11, 21))
    with time_machine.travel(LATE_EVENING_UTC, tick=False):
        assert london.is_overdue() is False
        assert tokyo.is_overdue() is True


def test_is_overdue_takes_the_day_it_is_asked_about(team):
    item = item_due(team, date(2026, 11, 21))
    assert item.is_overdue(today=date(2026, 11, 21)) is False
    assert item.is_overdue(today=date(2026, 11, 22)) is True


def test_action_items_come_open_first_by_due_date_undated_last_then_done(team):
    learning = Learning.objects.create(team=team, title="Pause the queue")

    def add(title, **fields):
        return ActionItem.objects.create(learning=learning, title=title, **fields)

    done = add("Done", due_on=date(2026, 1, 1), done_at=datetime(2026, 1, 2, tzinfo=UTC))
    undated = add("Undated")
    later = add("Later", due_on=date(2026, 12, 1))
    sooner = add("Sooner", due_on=date(2026, 11, 1))
    assert list(ActionItem.objects.filter(learning=learning)) == [sooner, later, undated, done]
