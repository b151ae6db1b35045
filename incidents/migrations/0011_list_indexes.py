"""Indexes that keep list pages at a page's cost however many incidents there are:

- incident_team_visibility: the team-only list and its capped count read the reader's team's
  active rows of that visibility in the list's order (at a million incidents the count
  intersected the team's rows with every team-only incident: 50 ms to under 1 ms);
- incident_most_severe: "Most severe first" walks the active incidents in that order, checking
  other filters (a search, a cause) row by row until a page is full, instead of sorting every
  match (3.3 s to a few ms for a search, a cause and this order at a million);
- organization_name_trigram (PostgreSQL only, outside the model state like the other trigram
  index): a search also matches organisation names containing its text, which read every
  organisation (46 ms at 110,000 of them).
"""

from django.conf import settings
from django.db import migrations, models

import common.db


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0004_membership_invitation_public_id'),
        ('incidents', '0010_organization_name_order'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        common.db.RunSQLOnPostgres(
            sql="CREATE INDEX IF NOT EXISTS organization_name_trigram ON incidents_organization "
                "USING gin ((UPPER(name::text)) gin_trgm_ops)",
            reverse_sql="DROP INDEX IF EXISTS organization_name_trigram",
        ),
        migrations.AddIndex(
            model_name='incident',
            index=models.Index(models.F('team'), models.F('visibility'), models.F('occurred_on'), models.F('created_at'), models.F('id'), condition=models.Q(('archived_at__isnull', True)), name='incident_team_visibility'),
        ),
        migrations.AddIndex(
            model_name='incident',
            index=models.Index(models.OrderBy(models.Case(models.When(severity='low', then=1), models.When(severity='medium', then=2), models.When(severity='high', then=3), models.When(severity='critical', then=4), output_field=models.IntegerField()), descending=True), models.OrderBy(models.F('occurred_on'), descending=True), models.OrderBy(models.F('id'), descending=True), condition=models.Q(('archived_at__isnull', True)), name='incident_most_severe'),
        ),
    ]
