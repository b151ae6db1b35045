"""ActionItemFilter's overdue is ActionItem.is_overdue in SQL: open, on a learning that still
asks for it, and due before today in the item's own team's calendar."""

import datetime as dt

import pytest

from accounts.models import Role
from learnings.models import ActionItem
from learnings.selectors import action_item_filterset
from learnings.services import (
    action_item_create,
    learning_change_status,
    learning_create_from_incidents,
)
from tests.factories import MembershipFactory, TeamFactory, UserFactory


@pytest.fixture
def person(db):
    return UserFactory(email="both@example.com")


def team_in(person, name: str, zone: str):
    team = TeamFactory(name=name, slug=name.lower(), timezone=zone)
    MembershipFactory(team=team, user=person, role=Role.MEMBER)
    return team


def item_due(person, team, title: str, due_on: dt.date, **kwargs) -> ActionItem:
    learning, _ = learning_create_from_incidents(user=person, team=team, incident_ids=[],
                                                 title=f"{title} learning")
    item = action_item_create(user=person, learning=learning, title=title, **kwargs)
    ActionItem.objects.filter(pk=item.pk).update(due_on=due_on)
    return ActionItem.objects.select_related("learning__team").get(pk=item.pk)


def overdue_titles(person, value: str) -> set[str]:
    filterset = action_item_filterset(user=person, filters={"overdue": value})
    assert filterset.is_valid(), filterset.errors
    return {item.title for item in filterset.qs}


def test_overdue_in_sql_is_overdue_in_each_teams_calendar(person):
    east = team_in(person, "East", "Pacific/Kiritimati")  # UTC+14
    west = team_in(person, "West", "Pacific/Pago_Pago")  # UTC-11
    utc_today = dt.datetime.now(dt.UTC).date()
    items = [
        item_due(person, east, "East today", utc_today),
        item_due(person, west, "West today", utc_today),
        item_due(person, west, "West last week", utc_today - dt.timedelta(days=7)),
        item_due(person, east, "East done", utc_today - dt.timedelta(days=7), done=True),
        item_due(person, west, "West undated", None),
    ]
    retired = item_due(person, east, "East retired", utc_today - dt.timedelta(days=7))
    learning = retired.learning
    learning_change_status(user=person, learning=learning, status="adopted")
    learning_change_status(user=person, learning=learning, status="retired", reason="Done.")
    retired.refresh_from_db()
    items.append(ActionItem.objects.select_related("learning__team").get(pk=retired.pk))

    expected = {item.title for item in items if item.is_overdue()}
    assert "West last week" in expected
    assert not {"West today", "East done", "East retired", "West undated"} & expected
    assert overdue_titles(person, "true") == expected
    assert overdue_titles(person, "false") == {item.title for item in items} - expected


def test_overdue_is_refused_unless_true_or_false(person):
    filterset = action_item_filterset(user=person, filters={"overdue": "yes"})
    assert not filterset.is_valid()
    assert list(filterset.errors) == ["overdue"]
