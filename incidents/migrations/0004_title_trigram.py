"""Trigram matching of incident titles for the "looks like…" panel (PostgreSQL only).

The pg_trgm extension and a GIN trigram index on the title serve
`title__trigram_similar` (the % operator) in incident_possible_duplicates. Like the full-text
index of 0001, the index stays out of the model state (see common.db.RunSQLOnPostgres); on
SQLite the selector compares significant words instead.

Also: the actor field is called "who posted it" everywhere (form, page, history).
"""

from django.db import migrations, models

import common.db

ACTORS = [
    ("in-house", "In-house team"), ("agency", "Agency"), ("intern", "Intern"),
    ("executive", "Executive"), ("employee", "Employee"), ("attacker", "Attacker"),
    ("automation", "Automation"), ("impersonator", "Impersonator"), ("unknown", "Unknown"),
]


class Migration(migrations.Migration):

    dependencies = [
        ("incidents", "0003_organization_owner"),
    ]

    operations = [
        common.db.RunSQLOnPostgres(
            sql="CREATE EXTENSION IF NOT EXISTS pg_trgm",
            # Left in place: other indexes or database objects may use it.
            reverse_sql=migrations.RunSQL.noop,
        ),
        common.db.RunSQLOnPostgres(
            sql="CREATE INDEX IF NOT EXISTS incident_title_trigram ON incidents_incident "
                "USING gin (title gin_trgm_ops)",
            reverse_sql="DROP INDEX IF EXISTS incident_title_trigram",
        ),
        migrations.AlterField(
            model_name="historicalincident",
            name="actor",
            field=models.CharField(choices=ACTORS, default="unknown", max_length=12,
                                   verbose_name="who posted it"),
        ),
        migrations.AlterField(
            model_name="incident",
            name="actor",
            field=models.CharField(choices=ACTORS, default="unknown", max_length=12,
                                   verbose_name="who posted it"),
        ),
    ]
