"""Free text is bounded (common.text) and Markdown is rendered once per text, not per view.

A 600,000-character summary took 37 s to render on every view of its incident.
"""

import uuid
from html import escape
from unittest import mock

import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.urls import reverse

from common import markdown
from common.text import LONG_TEXT_MAX, REASON_MAX, too_long_message
from incidents.models import Incident
from incidents.services import incident_create, incident_update
from learnings.models import Learning
from learnings.services import (
    learning_change_status,
    learning_create_from_incidents,
    learning_update,
)
from tests.factories import IncidentFactory, cause, edit_form_data

TOO_LONG = "x" * (LONG_TEXT_MAX + 1)
TOO_LONG_MESSAGE = too_long_message(LONG_TEXT_MAX, LONG_TEXT_MAX + 1)


@pytest.fixture
def member_client(client, member):
    client.force_login(member)
    return client


def field_error(field: str, message: str) -> str:
    return (f'<ul class="errorlist" id="id_{field}_error" role="alert">'
            f"<li>{escape(message)}</li></ul>")


def test_edit_form_refuses_an_over_long_summary_beside_the_field(member_client, team):
    incident = IncidentFactory(team=team, summary="Short.")
    response = member_client.post(
        reverse("incidents:incident-update", kwargs={"public_id": incident.public_id}),
        edit_form_data(incident, summary=TOO_LONG))
    assert response.status_code == 200
    assert response.context["form"].errors == {"summary": [TOO_LONG_MESSAGE]}
    html = response.content.decode()
    assert field_error("summary", TOO_LONG_MESSAGE) in html
    # The text stays in the form to be shortened, and no maxlength cuts a paste silently.
    assert TOO_LONG in html
    assert 'maxlength="20000"' not in html
    assert Incident.objects.get(pk=incident.pk).summary == "Short."


def test_log_form_refuses_an_over_long_summary_beside_the_field(member_client, team):
    response = member_client.post(reverse("incidents:incident-create"), {
        "team": team.pk, "title": "Long", "organization": "Acme", "platform": "twitter",
        "occurred_on": "2026-10-01", "primary_cause": cause().slug, "origin": "external",
        "summary": TOO_LONG, "idempotency_key": str(uuid.uuid4()),
    })
    assert response.status_code == 200
    assert response.context["form"].errors["summary"] == [TOO_LONG_MESSAGE]
    assert not Incident.objects.exists()


@pytest.mark.parametrize("field", ["lesson", "practice"])
def test_learning_form_refuses_over_long_text_beside_the_field(member_client, member, team,
                                                               field):
    learning, _ = learning_create_from_incidents(user=member, team=team, incident_ids=[],
                                                 title="T")
    data = {"title": "T", "lesson": "", "practice": "", "owner": "", "review_on": "",
            field: TOO_LONG}
    response = member_client.post(
        reverse("learnings:learning-update", kwargs={"public_id": learning.public_id}), data)
    assert response.status_code == 200
    assert response.context["form"].errors == {field: [TOO_LONG_MESSAGE]}
    assert getattr(Learning.objects.get(pk=learning.pk), field) == ""


def test_services_refuse_over_long_text(member, team):
    with pytest.raises(ValidationError) as error:
        incident_create(user=member, team=team, title="Long", organization_name="Acme",
                        platform="twitter", occurred_on=IncidentFactory.occurred_on,
                        primary_cause=cause(), summary=TOO_LONG)
    assert error.value.message_dict == {"summary": [TOO_LONG_MESSAGE]}
    incident = IncidentFactory(team=team)
    with pytest.raises(ValidationError) as error:
        incident_update(user=member, incident=incident, data={"summary": TOO_LONG})
    assert error.value.message_dict == {"summary": [TOO_LONG_MESSAGE]}

    with pytest.raises(ValidationError) as error:
        learning_create_from_incidents(user=member, team=team, incident_ids=[], title="T",
                                       practice=TOO_LONG)
    assert error.value.message_dict == {"practice": [TOO_LONG_MESSAGE]}
    learning, _ = learning_create_from_incidents(user=member, team=team, incident_ids=[],
                                                 title="T")
    with pytest.raises(ValidationError) as error:
        learning_update(user=member, learning=learning, data={"lesson": TOO_LONG})
    assert error.value.message_dict == {"lesson": [TOO_LONG_MESSAGE]}
    learning_change_status(user=member, learning=learning, status="adopted")
    with pytest.raises(ValidationError) as error:
        learning_change_status(user=member, learning=learning, status="retired",
                               reason="r" * (REASON_MAX + 1))
    assert error.value.message_dict == {
        "reason": [too_long_message(REASON_MAX, REASON_MAX + 1)]}


def test_a_summary_of_exactly_the_limit_is_kept(member, team):
    incident = IncidentFactory(team=team)
    incident_update(user=member, incident=incident, data={"summary": "y" * LONG_TEXT_MAX})
    assert len(Incident.objects.get(pk=incident.pk).summary) == LONG_TEXT_MAX


def test_the_same_text_is_rendered_once_then_served_from_the_cache():
    cache.clear()
    text = f"**Bold** move number {uuid.uuid4()}"
    with mock.patch.object(markdown, "_render", wraps=markdown._render) as render:
        first = markdown.render_markdown(text)
        second = markdown.render_markdown(text)
        assert render.call_count == 1
        markdown.render_markdown(text + " edited")
        assert render.call_count == 2
    assert first == second
    assert first.startswith("<p><strong>Bold</strong> move number ")


def test_the_incident_page_renders_its_summary_once_across_views(member_client, team):
    cache.clear()
    incident = IncidentFactory(team=team, summary=f"*Once* {uuid.uuid4()}")
    url = reverse("incidents:incident-detail", kwargs={"public_id": incident.public_id})
    with mock.patch.object(markdown, "_render", wraps=markdown._render) as render:
        for _ in range(3):
            assert "<em>Once</em>" in member_client.get(url).content.decode()
    assert render.call_count == 1


def test_markdown_renders_when_the_cache_is_unreachable(settings, member_client, team):
    # Nothing listens on port 1: every cache call fails the way a Redis outage does.
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                   "LOCATION": "redis://127.0.0.1:1/0"}}
    assert markdown.render_markdown("*Still* here") == "<p><em>Still</em> here</p>\n"
    incident = IncidentFactory(team=team, summary="**Outage-proof** summary")
    page = member_client.get(
        reverse("incidents:incident-detail", kwargs={"public_id": incident.public_id}))
    assert page.status_code == 200
    assert "<strong>Outage-proof</strong> summary" in page.content.decode()
