"""factory_boy factories for the domain models."""

from datetime import date

import factory
from django.utils.text import slugify

from accounts.models import Membership, Role, Team, User
from incidents.links import normalize_link
from incidents.models import (
    Incident,
    IncidentSource,
    Organization,
    RootCause,
    Source,
    TimelineEvent,
)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.com")
    display_name = factory.Faker("name")
    password = factory.PostGenerationMethodCall("set_password", "correct-horse-battery")

    @factory.post_generation
    def save_password(self, create, extracted, **kwargs):
        if create:
            self.save()


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Team {n}")
    slug = factory.LazyAttribute(lambda o: slugify(o.name))
    timezone = "Europe/London"


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    team = factory.SubFactory(TeamFactory)
    role = Role.MEMBER
    receives_digest = factory.LazyAttribute(lambda o: o.role == Role.MANAGER)


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Brand {n}")
    slug = factory.LazyAttribute(lambda o: slugify(o.name))


def cause(slug: str = "production-slip") -> RootCause:
    """A seeded root cause (the data migration puts all 13 in every test database)."""
    return RootCause.objects.get(slug=slug)


class IncidentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Incident

    team = factory.SubFactory(TeamFactory)
    organization = factory.SubFactory(OrganizationFactory)
    title = factory.Sequence(lambda n: f"Incident number {n}")
    summary = "A post went wrong."
    platform = "twitter"
    occurred_on = date(2026, 10, 1)
    primary_cause = factory.LazyFunction(cause)
    origin = "own"
    visibility = "team"
    severity = "medium"


class SourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Source

    url = factory.Sequence(lambda n: f"https://news.example.com/story-{n}")
    platform = "website"

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        # Stored as the services and the migration store links: normalised.
        kwargs["url"] = normalize_link(kwargs["url"])
        return super()._create(model_class, *args, **kwargs)


class IncidentSourceFactory(factory.django.DjangoModelFactory):
    """One incident's link to a source, with that incident's kind and title."""

    class Meta:
        model = IncidentSource

    incident = factory.SubFactory(IncidentFactory)
    source = factory.SubFactory(SourceFactory)
    kind = Source.Kind.ARTICLE


class TimelineEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TimelineEvent

    incident = factory.SubFactory(IncidentFactory)
    at = factory.Faker("past_datetime", tzinfo=__import__("datetime").UTC)
    kind = TimelineEvent.Kind.NOTE
    text = "Something happened."


def edit_form_data(incident: Incident, **overrides) -> dict:
    """What the incident edit form posts for this incident unchanged, with some overrides."""
    data = {
        "title": incident.title,
        "organization_name": incident.organization.name,
        "origin": incident.origin,
        "visibility": incident.visibility,
        "platform": incident.platform,
        "occurred_on": incident.occurred_on.isoformat(),
        "summary": incident.summary,
        "status": incident.status,
        "severity": incident.severity,
        "primary_cause": incident.primary_cause.slug,
        "actor": incident.actor,
    }
    data.update(overrides)
    return data
