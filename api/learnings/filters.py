"""The learning list's filters for the API: the list page's (learnings.filters.LearningFilter,
by the same names) plus `incident`, `archived=true|false|all` and `ordering`; and the action
items' (learnings.filters.ActionItemFilter)."""

import django_filters

from incidents.models import Incident
from learnings.filters import LearningFilter

from ..incidents.filters import ARCHIVED_CHOICES

# The list page's orders that a cursor can page through (by columns that are never null).
ORDERING_CHOICES = [("-updated_at", "Recently changed"), ("-created_at", "Newest first"),
                    ("title", "Title")]

NO_SUCH_INCIDENT = "No incident you can read has this id."

LEARNING_DESCRIPTIONS = {
    "q": "Words that must all appear in the title, the lesson or the practice.",
    "status": "Status.",
    "cause": "A root cause's slug: learnings whose incidents have it (primary or "
             "contributing).",
    "owner": "The owner's email (a person of the caller's teams).",
    "drawn_from": "Drawn from own failures only, other organisations' only, or both.",
    "team": "A team's slug: that team's learnings (one of the caller's teams).",
    "period": "A named period of created_at, counted back from today.",
    "created_after": "Created on or after this date.",
    "created_before": "Created on or before this date.",
    "archived": "Active learnings (false, the default), archived ones (true), or both (all).",
    "incident": "An incident's id: the learnings drawn from it.",
    "ordering": "The order; without it, the most recently changed first.",
}

ACTION_ITEM_DESCRIPTIONS = {
    "learning": "A learning's id: its action items.",
    "owner": "The owner's email (a person of the caller's teams).",
    "done": "Done (true) or not yet (false).",
    "overdue": "Open and past its due date in its team's calendar (true), or not (false).",
    "archived": "Active items of active learnings (false, the default), archived items "
                "(true), or every item (all).",
}


class LearningApiFilter(LearningFilter):
    """LearningFilter with the API's own parameters; the reader comes from the view."""

    order_param = "ordering"

    incident = django_filters.ModelChoiceFilter(
        queryset=Incident.objects.none(), to_field_name="public_id", method="filter_incident",
        error_messages={"invalid_choice": NO_SUCH_INCIDENT})
    archived = django_filters.ChoiceFilter(choices=ARCHIVED_CHOICES, method="applied_last")
    ordering = django_filters.ChoiceFilter(choices=ORDERING_CHOICES, method="applied_last")

    def __init__(self, *args, user=None, team=None, **kwargs):
        super().__init__(*args, user=user, team=team, **kwargs)
        # Only an incident the reader can read names learnings; any other id, existing or
        # not, is refused with one message.
        if user is not None or team is not None:
            self.filters["incident"].queryset = Incident.objects.readable(user=user, team=team)

    def filter_incident(self, queryset, name, value):
        return queryset.filter(incidents=value)


# The page's order parameter; the API's is `ordering`.
LearningApiFilter.base_filters.pop("sort")
