"""The team dashboard (also the signed-in home) and the library dashboard.

The numbers come from dashboards.metrics (the same selectors as the metrics API); a view only
reads the period from the query string, calls them and shapes what a chart and its table show:
the same numbers, each with the address of the incident list or library that lists them.
"""

import datetime as dt
import functools
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.cache import patch_vary_headers
from django.utils.text import capfirst
from django.views.decorators.http import require_GET

from accounts.current import current_membership, memberships_of
from accounts.models import Membership
from incidents.models import Incident, Origin
from learnings.models import LearningStatus

from . import metrics
from .periods import CUSTOM, Period, PeriodError, period_from

# The named periods the selector offers, as buttons.
PERIODS = (("30d", "30 days"), ("90d", "90 days"), ("12m", "12 months"))
ORIGINS = ((Origin.OWN.value, "Own"), (Origin.EXTERNAL.value, "External"))
# The response moves as the incident form names them ("Apologised", "Explained the fix").
MOVE_LABELS = {move: capfirst(Incident._meta.get_field(move).verbose_name)
               for move in metrics.RESPONSE_MOVES}


@functools.cache
def _route(route: str, prefix: str, urlconf: str | None) -> str:
    return reverse(route, urlconf=urlconf)


def _address(route: str, **params) -> str:
    """A list's address with these filters. The route is reversed once per script prefix and
    URLconf: a year's weeks ask for some two hundred addresses."""
    base = _route(route, get_script_prefix(), get_urlconf())
    query = urlencode({key: value for key, value in params.items() if value not in (None, "")})
    return f"{base}?{query}" if query else base


def _dates(start: dt.date, end: dt.date) -> dict[str, str]:
    return {"occurred_after": start.isoformat(), "occurred_before": end.isoformat()}


# ---------------------------------------------------------------------------------------------
# Team dashboard


def _origin_row(team, label: str, counts, **filters) -> dict:
    """A table row and chart bar of own and external counts: its list address, and each
    origin's."""
    return {
        "label": label, "own": counts.own, "external": counts.external, "total": counts.total,
        "url": _address("incidents:incident-list", team=team.slug, **filters),
        "urls": {origin: _address("incidents:incident-list", team=team.slug, origin=origin,
                                  **filters) for origin, _ in ORIGINS},
    }


def _origin_chart(rows: list[dict], **options) -> dict:
    """Own and external as two series over `rows`, each bar linking to its list."""
    return {
        "labels": [row["label"] for row in rows],
        "datasets": [{"key": origin, "label": label, "data": [row[origin] for row in rows],
                      "links": [row["urls"][origin] for row in rows]}
                     for origin, label in ORIGINS],
        **options,
        "rows": rows,
    }


def _weeks_chart(numbers: metrics.TeamMetrics) -> dict:
    """Incidents per week, stacked own and external; each week's links clipped to the
    period (its first and last weeks may start before or end after it)."""
    team, period = numbers.team, numbers.period
    return _origin_chart([
        _origin_row(team, f"{week.week:%-d %b %Y}", week,
                    **_dates(max(week.week, period.start), min(week.last_day, period.end)))
        for week in numbers.incidents_per_week
    ], stacked=True)


def _causes_chart(numbers: metrics.TeamMetrics) -> dict:
    """Primary causes of the period's incidents, own and external side by side."""
    team, period = numbers.team, numbers.period
    days = _dates(period.start, period.end)
    rows = [{**_origin_row(team, cause.name, cause, primary_cause=cause.slug, **days),
             "own_before": cause.own_before, "external_before": cause.external_before}
            for cause in numbers.causes]
    return _origin_chart(rows, horizontal=True)


def _learning_cards(numbers: metrics.TeamMetrics) -> list[dict]:
    slug = numbers.team.slug
    return [{"status": value, "label": label, "count": numbers.learnings[value],
             "url": _address("learnings:learning-list", team=slug, status=value)}
            for value, label in LearningStatus.choices]


def _bars_height(bars: int) -> float:
    """A horizontal bar chart's height in rem: room for each bar's label, and the axes."""
    return round(4 + 2.6 * max(bars, 1), 1)


def _duration(minutes: int | None) -> str:
    """Minutes said in hours and days once they pass an hour ("" below that)."""
    if minutes is None or minutes < 60:
        return ""
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    parts = [f"{days} d" if days else "", f"{hours} h" if hours else "",
             f"{mins} min" if mins and not days else ""]
    return " ".join(part for part in parts if part)


def _chart_json(chart: dict) -> dict:
    """What the page's script draws: the chart without its table rows."""
    return {key: value for key, value in chart.items() if key != "rows"}


def _asked(request: HttpRequest, period: Period | None) -> dict[str, str]:
    """What the period selector shows as chosen: the period read, or, when it was refused,
    what was asked (so that the mistake can be seen beside its field and fixed)."""
    if period is None:
        return {name: request.GET.get(name, "") for name in ("period", "from", "to")}
    if period.name == CUSTOM:
        return {"period": "", "from": period.start.isoformat(), "to": period.end.isoformat()}
    return {"period": period.name, "from": "", "to": ""}


def _team_context(request: HttpRequest, membership: Membership) -> tuple[dict, int]:
    team, today = membership.team, membership.team.today()
    errors: dict[str, str] = {}
    period: Period | None = None
    try:
        period = period_from(request.GET, today=today)
    except PeriodError as error:
        errors = error.errors
    context = {
        "team": team, "membership": membership, "periods": PERIODS, "errors": errors,
        "period": period, "address": reverse("dashboards:team-dashboard",
                                             kwargs={"slug": team.slug}),
        "asked": _asked(request, period),
        "today": today,
        "definitions": metrics.DEFINITIONS,
    }
    if period is None:
        return context, 400
    context["has_history"] = metrics.team_has_history(team=team)
    if not context["has_history"]:
        return context, 200
    numbers = metrics.team_metrics(team=team, period=period)
    weeks, causes = _weeks_chart(numbers), _causes_chart(numbers)
    context.update({
        "m": numbers, "weeks": weeks, "causes": causes,
        "weeks_json": _chart_json(weeks), "causes_json": _chart_json(causes),
        "learning_cards": _learning_cards(numbers),
        "causes_height": _bars_height(len(causes["rows"])),
        "response_time": _duration(numbers.median_minutes_to_first_response),
        "period_query": urlencode(period.query()),
        "period_incidents": _address("incidents:incident-list", team=team.slug,
                                     **_dates(period.start, period.end)),
    })
    return context, 200


def _team_page(request: HttpRequest, membership: Membership) -> HttpResponse:
    context, status = _team_context(request, membership)
    # The period selector's in-place change gets the dashboard's body alone; a whole page
    # (a boosted link, htmx restoring history it no longer holds) gets the page.
    in_place = (request.htmx and not request.htmx.boosted
                and not request.htmx.history_restore_request)
    template = ("dashboards/partials/team_body.html" if in_place
                else "dashboards/team_dashboard.html")
    response = render(request, template, context, status=status)
    # One address, two answers: caches must tell them apart.
    patch_vary_headers(response, ("HX-Request",))
    return response


@login_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """The signed-in home: the current team's dashboard; someone in no team yet reads the
    incident list (the library and their invitations' teams, once they join)."""
    membership = current_membership(request)
    if membership is None:
        return redirect("incidents:incident-list")
    return _team_page(request, membership)


@login_required
@require_GET
def team_dashboard(request: HttpRequest, slug: str) -> HttpResponse:
    """A team's dashboard, for any of its people; to anyone else the team does not exist."""
    membership = next((membership for membership in memberships_of(request)
                       if membership.team.slug == slug), None)
    if membership is None:
        raise Http404("No team of yours has this address.")
    return _team_page(request, membership)


# ---------------------------------------------------------------------------------------------
# Library dashboard


def _percent(share) -> float | None:
    return None if share is None else float(share * 100)


def _library_charts(numbers: metrics.LibraryMetrics) -> dict:
    library = "incidents:library"
    years = numbers.years
    year_urls = {cause.slug: [_address(library, primary_cause=cause.slug,
                                       **_dates(dt.date(year, 1, 1), dt.date(year, 12, 31)))
                              for year in years]
                 for cause in numbers.causes_by_year}
    causes_by_year = {
        "labels": [str(year) for year in years],
        "datasets": [{"key": cause.slug, "label": cause.name, "data": cause.per_year,
                      "links": year_urls[cause.slug]}
                     for cause in numbers.causes_by_year],
        "stacked": True,
        "rows": [{"label": cause.name, "total": cause.total,
                  "url": _address(library, primary_cause=cause.slug),
                  "cells": [{"count": count, "url": url} for count, url
                            in zip(cause.per_year, year_urls[cause.slug], strict=True)]}
                 for cause in numbers.causes_by_year],
    }

    def counts(rows: list[metrics.Count_], param: str, label: str) -> dict:
        shaped = [{"label": row.label, "count": row.incidents,
                   "url": _address(library, **{param: row.key})} for row in rows]
        return {"labels": [row["label"] for row in shaped],
                "datasets": [{"key": "incidents", "label": label,
                              "data": [row["count"] for row in shaped],
                              "links": [row["url"] for row in shaped]}],
                "horizontal": True, "rows": shaped}

    responses = [{
        "label": row.label, "incidents": row.incidents,
        "url": _address(library, severity=row.severity),
        "shares": [{"move": move, "count": row.moves[move], "percent": _percent(row.share(move))}
                   for move in metrics.RESPONSE_MOVES],
    } for row in numbers.response_by_severity]
    response_chart = {
        "labels": [row["label"] for row in responses],
        "datasets": [{"key": move, "label": MOVE_LABELS[move],
                      "data": [row["shares"][index]["percent"] for row in responses],
                      "links": [row["url"] for row in responses]}
                     for index, move in enumerate(metrics.RESPONSE_MOVES)],
        "percent": True, "rows": responses,
    }
    scores = [{"label": row.name, "incidents": row.incidents,
               "score": row.mean_response_score,
               "url": _address(library, primary_cause=row.slug)}
              for row in numbers.score_by_cause]
    score_chart = {
        "labels": [row["label"] for row in scores],
        "datasets": [{"key": "score", "label": "Mean response score (0–4)",
                      "data": [float(row["score"]) for row in scores],
                      "links": [row["url"] for row in scores]}],
        "horizontal": True, "max": 4, "rows": scores,
    }
    return {
        "causes_by_year": causes_by_year,
        "platforms": counts(numbers.platforms, "platform", "Shared incidents"),
        "organizations": counts(numbers.organizations, "organization", "Shared incidents"),
        "responses": response_chart,
        "scores": score_chart,
    }


@login_required
@require_GET
def library_dashboard(request: HttpRequest) -> HttpResponse:
    """Every team's shared incidents in numbers: the same page for every signed-in reader."""
    numbers = metrics.library_metrics(user=request.user)
    charts = _library_charts(numbers)
    return render(request, "dashboards/library_dashboard.html", {
        "m": numbers, "charts": charts,
        "charts_json": {name: _chart_json(chart) for name, chart in charts.items()},
        "move_labels": [MOVE_LABELS[move] for move in metrics.RESPONSE_MOVES],
        "heights": {name: _bars_height(len(charts[name]["rows"]))
                    for name in ("platforms", "organizations", "scores")},
        "definition": metrics.DEFINITIONS["library"],
    })
