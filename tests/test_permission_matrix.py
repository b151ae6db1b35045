"""Every route of the site has a permission-matrix row (tests/matrix.py) or a reason to have none.

The routes come from the URL resolver, the rows from every tests/**/test_views_permissions.py,
so a new route — or a new app — fails here, by name, until someone decides who may use it.
"""

import importlib
from pathlib import Path

from tests.matrix import EXEMPT_NAMESPACES, EXEMPT_ROUTES, route_names, uncovered

TESTS = Path(__file__).parent


def matrix_rows() -> list:
    rows = []
    for path in sorted(TESTS.rglob("test_views_permissions.py")):
        name = ".".join(path.relative_to(TESTS.parent).with_suffix("").parts)
        rows += importlib.import_module(name).ROWS
    return rows


def test_every_route_has_a_matrix_row_or_an_exemption():
    missing, stale = uncovered(matrix_rows())
    assert missing == [], (
        f"Routes with no permission-matrix row: {', '.join(missing)}. Add rows for them to "
        "the app's tests/<app>/test_views_permissions.py, or a reason to tests/matrix.py's "
        "EXEMPT_ROUTES.")
    assert stale == [], f"Matrix rows or exemptions for routes that no longer exist: {stale}"


def test_every_write_row_says_what_a_successful_request_changes():
    silent = sorted({row.route for row in matrix_rows()
                     if row.method != "get" and row.changed is None})
    assert silent == []


def test_the_walk_finds_the_routes_of_every_app_and_the_root():
    routes = set(route_names())
    assert {"home", "healthz", "incidents:incident-restore", "learnings:learning-restore",
            "accounts:invitation-revoke", "admin:index"} <= routes
    # The exempt list stays short, and each entry says why.
    assert len(EXEMPT_NAMESPACES) + len(EXEMPT_ROUTES) <= 5
    assert all(reason.strip() for reason in [*EXEMPT_NAMESPACES.values(),
                                             *EXEMPT_ROUTES.values()])
