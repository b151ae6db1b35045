"""The migration that makes team names unique keys the names already stored."""

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
