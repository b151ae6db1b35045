"""incidents.list_rows writes each row of the incident list as its template did, from the
incident's values (no model): over every kind of row, and text that must be escaped."""

from datetime import date

import pytest
from django.template import engines
from django.utils import timezone, translation

from incidents.list_rows import list_rows, row_values
from incidents.models import Incident
from tests.factories import IncidentFactory, OrganizationFactory, TeamFactory

# The row as incident_results.html wrote it from a model, in its loop's white space.
ROW_TEMPLATE = (
    "{% for incident in rows %}\n"
    '      <tr{% if incident.archived_at %} class="archived"{% endif %}>\n'
    '        <td><time datetime="{{ incident.occurred_on.isoformat }}">{{'
    ' incident.occurred_on|date:"j M Y" }}</time></td>\n'
    '        <td><a href="{{ incident.get_absolute_url }}">{{ incident.title'
    ' }}</a>{% if incident.origin == "own" %} <span class="tag own">{% if'
    " incident.team_id in my_team_ids %}own{% else %}{{ incident.team.name }}'s"
    ' own{% endif %}</span>{% endif %}{% if incident.archived_at %} <span'
    ' class="tag">archived</span>{% endif %}</td>\n'
    '        <td><a href="{{ incident.organization.get_absolute_url }}">{{'
    ' incident.organization.name }}</a></td>\n'
    '        <td>{{ incident.get_platform_display }}</td>\n'
    '        <td>{{ incident.primary_cause.name }}</td>\n'
    '        <td><span class="sev sev-{{ incident.severity }}">{{'
    ' incident.get_severity_display }}</span></td>\n'
    '        <td>{{ incident.get_status_display }}</td>\n'
    '        {% if scope != "library" %}<td>{% if incident.visibility == "library"'
    ' %}Library{% else %}<span title="Visible to {{ incident.team.name }} only">Team'
    ' only</span>{% endif %}</td>{% endif %}\n'
    '      </tr>\n'
    "    {% endfor %}")


@pytest.mark.django_db
@pytest.mark.parametrize("library", [False, True], ids=["incidents", "library"])
def test_each_row_is_what_the_template_wrote(library):
    mine, theirs = TeamFactory(name="Comms <&> 'team'"), TeamFactory(name='Other "team"')
    brand = OrganizationFactory(name="Acme & <Sons>")
    for team in (mine, theirs):
        for origin in ("own", "external"):
            for visibility in ("team", "library"):
                for archived in (None, timezone.now()):
                    IncidentFactory(team=team, organization=brand, origin=origin,
                                    visibility=visibility, archived_at=archived,
                                    title="<script>'x' & \"y\"</script>", platform="facebook",
                                    severity="high", status="monitoring",
                                    occurred_on=date(2026, 3, 7))
    IncidentFactory(team=mine, title="Plain", occurred_on=date(2025, 12, 31), severity="low")
    incidents = Incident.objects.select_related("team", "organization", "primary_cause")
    models = list(incidents.order_by("pk"))
    values = list(row_values(Incident.objects.order_by("pk")))
    context = {"scope": "library" if library else "incidents", "my_team_ids": {mine.pk}}
    expected = engines["django"].from_string(ROW_TEMPLATE).render({**context, "rows": models})
    rows = list_rows(values, library=library, own_team_ids={mine.pk})
    assert "".join(row.html for row in rows) == expected
    assert [(row.pk, row.title) for row in rows] == [(i.pk, i.title) for i in models]


@pytest.mark.django_db
def test_a_rows_date_is_in_the_active_language():
    IncidentFactory(occurred_on=date(2026, 5, 4))
    values = list(row_values(Incident.objects.all()))
    with translation.override("de"):
        html = list_rows(values, library=False, own_team_ids=set())[0].html
    assert ">4 Mai 2026</time>" in html
