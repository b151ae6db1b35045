"""A learning's history names only incidents its team can still read, and refreshes after
changes made in place on the learning page."""

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils.html import escape

from accounts.models import Role
from incidents.services import incident_update
from learnings.history import learning_history
from learnings.services import (
    action_item_create,
    learning_create_from_incidents,
    learning_incident_link,
    learning_incident_unlink,
    learning_update,
)
from tests.factories import IncidentFactory, MembershipFactory, UserFactory

NOW = datetime(2026, 11, 10, 12, 0, tzinfo=UTC)
HTMX = {"HX-Request": "true"}
GONE = "an incident no longer shared"


@pytest.fixture(autouse=True)
def frozen_now():
    with time_machine.travel(NOW, tick=True):
        yield


@pytest.fixture
def learning(team, member, library_incident):
    learning, _ = learning_create_from_incidents(
        user=member, team=team, incident_ids=[library_incident.public_id],
        title="Check hashtags first")
    return learning


def history_html(client, learning) -> str:
    html = client.get(reverse("learnings:learning-detail",
                              kwargs={"public_id": learning.public_id})).content.decode()
    start = html.index('aria-labelledby="history-heading"')
    return html[start:html.index("</section>", start)]


def test_history_names_an_incident_made_private_since_as_no_longer_shared(
        client, member, outsider, learning, library_incident, outsider_private_incident):
    second = IncidentFactory(team=library_incident.team, visibility="library",
                             title="Second shared case")
    learning_incident_link(user=member, learning=learning, incident_id=second.public_id)
    learning_incident_unlink(user=member, learning=learning, incident=second)
    incident_update(user=outsider, incident=library_incident,
                    data={"visibility": "team", "title": "Renamed in private"})
    incident_update(user=outsider, incident=second,
                    data={"visibility": "team", "title": "Second renamed in private"})
    client.force_login(member)
    history = history_html(client, learning)
    assert "Renamed in private" not in history
    assert "Shared hashtag hijack" not in history
    assert "Second shared case" not in history
    assert library_incident.get_absolute_url() not in history
    assert second.get_absolute_url() not in history
    assert f"Drawn from: <ins>{GONE}</ins>" in history
    assert f"Linked incident: <ins>{GONE}</ins>" in history
    assert f"Unlinked incident: <del>{GONE}</del>" in history


def test_history_names_and_links_incidents_the_team_can_read(
        client, member, learning, library_incident, private_incident):
    learning_incident_link(user=member, learning=learning,
                           incident_id=private_incident.public_id)
    client.force_login(member)
    history = history_html(client, learning)
    assert (f'<a href="{library_incident.get_absolute_url()}">Shared hashtag hijack</a>'
            in history)
    assert (f'<a href="{private_incident.get_absolute_url()}">'
            f"Private slip about the spring sale</a>" in history)


def test_team_never_sees_a_former_members_email_in_a_learnings_history(
        client, team, member, library_incident):
    leaver = UserFactory(email="leaver@comms.example", display_name="")
    membership = MembershipFactory(team=team, user=leaver, role=Role.MEMBER)
    learning, _ = learning_create_from_incidents(
        user=leaver, team=team, incident_ids=[library_incident.public_id],
        title="Read the trend first", owner=leaver)
    learning_update(user=member, learning=learning, data={"owner": member})
    client.force_login(member)
    assert "<strong>leaver@comms.example</strong> drafted it" in history_html(client, learning)
    membership.delete()
    history = history_html(client, learning)
    assert "leaver@comms.example" not in history
    assert "<strong>A former member</strong> drafted it" in history
    assert f"Owner: <del>A former member</del> → <ins>{escape(member.display_name)}</ins>" \
        in history


@pytest.mark.parametrize("n", [1, 6])
def test_learning_history_query_count_does_not_grow(
        member, team, other_team, learning, django_assert_num_queries, n):
    for i in range(n):
        shared = IncidentFactory(team=other_team, visibility="library", title=f"Case {i}")
        learning_incident_link(user=member, learning=learning, incident_id=shared.public_id)
        IncidentFactory(team=other_team, visibility="team", title=f"Hidden {i}")
        action_item_create(user=member, learning=learning, title=f"Do {i}",
                           due_on=date(2026, 11, 20))
    # learning records with their links, action-item records, readable incidents, the
    # people in them with whether they are still of the team
    with django_assert_num_queries(5):
        entries = learning_history(learning)
    assert len(entries) >= 2 * n


def test_in_place_changes_tell_the_learning_history_to_refresh(
        client, member, learning, private_incident):
    client.force_login(member)
    response = client.post(reverse("learnings:learning-incident-create",
                                   kwargs={"public_id": learning.public_id}),
                           {"incident": private_incident.public_id}, headers=HTMX)
    assert response.status_code == 200
    assert response.headers["HX-Trigger"] == "history-changed"
    page = client.get(reverse("learnings:learning-detail",
                              kwargs={"public_id": learning.public_id})).content.decode()
    assert 'hx-trigger="history-changed from:body"' in page
    fragment = client.get(reverse("learnings:learning-history",
                                  kwargs={"public_id": learning.public_id})).content.decode()
    assert "Linked incident" in fragment
    assert "Private slip about the spring sale" in fragment


def test_learning_history_is_shown_in_the_readers_time_zone(client, member, learning):
    member.timezone = "America/New_York"
    member.save()
    record = learning.history.get()
    record.history_date = datetime(2026, 11, 3, 2, 15, tzinfo=UTC) + timedelta(0)
    record.save()
    client.force_login(member)
    assert "2 Nov 2026, 21:15</time>" in history_html(client, learning)
