"""Team name keys now also fold look-alike Greek and Cyrillic letters (issue 7, item 5): every
team's key is computed again, and a later team whose name now looks like an earlier one's is
renamed "<name> (2)" as in 0002."""

import importlib

from django.db import migrations


def recompute_name_keys(apps, schema_editor):
    Team = apps.get_model("accounts", "Team")
    # Out of the way first, so that no new key collides with another team's old one.
    for pk in Team.objects.values_list("pk", flat=True):
        Team.objects.filter(pk=pk).update(name_key=f"~{pk}")
    importlib.import_module("accounts.migrations.0002_invitation").fill_name_keys(
        apps, schema_editor)


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0002_invitation"),
    ]

    operations = [
        migrations.RunPython(recompute_name_keys, migrations.RunPython.noop),
    ]
