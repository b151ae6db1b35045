"""Pieces every list's FilterSet shares: the date inputs, the From-before-To rule, the named
periods, and the chips that show each filter in force with a link that removes it."""

import copy
from datetime import date
from typing import NamedTuple

import django_filters
from django import forms
from django.http import HttpRequest
from django.utils.formats import date_format
from django_filters.filters import QuerySetRequestMixin

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


def _own_filter(filter_: django_filters.Filter) -> django_filters.Filter:
    """A copy of a declared filter for one filterset: its own `extra` (building a field
    writes the queryset into it) and its own method binding, no field built yet; the rest
    (names, labels, choices) is read only and shared."""
    copied = copy.copy(filter_)
    copied.__dict__.pop("_field", None)
    copied.extra = dict(filter_.extra)
    if filter_.method is not None:
        copied.method = filter_.method  # binds a FilterMethod to the copy, not the original
    return copied


class _OwnFilters(dict):
    """The declared filters, copied per filterset by _own_filter instead of django-filter's
    deepcopy of every filter, its choices and querysets (3 ms of a 13 ms API request)."""

    def __deepcopy__(self, memo):
        return {name: _own_filter(filter_) for name, filter_ in self.items()}


def _own_field(field: forms.Field) -> forms.Field:
    """Field.__deepcopy__ without copying the choices: what a form instance may change (its
    widget and attrs, error messages, validators, a model field's queryset) is its own, and
    the choices, which nothing changes in place, are shared."""
    copied = copy.copy(field)
    copied.widget = copy.deepcopy(field.widget)
    copied.error_messages = field.error_messages.copy()
    copied.validators = field.validators[:]
    if isinstance(field, forms.ModelChoiceField) and field.queryset is not None:
        copied.queryset = field.queryset.all()  # a fresh queryset and choice iterator
    return copied


class _OwnFields(dict):
    """A filter form class's fields, copied for each form by _own_field."""

    def __deepcopy__(self, memo):
        return {name: _own_field(field) for name, field in self.items()}


class ArchivableListFilter(django_filters.FilterSet):
    """A list's filters: active rows unless `archived=true` asks for the archived ones, and
    the order applied after every filter, by `sort` (a subclass declares the `sort` choices
    with method="applied_last" and says what each means in `order`).

    Built for every list request, so built cheaply: django-filter deep-copies every
    declared filter and makes a new form class (every field, its label and choices) for
    each filterset. Here the filters are copied by _own_filter and the form class is made
    once per filterset class, from the declared filters as they are before any request.

    A subclass may give a filter a queryset of its own for the reader, in __init__ after
    super(), as `self.filters[name].queryset = …` (a tenancy-bound choice such as the
    reader's organisations): the form then takes that queryset for its field. Declared
    querysets of such filters are empty (`.none()`), so the shared form class lists nobody.
    """

    archived = django_filters.ChoiceFilter(
        choices=[("true", "Archived only")], empty_label="Active only", label="Archived",
        method="applied_last",
    )

    # The parameter that names the order (the API calls it "ordering").
    order_param = "sort"

    def __init__(self, *args, **kwargs):
        cls = type(self)
        if not isinstance(cls.__dict__.get("base_filters"), _OwnFilters):
            cls.base_filters = _OwnFilters(cls.base_filters)
        super().__init__(*args, **kwargs)

    def get_form_class(self):
        cls = type(self)
        form_class = cls.__dict__.get("_form_class")
        if form_class is None:
            # From unchanged copies of the declared filters, not this filterset's (which a
            # subclass may have given the reader's querysets).
            declared = copy.deepcopy(cls.base_filters)
            for filter_ in declared.values():
                filter_.model, filter_.parent = self.queryset.model, None
            fields = {name: filter_.field for name, filter_ in declared.items()}
            form_class = type(f"{cls.__name__}Form", (self._meta.form,), fields)
            form_class.base_fields = _OwnFields(form_class.base_fields)
            cls._form_class = form_class
        return form_class

    @property
    def form(self):
        if not hasattr(self, "_form"):
            form = super().form
            for name, filter_ in self.filters.items():
                declared = type(self).base_filters[name]
                if (isinstance(filter_, QuerySetRequestMixin)
                        and filter_.queryset is not declared.queryset):
                    form.fields[name].queryset = filter_.get_queryset(self.request)
        return self._form

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
