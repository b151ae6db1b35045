"""Demo data, learning side: the demo team's learnings and their action items.

Everything is made through the services, then backdated so that the dashboards and the
incident pages have months of history to show: learnings adopted before some of the team's
own incidents (one of which repeats a cause a learning already covered), learnings drawn from
other organisations' failures the team logged itself (one noticed months before the team made
the same mistake), action items done long ago, and two left overdue.

Idempotent: a learning the team already has (same title) is left alone, action items and all.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Model
from django.utils import timezone

from accounts.models import Role, Team, User
from incidents.models import Incident, Visibility

from . import services
from .models import ActionItem, ActionKind, Learning, LearningStatus

# Library incidents (incidents/data/library-seed.csv), by their exact titles.
NESTLE = "Nestlé Facebook page deletes comments and mocks critics over palm oil"
DIGIORNO = "DiGiorno uses #WhyIStayed domestic-violence hashtag for a pizza joke"
ENTENMANNS = "Entenmann's uses Casey Anthony verdict hashtag #notguilty for snack promo"
QANTAS = "#QantasLuxury hashtag flooded with complaints during fleet grounding aftermath"
MCDONALDS = "Promoted McDonald's supplier-stories hashtag filled with food-horror stories"
BRITISH_GAS = "#AskBG Q&A held on day of price rise flooded with angry jokes"
JPMORGAN = "#AskJPM Twitter Q&A cancelled after thousands of hostile questions"
DOVE = "Dove body-wash ad clip shows Black woman turning into a white woman"
DOLCE_GABBANA = "Dolce & Gabbana chopsticks videos and leaked DMs spark backlash in China"

# The demo team's own incidents (incidents.demo.OWN_INCIDENTS), by title.
PUMPKIN_SPICE = "Pumpkin-spice countdown posted during the flood warnings"
ASK_NORTHWIND = "#AskNorthwind Q&A filled with questions about barista pay"
MATCH_DAY_TWEET = "Barista's personal match-day tweet sent from the brand account"
HOLIDAY_CUP = "Holiday cup artwork criticised as stereotyping"
AUTO_REPLY = "Auto-reply bot thanked a customer for reporting food poisoning"
STORE_CLOSURE = "Wrong store-closure graphic posted for the whole chain"
# Its primary cause (defensive-response) is covered by a learning adopted months before it
# happened: the demo's repeat cause.
ALLERGEN_REPLY = "Reply deleted after a customer's allergen question"

# Other organisations' incidents the demo team logged (incidents.demo.EXTERNAL_INCIDENTS).
GREENLANE_BOT = "Grocer's comment bot answered photos of mouldy bread with 'Looks delicious!'"
MOORFIELD_NOTICE = "Water company's boil-water notice posted to every region instead of one"
TIDEWATER_HIJACK = "Rail operator's account hijacked to promote a crypto giveaway for six hours"


@dataclass(frozen=True)
class DemoAction:
    title: str
    kind: str
    owner: str  # a demo role; that person also makes and completes the item
    created: int  # days ago
    due: int  # days from today; negative: in the past
    done: int | None = None  # days ago; None: still open (overdue if due is negative)


@dataclass(frozen=True)
class DemoLearning:
    title: str
    owner: str  # a demo role; that person drafts it
    lesson: str
    practice: str
    created: int  # days ago
    steps: tuple[tuple[str, int], ...] = ()  # (status, days ago), made by the manager
    library: tuple[str, ...] = ()
    own: tuple[str, ...] = ()  # the team's own incidents
    external: tuple[str, ...] = ()  # other organisations' incidents the team logged
    retired_reason: str = ""
    review_in: int | None = None  # days from today
    actions: tuple[DemoAction, ...] = ()


DEMO_LEARNINGS = [
    # The repeat cause: adopted long before ALLERGEN_REPLY (defensive-response) happened.
    # Nestlé only: United's and #AskSeaWorld's other causes would make more own incidents
    # repeats, and no other adopted learning below covers defensive-response.
    DemoLearning(
        title="Answer criticism where it was posted; never delete it",
        owner=Role.MANAGER,
        library=(NESTLE,),
        created=210, steps=((LearningStatus.PROPOSED, 206), (LearningStatus.ADOPTED, 200)),
        review_in=30,
        lesson=(
            "When Nestlé's Facebook page deleted critical comments about palm oil and mocked "
            "the people who posted them, the deletions became the story.\n\n"
            "- A deleted comment or reply is noticed within minutes, and someone has always "
            "taken a screenshot.\n"
            "- Deleting tells everyone watching that we have something to hide; a sarcastic or "
            "defensive reply is quoted far more widely than the complaint it answered."
        ),
        practice=(
            "1. Reply in the open, in the same thread, within **two hours** in opening hours.\n"
            "2. Hide or delete only what breaks the published house rules (abuse, personal "
            "data, spam), and log each one in the moderation sheet with the reason.\n"
            "3. If we don't know the answer yet, say so and say when we will: *\"We're checking "
            "with the kitchen team and will reply here by 3pm.\"*\n"
            "4. Never delete our own reply to fix it: post the correction underneath."
        ),
        actions=(
            DemoAction("Add the 'never delete, correct underneath' rule to the moderation "
                       "guide", ActionKind.PREVENTIVE, Role.MANAGER,
                       created=200, due=-190, done=196),
            # Left overdue: nobody was checking when the allergen reply was deleted.
            DemoAction("Review hidden and deleted comments in the moderation sheet every "
                       "Friday", ActionKind.DETECTIVE, Role.MEMBER, created=200, due=-10),
            DemoAction("Get approved allergen answers from the food-safety lead that we can "
                       "post as they are", ActionKind.CORRECTIVE, Role.MEMBER,
                       created=5, due=10, done=1),
        ),
    ),
    DemoLearning(
        title="Find out why a hashtag is trending before we use it",
        owner=Role.MEMBER,
        library=(DIGIORNO, ENTENMANNS),
        created=12, steps=((LearningStatus.PROPOSED, 9),),
        lesson=(
            "DiGiorno joked about pizza under #WhyIStayed, where survivors of domestic violence "
            "were telling their stories; Entenmann's used #notguilty for a snack on the day of "
            "the Casey Anthony verdict. A trending tag is somebody else's conversation, and its "
            "top posts say in ten seconds what it is about. Neither brand looked."
        ),
        practice=(
            "- Before using a trending hashtag, read its top and latest posts and write in the "
            "post brief what it is about.\n"
            "- No trending hashtags in scheduled posts: only live, with a second person's OK.\n"
            "- If in doubt, leave it out."
        ),
        actions=(
            DemoAction("Add a 'what is this hashtag about?' line to the post brief template",
                       ActionKind.PREVENTIVE, Role.MEMBER, created=9, due=14),
        ),
    ),
    DemoLearning(
        title="Pause the scheduled queue when the news turns",
        owner=Role.MANAGER,
        own=(PUMPKIN_SPICE,),
        created=168, steps=((LearningStatus.ADOPTED, 165),),
        review_in=60,
        lesson=(
            "Our pumpkin-spice countdown went out on schedule while our home region was under "
            "flood warnings. Nobody had looked at the queue since it was filled a week earlier. "
            "Followers didn't object to the post itself; they concluded we weren't paying "
            "attention."
        ),
        practice=(
            "- Whoever is on the comms rota checks the next 24 hours of scheduled posts "
            "**every morning** against the news.\n"
            "- On a severe-weather warning, a local tragedy or a major news event, **pause the "
            "whole queue first**, then decide post by post what to release.\n"
            "- How to pause the queue is on page one of the crisis checklist."
        ),
        actions=(
            DemoAction("Make 'pause all scheduled posts' step one of the crisis checklist",
                       ActionKind.PREVENTIVE, Role.MANAGER, created=165, due=-160, done=162),
            DemoAction("Send Met Office severe-weather warnings for our regions to the rota "
                       "inbox", ActionKind.DETECTIVE, Role.MEMBER,
                       created=165, due=-150, done=158),
        ),
    ),
    DemoLearning(
        title="No open Q&A or hashtag campaign while people are angry with us",
        owner=Role.MANAGER,
        own=(ASK_NORTHWIND,),
        library=(QANTAS, MCDONALDS, BRITISH_GAS, JPMORGAN),
        created=146, steps=((LearningStatus.PROPOSED, 143), (LearningStatus.ADOPTED, 140)),
        review_in=45,
        lesson=(
            "An invitation to ask or share is an invitation to anyone with a grievance. "
            "#QantasLuxury ran weeks after a fleet grounding, #AskBG on the day of a price "
            "rise, #AskJPM while the bank was in the news for its settlements, and McDonald's "
            "paid to promote its supplier stories; each filled with complaints within minutes.\n\n"
            "Our own #AskNorthwind ran the week the barista pay story was in the local paper, "
            "and went the same way."
        ),
        practice=(
            "Before any hashtag campaign, Q&A or call for photos and stories:\n\n"
            "1. List what people are angry with us about **right now**: complaints, press, "
            "staff issues. If the list isn't empty, don't run it.\n"
            "2. Ask *what is the worst thing someone could post with this?* and write the three "
            "worst answers into the brief.\n"
            "3. Name who may stop the campaign, and check they can do it within 15 minutes."
        ),
        actions=(
            DemoAction("Let the duty community manager pull a campaign without sign-off",
                       ActionKind.CORRECTIVE, Role.MANAGER, created=140, due=-130, done=133),
            # Left overdue: the campaign brief template still has no 'worst replies' section.
            DemoAction("Add a 'worst replies' pre-mortem section to the campaign brief "
                       "template", ActionKind.PREVENTIVE, Role.MANAGER, created=140, due=-20),
        ),
    ),
    DemoLearning(
        title="Brand accounts live on the work phones only",
        owner=Role.MEMBER,
        own=(MATCH_DAY_TWEET,),
        created=118, steps=((LearningStatus.ADOPTED, 115), (LearningStatus.RETIRED, 30)),
        retired_reason=(
            "Superseded: all posting now goes through the scheduling tool with named logins, "
            "so nobody has a brand account in a phone app any more."
        ),
        lesson=(
            "A barista's match-day tweet went out from @NorthwindCoffee because the brand "
            "account was logged in on their own phone next to their personal one. The app "
            "switches accounts with one tap and shows the active one only as a small avatar."
        ),
        practice=(
            "- The brand accounts are logged in on the two work phones and nowhere else.\n"
            "- Nobody adds a brand account to a personal device, even for one evening."
        ),
        actions=(
            DemoAction("Remove the brand accounts from personal phones and change the "
                       "passwords", ActionKind.CORRECTIVE, Role.MEMBER,
                       created=115, due=-113, done=115),
        ),
    ),
    DemoLearning(
        title="Artwork that depicts people gets an outside reviewer",
        owner=Role.MEMBER,
        own=(HOLIDAY_CUP,),
        library=(DOVE, DOLCE_GABBANA),
        created=20,
        lesson=(
            "Our holiday cup illustrations were criticised as stereotyping. As with Dove's "
            "three-second ad clip and Dolce & Gabbana's chopsticks videos, nobody who signed "
            "the work off was from the people it depicted.\n\n"
            "*Still to add: what the illustrator's brief said.*"
        ),
        practice=(
            "- Artwork or video that depicts people or cultures is reviewed by someone outside "
            "the team who is closer to them, before print and before posting.\n"
            "- The brief budgets time and money for that review."
        ),
        actions=(
            DemoAction("Find two outside reviewers for the spring cup artwork",
                       ActionKind.PREVENTIVE, Role.MEMBER, created=20, due=21),
        ),
    ),
    # Drawn from an external incident the team logged seven months before its own bot did
    # the same; adopted after that, so no own incident since repeats automation-misfire.
    DemoLearning(
        title="Auto-replies never answer a complaint",
        owner=Role.MEMBER,
        own=(AUTO_REPLY,),
        external=(GREENLANE_BOT,),
        created=88, steps=((LearningStatus.PROPOSED, 86), (LearningStatus.ADOPTED, 84)),
        review_in=90,
        lesson=(
            "We logged Greenlane Grocers' comment bot answering photos of mouldy bread with "
            "*\"Looks delicious!\"* and agreed it could never happen to us. Seven months later "
            "our own responder thanked a customer for their \"lovely feedback\" on a "
            "food-poisoning complaint.\n\n"
            "- A keyword rule matches words, not meaning: \"bread\", \"cake\" and "
            "\"feedback\" appear in complaints as often as in praise.\n"
            "- A cheerful automatic reply to a complaint reads as mockery, and is screenshotted "
            "as such."
        ),
        practice=(
            "- Auto-replies only on posts and campaigns that ask for entries, never on the "
            "page as a whole.\n"
            "- Any comment that mentions illness, allergens, refunds or staff goes to a person.\n"
            "- A new rule is tried against a month of real complaints before it goes live."
        ),
        actions=(
            DemoAction("Switch the auto-responder off on posts that mention illness, refunds "
                       "or allergens", ActionKind.CORRECTIVE, Role.MEMBER,
                       created=84, due=-80, done=83),
            DemoAction("Try every new auto-reply rule against a month of real complaints",
                       ActionKind.PREVENTIVE, Role.MANAGER, created=60, due=20),
        ),
    ),
    # Another organisation's slip the team logged, then made itself; adopted after both.
    DemoLearning(
        title="Check which pages a post goes to before it goes",
        owner=Role.MANAGER,
        own=(STORE_CLOSURE,),
        external=(MOORFIELD_NOTICE,),
        created=38, steps=((LearningStatus.ADOPTED, 33),),
        review_in=60,
        lesson=(
            "Moorfield Water's boil-water notice for one town went out on every regional page, "
            "and six weeks later our closing-early graphic for one store went out on every "
            "store's page. Both were posted through a tool that picks a whole group of pages "
            "unless someone narrows it down."
        ),
        practice=(
            "- Every post chooses its pages; the publishing tool starts with none selected.\n"
            "- Anything about opening hours, safety or prices is checked by a second person, "
            "who reads out the list of pages before it goes."
        ),
        actions=(
            DemoAction("Make the publishing tool start with no pages selected",
                       ActionKind.PREVENTIVE, Role.MANAGER, created=33, due=-25, done=30),
            DemoAction("Add 'which pages?' to the second-person check for hours and safety "
                       "posts", ActionKind.DETECTIVE, Role.MEMBER, created=33, due=-20, done=31),
        ),
    ),
    # Learned from another organisation only: the demo has no account compromise of its own.
    DemoLearning(
        title="Every brand account has two-factor sign-in and a way back in",
        owner=Role.MEMBER,
        external=(TIDEWATER_HIJACK,),
        created=24, steps=((LearningStatus.PROPOSED, 20), (LearningStatus.ADOPTED, 15)),
        review_in=90,
        lesson=(
            "Tidewater Rail's account posted a fake refund giveaway for six hours on a Saturday "
            "night. The password was shared in a spreadsheet, there was no second factor, and "
            "nobody knew how to reach the platform outside office hours.\n\n"
            "We checked ours the following Monday: two of our five accounts had the same gaps."
        ),
        practice=(
            "- Every brand account signs in with two factors: the work phones' security keys.\n"
            "- Passwords live in the team's password manager, never in a document.\n"
            "- The hijacked-account runbook (who calls which platform, what we post where) is "
            "printed in the crisis checklist."
        ),
        actions=(
            DemoAction("Move every brand account to two-factor sign-in with security keys",
                       ActionKind.PREVENTIVE, Role.MEMBER, created=15, due=-5, done=9),
            DemoAction("Write the hijacked-account runbook with each platform's emergency "
                       "contact", ActionKind.CORRECTIVE, Role.MANAGER, created=15, due=10),
        ),
    ),
]


@dataclass
class LearningDemoResult:
    created: int = 0
    existing: int = 0
    action_items_created: int = 0
    by_status: dict[str, int] = field(default_factory=dict)
    overdue: int = 0


@transaction.atomic
def load_learning_demo(team: Team, people: dict[str, User]) -> LearningDemoResult:
    """Add the demo learnings and their action items to the demo team (see incidents.demo)."""
    result = LearningDemoResult()
    started = timezone.now()
    for spec in DEMO_LEARNINGS:
        if Learning.objects.filter(team=team, title=spec.title).exists():
            result.existing += 1
            continue
        result.action_items_created += _make_learning(team, people, spec, started)
        result.created += 1
    learnings = Learning.objects.filter(team=team).active()
    for status in LearningStatus:
        result.by_status[status.value] = learnings.filter(status=status).count()
    today = team.today()
    result.overdue = (ActionItem.objects.active().open()
                      .filter(learning__in=learnings, due_on__lt=today).count())
    return result


def _library_incident(title: str) -> Incident:
    incident = Incident.objects.filter(visibility=Visibility.LIBRARY, title=title).first()
    if incident is None:
        raise LookupError(f"The library has no incident titled {title!r}; load its seed first.")
    return incident


def _days_ago(days: int) -> datetime:
    return timezone.now() - timedelta(days=days)


def _backdate(obj: Model, started: datetime, when: datetime, **fields) -> None:
    """Move what the last service call stamped "now" to `when`: the given fields of the
    object, and its history records not yet backdated, i.e. dated since this run `started`
    (with the same fields, so that the history page tells the same story as the object)."""
    type(obj).objects.filter(pk=obj.pk).update(**fields)
    obj.history.filter(history_date__gte=started).update(history_date=when, **fields)


def _make_learning(team: Team, people: dict[str, User], spec: DemoLearning,
                   started: datetime) -> int:
    # The services stamp timezone.now(); the demo backdates every step afterwards so that the
    # dashboards have months of history (and the repeat cause has an adoption date to precede).
    manager = people[Role.MANAGER]
    incident_ids = [_library_incident(title).public_id for title in spec.library]
    incident_ids += [Incident.objects.get(team=team, title=title).public_id
                     for title in spec.own + spec.external]
    review_on = team.today() + timedelta(days=spec.review_in) if spec.review_in else None
    learning, _ = services.learning_create_from_incidents(
        user=people[spec.owner], team=team, incident_ids=incident_ids, title=spec.title,
        lesson=spec.lesson, practice=spec.practice, owner=people[spec.owner],
        review_on=review_on,
    )
    when = _days_ago(spec.created)
    _backdate(learning, started, when, created_at=when, updated_at=when, status_changed_at=when)
    last = when
    # Actions first: a retired learning's actions are closed (nobody adds or ticks them off),
    # and each carries its own backdated story anyway.
    for action in spec.actions:
        last = max(last, _make_action_item(team, people, learning, action, started))
    for status, days in spec.steps:
        learning = services.learning_change_status(
            user=manager, learning=learning, status=status,
            reason=spec.retired_reason if status == LearningStatus.RETIRED else "",
        )
        when = _days_ago(days)
        stamps = {"status_changed_at": when, "updated_at": when}
        if status == LearningStatus.ADOPTED:
            stamps["adopted_at"] = when
        elif status == LearningStatus.RETIRED:
            stamps["retired_at"] = when
        _backdate(learning, started, when, **stamps)
        last = max(last, when)
    # Adding action items touched the learning; it last changed on its last demo event.
    Learning.objects.filter(pk=learning.pk).update(updated_at=last)
    return len(spec.actions)


def _make_action_item(team: Team, people: dict[str, User], learning: Learning,
                      action: DemoAction, started: datetime) -> datetime:
    """Make one action item as of its demo dates; returns when it last changed."""
    person = people[action.owner]
    today = team.today()
    due_on = today + timedelta(days=action.due)
    created = _days_ago(action.created)
    if action.done == action.created:
        # Recorded as already done when it was added: the service accepts its past due date.
        item = services.action_item_create(
            user=person, learning=learning, title=action.title, owner=person, due_on=due_on,
            kind=action.kind, done=True,
        )
        _backdate(item, started, created, created_at=created, updated_at=created,
                  done_at=created)
        return created
    # The service rightly refuses an open item due in the past, so one whose demo due date has
    # passed (overdue, or done late in the story) is made due tomorrow and its date moved back
    # here, as if the months had simply gone by.
    item = services.action_item_create(
        user=person, learning=learning, title=action.title, owner=person,
        due_on=max(due_on, today + timedelta(days=1)), kind=action.kind,
    )
    _backdate(item, started, created, created_at=created, updated_at=created, due_on=due_on)
    if action.done is None:
        return created
    item = services.action_item_complete(user=person, item=item)
    done = _days_ago(action.done)
    _backdate(item, started, done, done_at=done, updated_at=done)
    return done
