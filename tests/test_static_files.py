"""The static files collect as a production deploy collects them (DEBUG=false: hashed names in
a manifest), so no vendored file points at one that is not shipped."""

from django.core.management import call_command
from django.test import override_settings

MANIFEST = {"default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
            "staticfiles": {
                "BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"}}


def test_every_static_file_collects_into_the_manifest(tmp_path):
    with override_settings(STATIC_ROOT=tmp_path, STORAGES=MANIFEST):
        call_command("collectstatic", interactive=False, verbosity=0)
    collected = {path.name for path in (tmp_path / "vendor" / "chartjs").iterdir()}
    assert "chart.umd.min.js" in collected
    assert any(name.startswith("chart.umd.min.") and name != "chart.umd.min.js"
               for name in collected)   # and its hashed copy
