"""The named requests the harness makes, as a signed-in member of a team would, each resolved
against the database it runs on. Import after django.setup().

The member is a member (or else a manager) of the team with the most incidents, so that two
databases made by the same generator are measured from comparable places; the broad word is
the word found in the most incidents of a fixed sample. Every choice is deterministic, so the
same database gives the same addresses on every run.
"""

import re
from collections import Counter
from dataclasses import dataclass
from urllib.parse import urlencode

from django.conf import settings
from django.db.models import Count

from accounts.models import Membership, Team, User
from common.pages import keyset_cursor
from incidents.models import Incident
from incidents.selectors import incident_list
from learnings.models import Learning

# Incidents read to choose the broad word and a cause: enough for a stable choice, cheap at 1M.
SAMPLE = 2000
WORD = re.compile(r"\b[a-z]{4,}\b")
# Words that say nothing about an incident; the broad word should be one people search for.
STOP_WORDS = frozenset({
    "about", "after", "also", "been", "before", "from", "have", "into", "more", "over",
    "that", "their", "them", "then", "they", "this", "were", "what", "when", "which", "while",
    "with", "would", "incident",
})

# In the order reports list them.
NAMES = (
    "incident list, first page",
    "incident list, last page",
    "search, broad word",
    "search + cause + sort by severity",
    "incident page with precedents",
    "list filtered to team-only",
    "organisations page",
    "learnings list",
    "learning page",
    "my actions",
    "library",
)


@dataclass(frozen=True)
class Scenario:
    """One named request and the address it resolved to on this database."""

    name: str
    url: str


@dataclass(frozen=True)
class Setting:
    """Who asks, and what the database holds, as the report shows it."""

    user: User
    team: Team
    incidents: int
    readable: int
    word: str
    cause: str


def member_of_largest_team() -> tuple[User, Team]:
    team = Team.objects.annotate(n=Count("incidents")).order_by("-n", "pk").first()
    if team is None:
        raise SystemExit("No team in this database: load data first (see bench/RESULTS.md).")
    membership = (Membership.objects.filter(team=team, role__in=Membership.WRITE_ROLES)
                  .select_related("user")
                  # Members before managers, the common reader ("member" > "manager").
                  .order_by("-role", "pk").first())
    if membership is None:
        raise SystemExit(f"Team {team.slug} has no member or manager to read as.")
    return membership.user, team


def broad_word_and_cause(word: str = "") -> tuple[str, str]:
    """The word in the most sampled incidents (document frequency), unless one is given, and
    the primary cause most common among the sampled incidents that contain it."""
    rows = list(Incident.objects.order_by("pk").values_list(
        "title", "summary", "primary_cause__slug")[:SAMPLE])
    documents = Counter()
    for title, summary, _ in rows:
        documents.update({w for w in WORD.findall(f"{title} {summary}".lower())
                          if w not in STOP_WORDS})
    if not documents:
        raise SystemExit("No words to search for in this database's incidents.")
    word = word.lower() or min(documents.items(), key=lambda item: (-item[1], item[0]))[0]
    causes = Counter(cause for title, summary, cause in rows
                     if word in f"{title} {summary}".lower()) or Counter(
        cause for _, _, cause in rows)
    cause = min(causes.items(), key=lambda item: (-item[1], item[0]))[0]
    return word, cause


def resolve(word: str = "") -> tuple[Setting, list[Scenario]]:
    """The member, what the report says of the database, and the scenarios' addresses; the
    broad word is `word` when given (the same word on every database of a run)."""
    user, team = member_of_largest_team()
    word, cause = broad_word_and_cause(word)
    readable = Incident.objects.for_user(user).active().count()
    # The oldest page: read on (?after=) from the row just before the last 25, as the list's
    # Older link would after paging all the way down (found once, here, by OFFSET).
    listed = incident_list(user=user, filters={})
    deepest = listed[readable - settings.PAGE_SIZE - 1] if readable > settings.PAGE_SIZE \
        else None
    last_page = ("/incidents/?" + urlencode({"after": keyset_cursor(listed, deepest)})
                 if deepest else "/incidents/")
    own = Incident.objects.filter(team=team, archived_at__isnull=True)
    incident = (own.filter(learnings__isnull=False).order_by("-occurred_on", "-created_at",
                                                            "pk").first()
                or own.order_by("-occurred_on", "-created_at", "pk").first())
    learning = (Learning.objects.filter(team=team, archived_at__isnull=True)
                .order_by("-created_at", "pk").first())
    scenarios = [
        Scenario(NAMES[0], "/incidents/"),
        Scenario(NAMES[1], last_page),
        Scenario(NAMES[2], "/incidents/?" + urlencode({"q": word})),
        Scenario(NAMES[3], "/incidents/?" + urlencode(
            {"q": word, "cause": cause, "sort": "-severity"})),
        Scenario(NAMES[4], incident.get_absolute_url() if incident else ""),
        Scenario(NAMES[5], "/incidents/?visibility=team"),
        Scenario(NAMES[6], "/organizations/"),
        Scenario(NAMES[7], "/learnings/"),
        Scenario(NAMES[8], learning.get_absolute_url() if learning else ""),
        Scenario(NAMES[9], "/actions/"),
        Scenario(NAMES[10], "/library/"),
    ]
    setting = Setting(user=user, team=team, incidents=Incident.objects.count(),
                      readable=readable, word=word, cause=cause)
    # A team without incidents or learnings cannot show those pages: left out, and said so.
    return setting, [s for s in scenarios if s.url]


# The REST API's scenarios (issue 10), in the order reports list them.
API_NAMES = (
    "team list, two filters",
    "list, first page",
    "list, 500,000 rows deep",
    "CSV, 100,000 rows",
)
# How deep the deep page starts (rows before it), and how many rows the CSV should hold.
DEEP = 500_000
CSV_ROWS = 100_000
# The team list's filters besides the team: the team's most common platform, and this.
SEVERITY = "high"


@dataclass(frozen=True)
class ApiSetting:
    """Who the API benchmark reads as, and what its scenarios resolved to."""

    user: User
    team: Team
    incidents: int
    readable: int
    team_rows: int
    deep: int
    csv_since: str
    csv_rows: int


def api_list(user: User):
    """The API's incident list for this member, unfiltered, in its own order."""
    # Imported here: the pages' scenarios do not need the API.
    from api.incidents.filters import IncidentApiFilter
    from incidents.selectors import incident_filterset

    return incident_filterset(user=user, filters={}, filterset_class=IncidentApiFilter).qs


def resolve_api(*, deep: int = DEEP, csv_rows: int = CSV_ROWS
                ) -> tuple[ApiSetting, list[Scenario]]:
    """The member (as for the pages) and the API's addresses: their team's incidents with two
    filters, the first page of everything they read and the page `deep` rows into it (the
    `after` cursor the API would put in the previous page's `next` link, made by the same
    function from the row just before), and a CSV of everything since the day that holds
    the `csv_rows`-th newest readable incident (at least that many rows)."""
    user, team = member_of_largest_team()
    own = Incident.objects.filter(team=team, archived_at__isnull=True)
    platform = (own.values("platform").annotate(n=Count("pk")).order_by("-n", "platform")
                .values_list("platform", flat=True).first()) or "twitter"
    filters = {"team": team.slug, "severity": SEVERITY, "platform": platform}
    listed = api_list(user)
    readable = listed.count()
    depth = max(0, min(deep, readable - 1))
    keys = listed.select_related(None).only("occurred_on", "created_at")
    deep_url = "/api/v1/incidents/"
    if depth:
        deep_url += "?" + urlencode({"after": keyset_cursor(listed, keys[depth - 1])})
    since = listed.values_list("occurred_on", flat=True)[min(csv_rows, readable) - 1] \
        if readable else None
    csv_url = "/api/v1/incidents/?" + urlencode(
        {"format": "csv", **({"occurred_after": since.isoformat()} if since else {})})
    scenarios = [
        Scenario(API_NAMES[0], "/api/v1/incidents/?" + urlencode(filters)),
        Scenario(API_NAMES[1], "/api/v1/incidents/"),
        Scenario(API_NAMES[2], deep_url),
        Scenario(API_NAMES[3], csv_url),
    ]
    setting = ApiSetting(
        user=user, team=team, incidents=Incident.objects.count(), readable=readable,
        team_rows=own.filter(severity=SEVERITY, platform=platform).count(), deep=depth,
        csv_since=since.isoformat() if since else "",
        csv_rows=listed.filter(occurred_on__gte=since).count() if since else 0)
    return setting, scenarios
