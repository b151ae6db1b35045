"""The layout rules of DESIGN section 1, checked on the source itself, so that a shortcut
across them fails CI instead of waiting for a review:

- dependencies point one way: common <- accounts <- incidents <- learnings <- dashboards;
- the REST API (api) sits on top: it reads and writes through the apps' selectors, services,
  filters, models and tenancy layer, never their pages (views, urls, forms), and no app
  imports it;
- no app imports another app's views;
- "may write" is defined once (accounts), and nothing else lists the writing roles.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LAYERS = ["common", "accounts", "incidents", "learnings", "dashboards"]


def _modules(app: str):
    for path in sorted((ROOT / app).rglob("*.py")):
        yield path, ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _imports(tree: ast.AST) -> set[str]:
    """Dotted names of everything a module imports (relative imports stay in the app)."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def _first(name: str) -> str:
    return name.split(".")[0]


@pytest.mark.parametrize("app", LAYERS)
def test_an_app_imports_only_the_apps_to_its_left(app):
    allowed = set(LAYERS[:LAYERS.index(app) + 1])
    wrong = sorted(
        f"{path.relative_to(ROOT)} imports {name}"
        for path, tree in _modules(app)
        for name in _imports(tree)
        if _first(name) in LAYERS and _first(name) not in allowed
    )
    assert wrong == []


@pytest.mark.parametrize("app", LAYERS)
def test_no_app_imports_another_apps_views(app):
    wrong = sorted(
        f"{path.relative_to(ROOT)} imports {name}"
        for path, tree in _modules(app)
        for name in _imports(tree)
        if _first(name) in LAYERS and _first(name) != app and name.split(".")[1:2] == ["views"]
    )
    assert wrong == []


def test_only_accounts_says_which_roles_may_write():
    """Membership.WRITE_ROLES / can_write is the one definition; any other list of roles that
    may write would drift from it."""
    wrong = []
    for app in LAYERS:
        if app == "accounts":
            continue
        for path, _tree in _modules(app):
            if "migrations" in path.parts:
                continue
            source = path.read_text(encoding="utf-8")
            for needle in ("WRITE_ROLES", "role__in", "Role.MEMBER, Role.MANAGER"):
                if needle in source:
                    wrong.append(f"{path.relative_to(ROOT)}: {needle}")
    assert wrong == []


# What the API may not reach into: the pages' own modules.
PAGE_MODULES = {"views", "urls", "forms"}


def test_no_app_imports_the_api():
    wrong = sorted(
        f"{path.relative_to(ROOT)} imports {name}"
        for app in LAYERS
        for path, tree in _modules(app)
        for name in _imports(tree)
        if _first(name) == "api"
    )
    assert wrong == []


def test_the_api_uses_the_apps_layers_not_their_pages():
    wrong = sorted(
        f"{path.relative_to(ROOT)} imports {name}"
        for path, tree in _modules("api")
        for name in _imports(tree)
        if _first(name) in LAYERS and name.split(".")[1:2] and name.split(".")[1] in PAGE_MODULES
    )
    assert wrong == []


def test_the_checks_above_see_a_violation():
    """The walker finds imports: a broken walker would pass every rule above."""
    tree = ast.parse("from incidents.views import x\nimport learnings.selectors\n")
    assert _imports(tree) == {"incidents.views", "incidents.views.x", "learnings.selectors"}
