"""The admin keeps the house rules: each incident's own words about its sources, derived
fields computed by the services as on the page, no deleting of timeline entries or source
links, and a library incident's organisation shared as the page shares it.

Each test drives the real admin pages as a superuser: it reads the change form as a browser
would, changes what a person would change, and sends it back.
"""

from datetime import UTC, datetime

import pytest
import time_machine
from django.urls import reverse

from incidents.models import Factor, Incident, Organization, TimelineEvent
from incidents.services import source_add, timeline_event_add
from tests.factories import IncidentFactory, UserFactory, cause
from tests.html_forms import form_fields

NOW = datetime(2026, 11, 10, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen_now():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def admin_client(client, db):
    client.force_login(UserFactory(email="admin@example.com", is_staff=True,
                                   is_superuser=True))
    return client


def change_url(incident: Incident) -> str:
    return reverse("admin:incidents_incident_change", args=[incident.pk])


def change_form(client, incident: Incident) -> dict[str, list[str]]:
    response = client.get(change_url(incident))
    assert response.status_code == 200
    return form_fields(response.content.decode(), "incident_form")


def save(client, incident: Incident, data: dict[str, list[str]]) -> None:
    response = client.post(change_url(incident), data)
    # The admin answers a saved form with a redirect; a refused one comes back as a page.
    assert response.status_code == 302, response.context["adminform"].form.errors


def test_admin_shows_each_incidents_own_title_for_a_shared_link(
        admin_client, member, outsider, private_incident, outsider_private_incident):
    source_add(user=member, incident=private_incident, url="https://news.example.com/a",
               kind="screenshot", title="Our private words")
    link = source_add(user=outsider, incident=outsider_private_incident,
                      url="https://news.example.com/a", kind="article", title="Their words")
    page = admin_client.get(change_url(outsider_private_incident)).content.decode()
    assert "Their words" in page
    assert "Our private words" not in page
    source_page = admin_client.get(reverse("admin:incidents_source_changelist")).content.decode()
    assert "https://news.example.com/a" in source_page
    assert "Our private words" not in source_page
    links = admin_client.get(reverse("admin:incidents_incidentsource_changelist"))
    assert "Our private words" in links.content.decode()
    assert "Their words" in links.content.decode()
    history = admin_client.get(reverse("admin:incidents_incidentsource_history",
                                       args=[link.pk]))
    assert history.status_code == 200


def test_ticking_response_moves_in_the_admin_recomputes_the_score(
        admin_client, private_incident):
    data = change_form(admin_client, private_incident)
    data.update(acknowledged=["on"], apologized=["on"], defensive=["on"])
    save(admin_client, private_incident, data)
    private_incident.refresh_from_db()
    assert (private_incident.acknowledged, private_incident.apologized,
            private_incident.defensive) == (True, True, True)
    assert private_incident.response_score == 1


def test_score_and_first_response_are_shown_but_cannot_be_typed_in_the_admin(
        admin_client, private_incident):
    data = change_form(admin_client, private_incident)
    assert "response_score" not in data
    assert not any(name.startswith("first_response_at") for name in data)
    # Sent anyway, they are ignored.
    data.update(response_score=["4"], first_response_at_0=["2026-01-01"],
                first_response_at_1=["10:00:00"])
    save(admin_client, private_incident, data)
    private_incident.refresh_from_db()
    assert (private_incident.response_score, private_incident.first_response_at) == (0, None)


def test_response_added_on_the_admin_timeline_sets_the_first_response(
        admin_client, private_incident):
    data = change_form(admin_client, private_incident)
    data.update({
        "timeline-TOTAL_FORMS": ["1"],
        "timeline-0-at_0": ["2026-11-09"], "timeline-0-at_1": ["08:30:00"],
        "timeline-0-kind": ["apology"], "timeline-0-text": ["We are sorry"],
        "timeline-0-url": [""], "timeline-0-incident": [str(private_incident.pk)],
    })
    save(admin_client, private_incident, data)
    private_incident.refresh_from_db()
    assert private_incident.timeline.get().text == "We are sorry"
    assert private_incident.first_response_at == datetime(2026, 11, 9, 8, 30, tzinfo=UTC)


def test_timeline_entry_turned_into_a_note_in_the_admin_clears_the_first_response(
        admin_client, member, private_incident):
    event = timeline_event_add(user=member, incident=private_incident,
                               at=datetime(2026, 11, 9, 8, 30, tzinfo=UTC), kind="response",
                               text="Statement")
    data = change_form(admin_client, private_incident)
    assert data["timeline-0-id"] == [str(event.pk)]
    data["timeline-0-kind"] = ["note"]
    save(admin_client, private_incident, data)
    private_incident.refresh_from_db()
    assert private_incident.first_response_at is None


def test_timeline_entries_and_source_links_have_no_delete_box_in_the_admin(
        admin_client, member, private_incident):
    timeline_event_add(user=member, incident=private_incident,
                       at=datetime(2026, 11, 9, 8, 30, tzinfo=UTC), kind="note", text="Seen")
    source_add(user=member, incident=private_incident, url="https://news.example.com/a",
               kind="article")
    data = change_form(admin_client, private_incident)
    assert data["timeline-TOTAL_FORMS"] == ["1"]
    assert data["source_links-TOTAL_FORMS"] == ["1"]
    assert not [name for name in data if name.endswith("-DELETE")]
    # A forged delete box is ignored: the entry and the link stay.
    data.update({"timeline-0-DELETE": ["on"], "source_links-0-DELETE": ["on"]})
    save(admin_client, private_incident, data)
    assert private_incident.timeline.count() == 1
    assert private_incident.source_links.count() == 1


def test_timeline_entries_and_source_links_cannot_be_deleted_on_their_own_admin_pages(
        admin_client, member, private_incident):
    event = timeline_event_add(user=member, incident=private_incident,
                               at=datetime(2026, 11, 9, 8, 30, tzinfo=UTC), kind="note",
                               text="Seen")
    link = source_add(user=member, incident=private_incident,
                      url="https://news.example.com/a", kind="article")
    for name, pk in (("timelineevent", event.pk), ("incidentsource", link.pk)):
        response = admin_client.post(reverse(f"admin:incidents_{name}_delete", args=[pk]),
                                     {"post": "yes"})
        assert response.status_code == 403
    assert TimelineEvent.objects.count() == 1
    assert private_incident.source_links.count() == 1


def test_response_added_on_the_timeline_admin_page_sets_the_first_response(
        admin_client, private_incident):
    response = admin_client.post(reverse("admin:incidents_timelineevent_add"), {
        "incident": str(private_incident.pk), "at_0": "2026-11-09", "at_1": "08:30:00",
        "kind": "response", "text": "Statement", "url": "", "created_by": "",
    })
    assert response.status_code == 302
    private_incident.refresh_from_db()
    assert private_incident.first_response_at == datetime(2026, 11, 9, 8, 30, tzinfo=UTC)


def test_sharing_an_incident_in_the_admin_shares_its_private_organisation(
        admin_client, team, private_incident):
    organization = private_incident.organization
    organization.team = team
    organization.save()
    data = change_form(admin_client, private_incident)
    data["visibility"] = ["library"]
    save(admin_client, private_incident, data)
    private_incident.refresh_from_db()
    assert private_incident.visibility == "library"
    assert private_incident.organization == organization
    assert private_incident.organization.team is None


def test_sharing_in_the_admin_merges_a_private_organisation_into_the_shared_one_of_its_name(
        admin_client, team, other_team):
    shared = Organization.objects.create(name="Northwind", slug="northwind")
    private = Organization.objects.create(name="Northwind", slug="northwind-k3x9q2mz",
                                          team=team)
    incident = IncidentFactory(team=team, organization=private, visibility="team")
    data = change_form(admin_client, incident)
    data["visibility"] = ["library"]
    save(admin_client, incident, data)
    incident.refresh_from_db()
    assert incident.organization == shared
    assert not Organization.objects.filter(pk=private.pk).exists()
    assert set(incident.history.values_list("organization_id", flat=True)) == {shared.pk}


def test_an_old_record_of_an_incident_cannot_be_restored_behind_its_timeline(
        admin_client, member, private_incident):
    logged = private_incident.history.order_by("history_date", "history_id").first()
    timeline_event_add(user=member, incident=private_incident,
                       at=datetime(2026, 11, 9, 8, 30, tzinfo=UTC), kind="apology",
                       text="We are sorry")
    url = reverse("admin:incidents_incident_simple_history",
                  args=[private_incident.pk, logged.history_id])
    assert admin_client.post(url, change_form_at(admin_client, url)).status_code == 403
    private_incident.refresh_from_db()
    assert private_incident.first_response_at == datetime(2026, 11, 9, 8, 30, tzinfo=UTC)


def change_form_at(client, url: str) -> dict[str, list[str]]:
    return form_fields(client.get(url).content.decode(), "incident_form")


@pytest.mark.parametrize("model", ["rootcause", "factor"])
def test_vocabulary_is_retired_not_deleted_in_the_admin(admin_client, model):
    changelist = admin_client.get(reverse(f"admin:incidents_{model}_changelist"))
    assert 'value="delete_selected"' not in changelist.content.decode()
    assert admin_client.post(reverse(f"admin:incidents_{model}_delete", args=[1]),
                             {"post": "yes"}).status_code == 403


def test_an_admin_save_that_changes_causes_factors_and_moves_leaves_one_history_record(
        admin_client, private_incident):
    before = private_incident.history.count()
    data = change_form(admin_client, private_incident)
    data.update(apologized=["on"], factors=[str(Factor.objects.order_by("pk")[0].pk)],
                contributing_causes=[str(cause("account-compromise").pk)])
    save(admin_client, private_incident, data)
    assert private_incident.history.count() == before + 1
    record = private_incident.history.latest()
    assert record.history_user.email == "admin@example.com"
    assert (record.apologized, record.response_score) == (True, 1)
    assert [row.rootcause.slug for row in record.contributing_causes.all()] == [
        "account-compromise"]
    assert record.factors.count() == 1
