"""An incident's history as people read it: who changed which fields, from what to what.

What a reader sees depends on who they are. The owning team sees everything, each change
under the person's display name (an email only for a teammate without one). Every other team
reads the incident because it is in the library, so it sees only what was recorded while the
incident was shared: nothing from a private period (the first shared record says "shared it
in the library", without the earlier values), and the owning team's name instead of its
people.
"""

from dataclasses import dataclass, field
from datetime import date, datetime

from django.db.models import Prefetch
from django.utils import timezone
from django.utils.formats import date_format

from accounts.models import Membership

from .models import (
    Context,
    Factor,
    Incident,
    IncidentSource,
    Organization,
    RootCause,
    TimelineEvent,
    Visibility,
)

HISTORY_LIMIT = 50
SKIPPED = {"id", "public_id", "created_at", "updated_at", "history_id", "history_date",
           "history_change_reason", "history_type", "history_user", "created_by", "team",
           "response_score", "first_response_at", "idempotency_key"}
M2M = {
    "contributing_causes": (
        "historicalincident_contributing_causes_set", "rootcause_id", RootCause
    ),
    "factors": ("historicalincident_factors_set", "factor_id", Factor),
}
FOREIGN = {"organization_id": Organization, "primary_cause_id": RootCause}
TIMELINE_ACTIONS = {"+": "added to the timeline", "-": "removed from the timeline",
                    "~": "edited on the timeline"}
SOURCE_ACTIONS = {"+": "added a source", "-": "removed a source", "~": "edited a source"}
SHARED = "shared it in the library"
FORMER_MEMBER = "A former member"


@dataclass
class Change:
    label: str
    old: str
    new: str
    # Where the values lead (a linked incident's page), when the reader may open it.
    old_url: str = ""
    new_url: str = ""


@dataclass
class HistoryEntry:
    at: datetime
    user: object  # who, as the reader may see them (a name, never another team's email)
    action: str
    changes: list[Change] = field(default_factory=list)


def display_value(value) -> str:
    if value in (None, "", []):
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        # As the page shows times: in the reader's time zone (the active one).
        return date_format(timezone.localtime(value), "j M Y, H:i")
    if isinstance(value, date):
        return date_format(value, "j M Y")
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def person_label(user, teammates: set[int]) -> str | None:
    """A person as a teammate reads them: the display name; the email only of a current
    teammate without one; None for the system."""
    if user is None:
        return None
    if user.display_name:
        return user.display_name
    return user.email if user.pk in teammates else FORMER_MEMBER


def incident_history(incident: Incident, *, reader) -> list[HistoryEntry]:
    """The latest changes to the incident, its timeline and its sources, newest first, as
    `reader` may see them (see the module's docstring).

    A fixed number of queries whatever the length of the history: records, their many-to-many
    rows, the names they point at, and the people in them are each loaded in one go.
    """
    prefetches = [
        Prefetch(through_name, to_attr=f"_{name}") for name, (through_name, _, _) in M2M.items()
    ]
    records = list(
        incident.history.select_related("history_user").prefetch_related(*prefetches)
        .order_by("-history_date", "-history_id")[: HISTORY_LIMIT + 1]
    )
    events = list(TimelineEvent.history.filter(incident_id=incident.pk)
                  .select_related("history_user")
                  .order_by("-history_date", "-history_id")[:HISTORY_LIMIT])
    links = list(IncidentSource.history.filter(incident_id=incident.pk)
                 .select_related("history_user", "source")
                 .order_by("-history_date", "-history_id")[:HISTORY_LIMIT])
    people = {r.history_user_id for r in records + events + links} - {None}
    reader_id = reader.pk if reader is not None and reader.is_authenticated else None
    teammates = set(Membership.objects.filter(
        team_id=incident.team_id, user_id__in=people | {reader_id} - {None},
    ).values_list("user_id", flat=True))
    insider = reader_id in teammates

    def who(user):
        return person_label(user, teammates) if insider else incident.team.name

    shared_at = _shared_at(records)
    names = _names_for(records)
    entries = []
    for i, newer in enumerate(records[:HISTORY_LIMIT]):
        older = records[i + 1] if i + 1 < len(records) else None
        if insider:
            entry = _entry(newer, older, names)
        elif newer.visibility != Visibility.LIBRARY:
            continue  # recorded while private
        elif older is not None and older.visibility != Visibility.LIBRARY:
            entry = HistoryEntry(at=newer.history_date, user=None, action=SHARED)
        else:
            entry = _entry(newer, older, names)
        if entry.action == "changed" and not entry.changes:
            continue  # e.g. a source change recorded before sources kept their own history
        entry.user = who(newer.history_user)
        entries.append(entry)
    for event in events:
        if insider or shared_at(event.history_date):
            entries.append(HistoryEntry(
                at=event.history_date, user=who(event.history_user),
                action=TIMELINE_ACTIONS[event.history_type],
                changes=[Change(label=event.get_kind_display(), old="", new=event.text)],
            ))
    for link in links:
        if insider or shared_at(link.history_date):
            entries.append(HistoryEntry(
                at=link.history_date, user=who(link.history_user),
                action=SOURCE_ACTIONS[link.history_type],
                changes=[Change(label=link.get_kind_display(), old="",
                                new=link.title or link.source.url)],
            ))
    entries.sort(key=lambda e: e.at, reverse=True)
    return entries[:HISTORY_LIMIT]


def _shared_at(records):
    """Whether the incident was in the library at a moment, judged from the records loaded
    (newest first). Before the oldest of them it is not known, so it counts as private."""
    oldest_first = list(reversed(records))

    def shared_at(moment: datetime) -> bool:
        state = None
        for record in oldest_first:
            if record.history_date > moment:
                break
            state = record.visibility
        return state == Visibility.LIBRARY

    return shared_at


def _names_for(records) -> dict:
    wanted: dict[type, set] = {RootCause: set(), Organization: set(), Factor: set()}
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
    if older is None:  # the first record: logged in one step
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
