"""Demo data, incident side: the shared library seed, a demo team, its people, its own incidents
and the other organisations' incidents it noticed and logged (some shared to the library).

Idempotent: loading it again changes nothing that is already there. `manage.py load_demo`
(learnings) calls this first and adds the demo team's learnings on top.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from accounts.models import Membership, Role, Team, User

from . import services
from .models import Incident, Origin, RootCause, TimelineEvent, Visibility
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

# Other organisations' failures the team noticed and logged: what the dashboard's "external"
# series counts, and what some of its learnings are drawn from (learnings.demo). Spread over
# the last twelve months, five in the last 90 days, and two from the year before (so that a
# 12-month dashboard has a previous period to compare with); some shared to the library, some
# kept to the team. Invented organisations: demo content, not library cases. No learning adopted
# from one of them covers the cause of an own incident that happened after its adoption (the
# demo has one repeat cause, ALLERGEN_REPLY's).
# (days ago, title, organisation, platform, cause, severity, visibility, actor, context,
#  summary, moves)
EXTERNAL_INCIDENTS = [
    (470, "Tea-room chain's 'Blue Monday' cheer-up offer posted on a day of national mourning",
     "Copperkettle Tea Rooms", "instagram", "insensitive-timing", "medium", Visibility.LIBRARY,
     "in-house", ["tragedy"],
     "A scheduled two-for-one cream tea post went out hours after a national day of mourning "
     "was announced. It stayed up all afternoon.",
     {"acknowledged": True, "apologized": True}),
    (395, "#MyHollybushLocal photo call filled with pictures of closed-down pubs", "Hollybush Pubs",
     "twitter", "participation-hijacked", "medium", Visibility.TEAM, "in-house", ["own-crisis"],
     "A call for photos of customers' favourite Hollybush pub ran the month the chain closed 30 "
     "of them; most replies were boarded-up windows.",
     {"acknowledged": True}),
    (345, "Impostor account offered 'free coffee for a year' for customers' card details",
     "Bramble & Bean", "instagram", "impersonation-misinformation", "high", Visibility.TEAM,
     "impersonator", [],
     "An account one letter away from a rival coffee chain's handle ran a fake loyalty "
     "giveaway. The real brand took two days to warn its followers.",
     {"acknowledged": True, "explained_fix": True}),
    (310, "Grocer's comment bot answered photos of mouldy bread with 'Looks delicious!'",
     "Greenlane Grocers", "facebook", "automation-misfire", "high", Visibility.LIBRARY,
     "automation", [],
     "A keyword auto-responder set up for a baking competition replied to complaint photos "
     "with the competition's cheerful reply. Screenshots outlived the apology.",
     {"acknowledged": True, "apologized": True, "explained_fix": True}),
    (270, "Gym chain asked lapsed members whether they were 'still eating the leftovers'",
     "Peakform Gyms", "instagram", "tone-deaf-creative", "medium", Visibility.LIBRARY,
     "agency", [],
     "A January campaign teasing members who hadn't visited since Christmas was read as "
     "body-shaming; the agency's other posts in the series were pulled.",
     {"acknowledged": True, "apologized": True}),
    (230, "Bakery joined a trending TikTok sound that mocked a disabled creator",
     "Larkspur Bakehouse", "tiktok", "unchecked-trend", "medium", Visibility.TEAM, "agency", [],
     "The agency's croissant video used a sound that had started as a parody of a disabled "
     "creator. Nobody at the brand had listened to where it came from.",
     {"acknowledged": True, "apologized": True}),
    (140, "Airline told a stranded family to 'check our FAQs' in a thread seen by millions",
     "Kittiwake Air", "twitter", "service-failure-escalated", "high", Visibility.LIBRARY,
     "in-house", [],
     "A family stranded overnight after a cancellation got a link to the FAQs as the only "
     "answer; the thread was quoted 40,000 times before anyone called them.",
     {"acknowledged": True, "apologized": True}),
    (118, "Cinema chain's Diwali post showed the imagery of a different festival",
     "Pemberton Cinemas", "instagram", "cultural-insensitivity", "medium", Visibility.LIBRARY,
     "in-house", [],
     "A stock image chosen for a Diwali greeting showed Holi celebrations; followers corrected "
     "it in hundreds of comments.",
     {"acknowledged": True, "apologized": True, "explained_fix": True}),
    (80, "Water company's boil-water notice posted to every region instead of one",
     "Moorfield Water", "facebook", "production-slip", "high", Visibility.TEAM, "in-house", [],
     "A boil-water notice for one town went out on every regional page; shops across the county "
     "emptied of bottled water before the correction.",
     {"acknowledged": True, "apologized": True, "explained_fix": True}),
    (52, "Deli chain's reply called a coeliac customer 'fussy'", "Fernside Foods", "instagram",
     "defensive-response", "high", Visibility.TEAM, "in-house", [],
     "Asked whether a 'gluten-free' sandwich was made on a shared counter, the account replied "
     "that most customers weren't so fussy.",
     {"defensive": True}),
    (45, "Pizza chain's order bot replied 'Great news!' to customers whose orders never came",
     "Brickyard Pizza", "twitter", "automation-misfire", "medium", Visibility.LIBRARY,
     "automation", [],
     "On the night its ordering system failed, the chain's reply bot answered every mention "
     "of an order with a cheerful tracking message.",
     {"acknowledged": True, "explained_fix": True}),
    (27, "Rail operator's account hijacked to promote a crypto giveaway for six hours",
     "Tidewater Rail", "twitter", "account-compromise", "critical", Visibility.LIBRARY,
     "attacker", [],
     "Attackers took over the account on a Saturday night and posted a fake ticket-refund "
     "giveaway; nobody on the team could get back in until Monday's support reply.",
     {"acknowledged": True, "apologized": True, "explained_fix": True}),
    (10, "Bakery chain's 'we're one big family' staff video posted the week of redundancies",
     "Saltmarsh Bakeries", "linkedin", "tone-deaf-creative", "medium", Visibility.TEAM,
     "in-house", [],
     "A long-planned video about the chain's family culture went out three days after 200 "
     "redundancies were announced; staff replied under it before it was quietly deleted.",
     {"deleted_silently": True}),
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
    external_created: int
    external_existing: int


@transaction.atomic
def load_incident_demo() -> DemoResult:
    """Load the library seed, the demo team with its three people, its own incidents and the
    external ones it logged."""
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
    external_created = _external_incidents(team, people)
    return DemoResult(team=team, people=people, library_created=library_created,
                      library_existing=library_existing, own_created=own_created,
                      own_existing=len(OWN_INCIDENTS) - own_created,
                      external_created=external_created,
                      external_existing=len(EXTERNAL_INCIDENTS) - external_created)


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


def _external_incidents(team: Team, people: dict[str, User]) -> int:
    causes = {cause.slug: cause for cause in RootCause.objects.all()}
    today = timezone.localdate()
    made = 0
    for number, (days, title, organization, platform, cause, severity, visibility, actor,
                 context, summary, moves) in enumerate(EXTERNAL_INCIDENTS):
        if Incident.objects.filter(team=team, title=title).exists():
            continue
        # Both the manager and the member keep an eye on other brands.
        author = people[Role.MEMBER if number % 2 else Role.MANAGER]
        services.incident_create(
            user=author, team=team, title=title, organization_name=organization,
            platform=platform, occurred_on=today - timedelta(days=days),
            primary_cause=causes[cause], summary=summary, origin=Origin.EXTERNAL,
            visibility=visibility, severity=severity, status="closed", actor=actor,
            context=context, **moves,
        )
        made += 1
    return made
