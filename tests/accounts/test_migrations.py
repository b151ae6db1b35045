"""The migrations that make team names unique keys the names already stored, and that give
existing memberships and invitations a public_id each."""

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("accounts", "0001_initial")]
AFTER = [("accounts", "0002_invitation")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def test_existing_look_alike_team_names_are_numbered_and_keyed():
    old_apps = migrate(BEFORE)
    try:
        Team = old_apps.get_model("accounts", "Team")
        for name, slug in [("Comms", "comms"), ("comms", "comms-b"), ("C.O.M.M.S", "comms-c"),
                           ("!!!", "bang"), ("Élan", "elan")]:
            Team.objects.create(name=name, slug=slug)
        new_apps = migrate(AFTER)
        Team = new_apps.get_model("accounts", "Team")
        assert list(Team.objects.order_by("pk").values_list("slug", "name", "name_key")) == [
            ("comms", "Comms", "comms"),
            ("comms-b", "comms (2)", "comms2"),
            ("comms-c", "C.O.M.M.S (3)", "comms3"),
            ("bang", "!!! (2)", "2"),
            ("elan", "Élan", "elan"),
        ]
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())


def test_existing_memberships_and_invitations_get_a_public_id_each_and_back_again():
    before = [("accounts", "0003_team_name_key_look_alikes")]
    after = [("accounts", "0004_membership_invitation_public_id")]
    old_apps = migrate(before)
    try:
        User = old_apps.get_model("accounts", "User")
        Team = old_apps.get_model("accounts", "Team")
        Membership = old_apps.get_model("accounts", "Membership")
        Invitation = old_apps.get_model("accounts", "Invitation")
        team = Team.objects.create(name="Comms", slug="comms", name_key="comms")
        for n in range(3):
            user = User.objects.create(email=f"p{n}@example.com")
            Membership.objects.create(user=user, team=team, role="member")
            Invitation.objects.create(team=team, email=f"new{n}@example.com",
                                      token_hash=f"{n}" * 64,
                                      expires_at=datetime(2030, 1, 1, tzinfo=UTC))

        new_apps = migrate(after)
        for name in ("Membership", "Invitation"):
            ids = list(new_apps.get_model("accounts", name).objects.values_list(
                "public_id", flat=True))
            assert len(ids) == 3
            assert None not in ids
            assert len(set(ids)) == 3

        back = migrate(before)
        assert back.get_model("accounts", "Membership").objects.count() == 3
        assert "public_id" not in {
            f.name for f in back.get_model("accounts", "Invitation")._meta.get_fields()}
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
