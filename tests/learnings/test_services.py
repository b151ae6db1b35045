"""Learning and action-item writes: who may make them, the status rules, what they record."""

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from accounts.models import Role
from learnings.models import ActionItem, Learning
from learnings.services import (
    action_item_archive,
    action_item_complete,
    action_item_create,
    action_item_reopen,
    action_item_restore,
    action_item_update,
    learning_archive,
    learning_change_status,
    learning_create_from_incidents,
    learning_incident_link,
    learning_incident_unlink,
    learning_restore,
    learning_update,
)
from tests.factories import IncidentFactory, MembershipFactory

TODAY = date(2026, 11, 10)
NOW = datetime(2026, 11, 10, 12, 0, tzinfo=UTC)
LATER = NOW + timedelta(hours=3)

NOT_READABLE = ("No incident your team can read has that address: link your team's own "
                "incidents or the library's.")


@pytest.fixture(autouse=True)
def frozen_now():
    with time_machine.travel(NOW, tick=False):
        yield


def error_keys(excinfo) -> set[str]:
    return set(excinfo.value.message_dict)


def draft(user, team, *incidents, **overrides):
    """learning_create_from_incidents with a valid minimal form; keywords override."""
    fields = {
        "user": user,
        "team": team,
        "incident_ids": [incident.public_id for incident in incidents],
        "title": "Pause the queue when the news turns",
    }
    fields.update(overrides)
    return learning_create_from_incidents(**fields)


@pytest.fixture
def learning(team, member, private_incident):
    learning, _ = draft(member, team, private_incident)
    return learning


def with_status(learning, status, **fields):
    """Put a learning straight into a status, as if it had got there earlier."""
    Learning.objects.filter(pk=learning.pk).update(status=status, **fields)
    learning.refresh_from_db()
    return learning


def linked_ids(record) -> set:
    """The incidents one history record of a learning says were linked."""
    return {row.incident_id for row in record.incidents.all()}


# learning_create_from_incidents


def test_member_drafts_a_learning_from_an_own_and_a_library_incident(
    team, member, private_incident, library_incident
):
    learning, created = draft(member, team, private_incident, library_incident,
                              title="  Pause the queue  ", lesson="Queues keep posting.",
                              practice="Pause it.", review_on=date(2027, 1, 1))
    assert created is True
    learning.refresh_from_db()
    assert learning.team == team
    assert learning.title == "Pause the queue"
    assert learning.lesson == "Queues keep posting."
    assert learning.practice == "Pause it."
    assert learning.review_on == date(2027, 1, 1)
    assert learning.status == "draft"
    assert learning.owner is None
    assert learning.created_by == member
    assert learning.adopted_at is None
    assert learning.retired_at is None
    assert learning.archived_at is None
    assert set(learning.incidents.all()) == {private_incident, library_incident}


def test_manager_may_draft_a_learning(team, manager, private_incident):
    learning, created = draft(manager, team, private_incident)
    assert created is True
    assert learning.created_by == manager


def test_creating_records_who_set_the_status_and_when(team, member, private_incident):
    learning, _ = draft(member, team, private_incident)
    learning.refresh_from_db()
    assert learning.status_changed_by == member
    assert learning.status_changed_at == NOW


def test_incident_ids_may_come_as_strings(team, member, private_incident, library_incident):
    learning, _ = draft(member, team, incident_ids=[str(private_incident.public_id),
                                                    str(library_incident.public_id)])
    assert set(learning.incidents.all()) == {private_incident, library_incident}


def test_another_teams_private_incident_is_refused(team, member, outsider_private_incident):
    with pytest.raises(ValidationError) as excinfo:
        draft(member, team, outsider_private_incident)
    assert error_keys(excinfo) == {"incident"}
    assert excinfo.value.message_dict["incident"] == [NOT_READABLE]
    assert Learning.objects.count() == 0


def test_one_unreadable_incident_refuses_the_whole_learning(
    team, member, private_incident, outsider_private_incident
):
    with pytest.raises(ValidationError) as excinfo:
        draft(member, team, private_incident, outsider_private_incident)
    assert error_keys(excinfo) == {"incident"}
    assert Learning.objects.count() == 0


def test_another_teams_private_incident_is_refused_even_to_a_member_of_both_teams(
    team, other_team, member, outsider_private_incident
):
    # The member can read it, but the learning belongs to a team that cannot.
    MembershipFactory(team=other_team, user=member, role=Role.MEMBER)
    with pytest.raises(ValidationError) as excinfo:
        draft(member, team, outsider_private_incident)
    assert error_keys(excinfo) == {"incident"}
    assert Learning.objects.count() == 0


def test_unknown_incident_id_is_refused(team, member):
    with pytest.raises(ValidationError) as excinfo:
        draft(member, team, incident_ids=[uuid.uuid4()])
    assert error_keys(excinfo) == {"incident"}
    assert Learning.objects.count() == 0


def test_malformed_incident_id_is_refused_on_incident(team, member, private_incident):
    with pytest.raises(ValidationError) as excinfo:
        draft(member, team, incident_ids=[str(private_incident.public_id), "not-a-uuid"])
    assert error_keys(excinfo) == {"incident"}
    assert Learning.objects.count() == 0


def test_same_incident_given_twice_is_linked_once(team, member, private_incident):
    pid = private_incident.public_id
    learning, _ = draft(member, team, incident_ids=[pid, str(pid), str(pid).upper()])
    assert list(learning.incidents.all()) == [private_incident]


def test_same_idempotency_key_twice_makes_one_learning(
    team, member, private_incident, library_incident
):
    key = uuid.uuid4()
    first, first_created = draft(member, team, private_incident, idempotency_key=key)
    second, second_created = draft(member, team, library_incident, idempotency_key=key,
                                   title="Something else")
    assert (first_created, second_created) == (True, False)
    assert second.pk == first.pk
    assert Learning.objects.count() == 1
    second.refresh_from_db()
    assert second.title == "Pause the queue when the news turns"
    assert list(second.incidents.all()) == [private_incident]


def test_different_idempotency_keys_make_two_learnings(team, member, private_incident):
    draft(member, team, private_incident, idempotency_key=uuid.uuid4())
    draft(member, team, private_incident, idempotency_key=uuid.uuid4())
    assert Learning.objects.count() == 2


def test_another_teams_idempotency_key_never_hands_back_that_teams_learning(
    team, other_team, member, outsider, private_incident, library_incident
):
    key = uuid.uuid4()
    theirs, _ = draft(outsider, other_team, library_incident, idempotency_key=key,
                      title="Theirs")
    ours, created = draft(member, team, private_incident, idempotency_key=key, title="Ours")
    assert (ours.team, ours.title, created) == (team, "Ours", True)
    assert ours.pk != theirs.pk


def test_owner_may_be_any_member_or_manager_of_the_team(team, member, manager,
                                                       private_incident):
    # Viewers are refused (tests/learnings/test_owner_roles.py).
    learning, _ = draft(member, team, private_incident, owner=manager)
    learning.refresh_from_db()
    assert learning.owner == manager


def test_owner_from_another_team_is_refused(team, member, outsider, private_incident):
    with pytest.raises(ValidationError) as excinfo:
        draft(member, team, private_incident, owner=outsider)
    assert error_keys(excinfo) == {"owner"}
    assert Learning.objects.count() == 0


def test_blank_title_is_refused(team, member, private_incident):
    with pytest.raises(ValidationError) as excinfo:
        draft(member, team, private_incident, title="   ")
    assert error_keys(excinfo) == {"title"}
    assert Learning.objects.count() == 0


def test_viewer_cannot_draft_a_learning(team, viewer, private_incident):
    with pytest.raises(PermissionDenied):
        draft(viewer, team, private_incident)
    assert Learning.objects.count() == 0


def test_outsider_cannot_draft_a_learning_for_another_team(team, outsider, library_incident):
    with pytest.raises(PermissionDenied):
        draft(outsider, team, library_incident)
    assert Learning.objects.count() == 0


def test_creating_leaves_one_history_record_with_the_incidents_already_linked(
    team, member, private_incident, library_incident
):
    learning, _ = draft(member, team, private_incident, library_incident)
    record = learning.history.get()
    assert record.history_user == member
    assert record.title == "Pause the queue when the news turns"
    assert record.status == "draft"
    assert linked_ids(record) == {private_incident.pk, library_incident.pk}


# learning_update


def test_update_sets_the_learnings_own_words(learning, member, manager):
    updated = learning_update(user=member, learning=learning, data={
        "title": "  Renamed  ", "lesson": "New lesson", "practice": "New practice",
        "owner": manager, "review_on": date(2027, 3, 1),
    })
    updated.refresh_from_db()
    assert updated.title == "Renamed"
    assert updated.lesson == "New lesson"
    assert updated.practice == "New practice"
    assert updated.owner == manager
    assert updated.review_on == date(2027, 3, 1)


def test_update_may_clear_the_owner(team, member, manager, private_incident):
    learning, _ = draft(member, team, private_incident, owner=manager)
    learning_update(user=member, learning=learning, data={"owner": None})
    learning.refresh_from_db()
    assert learning.owner is None


def test_update_to_an_owner_from_another_team_is_refused_and_saves_nothing(
    learning, member, outsider
):
    with pytest.raises(ValidationError) as excinfo:
        learning_update(user=member, learning=learning,
                        data={"title": "Renamed", "owner": outsider})
    assert error_keys(excinfo) == {"owner"}
    learning.refresh_from_db()
    assert learning.owner is None
    assert learning.title == "Pause the queue when the news turns"


def test_update_with_a_blank_title_is_refused(learning, member):
    with pytest.raises(ValidationError) as excinfo:
        learning_update(user=member, learning=learning, data={"title": " "})
    assert error_keys(excinfo) == {"title"}
    learning.refresh_from_db()
    assert learning.title == "Pause the queue when the news turns"


def test_update_is_recorded_in_history_with_who_made_it(learning, manager):
    learning_update(user=manager, learning=learning, data={"title": "Renamed"})
    assert learning.history.count() == 2
    record = learning.history.order_by("-history_id").first()
    assert record.title == "Renamed"
    assert record.history_user == manager


def test_update_that_changes_nothing_leaves_no_history(learning, member):
    learning_update(user=member, learning=learning,
                    data={"title": "Pause the queue when the news turns", "lesson": ""})
    assert learning.history.count() == 1


def test_viewer_cannot_update_a_learning(learning, viewer):
    with pytest.raises(PermissionDenied):
        learning_update(user=viewer, learning=learning, data={"title": "Hacked"})
    learning.refresh_from_db()
    assert learning.title == "Pause the queue when the news turns"


def test_outsider_cannot_update_a_learning(learning, outsider):
    with pytest.raises(PermissionDenied):
        learning_update(user=outsider, learning=learning, data={"title": "Hacked"})
    learning.refresh_from_db()
    assert learning.title == "Pause the queue when the news turns"


# learning_change_status

def test_unknown_status_is_refused(learning, member):
    with pytest.raises(ValidationError) as excinfo:
        learning_change_status(user=member, learning=learning, status="abandoned")
    assert error_keys(excinfo) == {"status"}
    learning.refresh_from_db()
    assert learning.status == "draft"


def test_changing_to_the_current_status_changes_nothing(learning, manager):
    learning_change_status(user=manager, learning=learning, status="draft")
    learning.refresh_from_db()
    assert learning.status_changed_by != manager
    assert learning.history.count() == 1


def test_status_change_records_who_made_it_and_when(learning, manager):
    with time_machine.travel(LATER, tick=False):
        learning_change_status(user=manager, learning=learning, status="proposed")
    learning.refresh_from_db()
    assert learning.status_changed_by == manager
    assert learning.status_changed_at == LATER


def test_status_change_is_recorded_in_history_with_who_made_it(learning, manager):
    learning_change_status(user=manager, learning=learning, status="proposed")
    assert learning.history.count() == 2
    record = learning.history.order_by("-history_id").first()
    assert record.status == "proposed"
    assert record.history_user == manager


@pytest.mark.parametrize("start", ["draft", "proposed"])
def test_adopting_records_when(learning, member, start):
    with_status(learning, start)
    with time_machine.travel(LATER, tick=False):
        adopted = learning_change_status(user=member, learning=learning, status="adopted")
    assert adopted.adopted_at == LATER
    learning.refresh_from_db()
    assert learning.adopted_at == LATER
    assert learning.retired_at is None


def test_proposing_leaves_adopted_at_empty(learning, member):
    learning_change_status(user=member, learning=learning, status="proposed")
    learning.refresh_from_db()
    assert learning.adopted_at is None


def test_retiring_records_when_and_why_and_keeps_when_it_was_adopted(learning, member):
    learning_change_status(user=member, learning=learning, status="adopted")
    with time_machine.travel(LATER, tick=False):
        learning_change_status(user=member, learning=learning, status="retired",
                               reason="  The platform removed scheduling.  ")
    learning.refresh_from_db()
    assert learning.status == "retired"
    assert learning.retired_at == LATER
    assert learning.retired_reason == "The platform removed scheduling."
    assert learning.adopted_at == NOW


@pytest.mark.parametrize("reason", ["", "   "])
def test_retiring_needs_a_reason(learning, member, reason):
    learning_change_status(user=member, learning=learning, status="adopted")
    with pytest.raises(ValidationError) as excinfo:
        learning_change_status(user=member, learning=learning, status="retired", reason=reason)
    assert excinfo.value.message_dict == {"reason": ["Say why this learning is retired."]}
    learning.refresh_from_db()
    assert learning.status == "adopted"
    assert learning.retired_at is None


def test_reopening_a_retired_learning_makes_it_a_draft_no_longer_in_force(learning, member):
    learning_change_status(user=member, learning=learning, status="adopted")
    learning_change_status(user=member, learning=learning, status="retired", reason="Old")
    with time_machine.travel(LATER, tick=False):
        learning_change_status(user=member, learning=learning, status="draft")
    learning.refresh_from_db()
    assert learning.status == "draft"
    assert learning.adopted_at is None
    assert learning.retired_at is None
    assert learning.retired_reason == ""
    assert learning.status_changed_at == LATER


def test_history_keeps_the_earlier_adoption_after_reopening(learning, member):
    learning_change_status(user=member, learning=learning, status="adopted")
    learning_change_status(user=member, learning=learning, status="retired", reason="Old")
    learning_change_status(user=member, learning=learning, status="draft")
    statuses = [(r.status, r.adopted_at) for r in learning.history.order_by("history_id")]
    assert statuses == [("draft", None), ("adopted", NOW), ("retired", NOW), ("draft", None)]


def test_retired_learning_can_be_adopted_again_after_reopening(learning, member):
    learning_change_status(user=member, learning=learning, status="adopted")
    learning_change_status(user=member, learning=learning, status="retired", reason="Old")
    learning_change_status(user=member, learning=learning, status="draft")
    with time_machine.travel(LATER, tick=False):
        learning_change_status(user=member, learning=learning, status="adopted")
    learning.refresh_from_db()
    assert learning.status == "adopted"
    assert learning.adopted_at == LATER


@pytest.mark.parametrize("person", ["viewer", "outsider"])
def test_viewer_and_outsider_cannot_change_the_status(learning, request, person):
    user = request.getfixturevalue(person)
    with pytest.raises(PermissionDenied):
        learning_change_status(user=user, learning=learning, status="proposed")
    learning.refresh_from_db()
    assert learning.status == "draft"
    assert learning.status_changed_by != user
    assert learning.status_changed_at == NOW
    assert learning.history.count() == 1


def test_archived_learning_status_change_is_refused(learning, member):
    learning_archive(user=member, learning=learning)
    with pytest.raises(ValidationError) as excinfo:
        learning_change_status(user=member, learning=learning, status="proposed")
    assert excinfo.value.message_dict == {
        "status": ["Restore this learning before changing its status."]}
    learning.refresh_from_db()
    assert learning.status == "draft"


def test_status_change_reads_the_saved_status_not_a_stale_copy(learning, member):
    stale = Learning.objects.get(pk=learning.pk)
    learning_change_status(user=member, learning=learning, status="adopted")
    learning_change_status(user=member, learning=learning, status="retired", reason="Old")
    # A page loaded while it was a draft still offers "Propose"; the learning is retired now.
    with pytest.raises(ValidationError) as excinfo:
        learning_change_status(user=member, learning=stale, status="proposed")
    assert error_keys(excinfo) == {"status"}
    learning.refresh_from_db()
    assert learning.status == "retired"


# learning_archive / learning_restore


def test_archive_keeps_the_learning_and_stamps_archived_at(learning, member):
    archived = learning_archive(user=member, learning=learning)
    assert archived.is_archived
    learning.refresh_from_db()
    assert learning.archived_at == NOW
    assert Learning.objects.count() == 1


def test_archiving_twice_keeps_the_first_time(learning, member):
    learning_archive(user=member, learning=learning)
    with time_machine.travel(LATER, tick=False):
        learning_archive(user=member, learning=learning)
    learning.refresh_from_db()
    assert learning.archived_at == NOW


def test_restore_clears_archived_at(learning, member):
    learning_archive(user=member, learning=learning)
    learning_restore(user=member, learning=learning)
    learning.refresh_from_db()
    assert learning.archived_at is None


def test_archive_and_restore_are_recorded_in_history_with_who_did_them(
    learning, member, manager
):
    learning_archive(user=member, learning=learning)
    learning_restore(user=manager, learning=learning)
    records = list(learning.history.order_by("history_id"))
    assert [(r.archived_at, r.history_user) for r in records[1:]] == [
        (NOW, member), (None, manager)]


@pytest.mark.parametrize("person", ["viewer", "outsider"])
def test_viewer_and_outsider_cannot_archive_a_learning(learning, request, person):
    with pytest.raises(PermissionDenied):
        learning_archive(user=request.getfixturevalue(person), learning=learning)
    learning.refresh_from_db()
    assert learning.archived_at is None


def test_viewer_cannot_restore_a_learning(learning, member, viewer):
    learning_archive(user=member, learning=learning)
    with pytest.raises(PermissionDenied):
        learning_restore(user=viewer, learning=learning)
    learning.refresh_from_db()
    assert learning.archived_at == NOW


# learning_incident_link / learning_incident_unlink


def test_linking_a_library_incident_adds_it(learning, member, private_incident,
                                            library_incident):
    linked = learning_incident_link(user=member, learning=learning,
                                    incident_id=library_incident.public_id)
    assert linked == library_incident
    assert set(learning.incidents.all()) == {private_incident, library_incident}


def test_linking_an_own_incident_by_its_string_id_adds_it(team, learning, member):
    own = IncidentFactory(team=team)
    learning_incident_link(user=member, learning=learning, incident_id=str(own.public_id))
    assert own in learning.incidents.all()


def test_linking_touches_the_learning(learning, member, library_incident):
    with time_machine.travel(LATER, tick=False):
        learning_incident_link(user=member, learning=learning,
                               incident_id=library_incident.public_id)
    learning.refresh_from_db()
    assert learning.updated_at == LATER


def test_linking_leaves_one_history_record_naming_who_linked(
    learning, manager, private_incident, library_incident
):
    learning_incident_link(user=manager, learning=learning,
                           incident_id=library_incident.public_id)
    assert learning.history.count() == 2
    record = learning.history.order_by("-history_id").first()
    assert record.history_user == manager
    assert linked_ids(record) == {private_incident.pk, library_incident.pk}


def test_linking_an_incident_twice_is_refused(learning, member, private_incident):
    with pytest.raises(ValidationError) as excinfo:
        learning_incident_link(user=member, learning=learning,
                               incident_id=private_incident.public_id)
    assert excinfo.value.message_dict == {
        "incident": ["That incident is already linked to this learning."]}
    assert learning.incidents.count() == 1
    assert learning.history.count() == 1


@pytest.mark.parametrize("bad_id", ["not-a-uuid", "", "12345"])
def test_linking_a_malformed_id_is_refused(learning, member, bad_id):
    with pytest.raises(ValidationError) as excinfo:
        learning_incident_link(user=member, learning=learning, incident_id=bad_id)
    assert excinfo.value.message_dict == {"incident": [NOT_READABLE]}
    assert learning.incidents.count() == 1


def test_linking_an_unknown_id_is_refused(learning, member):
    with pytest.raises(ValidationError) as excinfo:
        learning_incident_link(user=member, learning=learning, incident_id=uuid.uuid4())
    assert excinfo.value.message_dict == {"incident": [NOT_READABLE]}


def test_linking_another_teams_private_incident_is_refused(
    learning, member, outsider_private_incident
):
    with pytest.raises(ValidationError) as excinfo:
        learning_incident_link(user=member, learning=learning,
                               incident_id=outsider_private_incident.public_id)
    assert error_keys(excinfo) == {"incident"}
    assert outsider_private_incident not in learning.incidents.all()


def test_linking_another_teams_private_incident_is_refused_to_a_member_of_both_teams(
    learning, other_team, member, outsider_private_incident
):
    MembershipFactory(team=other_team, user=member, role=Role.MANAGER)
    with pytest.raises(ValidationError) as excinfo:
        learning_incident_link(user=member, learning=learning,
                               incident_id=outsider_private_incident.public_id)
    assert error_keys(excinfo) == {"incident"}
    assert learning.incidents.count() == 1


@pytest.mark.parametrize("person", ["viewer", "outsider"])
def test_viewer_and_outsider_cannot_link_an_incident(learning, request, person,
                                                     library_incident):
    with pytest.raises(PermissionDenied):
        learning_incident_link(user=request.getfixturevalue(person), learning=learning,
                               incident_id=library_incident.public_id)
    assert library_incident not in learning.incidents.all()


def test_unlinking_removes_the_incident_and_history_keeps_that_it_was_linked(
    learning, member, manager, private_incident, library_incident
):
    learning_incident_link(user=member, learning=learning,
                           incident_id=library_incident.public_id)
    learning_incident_unlink(user=manager, learning=learning, incident=library_incident)
    assert list(learning.incidents.all()) == [private_incident]
    records = list(learning.history.order_by("history_id"))
    assert [(linked_ids(r), r.history_user) for r in records] == [
        ({private_incident.pk}, member),
        ({private_incident.pk, library_incident.pk}, member),
        ({private_incident.pk}, manager),
    ]


@pytest.mark.parametrize("person", ["viewer", "outsider"])
def test_viewer_and_outsider_cannot_unlink_an_incident(learning, request, person,
                                                       private_incident):
    with pytest.raises(PermissionDenied):
        learning_incident_unlink(user=request.getfixturevalue(person), learning=learning,
                                 incident=private_incident)
    assert list(learning.incidents.all()) == [private_incident]


# action_item_create


def add_item(user, learning, **overrides):
    fields = {"user": user, "learning": learning, "title": "Add a pause button"}
    fields.update(overrides)
    return action_item_create(**fields)


def test_member_adds_an_action_item(learning, member, manager):
    item = add_item(member, learning, title="  Add a pause button  ", owner=manager,
                    due_on=TODAY + timedelta(days=7), kind="detective")
    item.refresh_from_db()
    assert item.learning == learning
    assert item.title == "Add a pause button"
    assert item.owner == manager
    assert item.due_on == TODAY + timedelta(days=7)
    assert item.kind == "detective"
    assert item.created_by == member
    assert item.done_at is None
    assert item.done_by is None
    assert item.archived_at is None


def test_action_item_is_preventive_by_default(learning, member):
    assert add_item(member, learning).kind == "preventive"


def test_action_item_may_be_due_today(learning, member):
    item = add_item(member, learning, due_on=TODAY)
    assert item.due_on == TODAY


def test_action_item_due_in_the_past_is_refused(learning, member):
    with pytest.raises(ValidationError) as excinfo:
        add_item(member, learning, due_on=TODAY - timedelta(days=1))
    assert error_keys(excinfo) == {"due_on"}
    assert ActionItem.objects.count() == 0


def test_action_item_already_done_may_carry_a_past_due_date(learning, member):
    item = add_item(member, learning, due_on=TODAY - timedelta(days=30), done=True)
    item.refresh_from_db()
    assert item.due_on == TODAY - timedelta(days=30)
    assert item.done_at == NOW
    assert item.done_by == member


def test_past_due_date_is_judged_in_the_teams_calendar(learning, team, member):
    # 23:30 UTC on 21 November: still the 21st in London, already the 22nd in Auckland.
    late = datetime(2026, 11, 21, 23, 30, tzinfo=UTC)
    with time_machine.travel(late, tick=False):
        item = add_item(member, learning, due_on=date(2026, 11, 21))
        assert item.due_on == date(2026, 11, 21)
        team.timezone = "Pacific/Auckland"
        team.save()
        learning.team.refresh_from_db()
        with pytest.raises(ValidationError) as excinfo:
            add_item(member, learning, due_on=date(2026, 11, 21))
    assert error_keys(excinfo) == {"due_on"}
    assert ActionItem.objects.count() == 1


def test_action_item_owner_from_another_team_is_refused(learning, member, outsider):
    with pytest.raises(ValidationError) as excinfo:
        add_item(member, learning, owner=outsider)
    assert error_keys(excinfo) == {"owner"}
    assert ActionItem.objects.count() == 0


def test_action_item_of_unknown_kind_is_refused(learning, member):
    with pytest.raises(ValidationError) as excinfo:
        add_item(member, learning, kind="hopeful")
    assert error_keys(excinfo) == {"kind"}
    assert ActionItem.objects.count() == 0


def test_action_item_with_a_blank_title_is_refused(learning, member):
    with pytest.raises(ValidationError) as excinfo:
        add_item(member, learning, title="  ")
    assert error_keys(excinfo) == {"title"}
    assert ActionItem.objects.count() == 0


@pytest.mark.parametrize("person", ["viewer", "outsider"])
def test_viewer_and_outsider_cannot_add_an_action_item(learning, request, person):
    with pytest.raises(PermissionDenied):
        add_item(request.getfixturevalue(person), learning)
    assert ActionItem.objects.count() == 0


def test_adding_an_action_item_touches_the_learning_without_a_learning_history_record(
    learning, member
):
    with time_machine.travel(LATER, tick=False):
        add_item(member, learning)
    learning.refresh_from_db()
    assert learning.updated_at == LATER
    assert learning.history.count() == 1


def test_action_item_history_names_who_added_it(learning, manager):
    item = add_item(manager, learning)
    record = item.history.get()
    assert record.history_type == "+"
    assert record.history_user == manager


# action_item_update


@pytest.fixture
def item(learning, member):
    return add_item(member, learning, due_on=TODAY + timedelta(days=7))


def test_update_changes_an_action_items_fields(item, manager, member):
    updated = action_item_update(user=manager, item=item, data={
        "title": " Renamed ", "owner": member, "due_on": TODAY + timedelta(days=14),
        "kind": "corrective",
    })
    updated.refresh_from_db()
    assert updated.title == "Renamed"
    assert updated.owner == member
    assert updated.due_on == TODAY + timedelta(days=14)
    assert updated.kind == "corrective"


def test_update_keeps_a_due_date_that_has_since_passed(item, member):
    ActionItem.objects.filter(pk=item.pk).update(due_on=TODAY - timedelta(days=3))
    item.refresh_from_db()
    updated = action_item_update(user=member, item=item, data={
        "title": "Renamed", "due_on": TODAY - timedelta(days=3),
    })
    updated.refresh_from_db()
    assert updated.title == "Renamed"
    assert updated.due_on == TODAY - timedelta(days=3)


def test_update_to_a_past_due_date_is_refused(item, member):
    with pytest.raises(ValidationError) as excinfo:
        action_item_update(user=member, item=item, data={"due_on": TODAY - timedelta(days=1)})
    assert error_keys(excinfo) == {"due_on"}
    item.refresh_from_db()
    assert item.due_on == TODAY + timedelta(days=7)


def test_done_item_may_be_moved_to_a_past_due_date(item, member):
    action_item_complete(user=member, item=item)
    action_item_update(user=member, item=item, data={"due_on": TODAY - timedelta(days=1)})
    item.refresh_from_db()
    assert item.due_on == TODAY - timedelta(days=1)


def test_action_item_owner_from_another_team_is_refused_on_update_and_nothing_saved(
    item, member, outsider
):
    with pytest.raises(ValidationError) as excinfo:
        action_item_update(user=member, item=item, data={"title": "New", "owner": outsider})
    assert error_keys(excinfo) == {"owner"}
    item.refresh_from_db()
    assert item.owner is None
    assert item.title == "Add a pause button"


def test_update_to_an_unknown_kind_is_refused(item, member):
    with pytest.raises(ValidationError) as excinfo:
        action_item_update(user=member, item=item, data={"kind": "hopeful"})
    assert error_keys(excinfo) == {"kind"}


def test_update_that_changes_nothing_leaves_no_action_item_history(item, member):
    action_item_update(user=member, item=item, data={"title": "Add a pause button"})
    assert item.history.count() == 1


def test_action_item_update_is_recorded_in_history_with_who_made_it(item, manager):
    action_item_update(user=manager, item=item, data={"title": "Renamed"})
    record = item.history.order_by("-history_id").first()
    assert record.title == "Renamed"
    assert record.history_user == manager


@pytest.mark.parametrize("person", ["viewer", "outsider"])
def test_viewer_and_outsider_cannot_update_an_action_item(item, request, person):
    with pytest.raises(PermissionDenied):
        action_item_update(user=request.getfixturevalue(person), item=item,
                           data={"title": "Hacked"})
    item.refresh_from_db()
    assert item.title == "Add a pause button"


# action_item_complete / action_item_reopen


def test_completing_records_when_and_by_whom(item, manager):
    with time_machine.travel(LATER, tick=False):
        done = action_item_complete(user=manager, item=item)
    assert done.done_at == LATER
    item.refresh_from_db()
    assert item.done_at == LATER
    assert item.done_by == manager
    assert item.is_done


def test_completing_twice_keeps_the_first_completion(item, member, manager):
    action_item_complete(user=member, item=item)
    with time_machine.travel(LATER, tick=False):
        action_item_complete(user=manager, item=item)
    item.refresh_from_db()
    assert item.done_at == NOW
    assert item.done_by == member


def test_reopening_clears_when_and_by_whom(item, member):
    action_item_complete(user=member, item=item)
    reopened = action_item_reopen(user=member, item=item)
    assert reopened.done_at is None
    item.refresh_from_db()
    assert item.done_at is None
    assert item.done_by is None


def test_reopened_item_whose_date_has_passed_is_overdue_at_once(learning, member):
    item = add_item(member, learning, due_on=TODAY - timedelta(days=2), done=True)
    action_item_reopen(user=member, item=item)
    item.refresh_from_db()
    assert item.due_on == TODAY - timedelta(days=2)
    assert item.is_overdue() is True


def test_completing_and_reopening_are_recorded_in_history(item, member, manager):
    action_item_complete(user=member, item=item)
    action_item_reopen(user=manager, item=item)
    records = list(item.history.order_by("history_id"))
    assert [(r.done_at, r.history_user) for r in records] == [
        (None, member), (NOW, member), (None, manager)]


@pytest.mark.parametrize("person", ["viewer", "outsider"])
def test_viewer_and_outsider_cannot_complete_an_action_item(item, request, person):
    with pytest.raises(PermissionDenied):
        action_item_complete(user=request.getfixturevalue(person), item=item)
    item.refresh_from_db()
    assert item.done_at is None


@pytest.mark.parametrize("person", ["viewer", "outsider"])
def test_viewer_and_outsider_cannot_reopen_an_action_item(item, member, request, person):
    action_item_complete(user=member, item=item)
    with pytest.raises(PermissionDenied):
        action_item_reopen(user=request.getfixturevalue(person), item=item)
    item.refresh_from_db()
    assert item.done_at == NOW


# action_item_archive / action_item_restore


def test_archiving_an_action_item_keeps_it_and_stamps_archived_at(item, member):
    action_item_archive(user=member, item=item)
    item.refresh_from_db()
    assert item.archived_at == NOW
    assert ActionItem.objects.count() == 1


def test_archiving_an_action_item_twice_keeps_the_first_time(item, member):
    action_item_archive(user=member, item=item)
    with time_machine.travel(LATER, tick=False):
        action_item_archive(user=member, item=item)
    item.refresh_from_db()
    assert item.archived_at == NOW


def test_restoring_an_action_item_clears_archived_at(item, member, manager):
    action_item_archive(user=member, item=item)
    action_item_restore(user=manager, item=item)
    item.refresh_from_db()
    assert item.archived_at is None
    records = list(item.history.order_by("history_id"))
    assert [(r.archived_at, r.history_user) for r in records[1:]] == [
        (NOW, member), (None, manager)]


@pytest.mark.parametrize("person", ["viewer", "outsider"])
def test_viewer_and_outsider_cannot_archive_an_action_item(item, request, person):
    with pytest.raises(PermissionDenied):
        action_item_archive(user=request.getfixturevalue(person), item=item)
    item.refresh_from_db()
    assert item.archived_at is None


def test_viewer_cannot_restore_an_action_item(item, member, viewer):
    action_item_archive(user=member, item=item)
    with pytest.raises(PermissionDenied):
        action_item_restore(user=viewer, item=item)
    item.refresh_from_db()
    assert item.archived_at == NOW
