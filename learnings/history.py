"""A learning's history as people read it: status changes, edits, incidents linked and
unlinked, and what happened to its action items.

Linked incidents are named through the same door as the page (Incident.objects.for_team):
one another team has since made private is "an incident no longer shared", never its title.
"""

from django.db.models import Prefetch

from accounts.models import User
from incidents.history import HISTORY_LIMIT, Change, HistoryEntry, display_value
from incidents.models import Incident

from .models import ActionItem, Learning, LearningStatus

LEARNING_FIELDS = ("title", "lesson", "practice", "owner_id", "review_on", "retired_reason")
ITEM_FIELDS = ("title", "owner_id", "due_on", "kind")
LABELS = {"owner_id": "Owner", "review_on": "Review on", "retired_reason": "Why retired",
          "lesson": "What we now know", "practice": "What we will do differently",
          "title": "Title", "due_on": "Due on", "kind": "Kind"}
STATUS_ACTIONS = {
    LearningStatus.DRAFT: "moved it back to draft",
    LearningStatus.PROPOSED: "proposed it",
    LearningStatus.ADOPTED: "adopted it",
    LearningStatus.RETIRED: "retired it",
}
LONG_TEXT = ("lesson", "practice")
NO_LONGER_SHARED = ("an incident no longer shared", "")


def learning_history(learning: Learning) -> list[HistoryEntry]:
    """The latest changes to the learning and its action items, newest first, in a fixed
    number of queries."""
    records = list(
        learning.history.select_related("history_user")
        .prefetch_related(Prefetch("historicallearning_incidents_set", to_attr="_links"))
        .order_by("-history_date", "-history_id")[: HISTORY_LIMIT + 1]
    )
    items = list(
        ActionItem.history.filter(learning_id=learning.pk).select_related("history_user")
        .order_by("-history_date", "-history_id")[: HISTORY_LIMIT + 1]
    )
    incident_ids = {row.incident_id for record in records for row in record._links}
    people = {r.owner_id for r in records + items} - {None}
    incidents = {
        i.pk: (i.title, i.get_absolute_url())
        for i in Incident.objects.for_team(learning.team).filter(pk__in=incident_ids)
        .only("pk", "title", "public_id")
    } if incident_ids else {}
    names = {u.pk: str(u) for u in User.objects.filter(pk__in=people)} if people else {}

    entries = []
    for i, newer in enumerate(records[:HISTORY_LIMIT]):
        older = records[i + 1] if i + 1 < len(records) else None
        entries.append(_learning_entry(newer, older, incidents, names))
    entries.extend(_item_entries(items, names))
    entries.sort(key=lambda e: e.at, reverse=True)
    return entries[:HISTORY_LIMIT]


def _value(field: str, value, names: dict) -> str:
    if field == "owner_id":
        return names.get(value, "—") if value else "—"
    if field == "kind" and value:
        return dict(ActionItem._meta.get_field("kind").flatchoices).get(value, value)
    if field in LONG_TEXT and value:
        return value if len(value) <= 120 else value[:117] + "…"
    return display_value(value)


def _learning_entry(newer, older, incidents: dict, names: dict) -> HistoryEntry:
    if older is None:
        entry = HistoryEntry(at=newer.history_date, user=newer.history_user, action="drafted it")
        for title, url in sorted(incidents.get(row.incident_id, NO_LONGER_SHARED)
                                 for row in newer._links):
            entry.changes.append(Change("Drawn from", "", title, new_url=url))
        return entry
    entry = HistoryEntry(at=newer.history_date, user=newer.history_user, action="changed")
    if newer.status != older.status:
        entry.action = STATUS_ACTIONS.get(newer.status, "changed its status")
    elif newer.archived_at != older.archived_at:
        entry.action = "archived it" if newer.archived_at else "restored it"
    for field in LEARNING_FIELDS:
        before, after = getattr(older, field), getattr(newer, field)
        if before != after and not (field == "retired_reason" and not after):
            entry.changes.append(Change(LABELS[field], _value(field, before, names),
                                        _value(field, after, names)))
    before = {row.incident_id for row in older._links}
    after = {row.incident_id for row in newer._links}
    for pk in sorted(after - before):
        title, url = incidents.get(pk, NO_LONGER_SHARED)
        entry.changes.append(Change("Linked incident", "", title, new_url=url))
    for pk in sorted(before - after):
        title, url = incidents.get(pk, NO_LONGER_SHARED)
        entry.changes.append(Change("Unlinked incident", title, "—", old_url=url))
    if entry.action == "changed" and not entry.changes:
        entry.action = "touched it"
    return entry


def _item_entries(records, names: dict) -> list[HistoryEntry]:
    """One entry per action-item record, compared with that item's previous record."""
    by_item: dict[int, list] = {}
    for record in records:  # newest first
        by_item.setdefault(record.id, []).append(record)
    entries = []
    for versions in by_item.values():
        for i, newer in enumerate(versions):
            older = versions[i + 1] if i + 1 < len(versions) else None
            entry = HistoryEntry(at=newer.history_date, user=newer.history_user,
                                 action="changed an action")
            if newer.history_type == "+":
                entry.action = "added an action"
                entry.changes.append(Change(newer.get_kind_display(), "", newer.title))
            elif older is None:
                continue  # older than the history shown
            elif newer.done_at != older.done_at:
                entry.action = "completed an action" if newer.done_at else "reopened an action"
                entry.changes.append(Change("Action", "", newer.title))
            elif newer.archived_at != older.archived_at:
                entry.action = "removed an action" if newer.archived_at else "restored an action"
                entry.changes.append(Change("Action", "", newer.title))
            else:
                for field in ITEM_FIELDS:
                    before, after = getattr(older, field), getattr(newer, field)
                    if before != after:
                        entry.changes.append(Change(f"{LABELS[field]} of “{newer.title}”",
                                                    _value(field, before, names),
                                                    _value(field, after, names)))
                if not entry.changes:
                    continue
            entries.append(entry)
    return entries
