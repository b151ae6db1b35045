"""The organisations page at a million incidents.

PostgreSQL estimated the number of organisations from a sample of 30,000 incidents: 10,000
where there were 110,000 (a long tail of names seen once or twice), so it expected a hundred
incidents behind each name, and a plan with a parallel worker whose start alone took longer
than the page (18 ms at 100,000 incidents, 60 to 95 at a million). A larger sample of that
column (PostgreSQL only) puts the estimate near the truth; the index incident_org_readable
answers "can the reader read one of its incidents, and how many" without reading incidents.
"""

from django.conf import settings
from django.db import migrations, models

import common.db


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0004_membership_invitation_public_id'),
        ('incidents', '0011_list_indexes'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        common.db.RunSQLOnPostgres(
            sql=["ALTER TABLE incidents_incident ALTER COLUMN organization_id SET STATISTICS 1000",
                 "ANALYZE incidents_incident (organization_id)"],
            reverse_sql=["ALTER TABLE incidents_incident ALTER COLUMN organization_id "
                         "SET STATISTICS -1"],
        ),
        migrations.AddIndex(
            model_name='incident',
            index=models.Index(models.F('organization'), models.F('visibility'), models.F('team'), models.F('id'), condition=models.Q(('archived_at__isnull', True)), name='incident_org_readable'),
        ),
    ]
