"""Queueing Celery tasks from a request or a service without letting the broker fail it."""

import logging

from django.db import transaction
from kombu.exceptions import OperationalError

logger = logging.getLogger(__name__)


def queue_now(task, *args, **kwargs) -> bool:
    """Queue `task`; with the broker unreachable, log the failure and answer False (never
    raise: the caller's own work has been done and stays done)."""
    try:
        task.apply_async(args=args, kwargs=kwargs)
    except OperationalError:
        logger.exception("Could not queue %s%s: the task broker is unreachable.",
                         task.name, args)
        return False
    except Exception:
        # Without a broker (the embedded default) the task ran here and then, and failed: say
        # so, rather than blame a broker there is none of.
        if not task.app.conf.task_always_eager:
            raise
        logger.exception("%s%s failed (run in-process: no broker is configured).",
                         task.name, args)
        return False
    return True


def queue_on_commit(task, *args, **kwargs) -> None:
    """Queue `task` once the current transaction commits (at once outside one), never if it
    rolls back, and log instead of failing when the broker is down."""
    transaction.on_commit(lambda: queue_now(task, *args, **kwargs))
