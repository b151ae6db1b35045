"""Site-wide pieces: the favicon, and the SITE_URL that follows the port `make run` serves on."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders
from django.templatetags.static import static

ROOT = Path(settings.BASE_DIR)
MAKE = shutil.which("make") or "/usr/bin/make"


def test_every_page_links_the_svg_favicon(client, db):
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    assert (f'<link rel="icon" href="{static("img/favicon.svg")}" type="image/svg+xml">'
            in response.content.decode())
    path = finders.find("img/favicon.svg")
    assert path is not None
    assert Path(path).read_text().lstrip().startswith("<svg")


def test_favicon_ico_redirects_to_the_svg_icon(client, db):
    response = client.get("/favicon.ico")
    assert response.status_code == 302
    assert response["Location"] == static("img/favicon.svg")


def _settings_site_url(**env: str) -> str:
    """SITE_URL as settings compute it in a fresh process with exactly this environment
    (and no .env file's SITE_URL leaking in through the inherited environment)."""
    clean = {k: v for k, v in os.environ.items()
             if k not in ("SITE_URL", "PORT", "CSRF_TRUSTED_ORIGINS")}
    clean.update(env, DJANGO_SETTINGS_MODULE="config.settings")
    result = subprocess.run(
        [sys.executable, "-c",
         "from django.conf import settings; "
         "print(settings.SITE_URL); print(settings.CSRF_TRUSTED_ORIGINS)"],
        cwd=ROOT, env=clean, capture_output=True, text=True, check=True, timeout=60)
    return result.stdout.splitlines()


def test_site_url_follows_the_port_when_not_set():
    assert _settings_site_url(PORT="8001") == [
        "http://127.0.0.1:8001", "['http://127.0.0.1:8001']"]


def test_site_url_defaults_to_port_8000():
    assert _settings_site_url() == ["http://127.0.0.1:8000", "['http://127.0.0.1:8000']"]


def test_an_explicit_site_url_wins_over_the_port():
    assert _settings_site_url(PORT="8001", SITE_URL="https://misfire.example.com/")[0] == \
        "https://misfire.example.com"


def test_make_run_serves_on_port_and_exports_site_url():
    # A dry run prints the commands make would run, without running them.
    clean = {k: v for k, v in os.environ.items() if k not in ("SITE_URL", "PORT")}
    result = subprocess.run(  # noqa: S603  (fixed arguments)
        [MAKE, "-n", "run"], cwd=ROOT, env={**clean, "PORT": "8001"},
        capture_output=True, text=True, check=True, timeout=60)
    assert "manage.py runserver 127.0.0.1:8001" in result.stdout
    # The port (8000 by default) reaches the commands' environment, where settings derive
    # SITE_URL from it: a throwaway target prints what a recipe's shell sees.
    result = subprocess.run(  # noqa: S603  (fixed arguments)
        [MAKE, "-s", "--eval", "show-port: ; @echo $$PORT", "show-port"],
        cwd=ROOT, env=clean, capture_output=True, text=True, check=True, timeout=60)
    assert result.stdout.strip() == "8000"
