"""Organisations become shared (installation-wide) or private to one team (issue 7, item 4).

Existing rows: an organisation named by any library incident becomes shared; one named only by
one team's team-only incidents becomes private to that team; one named only by team-only
incidents of several teams is split into one private copy per team. One named by no incident
now is judged by the incidents' history (private to the teams whose incidents once named it,
unless one of them was in the library), and is shared when nothing names it at all (made in the
admin). Private organisations get a random slug tail; shared ones whose "-2" suffix counted an
organisation that is now private get their plain slug back. Names are stored with their spaces
folded, and case-insensitive twins of the same owner are merged.
"""

import re
import secrets
import string

import django.db.models.deletion
import django.db.models.functions.text
from django.db import migrations, models
from django.utils.text import slugify

# Copies of incidents.services' slug rules, frozen here as they were when this ran.
SLUG_BASE_MAX = 190
PRIVATE_TAIL_LENGTH = 8


def fold_spaces(text):
    return " ".join(text.split())


def slug_base(name):
    return slugify(name)[:SLUG_BASE_MAX].strip("-") or "organisation"


def private_slug(name):
    alphabet = string.ascii_lowercase + string.digits
    tail = secrets.choice(string.ascii_lowercase) + "".join(
        secrets.choice(alphabet) for _ in range(PRIVATE_TAIL_LENGTH - 1))
    return f"{slug_base(name)}-{tail}"


def merge(apps, keeper, others):
    """Point every incident (and history record) of `others` at `keeper`, then remove them."""
    Incident = apps.get_model("incidents", "Incident")
    HistoricalIncident = apps.get_model("incidents", "HistoricalIncident")
    aliases = list(keeper.aliases or [])
    for other in others:
        Incident.objects.filter(organization_id=other.pk).update(organization_id=keeper.pk)
        HistoricalIncident.objects.filter(organization_id=other.pk).update(
            organization_id=keeper.pk)
        known = {str(a).lower() for a in aliases} | {keeper.name.lower()}
        aliases += [a for a in (other.aliases or []) if str(a).lower() not in known]
        for field in ("industry", "website"):
            if not getattr(keeper, field):
                setattr(keeper, field, getattr(other, field))
        keeper.handles = list(keeper.handles or []) + [
            h for h in (other.handles or []) if h not in (keeper.handles or [])]
        other.delete()
    keeper.aliases = aliases
    keeper.save()


def owners(apps, org):
    """None for a shared organisation, else the sorted ids of the teams that keep a copy
    (the first one keeps this row)."""
    Incident = apps.get_model("incidents", "Incident")
    HistoricalIncident = apps.get_model("incidents", "HistoricalIncident")
    named = Incident.objects.filter(organization_id=org.pk)
    if named.filter(visibility="library").exists():
        return None
    current = set(named.values_list("team_id", flat=True))
    history = HistoricalIncident.objects.filter(organization_id=org.pk)
    if not current and (not history.exists() or history.filter(visibility="library").exists()):
        return None
    past = set(history.values_list("team_id", flat=True)) - {None}
    keeper = min(current) if current else min(past)
    return [keeper, *sorted((current | past) - {keeper})]


def assign_owners(apps, schema_editor):
    Organization = apps.get_model("incidents", "Organization")
    Incident = apps.get_model("incidents", "Incident")
    HistoricalIncident = apps.get_model("incidents", "HistoricalIncident")
    for org in list(Organization.objects.order_by("pk")):
        org.name = fold_spaces(org.name) or f"Organisation {org.pk}"
        teams = owners(apps, org)
        if teams is None:
            org.save(update_fields=["name"])
            continue
        org.team_id, org.slug = teams[0], private_slug(org.name)
        org.save(update_fields=["name", "team", "slug"])
        for team_id in teams[1:]:
            copy = Organization.objects.create(
                name=org.name, slug=private_slug(org.name), team_id=team_id,
                aliases=org.aliases, industry=org.industry, website=org.website,
                handles=org.handles, created_at=org.created_at,
            )
            Incident.objects.filter(organization_id=org.pk, team_id=team_id).update(
                organization_id=copy.pk)
            HistoricalIncident.objects.filter(organization_id=org.pk, team_id=team_id).update(
                organization_id=copy.pk)
    # Case-insensitive twins of one owner (possible through the admin) become one.
    groups = {}
    for org in Organization.objects.order_by("pk"):
        groups.setdefault((org.team_id, org.name.lower()), []).append(org)
    for keeper, *others in groups.values():
        if others:
            merge(apps, keeper, others)
    # A shared "acme-2" told that an "acme" existed; that one may now be private.
    for org in Organization.objects.filter(team__isnull=True).order_by("pk"):
        base = slug_base(org.name)
        if not re.fullmatch(rf"{re.escape(base)}-\d+", org.slug):
            continue
        slug, n = base, 2
        while Organization.objects.filter(slug=slug).exclude(pk=org.pk).exists():
            slug, n = f"{base}-{n}", n + 1
        if slug != org.slug:
            org.slug = slug
            org.save(update_fields=["slug"])
    if schema_editor.connection.vendor == "postgresql":
        # The constraints below alter this table, which PostgreSQL refuses while the deferred
        # foreign-key checks of the updates above are pending.
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def restore_global_names(apps, schema_editor):
    """Going back: names were unique across the installation, so same-named rows merge."""
    Organization = apps.get_model("incidents", "Organization")
    groups = {}
    for org in Organization.objects.order_by("team_id", "pk"):
        groups.setdefault(org.name, []).append(org)
    for orgs in groups.values():
        shared = [o for o in orgs if o.team_id is None]
        keeper = shared[0] if shared else orgs[0]
        others = [o for o in orgs if o.pk != keeper.pk]
        if others:
            merge(apps, keeper, others)
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0001_initial'),
        ('incidents', '0002_seed_taxonomy'),
    ]

    operations = [
        migrations.AlterModelOptions(
            name='organization',
            options={'ordering': [django.db.models.functions.text.Lower('name'), 'name', 'pk']},
        ),
        migrations.AddField(
            model_name='organization',
            name='team',
            field=models.ForeignKey(blank=True, help_text='Empty for an organisation shared by every team.', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='organizations', to='accounts.team'),
        ),
        migrations.AlterField(
            model_name='organization',
            name='name',
            field=models.CharField(max_length=200),
        ),
        migrations.RunPython(assign_owners, restore_global_names),
        migrations.AddConstraint(
            model_name='organization',
            constraint=models.UniqueConstraint(django.db.models.functions.text.Lower('name'), condition=models.Q(('team__isnull', True)), name='organization_shared_name_unique', violation_error_message='A shared organisation already has this name.'),
        ),
        migrations.AddConstraint(
            model_name='organization',
            constraint=models.UniqueConstraint(django.db.models.functions.text.Lower('name'), models.F('team'), condition=models.Q(('team__isnull', False)), name='organization_team_name_unique', violation_error_message='Your team already has an organisation of this name.'),
        ),
        migrations.AddConstraint(
            model_name='organization',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('name', ''), _negated=True), models.Q(('name__startswith', ' '), _negated=True), models.Q(('name__endswith', ' '), _negated=True), models.Q(('name__contains', '  '), _negated=True), models.Q(('name__contains', '\t'), _negated=True), models.Q(('name__contains', '\n'), _negated=True), models.Q(('name__contains', '\r'), _negated=True)), name='organization_name_folded', violation_error_message='Name the organisation without extra spaces.'),
        ),
    ]
