"""The learnings list's filters, by the names the API will use. learnings.selectors
applies them (learning_filterset, learning_list): the page and the API read through it."""

import django_filters
from django.db.models import F

from accounts.models import Team, User
from accounts.tenancy import NOT_YOUR_TEAM
from common.filters import ArchivableListFilter, DateRangeFilterForm, PeriodFilter, from_to
from incidents.filters import CauseFilter

from .models import ActionItem, Learning, LearningStatus

ORDERINGS = {
    "-updated_at": ("-updated_at", "-pk"),
    "-created_at": ("-created_at", "-pk"),
    "-adopted_at": (F("adopted_at").desc(nulls_last=True), "-updated_at"),
    "title": ("title", "pk"),
}


class LearningFilterForm(DateRangeFilterForm):
    date_range = ("created_after", "created_before")


class LearningFilter(ArchivableListFilter):
    q = django_filters.CharFilter(method="filter_q", label="Search")
    status = django_filters.ChoiceFilter(choices=LearningStatus.choices, empty_label="Any status")
    cause = CauseFilter(method="filter_cause")
    owner = django_filters.ModelChoiceFilter(
        queryset=User.objects.none(), to_field_name="email", empty_label="Anyone",
        label="Owner",
    )
    drawn_from = django_filters.ChoiceFilter(
        choices=[("own", "Our own failures only"), ("external", "Other organisations' only"),
                 ("both", "Both")],
        method="filter_drawn_from", empty_label="Any incidents", label="Drawn from",
    )
    team = django_filters.ModelChoiceFilter(
        queryset=Team.objects.none(), to_field_name="slug", empty_label="All my teams",
        error_messages={"invalid_choice": NOT_YOUR_TEAM},
    )
    period = PeriodFilter(lookup="created_at__date", label="Created")
    created_after, created_before = from_to("created_at", of_moment=True)
    sort = django_filters.ChoiceFilter(
        method="applied_last", empty_label="Recently changed", label="Sort by",
        choices=[("-created_at", "Newest first"), ("-adopted_at", "Recently adopted"),
                 ("title", "Title")],
    )

    class Meta:
        model = Learning
        fields: list[str] = []
        form = LearningFilterForm

    def __init__(self, *args, user: User | None = None, team: Team | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if user is not None or team is not None:
            # A team reading picks among itself alone (its own learnings only).
            teams = Team.objects.for_user(user) if user is not None \
                else Team.objects.filter(pk=team.pk)
            self.filters["team"].queryset = teams
            # Owners are people of the reader's teams, never anyone else's.
            self.filters["owner"].queryset = User.objects.filter(
                memberships__team__in=teams).distinct().order_by("display_name", "email")

    def filter_q(self, queryset, name, value):
        return queryset.search(value)

    def filter_cause(self, queryset, name, value):
        return queryset.with_cause(value)

    def filter_drawn_from(self, queryset, name, value):
        return queryset.drawn_from(value)

    def order(self, queryset, sort):
        return queryset.order_by(*ORDERINGS.get(sort or "-updated_at"))


YES_NO = [("true", "Yes"), ("false", "No")]


class ActionItemFilter(ArchivableListFilter):
    """Action items' filters, by the names the API uses: of one learning, of one owner (by
    email, among the reader's teams' people), done or not, overdue or not (in each team's
    calendar). Active items of active learnings unless `archived` asks otherwise; the
    newest first."""

    learning = django_filters.ModelChoiceFilter(
        queryset=Learning.objects.none(), to_field_name="public_id", label="Learning")
    owner = django_filters.ModelChoiceFilter(
        queryset=User.objects.none(), to_field_name="email", label="Owner")
    # Strict: a value other than true or false is refused, not read as "either".
    done = django_filters.ChoiceFilter(choices=YES_NO, method="filter_done", label="Done")
    overdue = django_filters.ChoiceFilter(choices=YES_NO, method="filter_overdue",
                                          label="Overdue")
    archived = django_filters.ChoiceFilter(
        choices=[("false", "Active only"), ("true", "Archived only"), ("all", "Both")],
        method="applied_last", label="Archived")

    class Meta:
        model = ActionItem
        fields: list[str] = []

    def __init__(self, *args, user: User | None = None, team: Team | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.teams = Team.objects.none()
        if user is not None or team is not None:
            self.teams = Team.objects.for_user(user) if user is not None \
                else Team.objects.filter(pk=team.pk)
            self.filters["learning"].queryset = Learning.objects.readable(user=user, team=team)
            self.filters["owner"].queryset = User.objects.filter(
                memberships__team__in=self.teams).distinct()

    def in_scope(self, queryset, archived: str):
        """The items the learning page lists (active, on an active learning) unless
        archived=true (archived items) or archived=all (every item)."""
        if archived == "true":
            return queryset.archived()
        if archived == "all":
            return queryset
        return queryset.active().filter(learning__archived_at__isnull=True)

    def filter_done(self, queryset, name, value):
        return queryset.filter(done_at__isnull=value != "true")

    def filter_overdue(self, queryset, name, value):
        overdue = queryset.overdue(self.teams)
        return overdue if value == "true" else queryset.exclude(pk__in=overdue.values("pk"))

    def order(self, queryset, sort):
        return queryset.order_by("-created_at", "-pk")
