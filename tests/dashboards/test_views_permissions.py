"""The permission matrix of the dashboards and the signed-in home (the pattern, roles and
targets are described in tests/matrix.py).

A team's dashboard is read by its people, whatever their role; to anyone else the team does
not exist (404). The home page is the reader's own team's dashboard; the library dashboard is
every signed-in reader's. Anonymous visitors are sent to sign in, and come back.
"""

import pytest

from tests.matrix import TEAMS, Cell, Row, cells, everyone, reads, run_cell


def team_slug(cell: Cell) -> dict:
    return {"slug": cell.world.team_of(cell.target).slug}


def a_period(cell: Cell) -> dict:
    return {"period": "12m"}


ROWS = [
    Row("home", everyone(200)),
    Row("dashboards:team-dashboard", reads(), targets=TEAMS, kwargs=team_slug),
    Row("dashboards:team-dashboard", reads(), targets=TEAMS, kwargs=team_slug, query=a_period,
        label="team-dashboard-period"),
    Row("dashboards:library-dashboard", everyone(200)),
]


@pytest.mark.parametrize(("row", "target", "role"), cells(ROWS))
def test_each_role_gets_what_the_matrix_says(
        client, world, row, target, role, mailoutbox, django_capture_on_commit_callbacks):
    run_cell(Cell(world, role, target, client, mailoutbox), row,
             django_capture_on_commit_callbacks)
