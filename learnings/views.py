"""Learning pages and the action items on them. Views parse input, call a selector or
service, and render."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.current import current_membership, memberships_of
from accounts.tenancy import can_write, require_writer
from common.pages import (
    HISTORY_CHANGED,
    apply_errors,
    form_page,
    list_page,
    paginate,
    section_response,
)
from incidents import selectors as incident_selectors

from . import selectors, services
from .forms import (
    ActionItemCreateForm,
    ActionItemForm,
    LearningCreateForm,
    LearningForm,
    LinkForm,
    StatusForm,
)
from .history import learning_history
from .models import ActionItem, Learning, LearningStatus

MORE_FILTERS = ("drawn_from", "team", "period", "created_after", "created_before", "archived")


@login_required
@require_GET
def learning_list(request: HttpRequest) -> HttpResponse:
    # The reader's teams as the page's header reads them (memberships_of: once a request).
    team_ids = [membership.team_id for membership in memberships_of(request)]
    filterset = selectors.learning_filterset(user=request.user, filters=request.GET,
                                             team_ids=team_ids)
    return list_page(request, filterset, template="learnings/learning_list.html",
                     results_template="learnings/partials/learning_results.html",
                     results_id="learning-results", more_filters=MORE_FILTERS,
                     rows=selectors.learning_rows,
                     extra={"several_teams": filterset.filters["team"].queryset.count() > 1})


@login_required
@require_http_methods(["GET", "POST"])
def learning_create(request: HttpRequest) -> HttpResponse:
    """A new learning, drawn from the incidents named in the address (?incident=…) or form."""
    wanted = request.POST.getlist("incidents") if request.method == "POST" \
        else request.GET.getlist("incident")
    try:
        incidents = list(incident_selectors.incident_list(user=request.user, include_archived=True)
                         .filter(public_id__in=wanted))
    except ValidationError as error:
        raise Http404("No such incident.") from error
    if len(incidents) != len(set(wanted)):
        raise Http404("No such incident.")
    teams = selectors.learning_draft_teams(user=request.user, incidents=incidents)
    if not teams.exists():
        raise PermissionDenied("Only members and managers of a team that can read these "
                               "incidents can draw a learning from them.")
    membership = current_membership(request)
    default_team = next((t.pk for t in teams if membership and t.pk == membership.team_id),
                        None) or teams.first().pk
    initial = {"team": default_team, "owner": request.user.pk,
               "incidents": [str(i.public_id) for i in incidents]}
    if incidents:
        initial.update(selectors.learning_prefill(incident=incidents[0]))
    form = LearningCreateForm(request.POST or None, teams=teams, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            learning, created = services.learning_create_from_incidents(
                user=request.user, team=data["team"], incident_ids=data["incidents"],
                title=data["title"], lesson=data["lesson"], practice=data["practice"],
                owner=data["owner"], review_on=data["review_on"],
                idempotency_key=data["idempotency_key"],
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            if created:
                messages.success(request, "Learning drafted. Add the actions it needs, then "
                                          "propose or adopt it.")
            else:
                messages.info(request, "This form was already sent: here is its learning.")
            return redirect(learning)
    return render(request, "learnings/learning_create.html", {
        "form": form, "incidents": incidents, "single_team": teams.count() == 1,
    })


def _detail_context(request: HttpRequest, learning: Learning, **extra) -> dict:
    incidents, hidden = selectors.visible_incidents(learning)
    today = learning.team.today()
    items = learning.items
    open_count, overdue_count = selectors.action_item_counts(items, today)
    context = {
        "learning": learning,
        "can_write": can_write(request.user, learning.team),
        "causes": selectors.learning_causes(learning),
        "incidents": incidents,
        "hidden_incident_count": hidden,
        "items": items,
        "today": today,
        "open_count": open_count,
        "overdue_count": overdue_count,
        "item_form": ActionItemCreateForm(prefix="item", team=learning.team),
        "status_form": StatusForm(),
        "link_form": LinkForm(),
    }
    context.update(extra)
    return context


def _history_context(learning: Learning) -> dict:
    return {
        "history": learning_history(learning),
        # The section re-fetches itself when a change made in place says so (HX-Trigger).
        "history_url": reverse("learnings:learning-history",
                               kwargs={"public_id": learning.public_id}),
    }


@login_required
@require_GET
def learning_history_section(request: HttpRequest, public_id) -> HttpResponse:
    """The History section alone, for the page to refresh after a change made in place."""
    learning = selectors.learning_get(user=request.user, public_id=public_id)
    return render(request, "includes/history.html", _history_context(learning))


@login_required
@require_GET
def learning_detail(request: HttpRequest, public_id) -> HttpResponse:
    learning = selectors.learning_get(user=request.user, public_id=public_id)
    context = _detail_context(request, learning, **_history_context(learning))
    return render(request, "learnings/learning_detail.html", context)


def _writable_learning(request: HttpRequest, public_id) -> Learning:
    learning = selectors.learning_get(user=request.user, public_id=public_id)
    require_writer(request.user, learning.team)
    return learning


@login_required
@require_http_methods(["GET", "POST"])
def learning_edit(request: HttpRequest, public_id) -> HttpResponse:
    learning = _writable_learning(request, public_id)
    form = LearningForm(request.POST or None, instance=learning)
    return form_page(
        request, form, saved="Learning saved.", then=learning,
        save=lambda: services.learning_update(user=request.user, learning=learning,
                                              data=form.service_data()),
        template="learnings/learning_edit.html", context={"learning": learning})


STATUS_MESSAGES = {
    LearningStatus.DRAFT: "Back to draft.",
    LearningStatus.PROPOSED: "Proposed to the team.",
    LearningStatus.ADOPTED: "Adopted: the team now works this way.",
    LearningStatus.RETIRED: "Retired. Reopen it if it becomes relevant again.",
}


@login_required
@require_POST
def learning_status(request: HttpRequest, public_id) -> HttpResponse:
    learning = _writable_learning(request, public_id)
    form = StatusForm(request.POST)
    if form.is_valid():
        try:
            services.learning_change_status(user=request.user, learning=learning,
                                            status=form.cleaned_data["status"],
                                            reason=form.cleaned_data["reason"])
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, STATUS_MESSAGES[form.cleaned_data["status"]])
            return redirect(learning)
    learning = selectors.learning_get(user=request.user, public_id=public_id)
    context = _detail_context(request, learning, **_history_context(learning),
                              status_form=form)
    return render(request, "learnings/learning_detail.html", context, status=400)


@login_required
@require_POST
def learning_archive(request: HttpRequest, public_id) -> HttpResponse:
    learning = _writable_learning(request, public_id)
    services.learning_archive(user=request.user, learning=learning)
    messages.success(request, "Learning archived. It is out of lists and counts; restore it "
                              "here at any time.")
    return redirect(learning)


@login_required
@require_POST
def learning_restore(request: HttpRequest, public_id) -> HttpResponse:
    learning = _writable_learning(request, public_id)
    services.learning_restore(user=request.user, learning=learning)
    messages.success(request, "Learning restored.")
    return redirect(learning)


def _section(request: HttpRequest, public_id, template: str, **extra) -> HttpResponse:
    """One section of the learning page again, after a change made in it (see
    common.pages.section_response); `extra` holds a form sent back with its errors."""
    learning = selectors.learning_get(user=request.user, public_id=public_id)
    return section_response(request, template, _detail_context(request, learning, **extra),
                            back_to=learning, forms=extra.values())


@login_required
@require_GET
def incident_search(request: HttpRequest, public_id) -> HttpResponse:
    """Search-as-you-type for incidents to link: the team's own and the library's."""
    learning = _writable_learning(request, public_id)
    text = request.GET.get("q", "")
    results = selectors.linkable_incident_search(learning=learning, text=text)
    template = "learnings/partials/link_results.html" if request.htmx \
        else "learnings/link_search.html"
    return render(request, template, {"learning": learning, "results": results, "q": text})


@login_required
@require_POST
def incident_link(request: HttpRequest, public_id) -> HttpResponse:
    learning = _writable_learning(request, public_id)
    form = LinkForm(request.POST)
    if form.is_valid():
        try:
            services.learning_incident_link(user=request.user, learning=learning,
                                            incident_id=form.cleaned_data["incident"])
        except ValidationError as error:
            apply_errors(form, error)
        else:
            return _section(request, public_id, "learnings/partials/incidents.html")
    # Refused, never silently: 400, with the reason beside the search box.
    learning = selectors.learning_get(user=request.user, public_id=public_id)
    if request.htmx:
        return render(request, "learnings/partials/incidents.html",
                      _detail_context(request, learning, link_form=form), status=400)
    return render(request, "learnings/learning_detail.html",
                  _detail_context(request, learning, link_form=form,
                                  **_history_context(learning)), status=400)


@login_required
@require_POST
def incident_unlink(request: HttpRequest, public_id, incident_id) -> HttpResponse:
    learning = _writable_learning(request, public_id)
    incident = learning.incidents.filter(public_id=incident_id).first()
    if incident is None:
        return HttpResponse("That incident is not linked to this learning.", status=404)
    services.learning_incident_unlink(user=request.user, learning=learning, incident=incident)
    return _section(request, public_id, "learnings/partials/incidents.html")


@login_required
@require_POST
def action_item_create(request: HttpRequest, public_id) -> HttpResponse:
    learning = _writable_learning(request, public_id)
    form = ActionItemCreateForm(request.POST, prefix="item", team=learning.team)
    if form.is_valid():
        try:
            services.action_item_create(user=request.user, learning=learning, **form.cleaned_data)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            return _section(request, public_id, "learnings/partials/action_items.html")
    return _section(request, public_id, "learnings/partials/action_items.html", item_form=form)


def _writable_item(request: HttpRequest, item_id) -> ActionItem:
    item = selectors.action_item_get(user=request.user, public_id=item_id)
    require_writer(request.user, item.learning.team)
    return item


def _item_changed(request: HttpRequest, item: ActionItem,
                  error: ValidationError | None = None) -> HttpResponse:
    """Answer a change to one action item: its row again (htmx), or back where it came from.
    A refused change (its learning closed its actions) answers 400 with the reason."""
    item = ActionItem.objects.select_related("learning__team", "owner", "done_by").get(
        pk=item.pk)
    message = " ".join(error.messages) if error else ""
    if request.htmx:
        response = render(request, "learnings/partials/action_item_row.html", {
            "item": item, "can_write": True, "today": item.learning.team.today(),
            "show_learning": request.POST.get("from") == "mine", "error": message,
        }, status=400 if error else 200)
        if not error:
            response["HX-Trigger"] = HISTORY_CHANGED
        return response
    if message:
        messages.error(request, message)
    if request.POST.get("from") == "mine":
        return redirect("learnings:action-item-mine")
    return redirect(item.learning)


@login_required
@require_POST
def action_item_complete(request: HttpRequest, item_id) -> HttpResponse:
    item = _writable_item(request, item_id)
    try:
        services.action_item_complete(user=request.user, item=item)
    except ValidationError as error:
        return _item_changed(request, item, error)
    return _item_changed(request, item)


@login_required
@require_POST
def action_item_reopen(request: HttpRequest, item_id) -> HttpResponse:
    item = _writable_item(request, item_id)
    try:
        services.action_item_reopen(user=request.user, item=item)
    except ValidationError as error:
        return _item_changed(request, item, error)
    return _item_changed(request, item)


@login_required
@require_POST
def action_item_archive(request: HttpRequest, item_id) -> HttpResponse:
    item = _writable_item(request, item_id)
    services.action_item_archive(user=request.user, item=item)
    messages.success(request, f"Action “{item.title}” removed. Its history stays on the "
                              "learning.")
    return redirect(item.learning)


@login_required
@require_POST
def action_item_restore(request: HttpRequest, item_id) -> HttpResponse:
    item = _writable_item(request, item_id)
    services.action_item_restore(user=request.user, item=item)
    messages.success(request, f"Action “{item.title}” restored.")
    return redirect(item.learning)


@login_required
@require_http_methods(["GET", "POST"])
def action_item_edit(request: HttpRequest, item_id) -> HttpResponse:
    item = _writable_item(request, item_id)
    form = ActionItemForm(request.POST or None, team=item.learning.team,
                          current_owner=item.owner, initial={
        "title": item.title, "owner": item.owner_id, "due_on": item.due_on, "kind": item.kind,
    })
    return form_page(
        request, form, saved="Action saved.", then=item.learning,
        save=lambda: services.action_item_update(user=request.user, item=item,
                                                 data=form.cleaned_data),
        template="learnings/action_item_edit.html", context={"item": item})


@login_required
@require_GET
def my_action_items(request: HttpRequest) -> HttpResponse:
    """The signed-in user's open action items across their teams, overdue first; or the
    finished ones (?show=done), the latest first."""
    show_done = request.GET.get("show") == "done"
    items = selectors.action_item_list(
        user=request.user, owner=request.user, done=show_done,
        team_ids=[membership.team_id for membership in memberships_of(request)])
    page = paginate(request, items, per_page=50)
    selectors.action_item_rows(page.object_list, user=request.user)
    return render(request, "learnings/my_action_items.html", {
        "page": page, "show_done": show_done,
    })
