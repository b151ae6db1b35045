"""An incident's history as people read it: who changed which fields, from what to what, on
the incident, its timeline and its sources (common.history reads them all alike).

What a reader sees depends on who they are. The owning team sees everything, people named by
the one person rule. Every other team reads the incident because it is in the library, so it
sees only what was recorded while the incident was shared, under the owning team's name:
nothing from a private period. Each sharing reads "shared it in the library" and each
unsharing "took it out of the library", without the values that changed with them.
"""

from datetime import datetime

from accounts.selectors import people_of_team
from common.history import (
    Entry,
    HistorySpec,
    Stream,
    Subject,
    Tracked,
    Verb,
    read_history,
)

from .models import Context, Incident, IncidentSource, TimelineEvent, Visibility

SHARED = "shared it in the library"
UNSHARED = "took it out of the library"

INCIDENT = HistorySpec(
    model=Incident,
    # Not shown: who logged it and the team (fixed), and what is derived from other fields
    # (the response score, the first response, which follows the timeline).
    fields=(
        Tracked("origin"), Tracked("organization", label="Organisation"), Tracked("title"),
        Tracked("summary"),
        Tracked("platform"), Tracked("occurred_on"), Tracked("detected_at"),
        Tracked("resolved_at"), Tracked("status"), Tracked("severity"),
        Tracked("primary_cause"), Tracked("contributing_causes"), Tracked("factors"),
        Tracked("context", choices=Context.choices), Tracked("actor"),
        Tracked("acknowledged"), Tracked("apologized"), Tracked("explained_fix"),
        Tracked("asked_for_help"), Tracked("deleted_silently"), Tracked("defensive"),
        Tracked("blamed_others"),
    ),
    verbs=(
        Verb("visibility", values={Visibility.LIBRARY: SHARED, Visibility.TEAM: UNSHARED}),
        Verb("archived_at", when_set="archived it", when_cleared="restored it"),
    ),
    created="logged it",
)
TIMELINE = HistorySpec(
    model=TimelineEvent,
    fields=(Tracked("at"), Tracked("kind"), Tracked("text"), Tracked("url")),
    created="added to the timeline", changed="edited on the timeline",
    deleted="removed from the timeline",
    subject=Subject("text", label=lambda event: event.get_kind_display()),
)
SOURCES = HistorySpec(
    model=IncidentSource,
    fields=(Tracked("kind"), Tracked("captured_at")),
    created="added a source", changed="edited a source", deleted="removed a source",
    # A link without a title is named by its address.
    subject=Subject("title", label=lambda link: link.get_kind_display(),
                    text=lambda link: link.title or link.source.url),
    select_related=("source",),
)


def incident_history(incident: Incident, *, reader) -> list[Entry]:
    """The latest changes to the incident, its timeline and its sources, newest first, as
    `reader` may see them (see the module's docstring), in a fixed number of queries."""

    def outsider_view(entry: Entry, record, previous, records) -> Entry | None:
        entry.user, entry.who = None, incident.team.name
        if isinstance(record, Incident.history.model):
            if record.visibility == Visibility.LIBRARY:
                if previous is not None and previous.visibility != Visibility.LIBRARY:
                    entry.changes = []  # the values before were private
                return entry
            if previous is not None and previous.visibility == Visibility.LIBRARY:
                entry.changes = []  # the unsharing itself, not what came with it
                return entry
            return None  # recorded while private
        return entry if _shared_at(records[Incident], entry.at) else None

    return read_history(
        [Stream(INCIDENT, incident.history.all()),
         Stream(TIMELINE, TimelineEvent.history.filter(incident_id=incident.pk)),
         Stream(SOURCES, IncidentSource.history.filter(incident_id=incident.pk))],
        people=lambda ids: people_of_team(team=incident.team, user_ids=ids),
        reader=reader, outsider_view=outsider_view,
    )


def _shared_at(records: list, moment: datetime) -> bool:
    """Whether the incident was in the library at a moment, judged from its records loaded
    (newest first). Before the oldest of them it is not known, so it counts as private."""
    for record in records:
        if record.history_date <= moment:
            return record.visibility == Visibility.LIBRARY
    return False
