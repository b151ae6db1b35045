"""Write helpers every domain app's services share: create once per form submission, and
archive or restore instead of deleting. They leave the permission checks to the caller's
service (accounts.tenancy.require_writer) and record history through common.history."""

import uuid
from collections.abc import Callable
from typing import TypeVar

from django.db import IntegrityError, models, transaction
from django.utils import timezone

from .changes import mark_changed
from .history import attribute_history

T = TypeVar("T", bound=models.Model)


def create_once(model: type[T], *, team, idempotency_key: uuid.UUID | None,
                create: Callable[[], T]) -> tuple[T, bool]:
    """Run `create` unless this submission (its idempotency key, unique per team) already
    made a row; return (row, created).

    A double-clicked Save, a resent form after Back, or two tabs racing each other make one
    row: the second finds the first, or loses the unique constraint's race and takes the
    winner's row. `create` runs in a savepoint, so a lost race leaves nothing half-made.
    """
    def existing() -> T | None:
        if idempotency_key is None:
            return None
        return model.objects.filter(team=team, idempotency_key=idempotency_key).first()

    if (found := existing()) is not None:
        return found, False
    try:
        with transaction.atomic():
            return create(), True
    except IntegrityError:
        if (found := existing()) is not None:
            return found, False
        raise


def set_archived(obj: models.Model, *, user, archived: bool) -> bool:
    """Archive (archived=True) or restore a row: `archived_at` set or cleared, one history
    record naming `user`. Returns whether anything changed (archiving twice is a no-op)."""
    if (obj.archived_at is not None) == archived:
        return False
    attribute_history(obj, user)
    obj.archived_at = timezone.now() if archived else None
    obj.save(update_fields=["archived_at", "updated_at"])
    mark_changed(type(obj))
    return True
