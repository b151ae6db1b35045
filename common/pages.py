"""What every page's view does the same way: put a service's errors beside the fields, show
a filtered and paginated list (whole, or its results alone for htmx), and answer a change made
in place by re-rendering its section and telling the History section to refresh."""

from collections.abc import Callable, Iterable

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Page, Paginator
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from .filters import NOT_FILTERS, active_filter_chips

PAGE_SIZE = 25
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


def list_page(request: HttpRequest, filterset, *, template: str, results_template: str,
              results_id: str, more_filters: Iterable[str] = (), rows=None,
              extra: dict | None = None) -> HttpResponse:
    """A filtered list: the whole page, or only its results when htmx asks for `results_id`
    (the filter form updates the list as one types). `rows(page)` may add to the page's rows
    what the list shows of each, in a fixed number of queries."""
    page = paginate(request, filterset.qs)
    if rows is not None:
        rows(page.object_list)
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
