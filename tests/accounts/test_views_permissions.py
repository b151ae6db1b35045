"""The permission matrix of the profile page's API tokens (the pattern, roles and targets are
described in tests/matrix.py; the other accounts routes have their rows in
tests/incidents/test_views_permissions.py).

Everyone signed in makes tokens for themselves; a token is its owner's alone: nobody else, not
even a manager of the owner's team, can revoke it (404, as if it did not exist).
"""

import pytest
from django.urls import reverse

from accounts.models import ApiToken
from accounts.services import token_create
from tests.matrix import TEAM_OF_ROLE, TEAMS, Cell, Row, cells, everyone, run_cell

NEW = "Matrix token"
# Whose token each target is: a member of Comms, and the outsider (Elsewhere's manager).
OWNER = {"comms": "member", "elsewhere": "outsider"}


def create_data(cell: Cell) -> dict:
    team = TEAM_OF_ROLE.get(cell.role, "")
    return {"name": NEW, "read_only": "on", "team": team}


def token_made(cell: Cell) -> bool:
    return list(ApiToken.objects.filter(name=NEW).values_list(
        "user__email", "read_only", "team__slug")) == [
        (f"{cell.role}@example.com", True, TEAM_OF_ROLE.get(cell.role))]


def give_tokens(cell: Cell) -> None:
    for target, role in OWNER.items():
        token_create(user=cell.world.people[role], name=f"{target} token")


def _token(cell: Cell) -> ApiToken:
    return ApiToken.objects.get(name=f"{cell.target} token")


def token_of_target(cell: Cell) -> dict:
    return {"token_id": _token(cell).public_id}


def token_revoked(cell: Cell) -> bool:
    return _token(cell).revoked_at is not None


def owner_only(role: str, target: str) -> int:
    if role == "anonymous":
        return 302
    return 302 if role == OWNER[target] else 404


ROWS = [
    Row("accounts:token-create", everyone(200), "post", data=create_data, changed=token_made,
        success=200),
    Row("accounts:token-revoke", owner_only, "post", TEAMS, token_of_target,
        prepare=give_tokens, changed=token_revoked,
        location=lambda cell: reverse("accounts:profile")),
]


@pytest.mark.parametrize(("row", "target", "role"), cells(ROWS))
def test_each_role_gets_what_the_matrix_says(
        client, world, row, target, role, mailoutbox, django_capture_on_commit_callbacks):
    run_cell(Cell(world, role, target, client, mailoutbox), row,
             django_capture_on_commit_callbacks)
