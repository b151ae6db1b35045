"""Dates outside common.dates' ranges are refused beside the field, in every form and service.

Year 1 typed by someone in a UTC+ time zone used to be stored as a BC timestamp that
PostgreSQL's driver cannot read back: /incidents/ and /library/ then answered 500 for every
team. Run this module with DATABASE_URL=postgres://… too: that is where it broke.
"""

import uuid
import zoneinfo
from datetime import UTC, date, datetime, timedelta
from html import escape

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts.models import Role
from common.dates import (
    DATE_IN_FUTURE,
    TIME_IN_FUTURE,
    TOO_EARLY,
    TOO_FAR_AHEAD,
    latest_planned_date,
    past_datetime_error,
)
from incidents.models import Incident
from incidents.services import incident_create, incident_update, timeline_event_add
from learnings.models import ActionItem, Learning
from learnings.services import (
    action_item_create,
    action_item_update,
    learning_create_from_incidents,
    learning_update,
)
from tests.factories import IncidentFactory, MembershipFactory, UserFactory, cause, edit_form_data

NOW = datetime(2026, 11, 10, 12, 0, tzinfo=UTC)
TODAY = date(2026, 11, 10)
HTMX = {"HX-Request": "true"}


@pytest.fixture(autouse=True)
def frozen_now():
    with time_machine.travel(NOW, tick=True):
        yield


@pytest.fixture
def kiritimati(team):
    """A member whose profile is in UTC+14, the zone furthest ahead of UTC."""
    user = UserFactory(email="kiri@example.com", timezone="Pacific/Kiritimati")
    MembershipFactory(team=team, user=user, role=Role.MEMBER)
    return user


@pytest.fixture
def kiri_client(client, kiritimati):
    client.force_login(kiritimati)
    return client


def field_error(field: str, message: str) -> str:
    return (f'<ul class="errorlist" id="id_{field}_error" role="alert">'
            f"<li>{escape(message)}</li></ul>")


def assert_lists_still_load(client) -> None:
    for name in ("incidents:incident-list", "incidents:library"):
        assert client.get(reverse(name)).status_code == 200


@pytest.mark.parametrize(("field", "value", "message"), [
    ("occurred_on", "0001-01-01", TOO_EARLY),
    ("occurred_on", "1989-12-31", TOO_EARLY),
    ("occurred_on", "9999-12-31", DATE_IN_FUTURE),
    ("detected_at", "0001-01-01T00:30", TOO_EARLY),
    ("detected_at", "9999-12-31T23:59", TIME_IN_FUTURE),
    ("resolved_at", "0001-01-01T00:30", TOO_EARLY),
])
def test_edit_form_refuses_an_out_of_range_date_beside_the_field_and_stores_nothing(
        kiri_client, team, field, value, message):
    incident = IncidentFactory(team=team, visibility="library")
    response = kiri_client.post(reverse("incidents:incident-update",
                                        kwargs={"public_id": incident.public_id}),
                                edit_form_data(incident, **{field: value}))
    assert response.status_code == 200
    assert response.context["form"].errors == {field: [message]}
    assert field_error(field, message) in response.content.decode()
    stored = Incident.objects.values("occurred_on", "detected_at", "resolved_at").get(
        pk=incident.pk)
    assert stored == {"occurred_on": date(2026, 10, 1), "detected_at": None,
                      "resolved_at": None}
    assert_lists_still_load(kiri_client)


def test_edit_form_accepts_the_first_day_of_1990(kiri_client, team):
    incident = IncidentFactory(team=team)
    response = kiri_client.post(reverse("incidents:incident-update",
                                        kwargs={"public_id": incident.public_id}),
                                edit_form_data(incident, occurred_on="1990-01-01",
                                               detected_at="1990-01-01T00:00"))
    assert response.status_code == 302
    incident.refresh_from_db()
    assert incident.occurred_on == date(1990, 1, 1)
    # Kiritimati was ten hours behind UTC until 1995.
    assert incident.detected_at == datetime(1990, 1, 1, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(("value", "message"), [
    ("0001-01-01T00:30", TOO_EARLY),
    ("9999-12-31T23:59", TIME_IN_FUTURE),
])
def test_timeline_form_refuses_an_out_of_range_time_beside_the_field(
        kiri_client, team, value, message):
    incident = IncidentFactory(team=team, visibility="library")
    response = kiri_client.post(
        reverse("incidents:timeline-create", kwargs={"public_id": incident.public_id}),
        {"timeline-at": value, "timeline-kind": "note", "timeline-text": "Typo in the year"},
        headers=HTMX)
    assert response.status_code == 200
    assert field_error("timeline-at", message) in response.content.decode()
    assert incident.timeline.count() == 0
    assert_lists_still_load(kiri_client)


def test_log_form_refuses_year_one_beside_the_date(kiri_client, team):
    response = kiri_client.post(reverse("incidents:incident-create"), {
        "team": team.pk, "title": "Year one", "organization": "Acme", "platform": "twitter",
        "occurred_on": "0001-01-01", "primary_cause": cause().slug, "origin": "external",
        "idempotency_key": "5b0a4a3e-0000-4000-8000-000000000001",
    })
    assert response.status_code == 200
    assert response.context["form"].errors["occurred_on"] == [TOO_EARLY]
    assert not Incident.objects.exists()


def test_someone_ahead_of_the_team_logs_what_happened_on_their_own_today(kiri_client, team):
    # 12:00 UTC on 10 November: 11 November in Kiritimati, still the 10th for the team (UTC).
    page = kiri_client.get(reverse("incidents:incident-create"))
    assert page.context["form"]["occurred_on"].value() == date(2026, 11, 11)
    data = {"team": team.pk, "title": "Happened on my today", "organization": "Acme",
            "platform": "twitter", "occurred_on": "2026-11-11", "primary_cause": cause().slug,
            "origin": "own", "idempotency_key": "5b0a4a3e-0000-4000-8000-000000000002"}
    response = kiri_client.post(reverse("incidents:incident-create"), data)
    assert response.status_code == 302
    assert Incident.objects.get().occurred_on == date(2026, 11, 11)
    response = kiri_client.post(reverse("incidents:incident-create"), {
        **data, "occurred_on": "2026-11-12", "idempotency_key": uuid.uuid4()})
    assert response.context["form"].errors["occurred_on"] == [DATE_IN_FUTURE]


@pytest.mark.parametrize(("value", "message"), [
    ("0001-01-01", TOO_EARLY),
    ("2036-11-11", TOO_FAR_AHEAD),
    ("9999-12-31", TOO_FAR_AHEAD),
])
def test_learning_form_refuses_a_review_date_out_of_range(kiri_client, team, value, message):
    incident = IncidentFactory(team=team)
    response = kiri_client.post(reverse("learnings:learning-create"), {
        "team": team.pk, "title": "Pause the queue", "lesson": "", "practice": "",
        "owner": "", "review_on": value, "incidents": [str(incident.public_id)],
        "idempotency_key": "5b0a4a3e-0000-4000-8000-000000000002",
    })
    assert response.status_code == 200
    assert response.context["form"].errors == {"review_on": [message]}
    assert not Learning.objects.exists()


def test_learning_form_accepts_a_review_exactly_ten_years_ahead(kiri_client, team):
    incident = IncidentFactory(team=team)
    response = kiri_client.post(reverse("learnings:learning-create"), {
        "team": team.pk, "title": "Pause the queue", "lesson": "", "practice": "",
        "owner": "", "review_on": "2036-11-10", "incidents": [str(incident.public_id)],
        "idempotency_key": "5b0a4a3e-0000-4000-8000-000000000003",
    })
    assert response.status_code == 302
    assert Learning.objects.get().review_on == date(2036, 11, 10)


def test_action_form_refuses_a_due_date_more_than_ten_years_ahead(kiri_client, kiritimati,
                                                                    team):
    learning, _ = learning_create_from_incidents(user=kiritimati, team=team, incident_ids=[],
                                                 title="Pause the queue")
    response = kiri_client.post(
        reverse("learnings:action-item-create", kwargs={"public_id": learning.public_id}),
        {"item-title": "Write the checklist", "item-owner": "", "item-due_on": "9999-12-31",
         "item-kind": "preventive"}, headers=HTMX)
    assert response.status_code == 200
    assert field_error("item-due_on", TOO_FAR_AHEAD) in response.content.decode()
    assert not ActionItem.objects.exists()


# Services: commands and the API get the same rule as the forms.


def test_incident_create_refuses_year_one(member, team):
    with pytest.raises(ValidationError) as error:
        incident_create(user=member, team=team, title="Year one", organization_name="Acme",
                        platform="twitter", occurred_on=date(1, 1, 1), primary_cause=cause())
    assert error.value.message_dict == {"occurred_on": [TOO_EARLY]}
    assert not Incident.objects.exists()


def test_incident_update_refuses_out_of_range_moments(member, team):
    incident = IncidentFactory(team=team)
    with pytest.raises(ValidationError) as error:
        incident_update(user=member, incident=incident, data={
            "detected_at": datetime(1, 1, 1, tzinfo=UTC),
            "resolved_at": NOW + timedelta(days=1),
        })
    assert error.value.message_dict == {"detected_at": [TOO_EARLY],
                                        "resolved_at": [TIME_IN_FUTURE]}


def test_timeline_event_add_refuses_year_one(member, team):
    incident = IncidentFactory(team=team)
    with pytest.raises(ValidationError) as error:
        timeline_event_add(user=member, incident=incident, at=datetime(1, 1, 1, tzinfo=UTC),
                           kind="note", text="Typo")
    assert error.value.message_dict == {"at": [TOO_EARLY]}


def test_learning_services_refuse_a_review_more_than_ten_years_ahead(member, team):
    with pytest.raises(ValidationError) as error:
        learning_create_from_incidents(user=member, team=team, incident_ids=[], title="T",
                                       review_on=date(9999, 12, 31))
    assert error.value.message_dict == {"review_on": [TOO_FAR_AHEAD]}
    learning, _ = learning_create_from_incidents(user=member, team=team, incident_ids=[],
                                                 title="T")
    with pytest.raises(ValidationError) as error:
        learning_update(user=member, learning=learning, data={"review_on": date(1, 1, 1)})
    assert error.value.message_dict == {"review_on": [TOO_EARLY]}


def test_action_item_services_refuse_due_dates_out_of_range(member, team):
    learning, _ = learning_create_from_incidents(user=member, team=team, incident_ids=[],
                                                 title="T")
    with pytest.raises(ValidationError) as error:
        action_item_create(user=member, learning=learning, title="Done long ago",
                           due_on=date(1, 1, 1), done=True)
    assert error.value.message_dict == {"due_on": [TOO_EARLY]}
    item = action_item_create(user=member, learning=learning, title="Soon",
                              due_on=TODAY + timedelta(days=3))
    with pytest.raises(ValidationError) as error:
        action_item_update(user=member, item=item, data={"due_on": date(2037, 1, 1)})
    assert error.value.message_dict == {"due_on": [TOO_FAR_AHEAD]}


def test_ten_years_from_a_leap_day_is_the_28th_of_february():
    assert latest_planned_date(date(2028, 2, 29)) == date(2038, 2, 28)


def test_a_moment_before_1990_where_it_was_typed_is_refused_whatever_that_zones_offset():
    # Kiritimati was UTC-10:40 until 1995: its 31 December 1989 is already 1990 at UTC+14.
    kiritimati = zoneinfo.ZoneInfo("Pacific/Kiritimati")
    assert past_datetime_error(datetime(1989, 12, 31, 0, 0, tzinfo=kiritimati)) == TOO_EARLY
    assert past_datetime_error(datetime(1990, 1, 1, 0, 0, tzinfo=kiritimati)) is None
