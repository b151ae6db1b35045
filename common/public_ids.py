"""Giving existing rows a public_id, for the migrations that add one to a model.

AddField with default=uuid.uuid4 would compute a single UUID for every existing row, so these
migrations add the field nullable, fill it here row by row, and only then make it unique.
"""

import uuid

BATCH = 1000


def fill_public_ids(app_label: str, *model_names: str):
    """A RunPython step giving every row of these models without a public_id a new one."""

    def fill(apps, schema_editor):
        for name in model_names:
            model = apps.get_model(app_label, name)
            rows = list(model.objects.filter(public_id__isnull=True).only("pk"))
            for row in rows:
                row.public_id = uuid.uuid4()
            model.objects.bulk_update(rows, ["public_id"], batch_size=BATCH)

    return fill
