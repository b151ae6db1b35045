"""The incident list's filters, shared by the browser list and (later) the API."""

import django_filters
from django import forms
from django.db import connection
from django.db.models import Exists, OuterRef, Q

from accounts.models import Team
from accounts.tenancy import NOT_YOUR_TEAM, reader_team_ids
from common.filters import ArchivableListFilter, DateRangeFilterForm, PeriodFilter, from_to
from common.forms import RememberedSelect
from common.text import search_text

from .forms import OrganizationPicker
from .models import (
    Incident,
    Organization,
    Origin,
    Platform,
    RootCause,
    Severity,
    Status,
    Visibility,
    severity_rank_expression,
)
from .search import (
    RANKED,
    best_matches_first,
    incident_search,
    newest_match_ids,
    organization_choices,
)

ORDERINGS = {
    "-occurred_on": ("-occurred_on", "-created_at"),
    "occurred_on": ("occurred_on", "created_at"),
    "-severity": ("-severity_rank", "-occurred_on"),
    "severity": ("severity_rank", "-occurred_on"),
    "-created_at": ("-created_at",),
    "created_at": ("created_at",),
}


class IncidentFilterForm(DateRangeFilterForm):
    date_range = ("occurred_after", "occurred_before")


class CauseFilter(django_filters.ModelChoiceFilter):
    """A root cause by its slug, as every list and the API name it; the list's `method` says
    what having the cause means for its rows."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("queryset", RootCause.objects.all())
        kwargs.setdefault("to_field_name", "slug")
        kwargs.setdefault("empty_label", "Any cause")
        kwargs.setdefault("label", "Cause")
        kwargs.setdefault("widget", RememberedSelect)
        super().__init__(*args, **kwargs)


class OrganizationField(forms.ModelChoiceField):
    """An organisation by its slug (as links and the API name it) or by its name as typed
    into the picker, among those the reader may see."""

    def to_python(self, value):
        value = " ".join(str(value or "").split())
        if not value:
            return None
        found = (self.queryset.filter(slug=value).first()
                 or self.queryset.filter(name__iexact=value).first())
        if found is None:
            raise forms.ValidationError(
                "No organisation you can see has that name: pick one from the suggestions.",
                code="invalid_choice")
        return found


class OrganizationFilter(django_filters.ModelChoiceFilter):
    field_class = OrganizationField


class ExistsPerRow(Exists):
    """EXISTS checked row by row, one index probe each. Plain EXISTS, PostgreSQL may first
    read every row of the subquery into a hash, whose cost grows with the table, while a list
    read in the order of an index checks only the rows it passes until a page is full. OFFSET
    0 (which changes nothing else) keeps the planner from that rewrite."""

    template = "EXISTS(%(subquery)s OFFSET 0)"




class IncidentFilter(ArchivableListFilter):
    """Filters by the same names the API and CSV use."""

    q = django_filters.CharFilter(method="filter_q", label="Search")
    # A team's own incidents (a dashboard's links name the team), among the reader's teams
    # only: another team's slug is refused like an unknown one, whether it exists or not.
    team = django_filters.ModelChoiceFilter(
        queryset=Team.objects.none(), to_field_name="slug", field_name="team",
        empty_label="All my teams", label="Team", error_messages={"invalid_choice": NOT_YOUR_TEAM})
    origin = django_filters.ChoiceFilter(choices=Origin.choices, empty_label="Own and external",
                                         widget=RememberedSelect)
    visibility = django_filters.ChoiceFilter(choices=Visibility.choices,
                                             empty_label="Any visibility",
                                             method="filter_visibility", widget=RememberedSelect)
    platform = django_filters.ChoiceFilter(choices=Platform.choices, empty_label="Any platform",
                                           widget=RememberedSelect)
    cause = CauseFilter(method="filter_cause")
    primary_cause = django_filters.ModelChoiceFilter(
        queryset=RootCause.objects.all(), to_field_name="slug", empty_label="Any primary cause",
    )
    severity = django_filters.ChoiceFilter(choices=Severity.choices, empty_label="Any severity",
                                           widget=RememberedSelect)
    status = django_filters.ChoiceFilter(choices=Status.choices, empty_label="Any status",
                                         widget=RememberedSelect)
    organization = OrganizationFilter(
        queryset=Organization.objects.none(), label="Organisation",
        widget=OrganizationPicker(options_id="organization-filter-options", value="slug",
                                  attrs={"placeholder": "Any organisation"}),
    )
    period = PeriodFilter(lookup="occurred_on", label="Period", widget=RememberedSelect)
    occurred_after, occurred_before = from_to("occurred_on")
    sort = django_filters.ChoiceFilter(
        method="applied_last", empty_label="Best match, then newest", label="Sort by",
        widget=RememberedSelect,
        choices=[
            ("-occurred_on", "Newest first"), ("occurred_on", "Oldest first"),
            ("-severity", "Most severe first"), ("severity", "Least severe first"),
            ("-created_at", "Recently logged"),
        ],
    )

    class Meta:
        model = Incident
        fields: list[str] = []
        form = IncidentFilterForm

    def __init__(self, *args, user=None, team=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user, self.team = user, team
        # The teams whose own incidents the reader reads: the person's, or the team itself.
        self.filters["team"].queryset = (
            Team.objects.filter(pk=team.pk) if team is not None
            else Team.objects.for_user(user).order_by("name") if user is not None
            else Team.objects.none())
        # Offer only organisations the reader (a person, or a team) can see an incident of:
        # a name logged in another team's private incident stays private. With no reader,
        # only shared ones.
        # Built only when the list is filtered by an organisation: the picker never lists
        # them (it is a type-ahead), and the query costs a page that does not need it.
        if self.data.get("organization"):
            self.filters["organization"].queryset = (
                organization_choices(user=user, team=team) if user or team
                else Organization.objects.shared())

    def filter_visibility(self, queryset, name, value):
        queryset = queryset.filter(visibility=value)
        if value == Visibility.TEAM:
            # Team-only incidents a reader can read are their own teams': saying so lets
            # PostgreSQL start from those teams' few rows instead of walking every incident
            # by date until 25 of them turn up.
            queryset = queryset.filter(
                team_id__in=reader_team_ids(user=self.user, team=self.team))
        return queryset

    def filter_q(self, queryset, name, value):
        return incident_search(queryset, value, user=self.user, team=self.team)

    def filter_cause(self, queryset, name, value):
        contributing = Incident.contributing_causes.through.objects.filter(
            incident_id=OuterRef("pk"), rootcause=value)
        return queryset.filter(Q(primary_cause=value) | ExistsPerRow(contributing))

    # Whether the list holds only the best matches among the newest RANKED (a search in
    # best-match order, on PostgreSQL): when more match (its count, capped at the same
    # number, says "1,000+"), the page says so.
    ranks_newest = False
    # A page counts what matched ("1,000+"): the search's one read of its newest matches
    # gives that count too. A list that shows no count (the API's) ranks them in one query.
    counts_matches = True
    ranked_text = f"{RANKED:,}"

    @property
    def matches(self):
        """What the list counts: every incident the filters let through, unordered (the
        database counts as it likes); or, when ranks_newest, how many of them the search
        read for its candidates (at most RANKED + 1: the list's "1,000+"), counted then."""
        qs = self.qs
        if self.ranks_newest:
            return self._matched
        return qs.order_by()

    def order(self, queryset, sort):
        if sort in ("severity", "-severity"):
            queryset = queryset.annotate(severity_rank=severity_rank_expression())
        if sort in ORDERINGS:
            return queryset.order_by(*ORDERINGS[sort])
        text = search_text(self.form.cleaned_data.get("q") or "")
        if not text:
            return queryset.order_by("-occurred_on", "-created_at")
        if connection.vendor != "postgresql" or not self.counts_matches:
            return best_matches_first(queryset, text)
        newest = newest_match_ids(queryset)
        self.ranks_newest, self._matched = True, len(newest)
        return best_matches_first(queryset, text, newest=newest)
