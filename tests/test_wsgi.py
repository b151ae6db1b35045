"""The WSGI entry point gunicorn serves: it loads every view at start-up and sets what start-up
made aside from the garbage collector (config.wsgi explains why)."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

PROBE = """
import gc, sys
import config.wsgi
print(gc.get_freeze_count())
print(all(name in sys.modules for name in ("incidents.views", "learnings.views",
                                           "api.urls", "accounts.views")))
"""


def test_start_up_loads_the_views_and_freezes_what_it_made():
    result = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True,  # noqa: S603 - our own probe
                            text=True, check=True, timeout=120)
    frozen, views_loaded = result.stdout.split()
    # Django, the apps and their URL patterns: far more than a bare interpreter's objects.
    assert int(frozen) > 50_000
    assert views_loaded == "True"
