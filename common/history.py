"""History: who changed what, when.

django-simple-history records every write to a tracked model; `attribute_history` names the
person in those records. The rest of this module reads the records back, the same way for
every model. Each model declares a `HistorySpec` (which fields are shown and how, which
changes read as actions); `read_history` turns the records into `Entry`s — who, when, what
they did, and each change from old to new, raw and as text — that the page's template
formats and the API serialises (`Entry.as_dict`). The domain apps hold the specs and their
own reader rules; this module knows no domain model.

One rule for people, whatever the model (person_label): their display name; a current member
of the owning team without one by their email; anyone else as "A former member".
"""

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from decimal import Decimal
from functools import cached_property
from typing import Any
from uuid import UUID

from django.contrib.auth import get_user_model
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.text import capfirst

from .changes import mark_changed

HISTORY_LIMIT = 50
# Display text of one value, in characters; raw values stay whole.
TEXT_LIMIT = 120
EMPTY = "—"
FORMER_MEMBER = "A former member"

Raw = str | int | bool | None | list


@contextmanager
def one_history_record(obj, *, user, created: bool = False,
                       changed: Callable[[], bool] | None = None) -> Iterator[None]:
    """Writes to `obj` and its many-to-many relations inside leave no history; leaving writes
    one record holding the final state of every field and relation, naming `user` (a
    creation, with created=True), unless `changed()` says nothing changed. simple-history
    would otherwise record the row before its relations are set, and once more for each
    relation."""
    obj.skip_history_when_saving = True
    try:
        yield
    finally:
        del obj.skip_history_when_saving
    if changed is not None and not changed():
        return
    attribute_history(obj, user)
    obj.save(update_fields=["updated_at"])
    mark_changed(type(obj))
    if created:
        # simple-history takes the save above for a change: it is the creation.
        obj.history.update(history_type="+")


def attribute_history(obj, user) -> None:
    """Name the acting user in the history records this object's next writes leave.

    The request middleware only knows the user inside a web request; services also run from
    commands and tasks, and always know who is acting.
    """
    obj._history_user = user


# What a reader gets


@dataclass
class Change:
    """One field from old to new: raw values for programs, text for people."""

    field: str
    label: str
    old_value: Raw
    new_value: Raw
    # As the page shows them; an empty `old` means there was no "before" to show (a row added).
    old: str
    new: str
    # Where a value leads (a linked incident's page), when the reader may open it.
    old_url: str = ""
    new_url: str = ""

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class Entry:
    """One thing someone did, with the changes it made."""

    at: datetime
    # Who acted: the User (None for the system, or when the reader may not know who), and the
    # name the reader may see.
    user: Any
    who: str | None
    action: str
    changes: list[Change] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"at": self.at.isoformat(), "who": self.who, "action": self.action,
                "changes": [change.as_dict() for change in self.changes]}


# How a model's records read


@dataclass(frozen=True)
class Named:
    """A row a relation points at, as history shows it: a key safe to hand out (never the
    integer pk), its text, and its page when the reader may open it."""

    key: Raw
    text: str
    url: str = ""


# Names for the ids of one relation, in one query: {id: Named}. Ids left out read as UNKNOWN.
Resolver = Callable[[set], Mapping[Any, Named]]
UNKNOWN = Named(None, "?")


@dataclass(frozen=True)
class Tracked:
    """A field whose changes history shows.

    Values read from the model field: choices as their labels, dates in the reader's time
    zone, yes/no, related rows by name, people by the person rule, long text shortened.
    """

    name: str
    label: str = ""  # default: the field's verbose name
    # Labels for a list of plain values (a JSON list of choices).
    choices: Sequence[tuple[str, str]] = ()
    # Many-to-many shown one row at a time, each linking to its page: the labels of a row
    # added, removed, and there from the start. Without them the whole list reads old → new.
    added: str = ""
    removed: str = ""
    initial: str = ""


@dataclass(frozen=True)
class Verb:
    """A field whose change reads as what the person did ("archived it"), not as a change."""

    field: str
    when_set: str = ""
    when_cleared: str = ""
    # By new value instead ({"adopted": "adopted it"}).
    values: Mapping[Any, str] = field(default_factory=dict)

    def words(self, value) -> str:
        if self.values:
            return self.values.get(value, "")
        return self.when_set if value not in (None, "") else self.when_cleared


@dataclass(frozen=True)
class Subject:
    """How a row of a list (a timeline entry, a source, an action item) is named in each of
    its entries: a first change with the row's label and text, e.g. "Note: We paused"."""

    field: str
    label: Callable[[Any], str]
    text: Callable[[Any], str] | None = None  # default: the field's value


@dataclass(frozen=True, eq=False)
class HistorySpec:
    """How one model's history records read."""

    model: type
    fields: tuple[Tracked, ...] = ()
    verbs: tuple[Verb, ...] = ()  # the first whose field changed names the action
    created: str = "created it"
    changed: str = "changed"
    deleted: str = "deleted it"
    subject: Subject | None = None
    select_related: tuple[str, ...] = ()

    @cached_property
    def _fields(self) -> list["_Field"]:
        return [_Field(self.model, tracked) for tracked in self.fields]


@dataclass
class Stream:
    """The records of one read: a spec, the history queryset to read, and names for relations
    that depend on the reader (a learning's incidents, through its team's door)."""

    spec: HistorySpec
    records: Any
    names: Mapping[str, Resolver] = field(default_factory=dict)


# People: {user id: (user, whether they are now a member of the owning team)}, in one query.
PeopleLoader = Callable[[set[int]], Mapping[int, tuple[Any, bool]]]
# What an outsider may see of one entry: the entry (changed or not) or None. It gets the
# entry, its record and the record before it, and every stream's records (newest first).
OutsiderView = Callable[[Entry, Any, Any, Mapping[type, list]], Entry | None]


def person_label(user, *, teammate: bool) -> str | None:
    """A person as a teammate reads them: the display name (the team knew them by it); the
    email only of a current teammate without one, since an address is how one reaches a
    person and a former member is no longer the team's to reach; "A former member" for
    anyone else; None for the system."""
    if user is None:
        return None
    if user.display_name:
        return user.display_name
    return user.email if teammate else FORMER_MEMBER


def shorten(text: str) -> str:
    """The one rule for long text in history: cut to TEXT_LIMIT characters."""
    return text if len(text) <= TEXT_LIMIT else text[: TEXT_LIMIT - 1].rstrip() + "…"


def display_text(value) -> str:
    if value is None or value == "" or value == []:
        return EMPTY
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        # As the page shows times: in the reader's time zone (the active one).
        return date_format(timezone.localtime(value), "j M Y, H:i")
    if isinstance(value, date):
        return date_format(value, "j M Y")
    if isinstance(value, list):
        return shorten(", ".join(str(v) for v in value))
    return shorten(str(value))


def raw_value(value) -> Raw:
    """A value as JSON carries it."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [raw_value(v) for v in value]
    if isinstance(value, UUID | Decimal):
        return str(value)
    return str(value)


def read_history(streams: Sequence[Stream], *, people: PeopleLoader, reader=None,
                 outsider_view: OutsiderView | None = None,
                 limit: int = HISTORY_LIMIT) -> list[Entry]:
    """The latest entries of all streams, newest first, as `reader` may see them.

    A reader who is not of the owning team (judged by `people`) sees each entry through
    `outsider_view`, when one is given. A fixed number of queries whatever the length of the
    history: each stream's records and their many-to-many rows, the names of each related
    model (or resolver), and one query for all the people, the reader among them.
    """
    loaded = [(stream, _load(stream, limit)) for stream in streams]
    names = _resolve_names(loaded)
    reader_id = reader.pk if reader is not None and reader.is_authenticated else None
    person_ids = (_person_ids(loaded) | {reader_id}) - {None}
    found = people(person_ids) if person_ids else {}
    insider = reader_id is not None and found.get(reader_id, (None, False))[1]
    by_model = {stream.spec.model: records for stream, records in loaded}

    def person(user_id) -> tuple[Any, str | None]:
        user, teammate = found.get(user_id, (None, False))
        return user, person_label(user, teammate=teammate)

    entries = []
    for stream, records in loaded:
        # All of the stream's records: the oldest of each row is its first, even when the
        # row was first written without a "created" record (a learning with its links).
        whole = len(records) <= limit
        for newer, older in _with_previous(records):
            entry = _entry(stream.spec, newer, older, names, person, whole=whole)
            if entry is not None and outsider_view is not None and not insider:
                entry = outsider_view(entry, newer, older, by_model)
            if entry is not None:
                entries.append(entry)
    entries.sort(key=lambda e: e.at, reverse=True)  # stable: streams keep their order
    return entries[:limit]


# Reading records


class _Field:
    """A tracked field with what its model field says about it."""

    def __init__(self, model, tracked: Tracked):
        model_field = model._meta.get_field(tracked.name)
        self.name = tracked.name
        self.tracked = tracked
        self.label = tracked.label or capfirst(str(model_field.verbose_name))
        self.many = model_field.many_to_many
        self.related = model_field.related_model if model_field.is_relation else None
        self.person = self.related is not None and self.related is get_user_model()
        self.attname = model_field.attname if not self.many else None
        self.choices = dict(model_field.flatchoices) if model_field.choices else dict(
            tracked.choices)
        if self.many:
            record_model = model.history.model
            # simple-history keeps each many-to-many field's rows per record in a model of
            # its own, reached from the record through this accessor.
            rows = record_model.__dict__[tracked.name].model
            self.accessor = rows._meta.get_field("history").remote_field.get_accessor_name()
            self.to_attr = f"_history_{tracked.name}"
            self.key = f"{model_field.m2m_reverse_field_name()}_id"

    def ids(self, record) -> set:
        return {getattr(row, self.key) for row in getattr(record, self.to_attr)}


def _load(stream: Stream, limit: int) -> list:
    spec = stream.spec
    prefetches = [Prefetch(f.accessor, to_attr=f.to_attr) for f in spec._fields if f.many]
    return list(stream.records.select_related(*spec.select_related)
                .prefetch_related(*prefetches)
                .order_by("-history_date", "-history_id")[: limit + 1])


def _with_previous(records: list) -> Iterable[tuple[Any, Any]]:
    """Each record (newest first) with the record before it of the same row, if loaded."""
    by_row: dict[Any, list] = {}
    for record in records:
        by_row.setdefault(record.id, []).append(record)
    previous = {}
    for versions in by_row.values():
        for newer, older in zip(versions, [*versions[1:], None], strict=True):
            previous[newer.history_id] = older
    return ((record, previous[record.history_id]) for record in records)


def _person_ids(loaded) -> set:
    """Who acted in the records, and the people their fields name (an owner)."""
    ids = set()
    for stream, records in loaded:
        people_fields = [fld.attname for fld in stream.spec._fields if fld.person]
        for record in records:
            ids.add(record.history_user_id)
            ids.update(getattr(record, attname) for attname in people_fields)
    return ids


def _default_names(model) -> Resolver:
    def names(ids: set) -> dict:
        return {obj.pk: Named(_key(obj), str(obj)) for obj in model._default_manager.filter(
            pk__in=ids)}
    return names


def _key(obj) -> Raw:
    for attname in ("public_id", "slug"):
        if hasattr(obj, attname):
            return raw_value(getattr(obj, attname))
    return None


def _resolve_names(loaded) -> dict[tuple, Mapping]:
    """{(spec, field name): {id: Named}}, one query per related model or resolver."""
    wanted: dict[Any, set] = {}
    resolvers: dict[Any, Resolver] = {}
    route: dict[tuple, Any] = {}
    for stream, records in loaded:
        for fld in stream.spec._fields:
            if fld.related is None or fld.person:
                continue
            resolver = stream.names.get(fld.name)
            group = resolver or fld.related
            resolvers.setdefault(group, resolver or _default_names(fld.related))
            route[(stream.spec, fld.name)] = group
            ids = wanted.setdefault(group, set())
            for record in records:
                ids.update(fld.ids(record) if fld.many else {getattr(record, fld.attname)})
    found = {group: resolvers[group](ids - {None}) if ids - {None} else {}
             for group, ids in wanted.items()}
    return {key: found[group] for key, group in route.items()}


def _entry(spec: HistorySpec, newer, older, names, person, *, whole: bool) -> Entry | None:
    user, who = person(newer.history_user_id)
    entry = Entry(at=newer.history_date, user=user, who=who, action=spec.changed)
    if newer.history_type == "-":
        entry.action = spec.deleted
    elif newer.history_type == "+" or (older is None and whole):
        entry.action = spec.created
        entry.changes = _initial(spec, newer, names)
    elif older is None:
        return None  # the record before it was not loaded: what changed is not known
    else:
        for verb in spec.verbs:
            before, after = getattr(older, verb.field), getattr(newer, verb.field)
            if before != after and (words := verb.words(after)):
                entry.action = words
                break
        for fld in spec._fields:
            entry.changes.extend(_changes(spec, fld, older, newer, names, person))
        if entry.action == spec.changed and not entry.changes:
            return None  # nothing shown changed (a save that changed nothing tracked)
    if spec.subject is not None:
        entry.changes.insert(0, _subject(spec.subject, newer))
    return entry


def _subject(subject: Subject, record) -> Change:
    value = subject.text(record) if subject.text else getattr(record, subject.field)
    return Change(field=subject.field, label=subject.label(record), old_value=None,
                  new_value=raw_value(value), old="", new=display_text(value))


def _initial(spec: HistorySpec, record, names) -> list[Change]:
    changes = []
    for fld in spec._fields:
        if fld.many and fld.tracked.initial:
            lookup = names[(spec, fld.name)]
            rows = sorted((lookup.get(pk, UNKNOWN) for pk in fld.ids(record)),
                          key=lambda n: (n.text, n.url))
            changes.extend(_added(fld, fld.tracked.initial, row) for row in rows)
    return changes


def _added(fld: _Field, label: str, row: Named) -> Change:
    return Change(field=fld.name, label=label, old_value=None, new_value=row.key, old="",
                  new=shorten(row.text), new_url=row.url)


def _changes(spec, fld: _Field, older, newer, names, person) -> list[Change]:
    if fld.many:
        before, after = fld.ids(older), fld.ids(newer)
        if before == after:
            return []
        lookup = names[(spec, fld.name)]
        if fld.tracked.added:
            changes = [_added(fld, fld.tracked.added, row) for row in sorted(
                (lookup.get(pk, UNKNOWN) for pk in after - before), key=lambda n: n.text)]
            changes.extend(
                Change(field=fld.name, label=fld.tracked.removed, old_value=row.key,
                       new_value=None, old=shorten(row.text), new=EMPTY, old_url=row.url)
                for row in sorted((lookup.get(pk, UNKNOWN) for pk in before - after),
                                  key=lambda n: n.text))
            return changes
        old = sorted((lookup.get(pk, UNKNOWN) for pk in before), key=lambda n: n.text)
        new = sorted((lookup.get(pk, UNKNOWN) for pk in after), key=lambda n: n.text)
        return [Change(field=fld.name, label=fld.label,
                       old_value=[n.key for n in old], new_value=[n.key for n in new],
                       old=display_text([n.text for n in old]),
                       new=display_text([n.text for n in new]))]
    before, after = getattr(older, fld.attname), getattr(newer, fld.attname)
    if before == after:
        return []
    if fld.person:
        old, new = (person(pk)[1] if pk is not None else None for pk in (before, after))
        # A person's raw value is the name the reader may see: users have no public id.
        return [Change(field=fld.name, label=fld.label, old_value=old, new_value=new,
                       old=old or EMPTY, new=new or EMPTY)]
    if fld.related is not None:
        lookup = names[(spec, fld.name)]
        old, new = (lookup.get(pk, UNKNOWN) if pk is not None else Named(None, "")
                    for pk in (before, after))
        return [Change(field=fld.name, label=fld.label, old_value=old.key, new_value=new.key,
                       old=display_text(old.text), new=display_text(new.text),
                       old_url=old.url, new_url=new.url)]
    if fld.choices:
        def text(value):
            if isinstance(value, list):
                return display_text([fld.choices.get(v, v) for v in value])
            return display_text(fld.choices.get(value, value))
    else:
        text = display_text
    return [Change(field=fld.name, label=fld.label, old_value=raw_value(before),
                   new_value=raw_value(after), old=text(before), new=text(after))]
