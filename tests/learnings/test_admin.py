"""The admin keeps the house rules: no learning or action item is deleted (archived instead),
and a status, its dates and who completed an action are shown, never typed. Each test drives
the real admin pages as a superuser, sending the forms back as a browser would."""

import pytest
from django.urls import reverse
from django.utils.html import escape

from learnings.models import ActionItem, Learning, LearningStatus
from learnings.services import (
    action_item_complete,
    action_item_create,
    learning_change_status,
    learning_create_from_incidents,
)
from tests.factories import UserFactory
from tests.html_forms import form_fields


@pytest.fixture
def superuser_client(client, db):
    client.force_login(UserFactory(email="admin@example.com", is_staff=True, is_superuser=True))
    return client


@pytest.fixture
def adopted(team, member):
    """An adopted learning with one open and one done action."""
    learning, _ = learning_create_from_incidents(user=member, team=team, incident_ids=[],
                                                 title="Pause the queue")
    action_item_create(user=member, learning=learning, title="Open action", owner=member)
    done = action_item_create(user=member, learning=learning, title="Done action",
                              owner=member)
    action_item_complete(user=member, item=done)
    return learning_change_status(user=member, learning=learning,
                                  status=LearningStatus.ADOPTED)


def change_url(obj) -> str:
    return reverse(f"admin:learnings_{obj._meta.model_name}_change", args=[obj.pk])


def test_learning_page_shows_status_and_done_dates_but_offers_no_field_or_delete_for_them(
        superuser_client, adopted):
    response = superuser_client.get(change_url(adopted))
    assert response.status_code == 200
    fields = form_fields(response.content.decode(), "learning_form")
    assert fields["title"] == ["Pause the queue"]
    assert fields["action_items-TOTAL_FORMS"] == ["2"]
    typed = {name.split("-")[-1].removesuffix("_0").removesuffix("_1") for name in fields}
    for derived in ("status", "status_changed_at", "status_changed_by", "adopted_at",
                    "retired_at", "retired_reason", "created_by", "done_at", "done_by",
                    "DELETE"):
        assert derived not in typed
    assert "archived_at" in typed  # archive instead
    html = response.content.decode()
    assert 'class="readonly">Adopted</div>' in html
    assert 'href="' + reverse("admin:learnings_learning_delete", args=[adopted.pk]) not in html


def test_saving_a_learning_ignores_a_forged_status_delete_or_done_date(superuser_client, adopted):
    before = Learning.objects.get(pk=adopted.pk)
    open_item = adopted.action_items.get(title="Open action")
    url = change_url(adopted)
    data = form_fields(superuser_client.get(url).content.decode(), "learning_form")
    rows = {data[f"action_items-{n}-title"][0]: n for n in range(2)}
    n = rows["Open action"]
    data.update({
        "title": ["Pause the whole queue"],
        "status": ["retired"], "retired_reason": ["Forged"],
        "adopted_at_0": ["2020-01-01"], "adopted_at_1": ["00:00:00"],
        f"action_items-{n}-DELETE": ["on"],
        f"action_items-{n}-done_at_0": ["2020-01-01"], f"action_items-{n}-done_at_1": ["09:00"],
    })
    response = superuser_client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    after = Learning.objects.get(pk=adopted.pk)
    assert after.title == "Pause the whole queue"
    assert (after.status, after.adopted_at, after.retired_reason) == (
        LearningStatus.ADOPTED, before.adopted_at, "")
    open_item.refresh_from_db()
    assert (open_item.done_at, open_item.archived_at) == (None, None)
    assert adopted.action_items.count() == 2


def test_an_action_is_archived_from_the_learning_page_instead_of_deleted(
        superuser_client, adopted):
    url = change_url(adopted)
    data = form_fields(superuser_client.get(url).content.decode(), "learning_form")
    n = next(n for n in range(2) if data[f"action_items-{n}-title"] == ["Open action"])
    data.update({f"action_items-{n}-archived_at_0": ["2026-11-10"],
                 f"action_items-{n}-archived_at_1": ["09:30:00"]})
    assert superuser_client.post(url, data).status_code == 302
    item = ActionItem.objects.get(title="Open action")
    assert item.archived_at is not None
    assert item.history.count() == 2  # added, then archived in the admin


def test_action_item_page_shows_who_completed_it_but_offers_no_field_for_it(
        superuser_client, adopted, member):
    item = adopted.action_items.get(title="Done action")
    response = superuser_client.get(change_url(item))
    assert response.status_code == 200
    fields = form_fields(response.content.decode(), "actionitem_form")
    assert fields["title"] == ["Done action"]
    assert not {"done_at_0", "done_by", "created_by"} & set(fields)
    done_by = reverse("admin:accounts_user_change", args=[member.pk])
    assert (f'<div class="readonly"><a href="{done_by}">{escape(str(member))}</a></div>'
            in response.content.decode())


@pytest.mark.parametrize("model", [Learning, ActionItem])
def test_nothing_is_deleted_through_the_admin(superuser_client, adopted, model):
    obj = adopted if model is Learning else adopted.action_items.first()
    name = model._meta.model_name
    assert superuser_client.get(reverse(f"admin:learnings_{name}_delete",
                                    args=[obj.pk])).status_code == 403
    assert superuser_client.post(reverse(f"admin:learnings_{name}_delete", args=[obj.pk]),
                             {"post": "yes"}).status_code == 403
    changelist = superuser_client.get(reverse(f"admin:learnings_{name}_changelist"))
    assert 'value="delete_selected"' not in changelist.content.decode()
    assert model.objects.filter(pk=obj.pk).exists()


def test_an_old_record_is_shown_but_cannot_be_restored_past_the_status_rules(
        superuser_client, adopted, member):
    """Reverting would write the old row whole: a draft back to adopted, no status rule run."""
    drafted = adopted.history.order_by("history_date", "history_id").first()
    learning_change_status(user=member, learning=adopted, status=LearningStatus.RETIRED,
                           reason="Superseded")
    url = reverse("admin:learnings_learning_simple_history",
                  args=[adopted.pk, drafted.history_id])
    page = superuser_client.get(url)
    assert page.status_code == 200
    assert "Revert" not in page.content.decode()
    data = form_fields(page.content.decode(), "learning_form")
    assert superuser_client.post(url, data).status_code == 403
    adopted.refresh_from_db()
    assert adopted.status == LearningStatus.RETIRED
    assert adopted.retired_reason == "Superseded"
