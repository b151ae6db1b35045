"""manage.py find_bad_dates reports stored dates outside the accepted ranges, read in SQL."""

from datetime import UTC, date, datetime
from io import StringIO

from django.core.management import CommandError, call_command
from django.db import connection

from incidents.models import Incident, TimelineEvent
from learnings.models import ActionItem, Learning
from learnings.services import action_item_create, learning_create_from_incidents
from tests.factories import IncidentFactory, TimelineEventFactory


def run() -> tuple[str, bool]:
    """The command's output and whether it exited non-zero."""
    out = StringIO()
    try:
        call_command("find_bad_dates", stdout=out)
    except CommandError as error:
        return out.getvalue() + str(error), True
    return out.getvalue(), False


def test_no_bad_dates_reports_so_and_exits_zero(team, member):
    IncidentFactory(team=team, occurred_on=date(1990, 1, 1))
    output, failed = run()
    assert (output, failed) == ("Every stored date is within the accepted ranges.\n", False)


def test_finds_every_kind_of_row_outside_the_ranges_and_exits_non_zero(team, member):
    incident = IncidentFactory(team=team)
    fine = IncidentFactory(team=team)
    event = TimelineEventFactory(incident=incident)
    learning, _ = learning_create_from_incidents(user=member, team=team, incident_ids=[],
                                                 title="T")
    item = action_item_create(user=member, learning=learning, title="Soon")
    # Stored before the rule existed: written past the services, as old rows were.
    Incident.objects.filter(pk=incident.pk).update(occurred_on=date(1, 1, 1),
                                                   detected_at=datetime(9999, 1, 1, tzinfo=UTC))
    TimelineEvent.objects.filter(pk=event.pk).update(at=datetime(1, 1, 2, tzinfo=UTC))
    Learning.objects.filter(pk=learning.pk).update(review_on=date(9999, 12, 31))
    ActionItem.objects.filter(pk=item.pk).update(due_on=date(1, 1, 1))

    output, failed = run()

    assert failed
    lines = output.splitlines()
    assert f"incident {incident.public_id} / comms: occurred_on = 0001-01-01 " \
           "(outside the past date range)" in lines
    assert any(line.startswith(f"incident {incident.public_id} / comms: detected_at = 9999-01-01")
               for line in lines)
    assert any(line.startswith(f"timeline event {event.pk} / {incident.public_id}: at = 0001-01-02")
               for line in lines)
    assert f"learning {learning.public_id} / comms: review_on = 9999-12-31 " \
           "(outside the planned date range)" in lines
    assert f"action item {item.public_id} / {learning.public_id}: due_on = 0001-01-01 " \
           "(outside the planned date range)" in lines
    assert str(fine.public_id) not in output
    assert lines[-1] == "5 stored date(s) outside the accepted ranges."


def test_finds_bad_dates_kept_in_history(team, member):
    incident = IncidentFactory(team=team)
    # A history record of an edit that stored year 1, since repaired on the incident itself.
    record = incident.history.create(
        id=incident.pk, public_id=incident.public_id, team=team, title=incident.title,
        summary="", platform="twitter", occurred_on=date(1, 1, 1), status="open",
        severity="medium", primary_cause=incident.primary_cause, origin="own",
        visibility="team", organization=incident.organization, actor="unknown",
        response_score=0, context=[], created_at=incident.created_at,
        updated_at=incident.updated_at, history_date=datetime(2026, 1, 1, tzinfo=UTC),
        history_type="~")
    output, failed = run()
    assert failed
    assert f"history of incident {record.history_id} / {incident.public_id}: " \
           "occurred_on = 0001-01-01 (outside the past date range)" in output.splitlines()


def test_reads_bc_timestamps_without_fetching_them(postgres, team):
    """psycopg2 cannot read a BC timestamp back; the command compares and prints it in SQL."""
    incident = IncidentFactory(team=team)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE incidents_incident SET detected_at = "
                       "'0001-12-31 13:00:00+00 BC' WHERE id = %s", [incident.pk])
    output, failed = run()
    assert failed
    assert f"incident {incident.public_id} / comms: detected_at = 0001-12-31 13:00:00+00 BC " \
           "(outside the past time range)" in output.splitlines()
