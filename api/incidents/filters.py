"""The incident list's filters for the API: the list page's (incidents.filters.IncidentFilter,
by the same names) plus `team`, `archived=true|false|all` and `ordering`."""

import django_filters

from accounts.models import Team
from accounts.tenancy import NOT_YOUR_TEAM
from incidents.filters import ORDERINGS, IncidentFilter

ARCHIVED_CHOICES = [("false", "Active only"), ("true", "Archived only"), ("all", "Both")]
# The list page's orders, by the same names.
ORDERING_CHOICES = [(name, name) for name in ORDERINGS]


DESCRIPTIONS = {
    "team": "A team's slug: that team's incidents (one of the caller's teams).",
    "q": "Full-text search in titles and summaries, and organisation names.",
    "origin": "Own or another organisation's failure.",
    "visibility": "Team only, or shared in the library.",
    "platform": "Where it happened.",
    "cause": "A root cause's slug, primary or contributing.",
    "primary_cause": "The primary root cause's slug.",
    "severity": "Severity.",
    "status": "Status.",
    "organization": "An organisation's slug (or exact name), among those the caller can see.",
    "period": "A named period of occurred_on, counted back from today.",
    "occurred_after": "Occurred on or after this date.",
    "occurred_before": "Occurred on or before this date.",
    "archived": "Active incidents (false, the default), archived ones (true), or both (all).",
    "ordering": "The order; without it, the best match first when searching, else the newest.",
}


class IncidentApiFilter(IncidentFilter):
    """IncidentFilter with the API's own parameters; the reader's teams come from the view."""

    order_param = "ordering"
    # The API's pages count nothing: a search ranks its newest matches in one query.
    counts_matches = False

    team = django_filters.ModelChoiceFilter(
        queryset=Team.objects.none(), to_field_name="slug", field_name="team",
        error_messages={"invalid_choice": NOT_YOUR_TEAM})
    archived = django_filters.ChoiceFilter(choices=ARCHIVED_CHOICES, method="applied_last")
    ordering = django_filters.ChoiceFilter(choices=ORDERING_CHOICES, method="applied_last")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The teams whose own incidents the reader reads: the person's, or the token's one.
        self.filters["team"].queryset = (
            Team.objects.filter(pk=self.team.pk) if self.team is not None
            else Team.objects.for_user(self.user) if self.user is not None
            else Team.objects.none())


# The page's order parameter; the API's is `ordering`.
IncidentApiFilter.base_filters.pop("sort")
