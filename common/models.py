"""Abstract building blocks shared by the domain apps (no domain models live here)."""

import uuid

from django.db import models
from django.utils import timezone


class TimeStampedModel(models.Model):
    """Creation and last-change times, stored in UTC."""

    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class PublicIdModel(models.Model):
    """A model addressed in URLs and the API by a UUID; the integer pk stays internal."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)

    class Meta:
        abstract = True


class PublicModel(TimeStampedModel, PublicIdModel):
    """A public-id model with creation and last-change times (incidents, learnings)."""

    class Meta:
        abstract = True
