"""Writes for learnings and action items.

Every write is atomic, checks that the actor may make it (members and managers of the
learning's team), and leaves history behind. Nothing is deleted: learnings and action items
are archived and can be restored.
"""

import uuid
from collections.abc import Iterable
from datetime import date
from typing import Any
from uuid import UUID

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import Membership, Team, User
from accounts.tenancy import require_writer
from common.dates import check_planned_dates
from common.history import attribute_history, one_history_record
from common.services import create_once, set_archived
from common.text import LONG_TEXT_MAX, REASON_MAX, check_lengths
from incidents.models import Incident

from .models import (
    TRANSITIONS,
    ActionItem,
    ActionKind,
    Learning,
    LearningStatus,
)

LEARNING_FIELDS = ("title", "lesson", "practice", "owner", "review_on")
ACTION_ITEM_FIELDS = ("title", "owner", "due_on", "kind")
LEARNING_OWNER_CANNOT = "edit learnings"
ACTION_OWNER_CANNOT = "complete actions"
NOT_READABLE = ("No incident your team can read has that address: link your team's own "
                "incidents or the library's.")


def _check_owner(team: Team, person: User | None, *, cannot: str, new: bool = True) -> None:
    """An owner belongs to the team. A new one must also be able to act on what they own (may
    write: Membership.can_write); someone made a viewer after being given something keeps it
    until it is reassigned."""
    if person is None:
        return
    try:
        membership = Membership.objects.get(user=person, team=team)
    except Membership.DoesNotExist:
        raise ValidationError({"owner": f"{person} is not a member of {team.name}."}) from None
    if new and not membership.can_write:
        raise ValidationError({"owner": f"{person} is a viewer in {team.name} and cannot "
                                        f"{cannot}: choose a member or manager."})


def _readable_incidents(team: Team, public_ids: Iterable[UUID | str]) -> list[Incident]:
    """The incidents with these ids that the team can read; refused as a whole otherwise."""
    try:
        # Parsed, so a malformed id is refused like an unknown one and "ABC…" equals "abc…".
        wanted = {UUID(str(pid)) for pid in public_ids}
    except ValueError as error:
        raise ValidationError({"incident": NOT_READABLE}) from error
    found = list(Incident.objects.for_team(team).filter(public_id__in=wanted))
    if len(found) != len(wanted):
        raise ValidationError({"incident": NOT_READABLE})
    return found


@transaction.atomic
def learning_create_from_incidents(
    *,
    user: User,
    team: Team,
    incident_ids: Iterable[UUID | str],
    title: str,
    lesson: str = "",
    practice: str = "",
    owner: User | None = None,
    review_on: date | None = None,
    idempotency_key: uuid.UUID | None = None,
) -> tuple[Learning, bool]:
    """A draft learning linked to the given incidents (the team's own or the library's).

    Returns (learning, created); created is False when the same form submission
    (idempotency_key) already made it.
    """
    require_writer(user, team)

    def create() -> Learning:
        incidents = _readable_incidents(team, incident_ids)
        _check_owner(team, owner, cannot=LEARNING_OWNER_CANNOT)
        check_planned_dates(today=team.today(), review_on=review_on)
        check_lengths(lesson=(lesson, LONG_TEXT_MAX), practice=(practice, LONG_TEXT_MAX))
        learning = Learning(team=team, title=title.strip(), lesson=lesson, practice=practice,
                            owner=owner, review_on=review_on, created_by=user,
                            status_changed_at=timezone.now(), status_changed_by=user,
                            idempotency_key=idempotency_key)
        learning.full_clean(exclude=["idempotency_key"])
        # One history record, with the incidents already linked.
        with one_history_record(learning, user=user, created=True):
            learning.save()
            learning.incidents.set(incidents)
        return learning

    return create_once(Learning, team=team, idempotency_key=idempotency_key, create=create)


@transaction.atomic
def learning_update(*, user: User, learning: Learning, data: dict[str, Any]) -> Learning:
    """Change a learning's title, lesson, practice, owner or review date."""
    require_writer(user, learning.team)
    learning = Learning.objects.select_for_update().get(pk=learning.pk)
    attribute_history(learning, user)
    changed = False
    new_owner = "owner" in data and learning.owner != data["owner"]
    for field in LEARNING_FIELDS:
        if field in data and getattr(learning, field) != data[field]:
            setattr(learning, field, data[field].strip() if field == "title" else data[field])
            changed = True
    if "owner" in data:
        _check_owner(learning.team, learning.owner, cannot=LEARNING_OWNER_CANNOT, new=new_owner)
    if "review_on" in data:
        check_planned_dates(today=learning.team.today(), review_on=learning.review_on)
    check_lengths(lesson=(learning.lesson, LONG_TEXT_MAX),
                  practice=(learning.practice, LONG_TEXT_MAX))
    learning.full_clean(exclude=["idempotency_key"])
    if changed:
        learning.save()
    return learning


@transaction.atomic
def learning_change_status(*, user: User, learning: Learning, status: str,
                           reason: str = "") -> Learning:
    """Move a learning along draft → proposed → adopted → retired (and back, where allowed).

    Adopting records when; retiring needs a reason; a retired learning is reopened as a draft
    before it can be adopted again.
    """
    require_writer(user, learning.team)
    learning = Learning.objects.select_for_update().get(pk=learning.pk)
    if status not in LearningStatus.values:
        raise ValidationError({"status": "Choose draft, proposed, adopted or retired."})
    current = LearningStatus(learning.status)
    if status == current:
        return learning
    if status not in TRANSITIONS[current]:
        if current == LearningStatus.RETIRED:
            message = "A retired learning has to be reopened before it can be proposed or adopted."
        else:
            article = "An" if current == LearningStatus.ADOPTED else "A"
            message = (f"{article} {current.label.lower()} learning can't become "
                       f"{LearningStatus(status).label.lower()}.")
        raise ValidationError({"status": message})
    reason = reason.strip()
    if status == LearningStatus.RETIRED and not reason:
        raise ValidationError({"reason": "Say why this learning is retired."})
    check_lengths(reason=(reason, REASON_MAX))
    if learning.archived_at is not None:
        raise ValidationError({"status": "Restore this learning before changing its status."})
    now = timezone.now()
    attribute_history(learning, user)
    learning.status = status
    learning.status_changed_at = now
    learning.status_changed_by = user
    if status == LearningStatus.ADOPTED:
        learning.adopted_at = now
    elif status == LearningStatus.RETIRED:
        learning.retired_at = now
        learning.retired_reason = reason
    else:
        # Back to draft or proposed: no longer in force. History keeps the earlier adoption.
        learning.adopted_at = None
        learning.retired_at = None
        learning.retired_reason = ""
    learning.save()
    return learning


@transaction.atomic
def learning_archive(*, user: User, learning: Learning) -> Learning:
    """Take a learning out of lists and counts; nothing is deleted and it can be restored."""
    require_writer(user, learning.team)
    set_archived(learning, user=user, archived=True)
    return learning


@transaction.atomic
def learning_restore(*, user: User, learning: Learning) -> Learning:
    require_writer(user, learning.team)
    set_archived(learning, user=user, archived=False)
    return learning


@transaction.atomic
def learning_incident_link(*, user: User, learning: Learning,
                           incident_id: UUID | str) -> Incident:
    """Link one more incident: the team's own or a library one. Anything else is refused,
    including another of the actor's teams' private incidents (the learning's team would
    see it)."""
    require_writer(user, learning.team)
    (incident,) = _readable_incidents(learning.team, [incident_id])
    if learning.incidents.filter(pk=incident.pk).exists():
        raise ValidationError({"incident": "That incident is already linked to this learning."})
    attribute_history(learning, user)
    learning.incidents.add(incident)  # the history record comes with the link
    _touch(learning)
    return incident


@transaction.atomic
def learning_incident_unlink(*, user: User, learning: Learning, incident: Incident) -> None:
    """Unlink an incident; the history keeps that it was linked."""
    require_writer(user, learning.team)
    attribute_history(learning, user)
    learning.incidents.remove(incident)
    _touch(learning)


def _validate_action_item(item: ActionItem, *, new_owner: bool = True,
                          new_due_on: bool = True) -> None:
    team = item.learning.team
    _check_owner(team, item.owner, cannot=ACTION_OWNER_CANNOT, new=new_owner)
    if item.kind not in ActionKind.values:
        raise ValidationError({"kind": "Choose preventive, detective or corrective."})
    # An old due date that has since passed is not the editor's doing: checked when set.
    if new_due_on:
        today = team.today()
        check_planned_dates(today=today, due_on=item.due_on)
        if item.due_on and item.done_at is None and item.due_on < today:
            raise ValidationError({"due_on": "That date has passed. A past due date is only "
                                             "for an action that is already done."})
    item.full_clean()


def _require_open_learning(learning: Learning, *, adding: bool = False) -> None:
    """Actions of a retired or archived learning are closed: none is added, ticked off or
    reopened until the learning is reopened or restored."""
    if not learning.closes_actions:
        return
    if adding:
        raise ValidationError({"title": f"{learning.actions_closed_note} "
                                        f"{learning.reopen_verb} it to add actions."})
    raise ValidationError({"done": learning.actions_closed_note})


def _locked(item: ActionItem) -> ActionItem:
    """The item again, locked for the change, with its learning and team."""
    return (ActionItem.objects.select_for_update().select_related("learning__team")
            .get(pk=item.pk))


@transaction.atomic
def action_item_create(
    *,
    user: User,
    learning: Learning,
    title: str,
    owner: User | None = None,
    due_on: date | None = None,
    kind: str = ActionKind.PREVENTIVE,
    done: bool = False,
) -> ActionItem:
    """Add a follow-up to a learning; one already done may carry a past due date."""
    require_writer(user, learning.team)
    _require_open_learning(learning, adding=True)
    now = timezone.now()
    item = ActionItem(learning=learning, title=title.strip(), owner=owner, due_on=due_on,
                      kind=kind, created_by=user, done_at=now if done else None,
                      done_by=user if done else None)
    attribute_history(item, user)
    _validate_action_item(item)
    item.save()
    _touch(learning)
    return item


@transaction.atomic
def action_item_update(*, user: User, item: ActionItem, data: dict[str, Any]) -> ActionItem:
    """Change an action item's title, owner, due date or kind."""
    require_writer(user, item.learning.team)
    item = _locked(item)
    changed = [f for f in ACTION_ITEM_FIELDS if f in data and getattr(item, f) != data[f]]
    if not changed:
        return item
    for field in changed:
        setattr(item, field, data[field].strip() if field == "title" else data[field])
    _validate_action_item(item, new_owner="owner" in changed, new_due_on="due_on" in changed)
    attribute_history(item, user)
    item.save()
    _touch(item.learning)
    return item


@transaction.atomic
def action_item_complete(*, user: User, item: ActionItem) -> ActionItem:
    require_writer(user, item.learning.team)
    item = _locked(item)
    _require_open_learning(item.learning)
    if item.done_at is None:
        attribute_history(item, user)
        item.done_at = timezone.now()
        item.done_by = user
        item.save()
        _touch(item.learning)
    return item


@transaction.atomic
def action_item_reopen(*, user: User, item: ActionItem) -> ActionItem:
    """Mark a done item open again (it is overdue at once if its date has passed)."""
    require_writer(user, item.learning.team)
    item = _locked(item)
    _require_open_learning(item.learning)
    if item.done_at is not None:
        attribute_history(item, user)
        item.done_at = None
        item.done_by = None
        item.save()
        _touch(item.learning)
    return item


@transaction.atomic
def action_item_archive(*, user: User, item: ActionItem) -> ActionItem:
    """Take an action item off the learning; its history stays and it can be restored."""
    require_writer(user, item.learning.team)
    if set_archived(item, user=user, archived=True):
        _touch(item.learning)
    return item


@transaction.atomic
def action_item_restore(*, user: User, item: ActionItem) -> ActionItem:
    require_writer(user, item.learning.team)
    if set_archived(item, user=user, archived=False):
        _touch(item.learning)
    return item


def _touch(learning: Learning) -> None:
    # The learning's own history records its fields; its action items have their own history.
    Learning.objects.filter(pk=learning.pk).update(updated_at=timezone.now())
