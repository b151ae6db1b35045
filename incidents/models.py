"""Social-media failures, the organisations that had them, and why they happened."""

import uuid
from collections.abc import Callable
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.core.validators import URLValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.expressions import Expression
from django.db.models.functions import Lower
from django.utils import timezone
from simple_history.models import HistoricalRecords

from accounts.tenancy import TeamOwnedQuerySet, Tenancy
from common.models import PublicIdModel, PublicModel
from common.urls import object_url, object_url_of

SEARCH_CONFIG = "english"


class StoredSearchDocument(Expression):
    """What full-text search reads, on PostgreSQL only (SQLite searches word by word): the
    column `search_document`, which migration 0008 has PostgreSQL generate from the title and
    summary and indexes with GIN. Outside the model state (common.db.RunSQLOnPostgres), so
    read by name, of the incident table as the query at hand calls it (U0 in a subquery)."""

    output_field = SearchVectorField()

    def as_sql(self, compiler, connection):
        # The query's first table is the incident table, whatever its alias.
        table = compiler.quote_name_unless_alias(next(iter(compiler.query.alias_map)))
        return f'{table}."search_document"', []


STORED_SEARCH_DOCUMENT = StoredSearchDocument()


class Platform(models.TextChoices):
    TWITTER = "twitter", "X / Twitter"
    FACEBOOK = "facebook", "Facebook"
    INSTAGRAM = "instagram", "Instagram"
    YOUTUBE = "youtube", "YouTube"
    TIKTOK = "tiktok", "TikTok"
    LINKEDIN = "linkedin", "LinkedIn"
    REDDIT = "reddit", "Reddit"
    THREADS = "threads", "Threads"
    BLUESKY = "bluesky", "Bluesky"
    MASTODON = "mastodon", "Mastodon"
    WEIBO = "weibo", "Weibo"
    WEBSITE = "website", "Website"
    TV = "tv", "TV"
    OTHER = "other", "Other"


# Hosts whose posts identify the platform; any other http(s) host is a website.
PLATFORM_HOSTS = {
    "twitter.com": Platform.TWITTER, "x.com": Platform.TWITTER, "t.co": Platform.TWITTER,
    "facebook.com": Platform.FACEBOOK, "fb.com": Platform.FACEBOOK, "fb.watch": Platform.FACEBOOK,
    "instagram.com": Platform.INSTAGRAM,
    "youtube.com": Platform.YOUTUBE, "youtu.be": Platform.YOUTUBE,
    "tiktok.com": Platform.TIKTOK,
    "linkedin.com": Platform.LINKEDIN, "lnkd.in": Platform.LINKEDIN,
    "reddit.com": Platform.REDDIT, "redd.it": Platform.REDDIT,
    "threads.net": Platform.THREADS, "threads.com": Platform.THREADS,
    "bsky.app": Platform.BLUESKY,
    "mastodon.social": Platform.MASTODON, "mastodon.online": Platform.MASTODON,
    "weibo.com": Platform.WEIBO, "weibo.cn": Platform.WEIBO,
}


http_url_validator = URLValidator(
    schemes=["http", "https"], message="Enter a web address starting with http:// or https://."
)


def platform_from_url(url: str) -> str | None:
    """The platform a link points at, judged from its host; None when it is not a web link."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    host = parts.hostname.lower()
    labels = host.split(".")
    for i in range(len(labels) - 1):
        platform = PLATFORM_HOSTS.get(".".join(labels[i:]))
        if platform:
            return platform
    return Platform.WEBSITE


def fold_spaces(text: str) -> str:
    """The text with its whitespace folded: no runs, no leading or trailing spaces."""
    return " ".join(text.split())


class OrganizationQuerySet(TeamOwnedQuerySet):
    """for_user / for_team are the door for names: shared organisations, plus the private
    ones of the reader's teams. Another team's private organisation is invisible: its name,
    aliases and slug never reach a picker, a page or a name lookup."""

    def shared(self) -> "OrganizationQuerySet":
        return self.filter(team__isnull=True)


# Alphabetical as people read it ("acme" before "AT&T"), not by raw bytes; then a tie-break
# so pages of a paginated list never overlap.
ORGANIZATION_ORDER = (Lower("name"), "name", "pk")


class Organization(models.Model):
    """A brand or body that failed: shared by every team, or private to the team that named it."""

    # Null: shared by the installation (named by a library incident at some point). Set: known
    # only to this team, because only its team-only incidents name it.
    team = models.ForeignKey("accounts.Team", on_delete=models.PROTECT, null=True, blank=True,
                             related_name="organizations",
                             help_text="Empty for an organisation shared by every team.")
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=200, unique=True)
    aliases = models.JSONField(default=list, blank=True)
    industry = models.CharField(max_length=100, blank=True)
    website = models.URLField(blank=True)
    handles = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    tenancy = Tenancy(shared=Q(team__isnull=True), is_shared=lambda org: org.team_id is None)
    objects = OrganizationQuerySet.as_manager()

    class Meta:
        ordering = list(ORGANIZATION_ORDER)
        indexes = [
            # The organisations page reads them in this order, a page at a time.
            models.Index(Lower("name"), "name", "id", name="organization_name_order"),
        ]
        constraints = [
            # One spelling per name, whatever its case: among shared organisations, and
            # within each team among its private ones (the same private name may exist in
            # several teams, and beside a shared one, without either knowing).
            models.UniqueConstraint(
                Lower("name"), condition=Q(team__isnull=True),
                name="organization_shared_name_unique",
                violation_error_message="A shared organisation already has this name.",
            ),
            models.UniqueConstraint(
                Lower("name"), "team", condition=Q(team__isnull=False),
                name="organization_team_name_unique",
                violation_error_message="Your team already has an organisation of this name.",
            ),
            # Names are stored with their spaces folded, so the two above see "Acme  Corp"
            # and "Acme Corp" as the same name.
            models.CheckConstraint(
                condition=~Q(name="") & ~Q(name__startswith=" ") & ~Q(name__endswith=" ")
                & ~Q(name__contains="  ") & ~Q(name__contains="\t") & ~Q(name__contains="\n")
                & ~Q(name__contains="\r"),
                name="organization_name_folded",
                violation_error_message="Name the organisation without extra spaces.",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return self.url_of(self.slug)

    @staticmethod
    def url_of(slug: str) -> str:
        """The page of the organisation with this slug (a list read as values has no models)."""
        return object_url("incidents:organization-detail", "slug", slug)

    def clean(self) -> None:
        self.name = fold_spaces(self.name)

    @property
    def is_shared(self) -> bool:
        return self.team_id is None


class RootCause(models.Model):
    """One category of the shared root-cause taxonomy (DESIGN section 3)."""

    code = models.CharField(max_length=8, unique=True)
    slug = models.SlugField(max_length=80, unique=True)
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    prevention = models.TextField(blank=True)
    taxonomy_version = models.PositiveSmallIntegerField(default=1)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Factor(models.Model):
    """A contributing factor that made a failure possible or worse."""

    slug = models.SlugField(max_length=80, unique=True)
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Visibility(models.TextChoices):
    TEAM = "team", "Team only"
    LIBRARY = "library", "Shared library"


class Origin(models.TextChoices):
    OWN = "own", "Our own"
    EXTERNAL = "external", "Another organisation's"


class Status(models.TextChoices):
    OPEN = "open", "Open"
    MONITORING = "monitoring", "Monitoring"
    CLOSED = "closed", "Closed"


class Severity(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"
    CRITICAL = "critical", "Critical"


SEVERITY_RANK = {Severity.LOW: 1, Severity.MEDIUM: 2, Severity.HIGH: 3, Severity.CRITICAL: 4}


def severity_rank_expression() -> models.Case:
    """Severity as a number in SQL, so lists can sort by it (low 1 … critical 4)."""
    return models.Case(
        *(models.When(severity=value, then=rank) for value, rank in SEVERITY_RANK.items()),
        output_field=models.IntegerField(),
    )


class Context(models.TextChoices):
    TRAGEDY = "tragedy", "Tragedy"
    ANNIVERSARY = "anniversary", "Anniversary"
    OWN_CRISIS = "own-crisis", "Own crisis"
    POLITICAL = "political", "Political"
    OTHER = "other", "Other"


class Actor(models.TextChoices):
    IN_HOUSE = "in-house", "In-house team"
    AGENCY = "agency", "Agency"
    INTERN = "intern", "Intern"
    EXECUTIVE = "executive", "Executive"
    EMPLOYEE = "employee", "Employee"
    ATTACKER = "attacker", "Attacker"
    AUTOMATION = "automation", "Automation"
    IMPERSONATOR = "impersonator", "Impersonator"
    UNKNOWN = "unknown", "Unknown"


POSITIVE_MOVES = ("acknowledged", "apologized", "explained_fix", "asked_for_help")
NEGATIVE_MOVES = ("deleted_silently", "defensive", "blamed_others")
RESPONSE_MOVES = POSITIVE_MOVES + NEGATIVE_MOVES


def response_score(moves: dict[str, bool]) -> int:
    """0–4: one point per owning move (acknowledge, apologise, explain the fix, ask for help),
    one off per damaging move (silent deletion, defensiveness, blaming others)."""
    score = sum(bool(moves.get(m)) for m in POSITIVE_MOVES)
    score -= sum(bool(moves.get(m)) for m in NEGATIVE_MOVES)
    return max(0, min(4, score))


class IncidentQuerySet(TeamOwnedQuerySet):
    """for_user is the one door: incidents of the user's teams plus every team's library
    incidents; for_team is what one team can read (learnings may point only at these)."""

    def active(self) -> "IncidentQuerySet":
        return self.filter(archived_at__isnull=True)

    def archived(self) -> "IncidentQuerySet":
        return self.filter(archived_at__isnull=False)


class SourceKind(models.TextChoices):
    POST = "post", "Original post"
    SCREENSHOT = "screenshot", "Screenshot"
    ARTICLE = "article", "Article"
    ARCHIVE = "archive", "Archived copy"
    RESPONSE = "response", "Brand response"


class Source(PublicIdModel):
    """A web page backing incidents, one row per normalised link, shared by every team."""

    # Kept here so that Source.Kind reads as before; the kind itself is the link's.
    Kind = SourceKind

    url = models.URLField(max_length=1000, unique=True)
    platform = models.CharField(max_length=12, choices=Platform.choices, default=Platform.WEBSITE)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        # Never a title: titles are what one team said about it (IncidentSource).
        return self.url


class Incident(PublicModel):
    """One social-media failure, own or another organisation's, with its causes and response."""

    team = models.ForeignKey("accounts.Team", on_delete=models.PROTECT, related_name="incidents")
    visibility = models.CharField(max_length=8, choices=Visibility.choices,
                                  default=Visibility.TEAM)
    origin = models.CharField(max_length=8, choices=Origin.choices, default=Origin.OWN)
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT,
                                     related_name="incidents")
    title = models.CharField(max_length=200)
    summary = models.TextField("what happened", blank=True)
    platform = models.CharField(max_length=12, choices=Platform.choices)
    occurred_on = models.DateField()
    detected_at = models.DateTimeField(null=True, blank=True)
    first_response_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.OPEN)
    severity = models.CharField(max_length=8, choices=Severity.choices, default=Severity.MEDIUM)
    primary_cause = models.ForeignKey(RootCause, on_delete=models.PROTECT,
                                      related_name="primary_incidents")
    contributing_causes = models.ManyToManyField(RootCause, blank=True,
                                                 related_name="contributing_incidents")
    factors = models.ManyToManyField(Factor, blank=True, related_name="incidents")
    context = models.JSONField(default=list, blank=True)
    actor = models.CharField("who posted it", max_length=12, choices=Actor.choices,
                             default=Actor.UNKNOWN)
    acknowledged = models.BooleanField(default=False)
    apologized = models.BooleanField("apologised", default=False)
    explained_fix = models.BooleanField("explained the fix", default=False)
    asked_for_help = models.BooleanField(default=False)
    deleted_silently = models.BooleanField(default=False)
    defensive = models.BooleanField(default=False)
    blamed_others = models.BooleanField(default=False)
    response_score = models.PositiveSmallIntegerField(default=0, editable=False)
    sources = models.ManyToManyField(Source, blank=True, related_name="incidents",
                                     through="IncidentSource")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+")
    archived_at = models.DateTimeField(null=True, blank=True)
    # Set from the form's one-time token so that a double-submitted form creates one incident.
    idempotency_key = models.UUIDField(null=True, blank=True, editable=False)

    # Source links keep their own history (IncidentSource.history), with each team's words.
    history = HistoricalRecords(m2m_fields=[contributing_causes, factors],
                                excluded_fields=["idempotency_key"])

    tenancy = Tenancy(shared=Q(visibility=Visibility.LIBRARY),
                      is_shared=lambda incident: incident.visibility == Visibility.LIBRARY)
    objects = IncidentQuerySet.as_manager()

    class Meta:
        ordering = ["-occurred_on", "-created_at"]
        indexes = [
            # The lists' default order: lets PostgreSQL read the newest first and stop early.
            models.Index(fields=["-occurred_on", "-created_at"], name="incident_newest"),
            models.Index(fields=["team", "occurred_on"], name="incident_team_occurred"),
            # A team's active incidents of one visibility in the list's order: the team-only
            # list and its count read a page of the reader's team's rows, not every
            # team-only incident of the installation.
            models.Index("team", "visibility", "occurred_on", "created_at", "id",
                         condition=Q(archived_at__isnull=True), name="incident_team_visibility"),
            # "Most severe first" (filters.ORDERINGS["-severity"], then the primary key) read
            # in index order, other filters checked row by row until a page is full.
            models.Index(severity_rank_expression().desc(), F("occurred_on").desc(),
                         F("id").desc(), condition=Q(archived_at__isnull=True),
                         name="incident_most_severe"),
            models.Index(fields=["visibility", "occurred_on"], name="incident_vis_occurred"),
            models.Index(fields=["organization", "occurred_on"], name="incident_org_occurred"),
            # The organisations page: whether a reader can read an incident of each name
            # shown, and how many, from the index alone (no incident row read).
            models.Index("organization", "visibility", "team", "id",
                         condition=Q(archived_at__isnull=True), name="incident_org_readable"),
            # The incident page's library precedents: a cause's shared incidents, the most
            # severe and recent first, read in index order (five rows, not a sort of every
            # shared incident with that cause). The expression is the one the query sorts by.
            models.Index(
                "primary_cause", severity_rank_expression().desc(), F("occurred_on").desc(),
                F("created_at").desc(),
                condition=Q(visibility=Visibility.LIBRARY, archived_at__isnull=True),
                name="incident_library_precedent",
            ),
            # The library dashboard's counts (dashboards.metrics.library_metrics) read every
            # shared incident: from this index alone, a fraction of the table's width.
            models.Index(
                fields=["primary_cause", "platform", "severity", "occurred_on"],
                include=["response_score", "acknowledged", "apologized", "explained_fix",
                         "asked_for_help"],
                condition=Q(visibility=Visibility.LIBRARY, archived_at__isnull=True),
                name="incident_library_metrics",
            ),
        ]
        constraints = [
            # Per team: the key comes from the browser, so it must never reach another team's.
            models.UniqueConstraint(fields=["team", "idempotency_key"],
                                    name="incident_unique_team_idempotency_key"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return self.url_of(self.public_id)

    def get_history_url(self) -> str:
        """The History section of the incident's page (the API's history_url)."""
        return self.history_url_of(self.public_id)

    @staticmethod
    def url_of(public_id: uuid.UUID) -> str:
        """The page of the incident with this id (a list read as values has no models)."""
        return object_url("incidents:incident-detail", "public_id", public_id)

    @staticmethod
    def history_url_of(public_id: uuid.UUID) -> str:
        return object_url("incidents:incident-history", "public_id", public_id)

    @staticmethod
    def addresses_of() -> tuple[Callable[[uuid.UUID | str], str],
                                Callable[[uuid.UUID | str], str]]:
        """url_of and history_url_of for a page of ids: each route's address worked out
        once, each id then only put in place."""
        return (object_url_of("incidents:incident-detail", "public_id"),
                object_url_of("incidents:incident-history", "public_id"))

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None

    def context_labels(self) -> list[str]:
        labels = dict(Context.choices)
        return [labels.get(c, c) for c in self.context]


class TimelineEvent(PublicIdModel):
    """A dated moment in an incident: the post, detection, press, response, apology, fix."""

    class Kind(models.TextChoices):
        POSTED = "posted", "Posted"
        DETECTED = "detected", "Detected"
        ESCALATED = "escalated", "Escalated"
        PRESS = "press", "Press coverage"
        RESPONSE = "response", "Public response"
        APOLOGY = "apology", "Apology"
        FIX = "fix", "Fix"
        NOTE = "note", "Note"

    RESPONSE_KINDS = (Kind.RESPONSE, Kind.APOLOGY)

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="timeline")
    at = models.DateTimeField()
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.NOTE)
    text = models.CharField(max_length=500)
    url = models.URLField(max_length=1000, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    history = HistoricalRecords()

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} at {self.at:%Y-%m-%d %H:%M}"


class IncidentSourceQuerySet(models.QuerySet):
    def for_incident(self, incident: "Incident") -> "IncidentSourceQuerySet":
        return self.filter(incident=incident).select_related("source")


class IncidentSource(models.Model):
    """One incident's use of a source, with what that incident's team said about it."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="source_links")
    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="incident_links")
    kind = models.CharField(max_length=12, choices=SourceKind.choices, default=SourceKind.ARTICLE)
    title = models.CharField(max_length=300, blank=True)
    captured_at = models.DateTimeField(null=True, blank=True)
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                 null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    history = HistoricalRecords()

    objects = IncidentSourceQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["incident", "source"],
                                    name="incidentsource_unique_incident_source"),
        ]

    def __str__(self) -> str:
        return self.title or self.source.url

    @property
    def url(self) -> str:
        return self.source.url

    def get_platform_display(self) -> str:
        return self.source.get_platform_display()
