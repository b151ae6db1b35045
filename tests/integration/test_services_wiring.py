"""The real services the settings point at: PostgreSQL, Redis as cache and Celery broker."""

import uuid

from django.core.cache import cache
from django.db import connection
from django.urls import reverse

from config.celery import app as celery_app


def test_healthz_answers_ok_when_the_database_answers(client, db):
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    assert response.content == b"ok"


def test_cache_round_trips_through_redis(redis_url, settings):
    assert settings.CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    key = f"misfire-test-{uuid.uuid4()}"
    cache.set(key, {"answer": 42}, timeout=30)
    assert cache.get(key) == {"answer": 42}
    cache.delete(key)
    assert cache.get(key) is None


def test_celery_uses_redis_as_broker_and_does_not_run_tasks_eagerly(redis_url):
    assert celery_app.conf.broker_url == redis_url
    assert celery_app.conf.task_always_eager is False
    with celery_app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1)
        assert conn.connected


def test_suite_runs_on_postgresql_when_asked(postgres):
    assert connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version_num")
        assert int(cursor.fetchone()[0]) >= 130000
