"""The permission matrix of the dashboards and the signed-in home (the pattern, roles and
targets are described in tests/matrix.py).

A team's dashboard and its digest preview are read by its people, whatever their role; to
anyone else the team does not exist (404). "Email me this preview" is theirs too (it goes to
the reader only). The home page is the reader's own team's dashboard; the library dashboard is
every signed-in reader's. Anonymous visitors are sent to sign in, and come back. A digest's
unsubscribe link needs no account: its signature is the proof, whoever holds it, and it
changes one membership (GET asks, POST unsubscribes).
"""

import pytest
from django.urls import reverse

from accounts.models import Membership
from dashboards.digests import unsubscribe_token
from tests.matrix import TEAMS, Cell, Row, cells, everyone, reads, run_cell

# A Monday no later than this week, whenever the suite runs.
A_WEEK = "2026-11-02"


def team_slug(cell: Cell) -> dict:
    return {"slug": cell.world.team_of(cell.target).slug}


def a_period(cell: Cell) -> dict:
    return {"period": "12m"}


def a_link(cell: Cell) -> dict:
    """The unsubscribe link of a member of the target team (not the person asking)."""
    return {"token": unsubscribe_token(cell.world.members[cell.target])}


def subscribe(cell: Cell) -> None:
    Membership.objects.filter(pk=cell.world.members[cell.target].pk).update(receives_digest=True)


def unsubscribed(cell: Cell) -> bool:
    return not Membership.objects.get(pk=cell.world.members[cell.target].pk).receives_digest


ROWS = [
    Row("home", everyone(200)),
    Row("dashboards:team-dashboard", reads(), targets=TEAMS, kwargs=team_slug),
    Row("dashboards:team-dashboard", reads(), targets=TEAMS, kwargs=team_slug, query=a_period,
        label="team-dashboard-period"),
    Row("dashboards:library-dashboard", everyone(200)),
    Row("dashboards:digest-preview", reads(), targets=TEAMS, kwargs=team_slug),
    Row("dashboards:digest-preview", reads(), targets=TEAMS, kwargs=team_slug,
        query=lambda cell: {"week": A_WEEK}, label="digest-preview-week"),
    Row("dashboards:digest-preview", reads(302), method="post", targets=TEAMS,
        kwargs=team_slug, data=lambda cell: {"week": A_WEEK},
        changed=lambda cell: cell.user is not None
        and [m.to for m in cell.mailoutbox] == [[cell.user.email]],
        location=lambda cell: reverse("dashboards:digest-preview", kwargs=team_slug(cell))
        + f"?week={A_WEEK}"),
    Row("dashboards:digest-unsubscribe", everyone(200, anonymous=200), targets=TEAMS,
        kwargs=a_link, login_required=False),
    Row("dashboards:digest-unsubscribe", everyone(200, anonymous=200), method="post",
        targets=TEAMS, kwargs=a_link, login_required=False, success=200,
        prepare=subscribe, changed=unsubscribed),
]


@pytest.fixture(autouse=True)
def _preview_emails_sent_in_the_request(eager_tasks):
    """The preview email is sent in the request, so that a cell can see it in the outbox."""


@pytest.mark.parametrize(("row", "target", "role"), cells(ROWS))
def test_each_role_gets_what_the_matrix_says(
        client, world, row, target, role, mailoutbox, django_capture_on_commit_callbacks):
    run_cell(Cell(world, role, target, client, mailoutbox), row,
             django_capture_on_commit_callbacks)
