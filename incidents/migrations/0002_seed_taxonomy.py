"""Seeds the root-cause taxonomy v1 (DESIGN section 3) and the contributing-factor vocabulary."""

from django.db import migrations

ROOT_CAUSES = [
    ("C01", "participation-hijacked", "Participation campaign hijacked",
     "The brand invited public input (hashtag, Q&A, generator) and critics repurposed it.",
     "Before inviting input, ask what your harshest critics would post; moderate generators; "
     "never open a hashtag during a live grievance."),
    ("C02", "insensitive-timing", "Insensitive timing",
     "Content tied to or coinciding with a tragedy, death, anniversary or upheaval.",
     "Check the news and the calendar before posting; pause scheduled posts during a crisis."),
    ("C03", "unchecked-trend", "Trend joined without checking",
     "Used a trending hashtag or topic without knowing what it was about.",
     "Read what a hashtag is being used for before joining it."),
    ("C04", "tone-deaf-creative", "Tone-deaf creative",
     "A planned ad or campaign trivialises a social issue or stereotypes.",
     "Test creative with people outside the team, including those it depicts."),
    ("C05", "cultural-insensitivity", "Cultural or racial insensitivity",
     "Content invokes racist or cultural stereotypes, intended or not.",
     "Add a cultural review step for imagery, language and symbols."),
    ("C06", "personal-account-mixup", "Personal-account mix-up",
     "Meant for a personal account, posted from the brand's.",
     "Separate devices or apps for brand and personal accounts; two-step posting."),
    ("C07", "rogue-insider", "Rogue or departing insider",
     "An employee deliberately misuses brand channels.",
     "Revoke access at once on departure; no shared passwords; least-privilege roles."),
    ("C08", "account-compromise", "Account compromise",
     "An attacker takes over a brand account.",
     "Hardware-key two-factor, a password manager and an account-recovery plan."),
    ("C09", "impersonation-misinformation", "Impersonation or misinformation",
     "Fake accounts or false claims presented as the brand's.",
     "Secure handles on every platform, verify accounts and monitor for look-alikes."),
    ("C10", "automation-misfire", "Automation gone wrong",
     "Bots, scheduled posts or auto-generated content misfire.",
     "Filter user input in automations; pause queues during events; a human checks outputs."),
    ("C11", "service-failure-escalated", "Customer-service failure escalated",
     "A badly handled complaint goes viral.",
     "Empower front-line staff to fix problems; escalate fast when a complaint gains traction."),
    ("C12", "defensive-response", "Defensive or hostile response",
     "The brand's reaction (deleting, arguing, blaming) makes it worse.",
     "Acknowledge, apologise, explain the fix; never delete silently or argue in public."),
    ("C13", "production-slip", "Production or QA slip",
     "Wrong attachment, unread hashtag, unsecured handle, typo.",
     "A second pair of eyes on every post; read hashtags as others will."),
]

FACTORS = [
    ("no-approval-step", "No approval step"),
    ("trend-not-researched", "Trend not researched"),
    ("scheduled-queue-not-paused", "Scheduled queue not paused"),
    ("user-input-not-filtered", "User input not filtered"),
    ("shared-or-stale-credentials", "Shared or stale credentials"),
    ("access-not-revoked", "Access not revoked"),
    ("no-cultural-review", "No cultural review"),
    ("launched-during-own-crisis", "Launched during own crisis"),
    ("handle-not-secured", "Handle not secured"),
    ("no-two-factor", "No two-factor authentication"),
    ("personal-and-brand-on-one-device", "Personal and brand accounts on one device"),
    ("no-escalation-path", "No escalation path"),
    ("slow-response", "Slow response"),
]


def seed(apps, schema_editor):
    RootCause = apps.get_model("incidents", "RootCause")
    Factor = apps.get_model("incidents", "Factor")
    for code, slug, name, description, prevention in ROOT_CAUSES:
        RootCause.objects.update_or_create(
            slug=slug,
            defaults={"code": code, "name": name, "description": description,
                      "prevention": prevention, "taxonomy_version": 1, "is_active": True},
        )
    for slug, name in FACTORS:
        Factor.objects.update_or_create(slug=slug, defaults={"name": name})


class Migration(migrations.Migration):
    dependencies = [("incidents", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
