"""What every page's view does the same way: put a service's errors beside the fields, show
a filtered and paginated list (whole, or its results alone for htmx), and answer a change made
in place by re-rendering its section and telling the History section to refresh."""

import base64
import binascii
import datetime
import json
from collections.abc import Callable, Iterable

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Page, Paginator
from django.db.models import Q
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from .filters import NOT_FILTERS, active_filter_chips

PAGE_SIZE = settings.PAGE_SIZE
# The event a change made in place sends so that the History section refreshes itself.
HISTORY_CHANGED = "history-changed"


def apply_errors(form: Form, error: ValidationError) -> None:
    """Put a service's ValidationError beside the fields it names (or above the form)."""
    if hasattr(error, "error_dict"):
        for name, errors in error.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, error)


def form_page(request: HttpRequest, form: Form, *, save: Callable[[], object], saved: str,
              then, template: str, context: dict) -> HttpResponse:
    """A page whose form a service saves: on a valid POST, `save()`; its ValidationError goes
    beside the fields and the page shows again with what was typed; success says `saved` and
    goes to `then` (an object or a URL)."""
    if request.method == "POST" and form.is_valid():
        try:
            save()
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, saved)
            return redirect(then)
    return render(request, template, {"form": form, **context})


def is_filtered(request: HttpRequest) -> bool:
    """Whether the list is narrowed by anything (so its empty state says "nothing matches")."""
    return any(value for key, value in request.GET.items() if key not in NOT_FILTERS)


def paginate(request: HttpRequest, items, per_page: int = PAGE_SIZE) -> Page:
    """The page asked for (?page=), the last one when past the end, the first when garbled."""
    return Paginator(items, per_page).get_page(request.GET.get("page"))


# Past this many, a list says "1,000+": an exact count of a large set costs as much as
# reading all of it.
COUNT_CAP = 1_000


class KeysetPage:
    """One page of a list read by keyset (after or before the row a cursor names), with
    links to the newer and older pages that keep every other parameter: its cost does not
    grow with how deep one reads, as an OFFSET's does."""

    def __init__(self, object_list: list, *, count: int, newer_url: str, older_url: str,
                 labels: tuple[str, str] = ("← Newer", "Older →")):
        self.object_list = object_list
        self.count = count
        self.newer_url, self.older_url = newer_url, older_url
        # What the links say: newer/older for lists by date, previous/next for others.
        self.newer_label, self.older_label = labels

    @property
    def capped(self) -> bool:
        return self.count > COUNT_CAP

    @property
    def count_text(self) -> str:
        return f"{COUNT_CAP:,}+" if self.capped else f"{self.count:,}"

    def has_other_pages(self) -> bool:
        return bool(self.newer_url or self.older_url)

    def __iter__(self):
        return iter(self.object_list)

    def __len__(self) -> int:
        return len(self.object_list)


def _order_keys(queryset) -> list[tuple[str, bool]]:
    """(name, descending) of each term the queryset is ordered by, the primary key last so
    that rows sharing every other value still come in one order."""
    keys = []
    for term in queryset.query.order_by:
        if not isinstance(term, str):
            raise TypeError(f"Keyset pages need orderings by name, not {term!r}.")
        keys.append((term.lstrip("-"), term.startswith("-")))
    if not any(name in ("pk", "id") for name, _ in keys):
        keys.append(("pk", keys[-1][1] if keys else True))
    return keys


def stable_order(queryset):
    """`queryset` in its own order with the primary key as the last tie-breaker: the order
    keyset pages read it in (an export of the whole list reads it in the same order)."""
    return queryset.order_by(*[("-" if desc else "") + name
                               for name, desc in _order_keys(queryset)])


def _value(row, name: str):
    """A row's value of an order key: an object's attribute, or an entry of a values() row
    (which names the primary key `id`)."""
    if isinstance(row, dict):
        return row["id"] if name == "pk" else row[name]
    return getattr(row, name)


def _encode(row, keys) -> str:
    def one(value):
        if isinstance(value, datetime.datetime):
            return ["t", value.isoformat()]
        if isinstance(value, datetime.date):
            return ["d", value.isoformat()]
        return ["v", value]
    raw = json.dumps([one(_value(row, name)) for name, _ in keys], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def keyset_cursor(queryset, row) -> str:
    """The ?after= value that reads `queryset` on from `row` (for links made elsewhere, e.g.
    a benchmark's deepest page)."""
    return _encode(row, _order_keys(queryset))


class BadCursor(ValueError):
    """A cursor that is not one of ours, where a list must say so (the API) instead of
    reading the first page (the pages)."""

    def __init__(self, parameter: str):
        super().__init__(f"{parameter}: not a cursor of this list.")
        self.parameter = parameter


def _decode(cursor: str | None, keys) -> list | None:
    """The values a cursor names, or None when it is missing or not one of ours (a garbled
    or hand-made cursor reads the first page; it never errs)."""
    if not cursor or len(cursor) > 2_000:
        return None
    try:
        raw = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        values = []
        for kind, value in raw:
            if kind == "t":
                value = datetime.datetime.fromisoformat(value)
            elif kind == "d":
                value = datetime.date.fromisoformat(value)
            elif kind != "v" or not isinstance(value, int | float | str | bool):
                return None
            values.append(value)
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        return None
    return values if len(values) == len(keys) else None


def _fits(queryset, keys, values) -> bool:
    """Whether each value of a decoded cursor is one its column can hold: a hand-made
    cursor ("abc" for a number) must not reach the database."""
    model = queryset.model
    for (name, _), value in zip(keys, values, strict=True):
        if name == "pk":
            field = model._meta.pk
        elif name in queryset.query.annotations:
            field = queryset.query.annotations[name].output_field
        else:
            field = model._meta.get_field(name)
        try:
            field.get_prep_value(field.to_python(value))
        except (ValidationError, ValueError, TypeError, OverflowError):
            return False
    return True


def _beyond(keys, values, *, forward: bool) -> Q:
    """Rows after (forward) or before the row with these values, in the keys' order:
    (k1 past v1) or (k1 = v1 and k2 past v2) or …, and k1 at or past v1.

    The last term follows from the others; it is said because PostgreSQL can start an index
    scan from it, whereas it reads the ORs as a filter: without it, a page 500,000 rows deep
    walks the index from the first row (seconds at a million incidents, not milliseconds)."""
    condition, equal = Q(pk__in=[]), Q()
    for (name, descending), value in zip(keys, values, strict=True):
        past = "lt" if descending == forward else "gt"
        condition |= equal & Q(**{f"{name}__{past}": value})
        equal &= Q(**{name: value})
    (first, descending), start = keys[0], values[0]
    return condition & Q(**{f"{first}__{'lte' if descending == forward else 'gte'}": start})


def keyset_page(request: HttpRequest, queryset, per_page: int = PAGE_SIZE, *,
                count: bool = True, labels: tuple[str, str] | None = None,
                strict: bool = False, count_of=None) -> KeysetPage:
    """The page of `queryset` (ordered by names) that ?after= or ?before= asks for, the
    first when neither does; with a count capped at COUNT_CAP (none with count=False, for
    a page that shows none) of `queryset`'s rows; or of `count_of`'s, in its own order (so
    the database may count the rows the page reads anyway), when a list reads only part of
    what it counts (a search ranks only the newest of its matches) or counts faster so; or
    `count_of` itself when it is a number, counted already.
    A garbled cursor reads the first page, or with strict=True raises BadCursor naming its
    parameter."""
    keys = _order_keys(queryset)
    ordered = stable_order(queryset)

    def cursor(name: str) -> list | None:
        raw = request.GET.get(name)
        values = _decode(raw, keys)
        if values is not None and not _fits(queryset, keys, values):
            values = None
        if strict and raw is not None and values is None:
            raise BadCursor(name)
        return values

    after, before = cursor("after"), cursor("before")
    if after is not None:
        before = None
    if before is not None:
        reverse = ordered.reverse().filter(_beyond(keys, before, forward=False))
        rows = list(reverse[:per_page + 1])
        more_newer, more_older = len(rows) > per_page, True
        rows = rows[:per_page][::-1]
    else:
        if after is not None:
            ordered = ordered.filter(_beyond(keys, after, forward=True))
        rows = list(ordered[:per_page + 1])
        more_newer, more_older = after is not None, len(rows) > per_page
        rows = rows[:per_page]

    def link(name: str, row) -> str:
        params = request.GET.copy()
        for key in ("after", "before", "page"):
            params.pop(key, None)
        params[name] = _encode(row, keys)
        return f"{request.path}?{params.urlencode()}"

    if not count:
        total = 0
    elif isinstance(count_of, int):
        total = min(count_of, COUNT_CAP + 1)
    else:
        total = (count_of if count_of is not None else queryset.order_by())[:COUNT_CAP + 1].count()
    return KeysetPage(
        rows, count=total,
        newer_url=link("before", rows[0]) if rows and more_newer else "",
        older_url=link("after", rows[-1]) if rows and more_older else "",
        **({"labels": labels} if labels else {}),
    )


def list_page(request: HttpRequest, filterset, *, template: str, results_template: str,
              results_id: str, more_filters: Iterable[str] = (), rows=None, read=None,
              extra: dict | None = None, keyset: bool = False, count_of=None) -> HttpResponse:
    """A filtered list: the whole page, or only its results when htmx asks for `results_id`
    (the filter form updates the list as one types). `read(queryset)` may say how the list
    reads the filterset's queryset (e.g. values() of what a row shows); `rows(page)` may add
    to the page's rows what the list shows of each, in a fixed number of queries, or return
    the rows to show instead. With keyset=True the list is read by keyset pages (keyset_page,
    counting `count_of` if given): for lists that grow with the installation."""
    queryset = filterset.qs if read is None else read(filterset.qs)
    page = (keyset_page(request, queryset, count_of=count_of) if keyset
            else paginate(request, queryset))
    if rows is not None:
        shown = rows(page.object_list)
        if shown is not None:
            page.object_list = shown
    context = {
        "filter": filterset, "page": page, "filtered": is_filtered(request),
        "chips": active_filter_chips(filterset, request),
        # The folded "More filters" opens when one of them is set.
        "more_filters_set": any(request.GET.get(name) for name in more_filters),
        **(extra or {}),
    }
    if request.htmx and request.htmx.target == results_id:
        return render(request, results_template, {**context, "oob_errors": True})
    return render(request, template, context)


def section_response(request: HttpRequest, template: str, context: dict, *, back_to,
                     forms: Iterable[Form] = (), status: int = 200) -> HttpResponse:
    """Answer a change made in one section of a page.

    For htmx: the section again; when no form came back with errors the change was made, so
    the History section is told to fetch it (HX-Trigger). Form errors come back with status
    200 so that htmx swaps them in beside the fields. A plain POST goes back to the page
    (`back_to`), with any error as a message.
    """
    forms = list(forms)
    if request.htmx:
        response = render(request, template, context, status=status)
        if not forms and status < 400:
            response["HX-Trigger"] = HISTORY_CHANGED
        return response
    for form in forms:
        for errors in form.errors.values():
            messages.error(request, " ".join(errors))
    return redirect(back_to)
