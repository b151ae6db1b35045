"""The history engine (common.history), read through real incidents and learnings: every
model diffs, shortens and names people the same way, and every entry is structured data the
page and the API format from."""

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.db import transaction

from accounts.models import Role
from common.history import (
    FORMER_MEMBER,
    TEXT_LIMIT,
    Change,
    Entry,
    Stream,
    attribute_history,
    read_history,
    shorten,
)
from incidents.history import incident_history
from incidents.models import Incident
from incidents.services import incident_create, incident_update, timeline_event_add
from learnings.history import LEARNING, learning_history
from learnings.services import (
    action_item_create,
    learning_archive,
    learning_create_from_incidents,
    learning_update,
)
from tests.factories import MembershipFactory, TeamFactory, UserFactory, cause

NOW = datetime(2026, 11, 10, 12, 0, tzinfo=UTC)
LONG = "A long account of what went wrong, told slowly. " * 8  # 392 characters
OWNER_CHANGE = ("Owner", "Gone Person", "bare@comms.example")

pytestmark = pytest.mark.django_db


@dataclass
class World:
    incident: Incident
    learning: object
    incident_entries: list[Entry]
    learning_entries: list[Entry]
    named: object
    bare: object
    gone: object
    gone_bare: object


def at(minutes: int):
    return time_machine.travel(NOW + timedelta(minutes=minutes), tick=False)


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker) -> Iterator[World]:
    """One incident and one learning changed by four people, two of whom then leave the team;
    read once, rolled back at the end of the module."""
    with django_db_blocker.unblock(), transaction.atomic():
        team = TeamFactory(name="Comms", slug="comms")
        named = UserFactory(email="named@comms.example", display_name="Ana Named")
        bare = UserFactory(email="bare@comms.example", display_name="")
        gone = UserFactory(email="gone@comms.example", display_name="Gone Person")
        gone_bare = UserFactory(email="gonebare@comms.example", display_name="")
        leaving = [MembershipFactory(team=team, user=person, role=Role.MEMBER)
                   for person in (gone, gone_bare)]
        for person in (named, bare):
            MembershipFactory(team=team, user=person, role=Role.MEMBER)
        with at(0):
            incident, _ = incident_create(
                user=named, team=team, title="Countdown post in a flood",
                organization_name="Northwind", platform="instagram",
                occurred_on=date(2026, 10, 1), primary_cause=cause())
        with at(1):
            incident_update(user=bare, incident=incident, data={
                "severity": "critical", "primary_cause": cause("insensitive-timing"),
                "apologized": True, "context": ["tragedy"], "occurred_on": date(2026, 10, 2),
                "summary": LONG})
        with at(2):
            incident_update(user=gone, incident=incident, data={"title": "Flood post"})
        with at(3):
            timeline_event_add(user=gone_bare, incident=incident, at=NOW - timedelta(days=1),
                               kind="note", text=LONG)
        with at(4):
            learning, _ = learning_create_from_incidents(
                user=gone_bare, team=team, incident_ids=[incident.public_id],
                title="Pause the queue", owner=gone)
        with at(5):
            learning_update(user=named, learning=learning, data={"lesson": LONG, "owner": bare})
        with at(6):
            action_item_create(user=gone, learning=learning, title="Check the queue daily")
        with at(7):
            # A save that changes nothing shown (as the admin's Save does).
            learning.refresh_from_db()
            attribute_history(learning, named)
            learning.save()
        with at(8):
            learning_archive(user=bare, learning=learning)
        for membership in leaving:
            membership.delete()
        yield World(
            incident=incident, learning=learning,
            incident_entries=incident_history(incident, reader=named),
            learning_entries=learning_history(learning),
            named=named, bare=bare, gone=gone, gone_bare=gone_bare,
        )
        transaction.set_rollback(True)


def changes(entry: Entry) -> dict[str, Change]:
    return {change.label: change for change in entry.changes}


def test_a_change_keeps_raw_values_for_programs_and_text_for_people(world):
    edit = world.incident_entries[2]
    assert edit.action == "changed"
    found = changes(edit)
    assert found["Severity"].as_dict() == {
        "field": "severity", "label": "Severity", "old_value": "medium",
        "new_value": "critical", "old": "Medium", "new": "Critical",
        "old_url": "", "new_url": "",
    }
    assert (found["Occurred on"].old_value, found["Occurred on"].new_value) == (
        "2026-10-01", "2026-10-02")
    assert (found["Occurred on"].old, found["Occurred on"].new) == ("1 Oct 2026", "2 Oct 2026")
    assert (found["Apologised"].old_value, found["Apologised"].new_value) == (False, True)
    assert (found["Apologised"].old, found["Apologised"].new) == ("no", "yes")
    assert (found["Context"].old_value, found["Context"].new_value) == ([], ["tragedy"])
    assert (found["Context"].old, found["Context"].new) == ("—", "Tragedy")


def test_a_related_row_reads_by_name_and_is_keyed_by_its_slug_never_its_pk(world):
    cause_change = changes(world.incident_entries[2])["Primary cause"]
    assert (cause_change.old_value, cause_change.new_value) == (
        "production-slip", "insensitive-timing")
    assert (cause_change.old, cause_change.new) == (
        cause("production-slip").name, cause("insensitive-timing").name)


def test_a_linked_incident_is_keyed_by_its_public_id_and_links_to_its_page(world):
    drafted = world.learning_entries[-1]
    assert drafted.action == "drafted it"
    (drawn,) = drafted.changes
    assert drawn.as_dict() == {
        "field": "incidents", "label": "Drawn from", "old_value": None,
        "new_value": str(world.incident.public_id), "old": "", "new": "Flood post",
        "old_url": "", "new_url": world.incident.get_absolute_url(),
    }


def test_long_text_is_cut_by_one_rule_in_every_model_and_kept_whole_raw(world):
    summary = changes(world.incident_entries[2])["What happened"]
    note = world.incident_entries[0].changes[0]
    lesson = changes(world.learning_entries[2])["What we now know"]
    assert [c.new for c in (summary, note, lesson)] == [shorten(LONG)] * 3
    # At most TEXT_LIMIT characters, without a space before the ellipsis.
    assert shorten(LONG) == ("A long account of what went wrong, told slowly. " * 2
                             + "A long account of what…")
    assert len(shorten(LONG)) <= TEXT_LIMIT
    assert [c.new_value for c in (summary, note, lesson)] == [LONG, LONG.strip(), LONG]


def test_people_are_named_by_one_rule_in_incidents_and_learnings(world):
    incident_who = [(e.action, e.who) for e in world.incident_entries]
    assert incident_who == [
        ("added to the timeline", FORMER_MEMBER),  # left, had no display name
        ("changed", "Gone Person"),  # left, had a display name: the team knew them by it
        ("changed", "bare@comms.example"),  # a teammate without a display name
        ("logged it", "Ana Named"),
    ]
    learning_who = [(e.action, e.who) for e in world.learning_entries]
    assert learning_who == [
        ("archived it", "bare@comms.example"),
        ("added an action", "Gone Person"),
        ("changed", "Ana Named"),
        ("drafted it", FORMER_MEMBER),
    ]
    owner = changes(world.learning_entries[2])["Owner"]
    assert (owner.label, owner.old, owner.new) == OWNER_CHANGE
    assert (owner.old_value, owner.new_value) == ("Gone Person", "bare@comms.example")


def test_each_entry_keeps_the_user_who_acted_for_code_but_never_serialises_them(world):
    assert [e.user for e in world.learning_entries] == [
        world.bare, world.gone, world.named, world.gone_bare]
    dumped = json.dumps([e.as_dict() for e in world.incident_entries + world.learning_entries])
    for email in ("gone@comms.example", "gonebare@comms.example", "named@comms.example"):
        assert email not in dumped


def test_an_entry_serialises_to_json_in_one_call(world):
    archived = world.learning_entries[0]
    assert json.loads(json.dumps(archived.as_dict())) == {
        "at": (NOW + timedelta(minutes=8)).isoformat(), "who": "bare@comms.example",
        "action": "archived it", "changes": [],
    }


def test_a_verb_names_the_action_and_a_save_that_changes_nothing_shown_leaves_no_entry(world):
    actions = [e.action for e in world.learning_entries]
    assert "archived it" in actions
    assert world.learning.history.count() == 4  # drafted, edited, saved as it was, archived
    assert len(actions) == 4  # the learning's three and the action item's one
    assert "touched it" not in actions


def test_a_record_whose_previous_record_was_not_read_is_left_out(world):
    people = {world.bare.pk: (world.bare, True), world.named.pk: (world.named, True)}
    entries = read_history([Stream(LEARNING, world.learning.history.all())],
                           people=lambda ids: people, limit=2)
    # The oldest record read, the edit, is there only to compare the archiving with: what
    # came before the edit is not known, so what the edit changed is not either.
    assert [e.action for e in entries] == ["archived it"]
