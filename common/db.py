"""Database helpers that keep SQLite (the embedded default) and PostgreSQL both working."""

from django.db import migrations


class AddIndexOnPostgres(migrations.AddIndex):
    """AddIndex that builds the index only on PostgreSQL (e.g. a GIN full-text index).

    The index stays in the model state everywhere, so makemigrations sees no change; SQLite
    simply has no such index and searches without it.
    """

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)
