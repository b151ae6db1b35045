"""A token per model that changes once a write to one of its rows commits: for caches of
counts over many rows (the library dashboard's), which must be counted again after any change.

The services' history helpers (common.history.one_history_record, common.services.set_archived)
mark the change, so every write that leaves a history record moves the token. It moves when
the write commits, not when it is made: a cache filled by a reader who could not yet see the
write is filed under the old token, which nobody asks for again.
"""

import uuid

from django.core.cache import cache
from django.db import models, transaction


def _key(model: type[models.Model]) -> str:
    return f"changes:{model._meta.label_lower}"


def mark_changed(model: type[models.Model]) -> None:
    """A row of `model` changed: a new token once the transaction commits (at once outside
    one), none if it rolls back."""
    key = _key(model)
    transaction.on_commit(lambda: cache.set(key, uuid.uuid4().hex, None))


def change_token(model: type[models.Model]) -> str:
    """The token of `model`'s latest committed change (a new one when the cache has none, as
    after a restart of a local-memory cache)."""
    key = _key(model)
    token = cache.get(key)
    if token is None:
        cache.add(key, uuid.uuid4().hex, None)
        token = cache.get(key)
    return token
