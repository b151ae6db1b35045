"""An incident's history as people read it: who changed which fields, from what to what."""

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Prefetch

from .models import Context, Factor, Incident, Organization, RootCause, Source, TimelineEvent

HISTORY_LIMIT = 50
SKIPPED = {"id", "public_id", "created_at", "updated_at", "history_id", "history_date",
           "history_change_reason", "history_type", "history_user", "created_by", "team",
           "response_score", "first_response_at", "idempotency_key"}
M2M = {
    "contributing_causes": (
        "historicalincident_contributing_causes_set", "rootcause_id", RootCause
    ),
    "factors": ("historicalincident_factors_set", "factor_id", Factor),
    "sources": ("historicalincident_sources_set", "source_id", Source),
}
FOREIGN = {"organization_id": Organization, "primary_cause_id": RootCause}


@dataclass
class Change:
    label: str
    old: str
    new: str


@dataclass
class HistoryEntry:
    at: datetime
    user: object
    action: str
    changes: list[Change] = field(default_factory=list)


def display_value(value) -> str:
    if value in (None, "", []):
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def incident_history(incident: Incident) -> list[HistoryEntry]:
    """The latest changes to the incident and its timeline, newest first.

    A fixed number of queries whatever the length of the history: records, their many-to-many
    rows and the names they point at are each loaded in one go.
    """
    prefetches = [
        Prefetch(through_name, to_attr=f"_{name}") for name, (through_name, _, _) in M2M.items()
    ]
    records = list(
        incident.history.select_related("history_user").prefetch_related(*prefetches)
        .order_by("-history_date", "-history_id")[: HISTORY_LIMIT + 1]
    )
    names = _names_for(records)
    entries = []
    for i, newer in enumerate(records[:HISTORY_LIMIT]):
        older = records[i + 1] if i + 1 < len(records) else None
        entries.append(_entry(newer, older, names))
    events = TimelineEvent.history.filter(incident_id=incident.pk).select_related(
        "history_user").order_by("-history_date")[:HISTORY_LIMIT]
    for event in events:
        action = {"+": "added to the timeline", "-": "removed from the timeline",
                  "~": "edited on the timeline"}[event.history_type]
        entries.append(HistoryEntry(
            at=event.history_date, user=event.history_user, action=action,
            changes=[Change(label=event.get_kind_display(), old="", new=event.text)],
        ))
    entries.sort(key=lambda e: e.at, reverse=True)
    return entries[:HISTORY_LIMIT]


def _names_for(records) -> dict:
    wanted: dict[type, set] = {RootCause: set(), Organization: set(), Factor: set(), Source: set()}
    for record in records:
        for attname, model in FOREIGN.items():
            wanted[model].add(getattr(record, attname))
        for name, (_, key, model) in M2M.items():
            wanted[model].update(getattr(row, key) for row in getattr(record, f"_{name}"))
    return {
        model: {obj.pk: str(obj) for obj in model.objects.filter(pk__in=ids - {None})}
        if ids - {None} else {}
        for model, ids in wanted.items()
    }


def _entry(newer, older, names) -> HistoryEntry:
    if older is None:  # the first record: logged in one step, with or without its link
        return HistoryEntry(at=newer.history_date, user=newer.history_user, action="logged it")
    action = {"+": "logged it", "~": "changed", "-": "deleted"}[newer.history_type]
    entry = HistoryEntry(at=newer.history_date, user=newer.history_user, action=action)
    for model_field in Incident._meta.concrete_fields:
        attname = model_field.attname
        if model_field.name in SKIPPED or attname in SKIPPED:
            continue
        before, after = getattr(older, attname), getattr(newer, attname)
        if before == after:
            continue
        if attname in FOREIGN:
            lookup = names[FOREIGN[attname]]
            before, after = lookup.get(before, before), lookup.get(after, after)
        elif model_field.choices:
            labels = dict(model_field.flatchoices)
            before, after = labels.get(before, before), labels.get(after, after)
        elif attname == "context":
            labels = dict(Context.choices)
            before, after = ([labels.get(v, v) for v in before or []],
                             [labels.get(v, v) for v in after or []])
        if attname == "archived_at":
            entry.action = "archived it" if after else "restored it"
            continue
        entry.changes.append(Change(str(model_field.verbose_name).capitalize(),
                                    display_value(before), display_value(after)))
    for name, (_, key, model) in M2M.items():
        before = {getattr(row, key) for row in getattr(older, f"_{name}")}
        after = {getattr(row, key) for row in getattr(newer, f"_{name}")}
        if before != after:
            lookup = names[model]
            entry.changes.append(Change(
                name.replace("_", " ").capitalize(),
                display_value(sorted(lookup.get(pk, "?") for pk in before)),
                display_value(sorted(lookup.get(pk, "?") for pk in after)),
            ))
    return entry
