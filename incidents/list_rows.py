"""The incident list page's rows (the incidents and library pages): what each row shows, read
as values and written out once, in Python.

A row read as a model costs four models (the incident, its team, organisation and primary
cause) and every column of each; its template then called a method per cell (the page's
address, the organisation's, three get_*_display, a date filter), and the engine spent some
microseconds on each of a row's twenty values and conditions. Here the list reads only what
a row shows, and each row's HTML is written by row_html, escaped as the template engine
escapes, for incident_results.html to show as it is. tests/incidents/test_list_rows.py
renders rows both ways (this and the template the row was) and compares them.
"""

import html
from functools import lru_cache

from django.utils.formats import date_format
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from .models import Incident, Organization, Visibility

# What a row shows, by the names of a values() read (the order keys are added).
FIELDS = (
    "id", "public_id", "title", "origin", "team_id", "team__name", "archived_at",
    "occurred_on", "organization__slug", "organization__name", "platform",
    "primary_cause__name", "severity", "status", "visibility",
)


def _labels(name: str) -> dict:
    # As get_FOO_display reads them: the field's flat choices.
    return dict(Incident._meta.get_field(name).flatchoices)


PLATFORMS, SEVERITIES, STATUSES = _labels("platform"), _labels("severity"), _labels("status")


class ListRow(dict):
    """One row: its values are also attributes (row.title, row.pk), as a model's are, and
    `html` is the row as the page shows it."""

    __slots__ = ()

    def __getattr__(self, name: str):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


def row_values(incidents):
    """`incidents` (the list's queryset, in its order) read as values: FIELDS and the order
    keys the keyset pages name (an annotation such as severity_rank or rank included)."""
    order = [term.lstrip("-") for term in incidents.query.order_by
             if isinstance(term, str) and term.lstrip("-") not in (*FIELDS, "pk")]
    return incidents.values(*FIELDS, *order)


@lru_cache(maxsize=4096)
def _day_text(day, language: str) -> str:
    # {{ day|date:"j M Y" }} in `language` (its month names): the same for every row of a day.
    return date_format(day, "j M Y")


def _shown(value) -> str:
    """{{ value }}: escaped unless safe (a lazy label in the language active now). Text read
    from the database is a plain str: escaped as django.utils.html.escape does, without its
    checks for lazy and safe text."""
    if type(value) is str:
        return html.escape(value)
    return conditional_escape(value)


def _display(labels: dict, value) -> str:
    # get_FOO_display: the choice's label, or the value itself when it is not a choice.
    return _shown(labels.get(value, value))


def row_html(row: dict, *, library: bool, own_team_ids, language: str) -> SafeString:
    """One row of incident_results.html's table, with the white space around it that its
    loop gives each row: what the template wrote for `row` (a row_values dict)."""
    team = _shown(row["team__name"])
    archived = bool(row["archived_at"])
    tags = ""
    if row["origin"] == "own":
        whose = "own" if row["team_id"] in own_team_ids else f"{team}'s own"
        tags = f' <span class="tag own">{whose}</span>'
    if archived:
        tags += ' <span class="tag">archived</span>'
    shared = ""
    if not library:
        shared = ("<td>Library</td>" if row["visibility"] == Visibility.LIBRARY
                  else f'<td><span title="Visible to {team} only">Team only</span></td>')
    occurred_on = row["occurred_on"]
    row_class = ' class="archived"' if archived else ""
    return mark_safe(  # noqa: S308 - every value escaped as the template engine does
        f"\n      <tr{row_class}>\n"
        f'        <td><time datetime="{_shown(occurred_on.isoformat())}">'
        f'{_shown(_day_text(occurred_on, language))}</time></td>\n'
        f'        <td><a href="{_shown(Incident.url_of(row["public_id"]))}">'
        f'{_shown(row["title"])}</a>{tags}</td>\n'
        f'        <td><a href="{_shown(Organization.url_of(row["organization__slug"]))}">'
        f'{_shown(row["organization__name"])}</a></td>\n'
        f'        <td>{_display(PLATFORMS, row["platform"])}</td>\n'
        f'        <td>{_shown(row["primary_cause__name"])}</td>\n'
        f'        <td><span class="sev sev-{_shown(row["severity"])}">'
        f'{_display(SEVERITIES, row["severity"])}</span></td>\n'
        f'        <td>{_display(STATUSES, row["status"])}</td>\n'
        f'        {shared}\n'
        f'      </tr>\n    ')


def list_rows(values: list[dict], *, library: bool, own_team_ids) -> list[ListRow]:
    """A page of row_values as rows, each with its `html` (row_html) for a reader whose
    teams are `own_team_ids` (an incident of theirs is "own", another team's "X's own")
    on the library page (no Shared column) or the incidents page."""
    language = get_language()
    return [ListRow(value, pk=value["id"], html=row_html(
        value, library=library, own_team_ids=own_team_ids, language=language))
        for value in values]
