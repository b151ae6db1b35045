"""Loading the shared library seed (incidents/data/library-seed.csv) through the services."""

import csv
from datetime import date
from pathlib import Path

from django.db import transaction

from accounts.models import Membership, Role, Team, User

from . import services
from .models import RESPONSE_MOVES, Incident, Origin, RootCause, Source, Status, Visibility

SEED_CSV = Path(__file__).resolve().parent / "data" / "library-seed.csv"
LIBRARY_TEAM = {"slug": "misfire-library", "name": "Misfire Library"}
CURATOR_EMAIL = "library@misfire.invalid"


def _flag(value: str) -> bool:
    return value.strip().lower() in ("true", "1", "yes")


def library_curator() -> tuple[Team, User]:
    """The team that owns the shared seed, and its (password-less) curator account."""
    team, _ = Team.objects.get_or_create(slug=LIBRARY_TEAM["slug"],
                                         defaults={"name": LIBRARY_TEAM["name"]})
    curator = User.objects.filter(email=CURATOR_EMAIL).first()
    if curator is None:
        curator = User.objects.create_user(email=CURATOR_EMAIL, password=None,
                                           display_name="Library curator")
    Membership.objects.get_or_create(user=curator, team=team,
                                     defaults={"role": Role.MANAGER})
    return team, curator


@transaction.atomic
def load_library_seed(path: Path = SEED_CSV) -> tuple[int, int]:
    """Load the seed cases into the shared library; returns (created, already there)."""
    team, curator = library_curator()
    causes = {cause.slug: cause for cause in RootCause.objects.all()}
    created = existing = 0
    with path.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            occurred_on = date.fromisoformat(row["occurred_on"])
            if Incident.objects.filter(team=team, title=row["title"],
                                       occurred_on=occurred_on).exists():
                existing += 1
                continue
            incident, _ = services.incident_create(
                user=curator, team=team, title=row["title"],
                organization_name=row["organization"], platform=row["platform"],
                occurred_on=occurred_on, primary_cause=causes[row["primary_cause"]],
                summary=row["summary"], origin=Origin.EXTERNAL, visibility=Visibility.LIBRARY,
                severity=row["severity"], status=Status.CLOSED, actor=row["actor"],
                contributing_causes=[
                    causes[s] for s in row["contributing_causes"].split("|") if s],
                context=[c for c in row["context"].split("|") if c],
                **{move: _flag(row[move]) for move in RESPONSE_MOVES},
            )
            if row["source_url"]:
                services.source_add(user=curator, incident=incident, url=row["source_url"],
                                    kind=Source.Kind.ARTICLE)
            created += 1
    return created, existing
