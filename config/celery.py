"""The Celery application: Redis as broker (REDIS_URL), in-process tasks without it.

Its settings are the CELERY_* names in config/settings.py; the beat schedule is here, in code,
so every deployment ticks the same way. Run a worker and beat with
`celery -A config worker` and `celery -A config beat`.
"""

import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("misfire")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

app.conf.beat_schedule = {
    # Every hour on the hour (UTC): the teams whose local time is their digest day and hour,
    # or later that same day after a missed tick, get their week's digest.
    "queue-digests": {"task": "dashboards.queue_digests", "schedule": crontab(minute=0)},
}
