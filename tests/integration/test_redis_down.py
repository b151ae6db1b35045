"""With Redis down, the web app keeps working: pages answer, incidents are saved, and the tasks
that could not be queued are logged, not shown as a 500.

The test runs a redis-server of its own, points the cache and the Celery broker at it, checks
both work, then stops it. Transactional, so that work queued on commit is queued (or fails to
be) as it is in production.
"""

import importlib
import logging
import shutil
import subprocess
import uuid
import zoneinfo
from contextlib import contextmanager

import pytest
import redis
from django.apps import apps as django_apps
from django.core.cache import cache
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone
from kombu import pools

from accounts.models import Role
from common.tasks import queue_on_commit
from config.celery import app as celery_app
from dashboards.tasks import queue_digests, send_digest_preview
from incidents.models import Incident, RootCause
from tests.conftest import require
from tests.factories import IncidentFactory, MembershipFactory, TeamFactory, UserFactory

from .smtp import free_port
from .worker import wait_until

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def own_redis():
    """A redis-server of the test's own (no persistence), stopped by the test or at the end."""
    server = shutil.which("redis-server")
    require(server is not None, "it needs redis-server: apt-get install redis-server")
    port = free_port()
    process = subprocess.Popen(  # noqa: S603
        [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no", "--daemonize", "no"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}/0"
    client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=2)

    def answers() -> bool:
        try:
            return client.ping()
        except redis.exceptions.ConnectionError:
            return False

    try:
        wait_until(answers, timeout=10, what="redis-server answered")
        yield process, url, client
    finally:
        client.close()
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)


@contextmanager
def broker_at(url: str):
    """The Celery app publishing to `url`, not eagerly; its connection pools made afresh on the
    way in and out."""
    conf = celery_app.conf
    saved = conf.broker_url, conf.task_always_eager

    def reset_pools() -> None:
        if celery_app._pool is not None:
            celery_app._pool.force_close_all()
        celery_app._pool = None
        celery_app.amqp._producer_pool = None
        pools.reset()

    conf.broker_url, conf.task_always_eager = url, False
    reset_pools()
    try:
        yield
    finally:
        reset_pools()
        conf.broker_url, conf.task_always_eager = saved


@pytest.fixture
def people(transactional_db):
    if RootCause.objects.count() != 13:
        importlib.import_module("incidents.migrations.0002_seed_taxonomy").seed(django_apps, None)
    now = timezone.now()
    local = now.astimezone(zoneinfo.ZoneInfo("UTC"))
    team = TeamFactory(name="Comms", slug="comms", timezone="UTC",
                       digest_weekday=local.weekday(), digest_hour=local.hour)
    manager = MembershipFactory(team=team, role=Role.MANAGER,
                                user=UserFactory(email="manager@example.com"))
    other = TeamFactory(name="Elsewhere", slug="elsewhere")
    IncidentFactory(team=other, visibility="library", origin="external",
                    title="Shared hashtag hijack")
    IncidentFactory(team=team, title="Our own slip")
    return team, manager


def log_data(team) -> dict:
    return {
        "team": team.pk, "title": "Storm sale post went out",
        "organization": "Northwind Coffee", "link": "", "platform": "instagram",
        "occurred_on": timezone.localdate().isoformat(),
        "summary": "The scheduled sale post ran during the storm.",
        "primary_cause": "insensitive-timing", "origin": "own",
        "idempotency_key": str(uuid.uuid4()),
    }


def pages(team) -> dict[str, str]:
    return {
        "incident list": reverse("incidents:incident-list"),
        "team dashboard": reverse("dashboards:team-dashboard", args=[team.slug]),
        "library": reverse("incidents:library"),
        "library dashboard": reverse("dashboards:library-dashboard"),
    }


def could_not_queue(caplog) -> list[str]:
    return [record.getMessage() for record in caplog.records
            if record.name == "common.tasks" and record.levelno == logging.ERROR
            and record.getMessage().startswith("Could not queue")]


def test_with_redis_stopped_pages_answer_incidents_are_saved_and_queueing_is_logged(
        own_redis, people, client, caplog):
    process, url, direct = own_redis
    team, manager = people
    client.force_login(manager.user)
    caches = {"default": {"BACKEND": "common.cache.RedisCache", "LOCATION": url,
                          "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 2}}}
    with override_settings(CACHES=caches, LIBRARY_METRICS_CACHE_SECONDS=3600), broker_at(url):
        # Up: the cache and the broker are this Redis.
        cache.set("misfire-test-up", "yes", timeout=30)
        assert direct.get(":1:misfire-test-up") is not None
        assert cache.get("misfire-test-up") == "yes"
        assert client.get(pages(team)["library dashboard"]).status_code == 200
        queue_on_commit(send_digest_preview, manager.pk, "2026-11-16")
        assert direct.llen("celery") == 1
        assert could_not_queue(caplog) == []

        process.terminate()
        process.wait(timeout=10)
        caplog.clear()

        # Down: every page still answers.
        for name, path in pages(team).items():
            response = client.get(path)
            assert (name, response.status_code) == (name, 200)
        assert cache.get("misfire-test-up") is None
        assert any(record.name == "common.cache" and "unreachable" in record.getMessage()
                   for record in caplog.records)

        # Logging an incident saves it and goes to its page.
        response = client.post(reverse("incidents:incident-create"), log_data(team))
        incident = Incident.objects.get(title="Storm sale post went out")
        assert response.status_code == 302
        assert response.url == incident.get_absolute_url()
        assert client.get(response.url).status_code == 200

        # Queueing fails, is logged, and raises nothing: on commit outside a transaction...
        queue_on_commit(send_digest_preview, manager.pk, "2026-11-16")
        assert could_not_queue(caplog) == [
            f"Could not queue dashboards.send_digest_preview({manager.pk}, '2026-11-16'): "
            "the task broker is unreachable."]
        # ...and from the hourly tick, whose one due team could not be queued.
        caplog.clear()
        assert queue_digests() == 1
        [message] = could_not_queue(caplog)
        assert message.startswith(f"Could not queue dashboards.send_digest({team.pk}, '")
