"""Shared fixtures: four people (a team's manager, member and viewer, and an outsider from
another team), their teams, the rule for tests that need real services, and data built once
for a whole module.

Tests that need Chromium or PostgreSQL skip on a newcomer's machine that lacks them, saying
what to install; with CI=true such a skip is a failure, so CI always runs them.
"""

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.db import connection, transaction
from django.test import override_settings

from accounts.models import Role

from .factories import IncidentFactory, MembershipFactory, TeamFactory, UserFactory
from .matrix import build_world

PASSWORD = "correct-horse-battery"
CHROMIUM = "/usr/bin/chromium"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def require(available: bool, what: str) -> None:
    """Skip (or, in CI, fail) a test whose real service is missing."""
    if available:
        return
    if IN_CI:
        pytest.fail(f"CI must run this test, but {what}", pytrace=False)
    pytest.skip(what)


@pytest.fixture(scope="session", autouse=True)
def fast_password_hashing():
    """Every test makes people; a deliberately slow hasher would dominate the suite's time.
    Session-wide, so that data built once per module (built_once) is quick to make too."""
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        yield


@pytest.fixture(scope="session", autouse=True)
def api_unthrottled():
    """The suite makes far more API requests a minute, from one IP, than any client may; the
    throttles are tested on their own (tests/api/test_throttling.py sets the rates)."""
    with override_settings(API_RATE_TOKEN=None, API_RATE_ANONYMOUS=None,
                           API_RATE_TOKEN_FAILURES=None):
        yield


@pytest.fixture(scope="session", autouse=True)
def library_counts_uncached():
    """The library dashboard's counts are cached under the number of the newest incident
    change; a test database reuses such numbers (SQLite after a rollback, any database in
    the next run), so tests count afresh. tests/dashboards/test_library_cache.py turns the
    cache on, on a cleared cache."""
    with override_settings(LIBRARY_METRICS_CACHE_SECONDS=0):
        yield


@contextmanager
def built_once(django_db_blocker) -> Iterator[None]:
    """Data for a whole module, for tests that only read it: made inside a transaction that is
    rolled back when the module ends, so the next module starts clean. Each test (marked
    django_db) runs in its own savepoint inside it, so what one test writes is gone before the
    next. Not for transactional or live-server tests: they cannot see uncommitted rows.

        @pytest.fixture(scope="module")
        def world(django_db_setup, django_db_blocker):
            with built_once(django_db_blocker):
                yield make_the_world()
    """
    with django_db_blocker.unblock(), transaction.atomic():
        yield
        transaction.set_rollback(True)


@pytest.fixture
def eager_tasks():
    """Celery tasks run in the caller, as in the embedded default (CI otherwise runs with a
    real broker, and a test could not see what a task sent)."""
    from config.celery import app as celery_app

    saved = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = saved


@pytest.fixture
def postgres(db):
    require(connection.vendor == "postgresql",
            "it needs PostgreSQL: set DATABASE_URL=postgres://… (see README)")


@pytest.fixture
def redis_url(settings):
    require(bool(settings.REDIS_URL),
            "it needs Redis: set REDIS_URL=redis://127.0.0.1:6379/0 (see README)")
    return settings.REDIS_URL


@pytest.fixture(scope="session")
def chromium_path():
    require(shutil.which(CHROMIUM) is not None,
            f"it needs Chromium at {CHROMIUM}: apt-get install chromium")
    return CHROMIUM


@pytest.fixture
def team(db):
    return TeamFactory(name="Comms", slug="comms")


@pytest.fixture
def other_team(db):
    return TeamFactory(name="Elsewhere", slug="elsewhere")


def _person(team, role, email):
    return MembershipFactory(team=team, role=role, user=UserFactory(email=email)).user


@pytest.fixture
def manager(team):
    return _person(team, Role.MANAGER, "manager@example.com")


@pytest.fixture
def member(team):
    return _person(team, Role.MEMBER, "member@example.com")


@pytest.fixture
def viewer(team):
    return _person(team, Role.VIEWER, "viewer@example.com")


@pytest.fixture
def outsider(other_team):
    return _person(other_team, Role.MANAGER, "outsider@example.com")


@pytest.fixture
def private_incident(team, member):
    """An own incident visible to its team only."""
    return IncidentFactory(team=team, created_by=member, visibility="team",
                           title="Private slip about the spring sale")


@pytest.fixture
def library_incident(other_team, outsider):
    """Another team's incident shared in the library."""
    return IncidentFactory(team=other_team, created_by=outsider, visibility="library",
                           origin="external", title="Shared hashtag hijack")


@pytest.fixture
def outsider_private_incident(other_team, outsider):
    return IncidentFactory(team=other_team, created_by=outsider, visibility="team",
                           title="Elsewhere's secret misstep")


@pytest.fixture(scope="module")
def matrix_world(django_db_setup, django_db_blocker):
    """The permission matrices' world (tests/matrix.py), built once per module."""
    with built_once(django_db_blocker):
        yield build_world()


@pytest.fixture
def world(matrix_world, db):
    """The matrix world, in a transaction rolled back after the test."""
    return matrix_world
