"""Incident pages. Views parse input, call a selector or service, and render."""

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.current import current_membership, memberships_of
from accounts.tenancy import can_write, require_writer, writable_teams
from common.pages import (
    apply_errors,
    form_page,
    keyset_page,
    list_page,
    section_response,
)

from . import list_rows, selectors, services
from .forms import IncidentEditForm, IncidentLogForm, SourceForm, TimelineEventForm
from .history import incident_history
from .models import Incident, TimelineEvent, platform_from_url

# Filters folded under "More filters" on the list pages (open when one of them is set).
MORE_FILTERS = ("visibility", "severity", "status", "organization", "period", "occurred_after",
                "occurred_before", "archived")


def _list_page(request: HttpRequest, *, library: bool, template: str,
               extra: dict) -> HttpResponse:
    # The filterset the selectors filter with: its form and chips show what the list applies.
    filterset = selectors.incident_filterset(user=request.user, filters=request.GET,
                                             library=library)
    # Rows read as values of what each shows, and written out in Python (list_rows).
    own_team_ids = {membership.team_id for membership in memberships_of(request)}
    return list_page(request, filterset, template=template,
                     results_template="incidents/partials/incident_results.html",
                     results_id="incident-results", more_filters=MORE_FILTERS, extra=extra,
                     keyset=True, count_of=filterset.matches, read=list_rows.row_values,
                     rows=lambda values: list_rows.list_rows(
                         values, library=library, own_team_ids=own_team_ids))


@login_required
@require_GET
def incident_list(request: HttpRequest) -> HttpResponse:
    return _list_page(request, library=False, template="incidents/incident_list.html",
                      extra={"scope": "incidents"})


@login_required
@require_GET
def library(request: HttpRequest) -> HttpResponse:
    return _list_page(request, library=True, template="incidents/library.html",
                      extra={"scope": "library"})


@login_required
@require_http_methods(["GET", "POST"])
def incident_log(request: HttpRequest) -> HttpResponse:
    teams = writable_teams(request.user)
    membership = current_membership(request)
    team_count = teams.count()
    if team_count == 0:
        raise PermissionDenied("Viewers can read incidents but not log them.")
    default_team = membership.team_id if membership and membership.can_write else None
    form = IncidentLogForm(request.POST or None, teams=teams, initial={"team": default_team})
    duplicates: list[Incident] = []
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if not data["log_anyway"]:
            # Back, then Save again, or a colleague was quicker: show the incident already
            # logged instead of logging it twice, and keep the form as typed.
            duplicates = selectors.incident_log_repeats(
                user=request.user, team=data["team"], title=data["title"],
                organization_name=data["organization"], occurred_on=data["occurred_on"],
                url=data["link"] or "", idempotency_key=data["idempotency_key"])
    if request.method == "POST" and form.is_valid() and not duplicates:
        data = form.cleaned_data
        try:
            incident, created = services.incident_create(
                user=request.user,
                team=data["team"],
                title=data["title"],
                organization_name=data["organization"],
                platform=data["platform"],
                occurred_on=data["occurred_on"],
                primary_cause=data["primary_cause"],
                summary=data["summary"],
                origin=data["origin"],
                visibility=data["visibility"],
                severity=data["severity"],
                source_url=data["link"],
                idempotency_key=data["idempotency_key"],
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            if created:
                messages.success(request, "Incident logged. Add the details whenever you can.")
            else:
                messages.info(request, "This form was already sent: here is its incident.")
            return redirect(incident)
    return render(request, "incidents/incident_log.html", {
        "form": form,
        "duplicates": duplicates,
        "single_team": team_count == 1,
    })


@login_required
@require_GET
def incident_similar(request: HttpRequest) -> HttpResponse:
    """The "looks like…" panel of the log form, and the platform guessed from the link."""
    form = IncidentLogForm(request.GET)
    form.is_valid()  # partial input: use whatever parses
    data = form.cleaned_data
    typed = {name: data.get(name) or "" for name in ("title", "organization", "link")}
    matches = selectors.incident_possible_duplicates(
        user=request.user,
        title=typed["title"],
        organization_name=typed["organization"],
        occurred_on=data.get("occurred_on"),
        url=typed["link"],
    )
    response = render(request, "incidents/partials/similar.html", {
        "matches": matches, "typed": any(typed.values())})
    guessed = platform_from_url(data.get("link") or "")
    if guessed:
        response["HX-Trigger"] = json.dumps({"platform-guessed": {"value": guessed}})
    return response


@login_required
@require_GET
def organization_suggest(request: HttpRequest) -> HttpResponse:
    """The options of an organisation picker for what has been typed (?q=, or the field's own
    name when the picker sends itself): by name for the log and edit forms (?value=name), by
    slug for the list's filter. A picker of every organisation would grow with the data."""
    text = next((request.GET[key] for key in ("q", "organization", "organization_name")
                 if request.GET.get(key)), "")
    return render(request, "incidents/partials/organization_options.html", {
        "organizations": selectors.organization_suggestions(user=request.user, text=text),
        "by_name": request.GET.get("value") == "name",
    })


def _detail_context(request: HttpRequest, incident: Incident) -> dict:
    return {
        "incident": incident,
        "can_write": can_write(request.user, incident.team),
        "source_form": SourceForm(prefix="source"),
        "timeline_form": TimelineEventForm(prefix="timeline"),
    }


def _history_context(request: HttpRequest, incident: Incident) -> dict:
    return {
        "history": incident_history(incident, reader=request.user),
        # The section re-fetches itself when a change made in place says so (HX-Trigger).
        "history_url": reverse("incidents:incident-history",
                               kwargs={"public_id": incident.public_id}),
    }


@login_required
@require_GET
def incident_detail(request: HttpRequest, public_id) -> HttpResponse:
    incident = selectors.incident_get(user=request.user, public_id=public_id)
    return render(request, "incidents/incident_detail.html", {
        **_detail_context(request, incident), **_history_context(request, incident)})


@login_required
@require_GET
def incident_history_section(request: HttpRequest, public_id) -> HttpResponse:
    """The History section alone, for the page to refresh after a change made in place."""
    incident = selectors.incident_get(user=request.user, public_id=public_id)
    return render(request, "includes/history.html", _history_context(request, incident))


def _writable_incident(request: HttpRequest, public_id) -> Incident:
    incident = selectors.incident_get(user=request.user, public_id=public_id)
    require_writer(request.user, incident.team)
    return incident


@login_required
@require_http_methods(["GET", "POST"])
def incident_edit(request: HttpRequest, public_id) -> HttpResponse:
    incident = _writable_incident(request, public_id)
    form = IncidentEditForm(request.POST or None, instance=incident)
    return form_page(
        request, form, saved="Incident saved.", then=incident,
        save=lambda: services.incident_update(user=request.user, incident=incident,
                                              data=form.service_data()),
        template="incidents/incident_edit.html",
        context={"incident": incident})


@login_required
@require_POST
def incident_archive(request: HttpRequest, public_id) -> HttpResponse:
    incident = _writable_incident(request, public_id)
    services.incident_archive(user=request.user, incident=incident)
    messages.success(request, "Incident archived. It is out of lists and search; restore it "
                              "here at any time.")
    return redirect(incident)


@login_required
@require_POST
def incident_restore(request: HttpRequest, public_id) -> HttpResponse:
    incident = _writable_incident(request, public_id)
    services.incident_restore(user=request.user, incident=incident)
    messages.success(request, "Incident restored.")
    return redirect(incident)


def _section(request, incident_public_id, template, **extra) -> HttpResponse:
    """One section of the incident page again, after a change made in it (see
    common.pages.section_response); `extra` holds a form sent back with its errors."""
    incident = selectors.incident_get(user=request.user, public_id=incident_public_id)
    return section_response(request, template, {**_detail_context(request, incident), **extra},
                            back_to=incident, forms=extra.values())


@login_required
@require_POST
def source_add(request: HttpRequest, public_id) -> HttpResponse:
    incident = _writable_incident(request, public_id)
    form = SourceForm(request.POST, prefix="source")
    if form.is_valid():
        try:
            services.source_add(user=request.user, incident=incident, **form.cleaned_data)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            return _section(request, public_id, "incidents/partials/sources.html")
    return _section(request, public_id, "incidents/partials/sources.html", source_form=form)


@login_required
@require_POST
def source_remove(request: HttpRequest, public_id, source_id) -> HttpResponse:
    incident = _writable_incident(request, public_id)
    source = incident.sources.filter(public_id=source_id).first()
    if source is None:
        return HttpResponse("That link is not a source of this incident.", status=404)
    services.source_remove(user=request.user, incident=incident, source=source)
    return _section(request, public_id, "incidents/partials/sources.html")


@login_required
@require_POST
def timeline_add(request: HttpRequest, public_id) -> HttpResponse:
    incident = _writable_incident(request, public_id)
    form = TimelineEventForm(request.POST, prefix="timeline")
    if form.is_valid():
        try:
            services.timeline_event_add(user=request.user, incident=incident, **form.cleaned_data)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            return _section(request, public_id, "incidents/partials/timeline.html")
    return _section(request, public_id, "incidents/partials/timeline.html", timeline_form=form)


@login_required
@require_POST
def timeline_remove(request: HttpRequest, public_id, event_id) -> HttpResponse:
    incident = _writable_incident(request, public_id)
    event = TimelineEvent.objects.filter(public_id=event_id, incident=incident).first()
    if event is None:
        return HttpResponse("That entry is not on this incident's timeline.", status=404)
    services.timeline_event_remove(user=request.user, event=event)
    return _section(request, public_id, "incidents/partials/timeline.html")


@login_required
@require_GET
def organization_list(request: HttpRequest) -> HttpResponse:
    text = request.GET.get("q", "")
    organizations = selectors.organization_list(user=request.user, text=text)
    page = keyset_page(request, organizations, per_page=50, count=False,
                       labels=("← Previous", "Next →"))
    return render(request, "incidents/organization_list.html", {"page": page, "q": text})


@login_required
@require_GET
def organization_detail(request: HttpRequest, slug: str) -> HttpResponse:
    organization = selectors.organization_get(user=request.user, slug=slug)
    incidents = selectors.incident_list(user=request.user).filter(
        organization=organization).order_by("-occurred_on", "-created_at")
    page = keyset_page(request, incidents)
    return render(request, "incidents/organization_detail.html",
                  {"organization": organization, "page": page})
