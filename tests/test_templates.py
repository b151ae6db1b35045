"""Template source rules that Django does not enforce: a {# comment #} ends on the line it
starts on (a longer one is printed into the page, as the header's once was)."""

from pathlib import Path

from django.conf import settings

TEMPLATE_DIRS = [Path(settings.BASE_DIR) / "templates"]


def test_every_one_line_comment_closes_on_its_line():
    open_comments = [
        f"{path.relative_to(settings.BASE_DIR)}:{number}"
        for folder in TEMPLATE_DIRS for path in sorted(folder.rglob("*"))
        if path.suffix in (".html", ".txt")
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if line.count("{#") > line.count("#}")
    ]
    assert open_comments == []
