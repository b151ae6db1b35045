"""Sources and timeline events get a public_id, so the URLs that remove a source from an
incident or an entry from its timeline carry no integer id (DESIGN rule 7). Existing rows get
one each before the field becomes unique (common.public_ids); a timeline event's history rows
take the event's own public_id, as simple_history would have recorded it."""

import uuid

from django.db import migrations, models
from django.db.models import OuterRef, Subquery

from common.public_ids import fill_public_ids


def fill_event_history(apps, schema_editor):
    TimelineEvent = apps.get_model("incidents", "TimelineEvent")
    HistoricalTimelineEvent = apps.get_model("incidents", "HistoricalTimelineEvent")
    HistoricalTimelineEvent.objects.update(public_id=Subquery(
        TimelineEvent.objects.filter(pk=OuterRef("id")).values("public_id")[:1]))
    # Entries removed before this migration have no row left to take the id from.
    fill_public_ids("incidents", "HistoricalTimelineEvent")(apps, schema_editor)


class Migration(migrations.Migration):

    dependencies = [
        ("incidents", "0006_apologised_label"),
    ]

    operations = [
        migrations.AddField(
            model_name="source",
            name="public_id",
            field=models.UUIDField(editable=False, null=True),
        ),
        migrations.AddField(
            model_name="timelineevent",
            name="public_id",
            field=models.UUIDField(editable=False, null=True),
        ),
        migrations.AddField(
            model_name="historicaltimelineevent",
            name="public_id",
            field=models.UUIDField(db_index=True, editable=False, null=True),
        ),
        migrations.RunPython(fill_public_ids("incidents", "Source", "TimelineEvent"),
                             migrations.RunPython.noop),
        migrations.RunPython(fill_event_history, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="source",
            name="public_id",
            field=models.UUIDField(default=uuid.uuid4, editable=False, unique=True),
        ),
        migrations.AlterField(
            model_name="timelineevent",
            name="public_id",
            field=models.UUIDField(default=uuid.uuid4, editable=False, unique=True),
        ),
        migrations.AlterField(
            model_name="historicaltimelineevent",
            name="public_id",
            field=models.UUIDField(db_index=True, default=uuid.uuid4, editable=False),
        ),
    ]
