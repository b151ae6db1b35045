"""A learning's history as its team reads it: status changes, edits, incidents linked and
unlinked, and what happened to its action items (common.history reads them all alike).

Linked incidents are named through the same door as the page (Incident.objects.for_team):
one another team has since made private is "an incident no longer shared", never its title.
"""

from accounts.selectors import people_of_team
from common.history import Entry, HistorySpec, Named, Stream, Subject, Tracked, Verb, read_history
from incidents.models import Incident

from .models import ActionItem, Learning, LearningStatus

NO_LONGER_SHARED = Named(None, "an incident no longer shared")

LEARNING = HistorySpec(
    model=Learning,
    fields=(
        Tracked("title"), Tracked("lesson"), Tracked("practice"), Tracked("owner"),
        Tracked("review_on"), Tracked("retired_reason", label="Why retired"),
        Tracked("incidents", added="Linked incident", removed="Unlinked incident",
                initial="Drawn from"),
    ),
    verbs=(
        Verb("status", values={
            LearningStatus.DRAFT: "moved it back to draft",
            LearningStatus.PROPOSED: "proposed it",
            LearningStatus.ADOPTED: "adopted it",
            LearningStatus.RETIRED: "retired it",
        }),
        Verb("archived_at", when_set="archived it", when_cleared="restored it"),
    ),
    created="drafted it",
)
ACTION_ITEMS = HistorySpec(
    model=ActionItem,
    fields=(Tracked("title"), Tracked("owner"), Tracked("due_on"), Tracked("kind")),
    verbs=(
        Verb("done_at", when_set="completed an action", when_cleared="reopened an action"),
        Verb("archived_at", when_set="removed an action", when_cleared="restored an action"),
    ),
    created="added an action", changed="changed an action", deleted="deleted an action",
    subject=Subject("title", label=lambda item: item.get_kind_display()),
)


def learning_history(learning: Learning) -> list[Entry]:
    """The latest changes to the learning and its action items, newest first, in a fixed
    number of queries. Only its team reads a learning, so there is no outsider's view."""

    def incidents(ids: set) -> dict:
        readable = {
            incident.pk: Named(str(incident.public_id), incident.title,
                               incident.get_absolute_url())
            for incident in Incident.objects.for_team(learning.team).filter(pk__in=ids)
            .only("pk", "title", "public_id")
        }
        return {pk: readable.get(pk, NO_LONGER_SHARED) for pk in ids}

    return read_history(
        [Stream(LEARNING, learning.history.all(), names={"incidents": incidents}),
         Stream(ACTION_ITEMS, ActionItem.history.filter(learning_id=learning.pk))],
        people=lambda ids: people_of_team(team=learning.team, user_ids=ids),
    )
