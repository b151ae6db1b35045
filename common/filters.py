"""Pieces every list's FilterSet shares: the date inputs, the From-before-To rule, the named
periods, and the chips that show each filter in force with a link that removes it."""

from datetime import date
from typing import NamedTuple

import django_filters
from django import forms
from django.http import HttpRequest
from django.utils.formats import date_format

from .dates import PERIOD_CHOICES, period_range, today_in

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class DateRangeFilterForm(forms.Form):
    """A filter form whose From date may not come after its To date.

    Such a range would match nothing and look like an empty list: the form says so beside
    From instead, and neither bound applies until the range makes sense.
    """

    date_range: tuple[str, str]

    def clean(self):
        cleaned = super().clean()
        start_name, end_name = self.date_range
        start, end = cleaned.get(start_name), cleaned.get(end_name)
        if start and end and start > end:
            self.add_error(start_name, "From must be on or before To.")
            cleaned.pop(end_name, None)
        return cleaned


def from_to(field: str, *, of_moment: bool = False
            ) -> tuple[django_filters.DateFilter, django_filters.DateFilter]:
    """A list's From and To dates, both included, on a date field or (of_moment) on the date
    of a moment in the reader's time zone. The form refuses From after To
    (DateRangeFilterForm)."""
    prefix = "date__" if of_moment else ""
    return (
        django_filters.DateFilter(field_name=field, lookup_expr=f"{prefix}gte", label="From",
                                  widget=DATE_INPUT),
        django_filters.DateFilter(field_name=field, lookup_expr=f"{prefix}lte", label="To",
                                  widget=DATE_INPUT),
    )


class PeriodFilter(django_filters.ChoiceFilter):
    """"Last 30 days" and its kind, by common.dates.period_range, on a date field (compared
    as is) or a moment (compared by its date in the reader's time zone)."""

    def __init__(self, *args, lookup: str, **kwargs):
        kwargs.setdefault("choices", PERIOD_CHOICES)
        kwargs.setdefault("empty_label", "Any time")
        self.lookup = lookup
        super().__init__(*args, **kwargs)

    def filter(self, qs, value):
        if value in ([], (), {}, "", None):
            return qs
        start, end = period_range(value, today=today_in())
        return qs.filter(**{f"{self.lookup}__range": (start, end)})


class ArchivableListFilter(django_filters.FilterSet):
    """A list's filters: active rows unless `archived=true` asks for the archived ones, and
    the order applied after every filter, by `sort` (a subclass declares the `sort` choices
    with method="applied_last" and says what each means in `order`)."""

    archived = django_filters.ChoiceFilter(
        choices=[("true", "Archived only")], empty_label="Active only", label="Archived",
        method="applied_last",
    )

    # The parameter that names the order (the API calls it "ordering").
    order_param = "sort"

    def applied_last(self, queryset, name, value):
        return queryset  # see filter_queryset

    def order(self, queryset, sort: str):
        raise NotImplementedError

    def in_scope(self, queryset, archived: str):
        """Active rows; archived=true the archived ones; archived=all both (where a subclass
        offers that choice)."""
        if archived == "true":
            return queryset.archived()
        return queryset if archived == "all" else queryset.active()

    def filter_queryset(self, queryset):
        data = self.form.cleaned_data
        queryset = self.in_scope(queryset, data.get("archived") or "")
        return self.order(super().filter_queryset(queryset), data.get(self.order_param) or "")


class FilterChip(NamedTuple):
    """One filter in force, as a list shows it: "Cause: Insensitive timing ×"."""

    text: str
    remove_url: str


# Not filters but the order and position of the list: no chip.
NOT_FILTERS = ("sort", "page", "after", "before")


def _value_text(field: forms.Field, value) -> str:
    if isinstance(value, date):
        return date_format(value, "j M Y")
    if isinstance(field, forms.ModelChoiceField):
        return str(value)
    if isinstance(field, forms.ChoiceField):
        return str(dict(field.choices).get(value, value))
    return f"“{value}”"


def active_filter_chips(filterset: django_filters.FilterSet,
                        request: HttpRequest) -> list[FilterChip]:
    """Every filter that shapes the list, including ones the form does not show (a link may
    set any of them), each with the address of the same list without it."""
    form = filterset.form
    form.is_valid()
    chips = []
    for name, field in form.fields.items():
        value = form.cleaned_data.get(name)
        if name in NOT_FILTERS or value in (None, "", [], ()):
            continue
        label, text = str(field.label or name), _value_text(field, value)
        # "Archived only" says it all; "Archived: Archived only" would stutter.
        chip = text if text.lower().startswith(label.lower()) else f"{label}: {text}"
        params = request.GET.copy()
        # A different list: from its first page.
        for key in (name, "page", "after", "before"):
            params.pop(key, None)
        query = params.urlencode()
        chips.append(FilterChip(chip, f"{request.path}?{query}" if query else request.path))
    return chips
