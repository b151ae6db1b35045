"""Sources become one row per normalised link; what each incident's team said about a link
(kind, title, when captured, who added it) moves to a per-incident link row with its own
history.

The data step copies a source's old kind, title and captured_at only to the link of the
incident that first used it (its earliest link): the others get the default kind and no
title, because copying a private incident's words to another team's incident is the leak
this migration closes. Existing URLs are normalised (incidents.links.normalize_link) and
sources that become equal are merged, their links re-pointed without ever duplicating a link.
The link history is rebuilt from the incidents' old many-to-many history.
"""

import django.db.models.deletion
import django.utils.timezone
import simple_history.models
from django.conf import settings
from django.db import migrations, models

from incidents.links import normalize_link


def _normalised(url: str) -> str:
    normalised = normalize_link(url)
    # A link that would grow past the column is kept as it was rather than cut.
    return normalised if len(normalised) <= 1000 else url


def split_sources(apps, schema_editor):
    Incident = apps.get_model("incidents", "Incident")
    Source = apps.get_model("incidents", "Source")
    IncidentSource = apps.get_model("incidents", "IncidentSource")
    HistoricalIncidentSource = apps.get_model("incidents", "HistoricalIncidentSource")
    HistoricalIncident = apps.get_model("incidents", "HistoricalIncident")
    OldHistory = apps.get_model("incidents", "HistoricalIncident_sources")
    OldLink = Incident.sources.through

    # Merge sources whose links normalise to the same spelling into the oldest of them.
    groups: dict[str, list] = {}
    for source in Source.objects.order_by("created_at", "pk"):
        groups.setdefault(_normalised(source.url), []).append(source)
    survivor_of = {}
    for url, sources in groups.items():
        for source in sources:
            survivor_of[source.pk] = (sources[0].pk, url)

    # Who first linked each (incident, source), and when, from the old m2m history.
    records = {r.pk: r for r in HistoricalIncident.objects.order_by("history_date", "pk")}
    sets: dict[int, set] = {pk: set() for pk in records}
    for row in OldHistory.objects.all():
        if row.history_id in sets and row.source_id in survivor_of:
            sets[row.history_id].add(survivor_of[row.source_id][0])
    changes = []  # (incident, survivor, date, user, "+" or "-")
    previous: dict[int, set] = {}
    for pk, record in records.items():  # oldest first
        before, after = previous.get(record.id, set()), sets[pk]
        changes += [(record.id, s, record.history_date, record.history_user_id, "+")
                    for s in sorted(after - before)]
        changes += [(record.id, s, record.history_date, record.history_user_id, "-")
                    for s in sorted(before - after)]
        previous[record.id] = after
    first_added = {}
    for incident_id, survivor, when, user_id, kind in changes:
        if kind == "+":
            first_added.setdefault((incident_id, survivor), (when, user_id))

    # One link per (incident, surviving source); the old words go to each source's earliest.
    sources = {s.pk: s for s in Source.objects.all()}
    incidents = dict(Incident.objects.values_list("pk", "created_at"))
    earliest_of_source = {}
    old_links = list(OldLink.objects.order_by("pk"))
    for old in old_links:
        earliest_of_source.setdefault(old.source_id, old.pk)
    made = {}
    for old in old_links:
        survivor = survivor_of[old.source_id][0]
        key = (old.incident_id, survivor)
        if key in made:
            continue  # the same link under two spellings: keep one
        source = sources[old.source_id]
        when, user_id = first_added.get(
            key, (max(incidents[old.incident_id], source.created_at), None))
        words = {}
        if earliest_of_source[old.source_id] == old.pk:
            words = {"kind": source.kind, "title": source.title,
                     "captured_at": source.captured_at}
        made[key] = IncidentSource.objects.create(
            incident_id=old.incident_id, source_id=survivor, added_by_id=user_id,
            created_at=when, **words)

    # The link history, as the incidents' history told it.
    history = []
    for incident_id, survivor, when, user_id, kind in changes:
        link = made.get((incident_id, survivor))
        current = link is not None  # its words were the source's, the same all along
        history.append(HistoricalIncidentSource(
            # A link removed since has no row left; 0 names no existing link.
            id=link.pk if link is not None else 0,
            incident_id=incident_id, source_id=survivor,
            kind=link.kind if current else "article",
            title=link.title if current else "",
            captured_at=link.captured_at if current else None,
            added_by_id=user_id, created_at=when,
            history_date=when, history_type=kind, history_user_id=user_id))
    covered = {(h.incident_id, h.source_id) for h in history if h.history_type == "+"}
    for key, link in made.items():
        if key not in covered:
            history.append(HistoricalIncidentSource(
                id=link.pk, incident_id=link.incident_id, source_id=link.source_id,
                kind=link.kind, title=link.title, captured_at=link.captured_at,
                added_by_id=link.added_by_id, created_at=link.created_at,
                history_date=link.created_at, history_type="+",
                history_user_id=link.added_by_id))
    HistoricalIncidentSource.objects.bulk_create(history)

    # Merged spellings go; the survivors take the normalised spelling.
    OldLink.objects.all().delete()
    merged = [pk for pk, (survivor, _) in survivor_of.items() if pk != survivor]
    Source.objects.filter(pk__in=merged).delete()
    for pk, (survivor, url) in survivor_of.items():
        if pk == survivor and sources[pk].url != url:
            Source.objects.filter(pk=pk).update(url=url)
    if schema_editor.connection.vendor == "postgresql":
        # Check the deferred foreign keys now: PostgreSQL refuses to alter a table (the
        # columns dropped below) that still has pending trigger events in this transaction.
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def join_sources(apps, schema_editor):
    """Back to one global kind and title per source: the earliest link's, as before."""
    Incident = apps.get_model("incidents", "Incident")
    Source = apps.get_model("incidents", "Source")
    IncidentSource = apps.get_model("incidents", "IncidentSource")
    OldLink = Incident.sources.through
    first = {}
    for link in IncidentSource.objects.order_by("pk"):  # in the order they were made
        OldLink.objects.create(incident_id=link.incident_id, source_id=link.source_id)
        first.setdefault(link.source_id, link)
    for source_id, link in first.items():
        Source.objects.filter(pk=source_id).update(
            kind=link.kind, title=link.title, captured_at=link.captured_at)
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")


class Migration(migrations.Migration):

    dependencies = [
        ('incidents', '0004_title_trigram'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='HistoricalIncidentSource',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('kind', models.CharField(choices=[('post', 'Original post'), ('screenshot', 'Screenshot'), ('article', 'Article'), ('archive', 'Archived copy'), ('response', 'Brand response')], default='article', max_length=12)),
                ('title', models.CharField(blank=True, max_length=300)),
                ('captured_at', models.DateTimeField(blank=True, null=True)),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now, editable=False)),
                ('history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history_date', models.DateTimeField(db_index=True)),
                ('history_change_reason', models.CharField(max_length=100, null=True)),
                ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                ('added_by', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('incident', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='incidents.incident')),
                ('source', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='incidents.source')),
            ],
            options={
                'verbose_name': 'historical incident source',
                'verbose_name_plural': 'historical incident sources',
                'ordering': ('-history_date', '-history_id'),
                'get_latest_by': ('history_date', 'history_id'),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name='IncidentSource',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('post', 'Original post'), ('screenshot', 'Screenshot'), ('article', 'Article'), ('archive', 'Archived copy'), ('response', 'Brand response')], default='article', max_length=12)),
                ('title', models.CharField(blank=True, max_length=300)),
                ('captured_at', models.DateTimeField(blank=True, null=True)),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now, editable=False)),
                ('added_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('incident', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='source_links', to='incidents.incident')),
                ('source', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='incident_links', to='incidents.source')),
            ],
            options={
                'ordering': ['created_at', 'pk'],
            },
        ),
        migrations.AddConstraint(
            model_name='incidentsource',
            constraint=models.UniqueConstraint(fields=('incident', 'source'), name='incidentsource_unique_incident_source'),
        ),
        migrations.RunPython(split_sources, join_sources),
        # The automatic link table cannot become a through model in place: drop and re-add.
        migrations.RemoveField(
            model_name='incident',
            name='sources',
        ),
        migrations.AddField(
            model_name='incident',
            name='sources',
            field=models.ManyToManyField(blank=True, related_name='incidents', through='incidents.IncidentSource', to='incidents.source'),
        ),
        migrations.DeleteModel(
            name='HistoricalIncident_sources',
        ),
        migrations.RemoveField(
            model_name='source',
            name='captured_at',
        ),
        migrations.RemoveField(
            model_name='source',
            name='kind',
        ),
        migrations.RemoveField(
            model_name='source',
            name='title',
        ),
    ]
