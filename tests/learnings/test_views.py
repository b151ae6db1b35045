"""Learning pages: turning an incident into a learning, the learning page with its status
buttons, linked incidents, action items (in place, with htmx) and history, my actions, the
learnings list, the learnings side of the incident page, and the query count of each."""

import re
import uuid
from datetime import UTC, date, datetime, timedelta
from html import escape

import pytest
import time_machine
from django.urls import reverse

from accounts.models import Membership, Role
from incidents.models import Incident, RootCause
from learnings.models import ActionItem, Learning, LearningStatus
from learnings.services import (
    action_item_complete,
    action_item_create,
    learning_change_status,
    learning_create_from_incidents,
    learning_incident_link,
    learning_update,
)
from tests.factories import (
    IncidentFactory,
    MembershipFactory,
    OrganizationFactory,
    SourceFactory,
    TimelineEventFactory,
    cause,
)
from tests.incidents.test_views import DETAIL_QUERIES

TODAY = date(2026, 11, 10)
NOW = datetime(2026, 11, 10, 12, 0, tzinfo=UTC)
HTMX = {"HX-Request": "true"}
HTMX_RESULTS = {"HX-Request": "true", "HX-Target": "learning-results"}
PAST_DUE = "That date has passed. A past due date is only for an action that is already done."


@pytest.fixture(autouse=True)
def frozen_today():
    with time_machine.travel(NOW, tick=True):
        yield


@pytest.fixture
def member_client(client, member):
    client.force_login(member)
    return client


def draft(team, user, incidents=(), title="Pause the queue when the news turns",
          **kwargs) -> Learning:
    learning, _ = learning_create_from_incidents(
        user=user, team=team, incident_ids=[i.public_id for i in incidents], title=title,
        **kwargs)
    return learning


def set_status(learning: Learning, status: str, **fields) -> None:
    """Put a learning in a status directly (the services' rules are tested elsewhere)."""
    Learning.objects.filter(pk=learning.pk).update(status=status, **fields)


def overdue_item(learning: Learning, title: str = "Write the pause checklist", days: int = 3,
                 **kwargs) -> ActionItem:
    """An open action whose due date has since passed (a service refuses a past date)."""
    item = action_item_create(user=learning.created_by, learning=learning, title=title,
                              due_on=TODAY + timedelta(days=1), **kwargs)
    ActionItem.objects.filter(pk=item.pk).update(due_on=TODAY - timedelta(days=days))
    item.refresh_from_db()
    return item


def url(name: str, obj=None) -> str:
    if obj is None:
        return reverse(f"learnings:{name}")
    if isinstance(obj, ActionItem):
        return reverse(f"learnings:{name}", kwargs={"item_id": obj.public_id})
    return reverse(f"learnings:{name}", kwargs={"public_id": obj.public_id})


def url_unlink(learning, incident) -> str:
    return reverse("learnings:learning-incident-delete",
                   kwargs={"public_id": learning.public_id, "incident_id": incident.public_id})


def create_url(*incidents: Incident) -> str:
    query = "&".join(f"incident={i.public_id}" for i in incidents)
    return f"{url('learning-create')}?{query}" if query else url("learning-create")


def field_error(field: str, message: str) -> str:
    """The error list rendered beside a form field (includes/field.html)."""
    return (f'<ul class="errorlist" id="id_{field}_error" role="alert">'
            f"<li>{escape(message)}</li></ul>")


def input_value(name: str, value: str) -> str:
    return f'name="{name}" value="{escape(value)}"'


def section(html: str, section_id: str) -> str:
    """One <section> of a page, by its id."""
    start = html.index(f'<section id="{section_id}"')
    return html[start:html.index("</section>", start)]


def aside(html: str) -> str:
    start = html.index('<aside class="similar"')
    return html[start:html.index("</aside>", start)]


def titles(response) -> list[str]:
    return [learning.title for learning in response.context["page"].object_list]


# Turn an incident into a learning


def create_data(team, *incidents, **overrides) -> dict:
    data = {
        "team": team.pk,
        "incidents": [str(i.public_id) for i in incidents],
        "title": "Read the hashtag as others will",
        "lesson": "A hashtag reads differently without spaces.",
        "practice": "A second pair of eyes on every hashtag.",
        "owner": "",
        "review_on": "",
        "idempotency_key": str(uuid.uuid4()),
    }
    data.update(overrides)
    return data


def test_create_page_is_prefilled_from_the_incident_and_its_causes_prevention(
        member_client, member, private_incident):
    slip = private_incident.primary_cause
    response = member_client.get(create_url(private_incident))
    html = response.content.decode()
    form = response.context["form"]
    assert response.status_code == 200
    assert form["title"].value() == f"{slip.name}: Private slip about the spring sale"
    assert form["lesson"].value() == (
        f"**{private_incident.organization.name}, October 2026** — "
        f"Private slip about the spring sale.\n\n{slip.description}")
    assert form["practice"].value() == slip.prevention
    assert form["owner"].value() == member.pk
    assert input_value("title", form["title"].value()) in html
    assert escape(slip.prevention) in html
    assert f'<input type="hidden" name="incidents" value="{private_incident.public_id}">' in html
    assert escape("Private slip about the spring sale") in aside(html)


def test_creating_a_learning_draws_it_from_its_incidents_and_opens_its_page(
        member_client, member, team, private_incident, library_incident):
    response = member_client.post(url("learning-create"),
                                  create_data(team, private_incident, library_incident,
                                              owner=member.pk, review_on="2027-02-01"))
    learning = Learning.objects.get()
    assert response.status_code == 302
    assert response.url == learning.get_absolute_url()
    assert (learning.team, learning.status, learning.created_by, learning.owner) == (
        team, LearningStatus.DRAFT, member, member)
    assert learning.review_on == date(2027, 2, 1)
    assert set(learning.incidents.all()) == {private_incident, library_incident}
    page = member_client.get(response.url).content.decode()
    assert "Learning drafted. Add the actions it needs, then propose or adopt it." in page


def test_double_submitted_create_form_makes_one_learning_and_says_it_was_already_sent(
        member_client, team, private_incident):
    data = create_data(team, private_incident)
    first = member_client.post(url("learning-create"), data)
    member_client.get(first.url)  # reads the first answer's message
    second = member_client.post(url("learning-create"), data, follow=True)
    learning = Learning.objects.get()
    assert first.status_code == 302
    assert first.url == learning.get_absolute_url()
    assert second.redirect_chain == [(learning.get_absolute_url(), 302)]
    assert "This form was already sent: here is its learning." in second.content.decode()
    assert "Learning drafted." not in second.content.decode()


def test_create_with_an_empty_title_keeps_what_was_typed_and_marks_the_title(
        member_client, team, private_incident):
    data = create_data(team, private_incident, title="  ")
    response = member_client.post(url("learning-create"), data)
    html = response.content.decode()
    assert response.status_code == 200
    assert field_error("title", "This field is required.") in html
    assert escape("A hashtag reads differently without spaces.") in html
    assert input_value("idempotency_key", data["idempotency_key"]) in html
    assert Learning.objects.count() == 0


def test_create_with_an_owner_from_outside_the_team_is_refused_beside_the_owner(
        member_client, team, outsider, private_incident):
    response = member_client.post(url("learning-create"),
                                  create_data(team, private_incident, owner=outsider.pk))
    assert response.status_code == 200
    assert field_error(
        "owner", "Select a valid choice. That choice is not one of the available choices."
    ) in response.content.decode()
    assert Learning.objects.count() == 0


def test_member_of_two_teams_choosing_an_owner_of_the_other_team_is_told_beside_the_owner(
        client, member, team, other_team, outsider, library_incident):
    MembershipFactory(user=member, team=other_team, role=Role.MEMBER)
    client.force_login(member)
    response = client.post(url("learning-create"),
                           create_data(team, library_incident, owner=outsider.pk))
    assert response.status_code == 200
    assert field_error("owner", f"{outsider} is not a member of Comms.") in (
        response.content.decode())
    assert Learning.objects.count() == 0


def test_member_of_two_teams_picks_the_team_of_a_learning_drawn_from_the_library(
        client, member, team, other_team, library_incident):
    MembershipFactory(user=member, team=other_team, role=Role.MEMBER)
    client.force_login(member)
    page = client.get(create_url(library_incident)).content.decode()
    assert '<select name="team"' in page
    client.post(url("learning-create"), create_data(other_team, library_incident))
    assert Learning.objects.get().team == other_team


def test_a_learning_can_start_without_an_incident(member_client, team):
    page = member_client.get(url("learning-create")).content.decode()
    assert "No incident yet." in page
    response = member_client.post(url("learning-create"), create_data(team))
    learning = Learning.objects.get()
    assert response.url == learning.get_absolute_url()
    assert learning.incidents.count() == 0


# The learning page: edit, status, archive


def test_learning_page_shows_the_lesson_practice_derived_causes_and_incidents(
        member_client, member, team, private_incident, library_incident):
    library_incident.contributing_causes.add(cause("unchecked-trend"))
    learning = draft(team, member, [private_incident, library_incident],
                     lesson="**Read** it aloud.", practice="Two people check.")
    html = member_client.get(learning.get_absolute_url()).content.decode()
    assert "<h1>Pause the queue when the news turns</h1>" in html
    assert "<strong>Read</strong> it aloud." in html
    assert "Two people check." in html
    causes = section(html, "learning-causes")
    assert "Production or QA slip" in causes
    assert "Trend joined without checking" in causes
    incidents = section(html, "learning-incidents")
    assert "Private slip about the spring sale" in incidents
    assert "Shared hashtag hijack" in incidents
    assert "shared by Elsewhere" in incidents


def test_editing_a_learning_saves_it_and_refuses_an_owner_from_outside(
        member_client, member, team, outsider):
    learning = draft(team, member)
    refused = member_client.post(url("learning-update", learning), {
        "title": "Renamed", "lesson": "", "practice": "", "owner": outsider.pk, "review_on": ""})
    assert refused.status_code == 200
    assert field_error(
        "owner", "Select a valid choice. That choice is not one of the available choices."
    ) in refused.content.decode()
    assert Learning.objects.get().title == "Pause the queue when the news turns"
    saved = member_client.post(url("learning-update", learning), {
        "title": "Renamed", "lesson": "", "practice": "Check first.", "owner": member.pk,
        "review_on": "2027-01-15"}, follow=True)
    learning.refresh_from_db()
    assert (learning.title, learning.practice, learning.review_on) == (
        "Renamed", "Check first.", date(2027, 1, 15))
    assert "Learning saved." in saved.content.decode()


def status_buttons(html: str) -> list[str]:
    """The labels of the status section's buttons (a details' summary for retire)."""
    start = html.find('<div class="status-actions">')
    if start < 0:
        return []
    block = html[start:html.index("</section>", start)]
    found = re.findall(r'<button type="submit"(?: class="primary")?>([^<]+)</button>'
                       r"|<summary>([^<]+)</summary>", block)
    # The retire form's own submit button sits inside its <details>.
    return [a or b for a, b in found if a != "Retire learning"]


@pytest.mark.parametrize(("status", "buttons"), [
    (LearningStatus.DRAFT, ["Propose", "Adopt"]),
    (LearningStatus.PROPOSED, ["Adopt", "Back to draft"]),
    (LearningStatus.ADOPTED, ["Retire…"]),
    (LearningStatus.RETIRED, ["Reopen"]),
])
def test_status_buttons_offer_only_the_allowed_moves(
        member_client, member, team, status, buttons):
    learning = draft(team, member)
    set_status(learning, status)
    html = member_client.get(learning.get_absolute_url()).content.decode()
    assert status_buttons(html) == buttons


def test_viewer_sees_the_status_but_no_buttons(client, viewer, member, team):
    learning = draft(team, member)
    client.force_login(viewer)
    html = client.get(learning.get_absolute_url()).content.decode()
    assert '<span class="status status-draft">Draft</span>' in html
    assert status_buttons(html) == []
    assert url("learning-update", learning) not in html
    assert "Add action" not in html


def test_archived_learning_offers_restore_and_no_status_buttons(member_client, member, team):
    learning = draft(team, member)
    response = member_client.post(url("learning-archive", learning), follow=True)
    html = response.content.decode()
    assert "It is out of lists and counts until restored." in html
    assert status_buttons(html) == []
    assert url("learning-restore", learning) in html
    member_client.post(url("learning-restore", learning))
    assert Learning.objects.get().archived_at is None


def test_adopting_records_when_and_says_so(member_client, member, team):
    learning = draft(team, member)
    response = member_client.post(url("learning-status", learning), {"status": "adopted"},
                                  follow=True)
    learning.refresh_from_db()
    assert response.redirect_chain == [(learning.get_absolute_url(), 302)]
    assert learning.status == LearningStatus.ADOPTED
    assert learning.adopted_at is not None
    assert "Adopted: the team now works this way." in response.content.decode()


def test_retiring_without_a_reason_is_refused_beside_the_reason(member_client, member, team):
    learning = draft(team, member)
    set_status(learning, LearningStatus.ADOPTED, adopted_at=NOW)
    response = member_client.post(url("learning-status", learning),
                                  {"status": "retired", "reason": "  "})
    html = response.content.decode()
    assert response.status_code == 400
    assert field_error("reason", "Say why this learning is retired.") in html
    assert "<details open>" in html
    assert Learning.objects.get().status == LearningStatus.ADOPTED


def test_retiring_with_a_reason_shows_it(member_client, member, team):
    learning = draft(team, member)
    set_status(learning, LearningStatus.ADOPTED, adopted_at=NOW)
    response = member_client.post(url("learning-status", learning),
                                  {"status": "retired", "reason": "The platform changed."},
                                  follow=True)
    assert Learning.objects.get().status == LearningStatus.RETIRED
    assert "<strong>Why retired:</strong> The platform changed." in response.content.decode()


def test_a_retired_learning_cannot_be_adopted_before_it_is_reopened(
        member_client, member, team):
    learning = draft(team, member)
    set_status(learning, LearningStatus.RETIRED, retired_reason="Old news.")
    response = member_client.post(url("learning-status", learning), {"status": "adopted"})
    assert response.status_code == 400
    assert ('<div class="alert alert-error" role="alert" id="status-error"><p>A retired '
            "learning has to be reopened before it can be proposed or adopted.</p></div>"
            ) in response.content.decode()
    assert Learning.objects.get().status == LearningStatus.RETIRED
    member_client.post(url("learning-status", learning), {"status": "draft"})
    assert Learning.objects.get().status == LearningStatus.DRAFT


def test_an_unknown_status_is_refused_with_400(member_client, member, team):
    learning = draft(team, member)
    response = member_client.post(url("learning-status", learning), {"status": "famous"})
    assert response.status_code == 400
    assert Learning.objects.get().status == LearningStatus.DRAFT


# Linked incidents


def test_link_search_offers_own_and_library_incidents_not_linked_yet(
        member_client, member, team, private_incident, library_incident,
        outsider_private_incident):
    learning = draft(team, member, [private_incident])
    IncidentFactory(team=team, title="Another slip on the sale")
    response = member_client.get(url("learning-incident-search", learning), {"q": "slip"},
                                 headers=HTMX)
    html = response.content.decode()
    assert "<html" not in html
    assert "Another slip on the sale" in html
    assert "Private slip about the spring sale" not in html  # linked already
    hijack = member_client.get(url("learning-incident-search", learning), {"q": "hijack"},
                               headers=HTMX).content.decode()
    assert "Shared hashtag hijack" in hijack
    secret = member_client.get(url("learning-incident-search", learning), {"q": "secret"},
                               headers=HTMX).content.decode()
    assert "secret misstep" not in secret
    assert "No incident matches" in secret


def test_htmx_link_returns_the_incidents_and_the_causes_they_now_give(
        member_client, member, team, library_incident):
    learning = draft(team, member)
    library_incident.primary_cause = cause("account-compromise")
    library_incident.save()
    response = member_client.post(url("learning-incident-create", learning),
                                  {"incident": str(library_incident.public_id)}, headers=HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert html.startswith('<section id="learning-incidents"')
    assert "Shared hashtag hijack" in html
    assert '<section id="learning-causes" aria-labelledby="causes-heading" hx-swap-oob="true">' \
        in html
    assert library_incident.primary_cause.name in section(html, "learning-causes")
    assert list(learning.incidents.all()) == [library_incident]


def test_linking_an_incident_twice_is_refused_beside_the_search(
        member_client, member, team, private_incident):
    learning = draft(team, member, [private_incident])
    response = member_client.post(url("learning-incident-create", learning),
                                  {"incident": str(private_incident.public_id)}, headers=HTMX)
    assert response.status_code == 400
    assert "That incident is already linked to this learning." in response.content.decode()
    assert learning.incidents.count() == 1


def test_htmx_unlink_returns_the_incidents_without_it(
        member_client, member, team, private_incident):
    learning = draft(team, member, [private_incident])
    response = member_client.post(url_unlink(learning, private_incident), headers=HTMX)
    html = response.content.decode()
    assert html.startswith('<section id="learning-incidents"')
    assert "No incident linked yet." in html
    assert learning.incidents.count() == 0
    assert Incident.objects.filter(pk=private_incident.pk).exists()


# Action items


def item_data(**overrides) -> dict:
    data = {"item-title": "Add a pause button to the scheduler", "item-owner": "",
            "item-due_on": "", "item-kind": "preventive"}
    data.update(overrides)
    return data


def test_htmx_add_action_returns_the_section_with_the_new_item_and_the_overdue_one(
        member_client, member, team):
    learning = draft(team, member)
    old = overdue_item(learning, "Write the pause checklist")
    response = member_client.post(url("action-item-create", learning), item_data(
        **{"item-owner": member.pk, "item-due_on": "2026-11-20"}), headers=HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert html.startswith('<section id="action-items"')
    assert "<html" not in html
    assert "Add a pause button to the scheduler" in html
    assert f'<li id="item-{old.public_id}" class="action-item overdue">' in html
    assert '<span class="tag tag-overdue">overdue</span>' in html
    assert '2 open · <strong class="overdue-count">1 overdue</strong> · 2 in all' in html
    item = learning.action_items.get(title="Add a pause button to the scheduler")
    assert (item.owner, item.due_on, item.created_by) == (member, date(2026, 11, 20), member)


def test_htmx_add_action_with_a_past_due_date_is_refused_beside_the_date(
        member_client, member, team):
    learning = draft(team, member)
    response = member_client.post(url("action-item-create", learning),
                                  item_data(**{"item-due_on": "2026-11-09"}), headers=HTMX)
    html = response.content.decode()
    assert html.startswith('<section id="action-items"')
    assert field_error("item-due_on", PAST_DUE) in html
    assert input_value("item-title", "Add a pause button to the scheduler") in html
    assert learning.action_items.count() == 0


def test_an_action_already_done_may_carry_a_past_due_date(member_client, member, team):
    learning = draft(team, member)
    response = member_client.post(url("action-item-create", learning), item_data(
        **{"item-due_on": "2026-11-01", "item-done": "on"}), headers=HTMX)
    html = response.content.decode()
    item = learning.action_items.get()
    assert item.done_at is not None
    assert item.done_by == member
    assert f'<li id="item-{item.public_id}" class="action-item done">' in html
    assert '<span class="tag tag-done">done 10 Nov</span>' in html
    assert "tag-overdue" not in html


def test_plain_post_of_a_bad_action_goes_back_to_the_page_with_the_error(
        member_client, member, team):
    learning = draft(team, member)
    response = member_client.post(url("action-item-create", learning),
                                  item_data(**{"item-title": ""}), follow=True)
    assert response.redirect_chain == [(learning.get_absolute_url(), 302)]
    assert "This field is required." in response.content.decode()
    assert learning.action_items.count() == 0


def test_htmx_complete_returns_the_row_marked_done(member_client, member, team):
    learning = draft(team, member)
    item = overdue_item(learning)
    response = member_client.post(url("action-item-complete", item), headers=HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert html.startswith(f'<li id="item-{item.public_id}" class="action-item done">')
    assert '<span class="tag tag-done">done 10 Nov</span>' in html
    assert url("action-item-reopen", item) in html
    item.refresh_from_db()
    assert (item.done_by, item.done_at is not None) == (member, True)


def test_htmx_reopen_of_a_past_due_action_returns_the_row_marked_overdue(
        member_client, member, team):
    learning = draft(team, member)
    item = action_item_create(user=member, learning=learning, title="Brief the agency",
                              due_on=date(2026, 11, 1), done=True)
    response = member_client.post(url("action-item-reopen", item), headers=HTMX)
    html = response.content.decode()
    assert html.startswith(f'<li id="item-{item.public_id}" class="action-item overdue">')
    assert '<span class="tag tag-overdue">overdue</span>' in html
    assert url("action-item-complete", item) in html
    item.refresh_from_db()
    assert item.done_at is None


def test_plain_complete_goes_back_where_it_came_from(member_client, member, team):
    learning = draft(team, member)
    first = action_item_create(user=member, learning=learning, title="One")
    second = action_item_create(user=member, learning=learning, title="Two")
    back = member_client.post(url("action-item-complete", first))
    assert back.url == learning.get_absolute_url()
    mine = member_client.post(url("action-item-complete", second), {"from": "mine"})
    assert mine.url == url("action-item-mine")


def test_removing_an_action_keeps_it_in_the_history(member_client, member, team):
    learning = draft(team, member)
    item = action_item_create(user=member, learning=learning, title="Brief the agency")
    response = member_client.post(url("action-item-archive", item), follow=True)
    html = response.content.decode()
    assert "Action “Brief the agency” removed." in html
    assert f'id="item-{item.public_id}"' not in html
    assert "removed an action" in html
    assert ActionItem.objects.filter(pk=item.pk, archived_at__isnull=False).exists()
    assert "1 removed action" in html
    assert 'aria-label="Restore: Brief the agency"' in html


def test_a_removed_action_is_restored_from_the_learning_page(member_client, member, team):
    learning = draft(team, member)
    item = action_item_create(user=member, learning=learning, title="Brief the agency")
    member_client.post(url("action-item-archive", item))
    response = member_client.post(url("action-item-restore", item), follow=True)
    html = response.content.decode()
    assert "Action “Brief the agency” restored." in html
    assert f'id="item-{item.public_id}"' in html
    assert "removed action" not in html
    assert "restored an action" in html
    assert ActionItem.objects.get(pk=item.pk).archived_at is None


def test_editing_an_action_saves_it_and_refuses_a_new_past_due_date(
        member_client, member, team):
    learning = draft(team, member)
    item = action_item_create(user=member, learning=learning, title="Brief the agency")
    page = member_client.get(url("action-item-update", item)).content.decode()
    assert input_value("title", "Brief the agency") in page
    refused = member_client.post(url("action-item-update", item), {
        "title": "Brief the agency", "owner": "", "due_on": "2026-11-01", "kind": "preventive"})
    assert field_error("due_on", PAST_DUE) in refused.content.decode()
    saved = member_client.post(url("action-item-update", item), {
        "title": "Brief the agency today", "owner": member.pk, "due_on": "2026-11-12",
        "kind": "detective"})
    item.refresh_from_db()
    assert saved.url == learning.get_absolute_url()
    assert (item.title, item.owner, item.due_on, item.kind) == (
        "Brief the agency today", member, date(2026, 11, 12), "detective")


# My actions


@pytest.fixture
def my_items(member, manager, team, other_team, outsider):
    """The member's action items across comms and elsewhere, and some that are not theirs."""
    MembershipFactory(user=member, team=other_team, role=Role.MEMBER)
    comms = draft(team, member, title="Comms learning")
    elsewhere = draft(other_team, outsider, title="Elsewhere learning")
    put_away = draft(team, member, title="Archived learning")
    overdue_item(comms, "Overdue in comms", days=3, owner=member)
    overdue_item(elsewhere, "Overdue elsewhere", days=10, owner=member)
    action_item_create(user=member, learning=comms, title="Due soon", owner=member,
                       due_on=TODAY + timedelta(days=5))
    action_item_create(user=member, learning=comms, title="No date", owner=member)
    action_item_create(user=member, learning=comms, title="Done already", owner=member,
                       done=True)
    action_item_create(user=member, learning=comms, title="The manager's", owner=manager)
    removed = action_item_create(user=member, learning=comms, title="Removed", owner=member)
    ActionItem.objects.filter(pk=removed.pk).update(archived_at=NOW)
    action_item_create(user=member, learning=put_away, title="On an archived learning",
                       owner=member)
    Learning.objects.filter(pk=put_away.pk).update(archived_at=NOW)


def item_titles(response) -> list[str]:
    return [item.title for item in response.context["page"].object_list]


def test_my_actions_lists_my_open_items_across_teams_overdue_first(member_client, my_items):
    response = member_client.get(url("action-item-mine"))
    html = response.content.decode()
    assert item_titles(response) == ["Overdue elsewhere", "Overdue in comms", "Due soon",
                                     "No date"]
    assert html.count('<span class="tag tag-overdue">overdue</span>') == 2
    assert "Elsewhere learning</a> (Elsewhere)" in html
    assert "Comms learning</a> (Comms)" in html
    assert "4 actions" in html
    assert '<input type="hidden" name="from" value="mine">' in html


def test_my_finished_actions_are_listed_on_request(member_client, my_items):
    response = member_client.get(url("action-item-mine"), {"show": "done"})
    assert item_titles(response) == ["Done already"]
    assert "Show open actions" in response.content.decode()


def test_my_actions_has_an_empty_state(client, viewer, member, team):
    learning = draft(team, member)
    action_item_create(user=member, learning=learning, title="Someone else's", owner=member)
    client.force_login(viewer)
    html = client.get(url("action-item-mine")).content.decode()
    assert "Nothing on your list." in html
    assert "Someone else&#x27;s" not in html
    done = client.get(url("action-item-mine"), {"show": "done"}).content.decode()
    assert "No finished actions yet." in done


def test_a_viewers_own_action_shows_without_a_done_button(client, viewer, member, team):
    # Only members and managers are given actions, but one made a viewer since keeps theirs;
    # only members and managers tick them off.
    learning = draft(team, member)
    Membership.objects.filter(user=viewer, team=team).update(role=Role.MEMBER)
    item = action_item_create(user=member, learning=learning, title="Watch the queue",
                              owner=viewer)
    Membership.objects.filter(user=viewer, team=team).update(role=Role.VIEWER)
    client.force_login(viewer)
    html = client.get(url("action-item-mine")).content.decode()
    assert "Watch the queue" in html
    assert url("action-item-complete", item) not in html


# The learnings list


@pytest.fixture
def learnings(team, other_team, member, manager, outsider):
    """Comms' learnings that differ in every filter, and ones the member never sees."""
    own_slip = IncidentFactory(team=team, title="Own slip", origin="own",
                               primary_cause=cause("production-slip"))
    own_timing = IncidentFactory(team=team, title="Own timing", origin="own",
                                 primary_cause=cause("insensitive-timing"))
    own_timing.contributing_causes.add(cause("unchecked-trend"))
    breach = IncidentFactory(team=other_team, title="Their breach", origin="external",
                             visibility="library", primary_cause=cause("account-compromise"))
    alpha = draft(team, member, [own_slip], title="Alpha", owner=member,
                  lesson="A giraffe costume misread.")
    bravo = draft(team, member, [breach], title="Bravo", owner=manager)
    charlie = draft(team, member, [own_timing, breach], title="Charlie",
                    practice="Check the calendar.")
    delta = draft(team, member, [own_slip], title="Delta")
    draft(other_team, outsider, [breach], title="Echo elsewhere", owner=outsider)
    set_status(alpha, LearningStatus.ADOPTED, adopted_at=NOW)
    set_status(charlie, LearningStatus.PROPOSED)
    Learning.objects.filter(pk=bravo.pk).update(created_at=NOW - timedelta(days=100))
    Learning.objects.filter(pk=charlie.pk).update(created_at=NOW - timedelta(days=400))
    Learning.objects.filter(pk=delta.pk).update(archived_at=NOW)
    return alpha, bravo, charlie, delta


def learning_list(client, **params):
    return client.get(url("learning-list"), params)


def test_learning_list_shows_the_teams_active_learnings_with_causes_and_origins(
        member_client, learnings):
    response = learning_list(member_client)
    html = response.content.decode()
    assert response.status_code == 200
    assert sorted(titles(response)) == ["Alpha", "Bravo", "Charlie"]
    assert "3 learnings" in html
    assert "Echo elsewhere" not in html
    charlie = next(lrn for lrn in response.context["page"].object_list if lrn.title == "Charlie")
    assert (charlie.own_count, charlie.external_count) == (1, 1)
    assert {d.cause.slug for d in charlie.causes} == {
        "insensitive-timing", "unchecked-trend", "account-compromise"}
    assert "1 own · 1 external" in html


@pytest.mark.parametrize(("params", "expected"), [
    pytest.param({"status": "adopted"}, ["Alpha"], id="status"),
    pytest.param({"status": "draft"}, ["Bravo"], id="status-draft"),
    pytest.param({"cause": "production-slip"}, ["Alpha"], id="cause"),
    pytest.param({"cause": "account-compromise"}, ["Bravo", "Charlie"], id="cause-shared"),
    pytest.param({"cause": "unchecked-trend"}, ["Charlie"], id="cause-contributing"),
    pytest.param({"owner": "member@example.com"}, ["Alpha"], id="owner"),
    pytest.param({"owner": "manager@example.com"}, ["Bravo"], id="owner-manager"),
    pytest.param({"drawn_from": "own"}, ["Alpha"], id="drawn-from-own"),
    pytest.param({"drawn_from": "external"}, ["Bravo"], id="drawn-from-external"),
    pytest.param({"drawn_from": "both"}, ["Charlie"], id="drawn-from-both"),
    pytest.param({"q": "giraffe"}, ["Alpha"], id="search-lesson"),
    pytest.param({"q": "calendar check"}, ["Charlie"], id="search-practice-every-word"),
    pytest.param({"q": "bravo"}, ["Bravo"], id="search-title"),
    pytest.param({"period": "30d"}, ["Alpha"], id="period-30-days"),
    pytest.param({"period": "12m"}, ["Alpha", "Bravo"], id="period-12-months"),
    pytest.param({"archived": "true"}, ["Delta"], id="archived"),
    pytest.param({"archived": "true", "cause": "production-slip"}, ["Delta"],
                 id="archived-and-cause"),
    pytest.param({"status": "draft", "drawn_from": "external"}, ["Bravo"], id="combined"),
])
def test_learning_list_filters(member_client, learnings, params, expected):
    response = learning_list(member_client, **params)
    assert response.status_code == 200
    assert sorted(titles(response)) == expected


def test_owner_filter_never_reaches_another_teams_people(
        member_client, member, manager, outsider, learnings):
    response = learning_list(member_client, owner="outsider@example.com")
    assert "Echo elsewhere" not in response.content.decode()
    owners = [label for value, label in
              response.context["filter"].form.fields["owner"].choices if value]
    assert sorted(owners) == sorted([str(member), str(manager)])


def test_htmx_request_for_the_results_gets_only_the_results_partial(member_client, learnings):
    response = member_client.get(url("learning-list"), {"status": "draft"},
                                 headers=HTMX_RESULTS)
    html = response.content.decode()
    assert response.status_code == 200
    assert html.startswith('<div id="learning-results"')
    assert "<html" not in html
    assert 'class="filters"' not in html
    assert "Bravo" in html
    assert "Alpha" not in html


def test_htmx_request_for_another_target_gets_the_whole_page(member_client, learnings):
    response = member_client.get(url("learning-list"),
                                 headers={"HX-Request": "true", "HX-Target": "main"})
    assert "<html" in response.content.decode()


def test_empty_learning_list_says_how_to_draw_the_first_one(member_client):
    html = learning_list(member_client).content.decode()
    assert "No learnings yet." in html
    assert "Turn into a learning" in html


def test_filters_matching_no_learning_say_so_and_offer_to_clear_them(
        member_client, learnings):
    html = learning_list(member_client, q="zeppelin").content.decode()
    assert "No learnings match these filters." in html
    assert "Clear the filters" in html
    assert "No learnings yet." not in html


# The incident page's learnings panel


def panel(client, incident) -> str:
    response = client.get(incident.get_absolute_url())
    assert response.status_code == 200
    return response.content.decode()


def turn_link(incident) -> str:
    return f'href="{create_url(incident)}">Turn into a learning</a>'


def test_turn_into_a_learning_is_offered_to_writers_only(
        client, member, viewer, outsider, team, private_incident, library_incident):
    comms_library = IncidentFactory(team=team, visibility="library", origin="external")
    client.force_login(member)
    assert turn_link(private_incident) in panel(client, private_incident)
    assert turn_link(library_incident) in panel(client, library_incident)
    client.force_login(viewer)
    assert "Turn into a learning" not in panel(client, private_incident)
    client.force_login(outsider)
    assert turn_link(comms_library) in panel(client, comms_library)


def test_incident_page_lists_the_readers_learnings_drawn_from_it(
        member_client, member, outsider, team, other_team, library_incident):
    draft(team, member, [library_incident], title="Ours from the hijack")
    draft(other_team, outsider, [library_incident], title="Theirs from the hijack")
    html = section(panel(member_client, library_incident), "incident-learnings")
    assert "Ours from the hijack" in html
    assert '<span class="status status-draft">Draft</span>' in html
    assert "Theirs from the hijack" not in html


def test_incident_without_learnings_says_so(member_client, private_incident):
    html = section(panel(member_client, private_incident), "incident-learnings")
    assert "No learning drawn from this incident yet." in html
    precedents = section(panel(member_client, private_incident), "precedents")
    assert "None yet: your teams have no learning on this cause." in precedents
    assert "No other library incident has this primary cause yet." in precedents


def test_precedents_are_the_readers_learnings_on_the_same_primary_cause(
        member_client, member, outsider, team, other_team, private_incident):
    earlier = IncidentFactory(team=team, title="Earlier slip",
                              primary_cause=private_incident.primary_cause)
    timing = IncidentFactory(team=team, primary_cause=cause("insensitive-timing"))
    contributing = IncidentFactory(team=team, primary_cause=cause("insensitive-timing"))
    contributing.contributing_causes.add(private_incident.primary_cause)
    adopted = draft(team, member, [earlier], title="Second pair of eyes")
    set_status(adopted, LearningStatus.ADOPTED, adopted_at=NOW - timedelta(days=3))
    draft(team, member, [contributing], title="Also on slips, as a contributing cause")
    draft(team, member, [timing], title="About timing")
    retired = draft(team, member, [earlier], title="Retired rule")
    set_status(retired, LearningStatus.RETIRED)
    draft(team, member, [private_incident], title="Drawn from this one")
    draft(other_team, outsider, [IncidentFactory(team=other_team)], title="Their slip rule")
    html = section(panel(member_client, private_incident), "precedents")
    found = re.findall(r'<li><a href="/learnings/[^"]+/">([^<]+)</a>', html)
    assert found == ["Second pair of eyes", "Also on slips, as a contributing cause"]
    assert "adopted 7 Nov 2026" in html
    assert f'?cause={private_incident.primary_cause.slug}">All learnings on this cause' in html


def test_library_precedents_share_the_primary_cause_most_severe_first(
        member_client, team, other_team, private_incident):
    slip = private_incident.primary_cause
    for title, severity in (("Low one", "low"), ("Critical one", "critical"),
                            ("High one", "high")):
        IncidentFactory(team=other_team, visibility="library", origin="external",
                        primary_cause=slip, severity=severity, title=title)
    IncidentFactory(team=other_team, visibility="library", primary_cause=cause("rogue-insider"),
                    title="Other cause", severity="critical")
    IncidentFactory(team=other_team, visibility="team", primary_cause=slip, title="Private one",
                    severity="critical")
    IncidentFactory(team=other_team, visibility="library", primary_cause=slip,
                    title="Archived one", severity="critical", archived_at=NOW)
    html = section(panel(member_client, private_incident), "precedents")
    found = re.findall(r'<li><a href="/incidents/[^"]+/">([^<]+)</a>', html)
    assert found == ["Critical one", "High one", "Low one"]


def test_repeat_cause_warning_names_the_adopted_learning_that_did_not_prevent_it(
        member_client, member, team, private_incident):
    earlier = IncidentFactory(team=team, primary_cause=private_incident.primary_cause,
                              occurred_on=date(2026, 6, 1))
    learning = draft(team, member, [earlier], title="Second pair of eyes")
    set_status(learning, LearningStatus.ADOPTED,
               adopted_at=datetime(2026, 9, 1, 9, 0, tzinfo=UTC))
    html = panel(member_client, private_incident)
    start = html.index('id="repeat-cause"')
    warning = html[start:html.index("</div>", start)]
    assert "Repeat cause." in warning
    assert f'<a href="{learning.get_absolute_url()}">Second pair of eyes</a>' in warning
    assert "1 Sep 2026" in warning


def test_no_repeat_warning_for_a_learning_adopted_after_the_incident(
        member_client, member, team, private_incident):
    earlier = IncidentFactory(team=team, primary_cause=private_incident.primary_cause)
    learning = draft(team, member, [earlier], title="Second pair of eyes")
    set_status(learning, LearningStatus.ADOPTED, adopted_at=NOW)
    assert 'id="repeat-cause"' not in panel(member_client, private_incident)


# History on the learning page


def test_learning_history_tells_drafting_linking_adopting_and_actions(
        member_client, member, team, private_incident, library_incident):
    member_client.post(url("learning-create"), create_data(team, private_incident))
    learning = Learning.objects.get()
    member_client.post(url("learning-incident-create", learning),
                       {"incident": str(library_incident.public_id)})
    member_client.post(url("action-item-create", learning),
                       item_data(**{"item-title": "Read hashtags aloud"}))
    member_client.post(url("learning-status", learning), {"status": "adopted"})
    item = learning.action_items.get()
    member_client.post(url("action-item-complete", item))
    html = member_client.get(learning.get_absolute_url()).content.decode()
    history = html[html.index('aria-labelledby="history-heading"'):]
    who = f"<strong>{escape(str(member))}</strong>"
    for action in ("drafted it", "adopted it", "added an action", "completed an action"):
        assert f"{who} {action}" in history
    assert ("Drawn from: <ins><a href=\"" + private_incident.get_absolute_url()
            + "\">Private slip about the spring sale</a></ins>") in history
    assert ("Linked incident: <ins><a href=\"" + library_incident.get_absolute_url()
            + "\">Shared hashtag hijack</a></ins>") in history
    # Added, then completed: each entry names the action by its kind.
    assert history.count("Preventive: <ins>Read hashtags aloud</ins>") == 2
    order = [history.index(f"{who} {a}") for a in (
        "completed an action", "adopted it", "added an action", "drafted it")]
    assert order == sorted(order)


# Query counts: a page costs the same whatever the size of its data. Every page pays 3 for
# the session, the user and their memberships (header); the rest is named beside each number.

# count, rows, their linked incidents, those incidents' contributing causes, how many teams
# (for the team column), root causes and owners for the filter form
LIST_QUERIES = 10
# the same less the filter form's root causes and owners
LIST_PARTIAL_QUERIES = 8
# learning, its incidents, their contributing causes, its action items; can_write; history:
# learning records, their incident links, action-item records, incident titles, people's
# names; the owners offered by the add-action form
DETAIL_QUERIES_LEARNING = 14
# count, rows, the teams the reader writes for
MINE_QUERIES = 6


def make_learnings(team, member, n):
    library = IncidentFactory(visibility="library", origin="external",
                              primary_cause=cause("account-compromise"))
    for i in range(n):
        incident = IncidentFactory(team=team, title=f"Counted {i}",
                                   organization=OrganizationFactory(name=f"Org {i % 7}"))
        incident.contributing_causes.add(cause("unchecked-trend"))
        learning = draft(team, member, [incident, library], title=f"Learning {i}",
                         owner=member)
        action_item_create(user=member, learning=learning, title=f"Action {i}", owner=member)


@pytest.mark.parametrize("n", [3, 30])
def test_learning_list_query_count_does_not_grow_with_rows(
        member_client, member, team, django_assert_num_queries, n):
    make_learnings(team, member, n)
    with django_assert_num_queries(LIST_QUERIES):
        response = learning_list(member_client)
    assert len(response.context["page"].object_list) == min(n, 25)


@pytest.mark.parametrize("n", [3, 30])
def test_htmx_learning_results_query_count_does_not_grow_with_rows(
        member_client, member, team, django_assert_num_queries, n):
    make_learnings(team, member, n)
    with django_assert_num_queries(LIST_PARTIAL_QUERIES):
        response = member_client.get(url("learning-list"), headers=HTMX_RESULTS)
    assert len(response.context["page"].object_list) == min(n, 25)


@pytest.mark.parametrize("n", [1, 10])
def test_learning_page_query_count_does_not_grow_with_incidents_actions_or_history(
        member_client, member, manager, team, django_assert_num_queries, n):
    learning = draft(team, member, [IncidentFactory(team=team)], owner=member)
    for i in range(n):
        incident = IncidentFactory(team=team, title=f"Linked {i}",
                                   organization=OrganizationFactory(name=f"Org {i}"))
        incident.contributing_causes.add(cause("unchecked-trend"))
        learning_incident_link(user=member, learning=learning, incident_id=incident.public_id)
        item = action_item_create(user=member, learning=learning, title=f"Action {i}",
                                  owner=manager if i % 2 else member,
                                  due_on=TODAY + timedelta(days=i + 1))
        if i % 3 == 0:
            action_item_complete(user=member, item=item)
        learning_update(user=member, learning=Learning.objects.get(pk=learning.pk),
                        data={"title": f"Version {i}", "owner": manager if i % 2 else member})
    learning_change_status(user=member, learning=learning, status="adopted")
    with django_assert_num_queries(DETAIL_QUERIES_LEARNING):
        response = member_client.get(learning.get_absolute_url())
    assert len(response.context["incidents"]) == n + 1
    assert len(response.context["items"]) == n
    assert len(response.context["history"]) >= 3 * n


@pytest.mark.parametrize("n", [2, 20])
def test_my_actions_query_count_does_not_grow_with_items(
        member_client, member, team, other_team, outsider, django_assert_num_queries, n):
    # A viewer there now, given these actions while still a member.
    elsewhere = MembershipFactory(user=member, team=other_team, role=Role.MEMBER)
    ours = draft(team, member, title="Ours")
    theirs = draft(other_team, outsider, title="Theirs")
    for i in range(n):
        action_item_create(user=member if i % 2 else outsider,
                           learning=ours if i % 2 else theirs, title=f"Action {i}", owner=member,
                           due_on=TODAY + timedelta(days=i))
    Membership.objects.filter(pk=elsewhere.pk).update(role=Role.VIEWER)
    with django_assert_num_queries(MINE_QUERIES):
        response = member_client.get(url("action-item-mine"))
    assert len(response.context["page"].object_list) == n


@pytest.mark.parametrize("n", [1, 6])
def test_incident_page_with_learnings_costs_what_the_incident_tests_pin(
        member_client, member, team, other_team, private_incident, django_assert_num_queries,
        n):
    """Linked learnings, precedents, library precedents and a repeat cause: the learnings
    panel asks the same five questions however much it has to show."""
    # A source and a timeline entry, as in the incidents' own count (their history names them).
    private_incident.sources.add(SourceFactory())
    TimelineEventFactory(incident=private_incident, at=NOW - timedelta(hours=1))
    slip = private_incident.primary_cause
    for i in range(n):
        draft(team, member, [private_incident], title=f"Drawn {i}", owner=member)
        earlier = IncidentFactory(team=team, primary_cause=slip, occurred_on=date(2026, 5, 1))
        precedent = draft(team, member, [earlier], title=f"Precedent {i}", owner=member)
        set_status(precedent, LearningStatus.ADOPTED,
                   adopted_at=datetime(2026, 6, 1, tzinfo=UTC))
        IncidentFactory(team=other_team, visibility="library", origin="external",
                        primary_cause=slip, severity=("low", "high", "critical")[i % 3],
                        organization=OrganizationFactory(name=f"Library org {i}"))
    with django_assert_num_queries(DETAIL_QUERIES):
        response = member_client.get(private_incident.get_absolute_url())
    html = response.content.decode()
    assert 'id="repeat-cause"' in html
    assert section(html, "incident-learnings").count("<li>") == n
    precedents = section(html, "precedents")
    assert precedents.count('<li><a href="/learnings/') == min(n, 5)
    assert precedents.count('<li><a href="/incidents/') == min(n, 5)


def test_every_active_learning_filter_is_a_chip_linking_to_the_list_without_it(
        member_client, learnings):
    html = learning_list(member_client, cause="account-compromise",
                         status="draft").content.decode()
    assert ('<a class="chip" href="/learnings/?status=draft" aria-label="Remove the filter '
            'Cause: Account compromise">Cause: Account compromise '
            '<span aria-hidden="true">×</span></a>') in html
    assert ('<a class="chip" href="/learnings/?cause=account-compromise" aria-label="Remove the '
            'filter Status: Draft">Status: Draft <span aria-hidden="true">×</span></a>') in html


@pytest.mark.parametrize(("params", "expected"), [
    pytest.param({"created_after": "2026-11-01"}, ["Alpha"], id="from"),
    pytest.param({"created_before": "2026-01-01"}, ["Charlie"], id="to"),
    pytest.param({"created_after": "2025-11-01", "created_before": "2026-10-01"}, ["Bravo"],
                 id="between"),
])
def test_learning_list_filters_by_creation_dates(member_client, learnings, params, expected):
    assert sorted(titles(learning_list(member_client, **params))) == expected


def test_learning_from_after_to_says_so_beside_from_instead_of_listing_nothing(
        member_client, learnings):
    response = learning_list(member_client, created_after="2026-11-01",
                             created_before="2026-01-01")
    html = response.content.decode()
    assert field_error("created_after", "From must be on or before To.") in html
    assert sorted(titles(response)) == ["Alpha", "Bravo", "Charlie"]


def test_learning_pages_name_causes_and_never_show_a_bare_code(member_client, team, member):
    incident = IncidentFactory(team=team, primary_cause=cause("defensive-response"))
    incident.contributing_causes.add(cause("service-failure-escalated"))
    learning = draft(team, member, [incident], title="Answer, don't argue")
    names = {c.code: c.name for c in RootCause.objects.all()}
    for page in (url("learning-detail", learning), url("learning-list"),
                 incident.get_absolute_url()):
        html = member_client.get(page).content.decode()
        assert "Defensive or hostile response" in html
        for code in re.findall(r"\bC\d\d\b", html):
            assert re.search(rf"\b{code} {re.escape(escape(names[code]))}", html), (page, code)
