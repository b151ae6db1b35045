"""Demo data, incident side: the shared library seed, a demo team, its people and own incidents.

Idempotent: loading it again changes nothing that is already there. `manage.py load_demo`
(learnings) calls this first and adds the demo team's learnings on top.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from accounts.models import Membership, Role, Team, User

from . import services
from .models import Incident, RootCause, TimelineEvent
from .seed import load_library_seed

DEMO_PASSWORD = "misfire-demo"
DEMO_ORGANIZATION = "Northwind Coffee"
DEMO_TEAM = {"slug": "demo", "name": "Northwind Coffee comms", "timezone": "Europe/London"}
DEMO_PEOPLE = [
    ("manager@demo.misfire.test", "Maya Manager", Role.MANAGER),
    ("member@demo.misfire.test", "Sam Member", Role.MEMBER),
    ("viewer@demo.misfire.test", "Val Viewer", Role.VIEWER),
]
# (days ago, title, platform, cause, severity, status, summary, moves, timeline)
OWN_INCIDENTS = [
    (170, "Pumpkin-spice countdown posted during the flood warnings", "instagram",
     "insensitive-timing", "high", "closed",
     "A scheduled countdown post went out while our home region was under flood warnings. "
     "Followers asked whether we had noticed.",
     {"acknowledged": True, "apologized": True, "explained_fix": True},
     [(0, "posted", "Scheduled post published"), (2, "detected", "Community manager sees replies"),
      (3, "apology", "Apology and pause of all scheduled posts")]),
    (150, "#AskNorthwind Q&A filled with questions about barista pay", "twitter",
     "participation-hijacked", "medium", "closed",
     "Our Q&A hashtag was taken over by questions about staff wages.",
     {"acknowledged": True, "asked_for_help": True}, []),
    (120, "Barista's personal match-day tweet sent from the brand account", "twitter",
     "personal-account-mixup", "low", "closed",
     "A team member's football tweet went out from @NorthwindCoffee.",
     {"acknowledged": True, "apologized": True}, []),
    (95, "Auto-reply bot thanked a customer for reporting food poisoning", "facebook",
     "automation-misfire", "high", "closed",
     "The comment auto-responder thanked a customer for their 'lovely feedback' on a "
     "food-poisoning complaint.",
     {"acknowledged": True, "apologized": True, "explained_fix": True}, []),
    (70, "Holiday cup artwork criticised as stereotyping", "instagram",
     "cultural-insensitivity", "high", "monitoring",
     "Illustrations on the holiday cup drew criticism for cultural stereotypes.",
     {"acknowledged": True, "defensive": True},
     [(0, "posted", "Holiday cup artwork posted"),
      (5, "detected", "First critical comments flagged"),
      (9, "response", "Statement: we hear you and are reviewing the artwork")]),
    (40, "Wrong store-closure graphic posted for the whole chain", "facebook",
     "production-slip", "medium", "closed",
     "A graphic meant for one store said every store was closing early.",
     {"acknowledged": True, "explained_fix": True},
     [(0, "posted", "Graphic posted on every store's page"),
      (1, "detected", "Store managers call the social desk"),
      (2, "response", "Correction posted with the one store's hours")]),
    (21, "Complaint about a refused refund went viral on TikTok", "tiktok",
     "service-failure-escalated", "high", "monitoring",
     "A customer's video of a refused refund reached 2 million views before we answered.",
     {"acknowledged": True},
     [(0, "posted", "Customer's video posted"), (20, "detected", "A news account shares the video"),
      (30, "response", "Reply offering the refund")]),
    (6, "Reply deleted after a customer's allergen question", "instagram",
     "defensive-response", "medium", "open",
     "A reply to an allergen question was deleted instead of answered; screenshots spread.",
     {"deleted_silently": True},
     [(0, "detected", "Screenshots of the deleted reply reported"),
      (26, "response", "The allergen answer posted in full")]),
]


@dataclass(frozen=True)
class DemoResult:
    """What load_incident_demo found or made."""

    team: Team
    people: dict[str, User]  # by role: Role.MANAGER, Role.MEMBER, Role.VIEWER
    library_created: int
    library_existing: int
    own_created: int
    own_existing: int


@transaction.atomic
def load_incident_demo() -> DemoResult:
    """Load the library seed, the demo team with its three people, and its own incidents."""
    library_created, library_existing = load_library_seed()
    team, _ = Team.objects.get_or_create(
        slug=DEMO_TEAM["slug"],
        defaults={"name": DEMO_TEAM["name"], "timezone": DEMO_TEAM["timezone"]},
    )
    people = {}
    for email, name, role in DEMO_PEOPLE:
        user = User.objects.filter(email=email).first()
        if user is None:
            user = User.objects.create_user(email=email, password=DEMO_PASSWORD,
                                            display_name=name, timezone=team.timezone)
        Membership.objects.get_or_create(
            user=user, team=team,
            defaults={"role": role, "receives_digest": role == Role.MANAGER},
        )
        people[role] = user
    own_created = _own_incidents(team, people[Role.MEMBER])
    return DemoResult(team=team, people=people, library_created=library_created,
                      library_existing=library_existing, own_created=own_created,
                      own_existing=len(OWN_INCIDENTS) - own_created)


def _own_incidents(team: Team, author: User) -> int:
    causes = {cause.slug: cause for cause in RootCause.objects.all()}
    today = timezone.localdate()
    made = 0
    for days, title, platform, cause, severity, status, summary, moves, events in OWN_INCIDENTS:
        if Incident.objects.filter(team=team, title=title).exists():
            continue
        start = timezone.now() - timedelta(days=days)
        # When it was detected, for the dashboard's time to first response (the timeline's
        # first public response).
        detected = next((start + timedelta(hours=hours) for hours, kind, _ in events
                         if kind == "detected"), None)
        incident, _ = services.incident_create(
            user=author, team=team, title=title, organization_name=DEMO_ORGANIZATION,
            platform=platform, occurred_on=today - timedelta(days=days),
            primary_cause=causes[cause], summary=summary, severity=severity, status=status,
            actor="in-house", detected_at=detected, **moves,
        )
        for hours, kind, text in events:
            services.timeline_event_add(user=author, incident=incident,
                                        at=start + timedelta(hours=hours),
                                        kind=TimelineEvent.Kind(kind), text=text)
        made += 1
    return made
