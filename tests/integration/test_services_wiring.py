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
    assert settings.CACHES["default"]["BACKEND"] == "common.cache.RedisCache"
    key = f"misfire-test-{uuid.uuid4()}"
    cache.set(key, {"answer": 42}, timeout=30)
    assert cache.get(key) == {"answer": 42}
    assert cache.add(key + "-n", 1, timeout=30) is True
    assert cache.incr(key + "-n") == 2
    cache.delete_many([key, key + "-n"])
    assert cache.get_many([key, key + "-n"]) == {}


def test_the_cache_makes_one_redis_client_per_pool_not_one_per_command(redis_url):
    client = cache._cache
    first = client.get_client(write=True)
    cache.set(f"misfire-test-{uuid.uuid4()}", 1, timeout=5)
    assert client.get_client(write=False) is first
    assert client.get_client("any-key", write=True) is first


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
