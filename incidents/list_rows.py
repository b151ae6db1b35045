"""The incident list page's rows (the incidents and library pages): what each row shows, read
as values and made ready for the template once, in Python.

A row read as a model costs four models (the incident, its team, organisation and primary
cause) and every column of each; its template then called a method per cell (the page's
address, the organisation's, three get_*_display, a date format), each lookup trying an
item, then an attribute, then a call. Here the list reads only what a row shows, and a row is
a dict whose entries the template reads at the first try (the engine looks up an item first).
The HTML is the same (tests/incidents/test_views.py compares it with the models' own values).
"""

from functools import lru_cache

from django.utils.formats import date_format
from django.utils.translation import get_language

from .models import Incident, Organization

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
    """One row: its entries are also attributes (row.title, row.pk), as a model's are."""

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


def _shown(label):
    # A label as {{ }} shows it (a lazy label in the language active now).
    return label if label is None or isinstance(label, str) else str(label)


def list_rows(values: list[dict]) -> list[ListRow]:
    """A page of row_values as rows: each incident's values with what the template shows
    of them, by the names incident_results.html reads."""
    rows = []
    language = get_language()
    for value in values:
        occurred_on = value["occurred_on"]
        rows.append(ListRow(
            value,
            pk=value["id"],
            url=Incident.url_of(value["public_id"]),
            occurred_iso=occurred_on.isoformat(),
            occurred_text=_day_text(occurred_on, language),
            team_name=value["team__name"],
            organization_url=Organization.url_of(value["organization__slug"]),
            organization_name=value["organization__name"],
            platform_text=_shown(PLATFORMS.get(value["platform"], value["platform"])),
            primary_cause_name=value["primary_cause__name"],
            severity_text=_shown(SEVERITIES.get(value["severity"], value["severity"])),
            status_text=_shown(STATUSES.get(value["status"], value["status"])),
        ))
    return rows
