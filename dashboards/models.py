"""The weekly digest's record of who was sent which week."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from accounts.tenancy import TeamOwnedQuerySet, Tenancy


class DeliveryStatus(models.TextChoices):
    CLAIMED = "claimed", "Sending"
    SENT = "sent", "Sent"
    SKIPPED = "skipped", "Skipped (quiet week)"
    FAILED = "failed", "Failed"


class DigestDeliveryQuerySet(TeamOwnedQuerySet):
    def settled(self) -> "DigestDeliveryQuerySet":
        """Deliveries no run will touch again: sent, skipped or failed."""
        return self.exclude(status=DeliveryStatus.CLAIMED)


class DigestDelivery(models.Model):
    """One member's digest of one team's week: claimed before it is sent, so it is sent once."""

    team = models.ForeignKey("accounts.Team", on_delete=models.CASCADE,
                             related_name="digest_deliveries")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="digest_deliveries")
    # The Monday of the week the digest reports, in the team's calendar.
    period_start = models.DateField()
    status = models.CharField(max_length=10, choices=DeliveryStatus.choices,
                              default=DeliveryStatus.CLAIMED)
    attempts = models.PositiveSmallIntegerField(default=0)
    claimed_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    # Chosen when the row is claimed: a send repeated after a crash carries the same one.
    message_id = models.CharField(max_length=255, blank=True)
    error = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    tenancy = Tenancy()
    objects = DigestDeliveryQuerySet.as_manager()

    class Meta:
        ordering = ["-period_start", "team", "user"]
        constraints = [
            models.UniqueConstraint(fields=["team", "user", "period_start"],
                                    name="digestdelivery_unique_team_user_week"),
        ]
        indexes = [models.Index(fields=["period_start", "status"],
                                name="digestdelivery_week_status")]
        verbose_name_plural = "digest deliveries"

    def __str__(self) -> str:
        return f"{self.team} digest of {self.period_start} to {self.user}: {self.status}"
