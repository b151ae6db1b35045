"""Membership changes made at the same moment by two managers, on PostgreSQL with real
concurrent transactions: the team must keep a manager (and a member) whatever the timing."""

import threading
from functools import partial

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from accounts.models import Membership, Role
from accounts.services import membership_remove, membership_update_role
from tests.factories import MembershipFactory, UserFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

TRIES = 8


def run_at_once(*actions):
    """Run each action in its own thread (so its own connection and transaction), released
    together by a barrier; returns what each returned or raised."""
    barrier = threading.Barrier(len(actions))
    outcomes = [None] * len(actions)

    def run(index, action):
        try:
            barrier.wait()
            action()
            outcomes[index] = "ok"
        except ValidationError as refused:
            outcomes[index] = refused
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, a)) for i, a in enumerate(actions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return outcomes


@pytest.fixture
def two_managers(postgres, team, manager):
    second = MembershipFactory(team=team, role=Role.MANAGER,
                               user=UserFactory(email="second@example.com")).user
    return manager, second


def test_two_managers_stepping_down_at_once_leave_one_manager(team, two_managers):
    first, second = two_managers
    for _ in range(TRIES):
        Membership.objects.filter(team=team).update(role=Role.MANAGER)
        mine = {user: Membership.objects.get(team=team, user=user) for user in two_managers}
        outcomes = run_at_once(*(
            partial(membership_update_role, actor=user, membership=mine[user], role=Role.MEMBER)
            for user in (first, second)))
        assert sorted(type(o).__name__ for o in outcomes) == ["ValidationError", "str"]
        assert Membership.objects.filter(team=team, role=Role.MANAGER).count() == 1


def test_two_managers_leaving_at_once_leave_one_manager_in_the_team(team, two_managers):
    first, second = two_managers
    for _ in range(TRIES):
        for user in two_managers:
            Membership.objects.update_or_create(team=team, user=user,
                                                defaults={"role": Role.MANAGER})
        mine = {user: Membership.objects.get(team=team, user=user) for user in two_managers}
        outcomes = run_at_once(*(
            partial(membership_remove, actor=user, membership=mine[user])
            for user in (first, second)))
        assert sorted(type(o).__name__ for o in outcomes) == ["ValidationError", "str"]
        assert list(Membership.objects.filter(team=team).values_list("role", flat=True)) == [
            Role.MANAGER]
