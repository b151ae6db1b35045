"""Database helpers that keep SQLite (the embedded default) and PostgreSQL both working."""

from django.db import migrations


class RunSQLOnPostgres(migrations.RunSQL):
    """RunSQL that runs only on PostgreSQL, e.g. to build a GIN full-text index.

    Such an index stays out of the model state on purpose: SQLite rebuilds a table from the
    model state whenever a migration alters it, and would then try to build the GIN index too.
    """

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)
