"""Memberships and invitations get a public_id, so the team settings URLs that change a
member's role, remove a member, or resend or revoke an invitation carry no integer id (DESIGN
rule 7). Existing rows get one each before the field becomes unique (common.public_ids)."""

import uuid

from django.db import migrations, models

from common.public_ids import fill_public_ids


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0003_team_name_key_look_alikes"),
    ]

    operations = [
        migrations.AddField(
            model_name="membership",
            name="public_id",
            field=models.UUIDField(editable=False, null=True),
        ),
        migrations.AddField(
            model_name="invitation",
            name="public_id",
            field=models.UUIDField(editable=False, null=True),
        ),
        migrations.RunPython(fill_public_ids("accounts", "Membership", "Invitation"),
                             migrations.RunPython.noop),
        migrations.AlterField(
            model_name="membership",
            name="public_id",
            field=models.UUIDField(default=uuid.uuid4, editable=False, unique=True),
        ),
        migrations.AlterField(
            model_name="invitation",
            name="public_id",
            field=models.UUIDField(default=uuid.uuid4, editable=False, unique=True),
        ),
    ]
