"""People, teams and who belongs where."""

import datetime as dt
import functools
import hashlib
import unicodedata
import zoneinfo

from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone as django_timezone
from simple_history.models import HistoricalRecords

from common.dates import today_in
from common.models import PublicIdModel


@functools.cache
def known_timezones() -> frozenset[str]:
    """The zones of the installed time zone database. Read once per process: listing them walks
    the whole zoneinfo directory (tens of milliseconds), and every settings or profile form
    would otherwise do it again."""
    return frozenset(zoneinfo.available_timezones())


def validate_timezone(value: str) -> None:
    if value not in known_timezones():
        raise ValidationError(f"“{value}” is not a known time zone, e.g. Europe/London.")


# Greek and Cyrillic letters drawn like Latin ones ("Εlsewhere" with a Greek capital epsilon
# reads as "Elsewhere"), by case, since a capital and its small letter may look different.
LOOK_ALIKES = str.maketrans(
    "ΑΒΕΖΗΙΚΜΝΟΡΤΥΧαικνορυχγ" "АВЕКМНОРСТХУЅІЈаекорсхуѕіјһԁԛԝ",
    "ABEZHIKMNOPTYXaiknopuxy" "ABEKMHOPCTXYSIJaekopcxysijhdqw",
)


def team_name_key(name: str) -> str:
    """The form of a team name that two teams may not share: case, accents, spaces,
    punctuation and look-alike letters of other alphabets are ignored, so "Comms", "comms",
    "C.O.M.M.S" and "Соmms" (Cyrillic С and о) are one name."""
    name = unicodedata.normalize("NFKC", name).translate(LOOK_ALIKES)
    folded = unicodedata.normalize("NFKD", name.casefold())
    return "".join(char for char in folded if char.isalnum())


class NameKeyField(models.CharField):
    """Holds team_name_key(name), recomputed whenever the row is written, however it is written
    (services, admin, get_or_create in the seed and demo), so the unique constraint on it always
    compares like with like."""

    def __init__(self, *args, source: str = "name", **kwargs):
        self.source = source
        kwargs.setdefault("editable", False)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        if self.source != "name":
            kwargs["source"] = self.source
        return name, path, args, kwargs

    def pre_save(self, model_instance, add):
        value = team_name_key(getattr(model_instance, self.source) or "")
        setattr(model_instance, self.attname, value)
        return value


def timezone_choices() -> list[tuple[str, str]]:
    return [(name, name.replace("_", " ")) for name in sorted(known_timezones())]


class UserManager(BaseUserManager):
    """Users sign in with their email address."""

    use_in_migrations = True

    def get_by_natural_key(self, email):
        # Addresses are stored lower-cased: "Maya@Example.com " signs in as maya@example.com
        # (sign-in throttling counts the same spelling, accounts.throttling.login_username).
        return self.get(email=str(email).strip().lower())

    def _create_user(self, email, password, **extra):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email, password=None, **extra):
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra)


class User(AbstractUser):
    """A person who signs in with an email address."""

    username = None
    first_name = None
    last_name = None
    email = models.EmailField("email address", unique=True)
    display_name = models.CharField(max_length=120, blank=True)
    timezone = models.CharField("time zone", max_length=64, default="UTC",
                                validators=[validate_timezone])

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = UserManager()

    class Meta:
        ordering = ["email"]

    def __str__(self) -> str:
        return self.display_name or self.email

    def get_full_name(self) -> str:
        return self.display_name or self.email

    def get_short_name(self) -> str:
        return self.display_name or self.email.split("@")[0]


class Weekday(models.IntegerChoices):
    MONDAY = 0, "Monday"
    TUESDAY = 1, "Tuesday"
    WEDNESDAY = 2, "Wednesday"
    THURSDAY = 3, "Thursday"
    FRIDAY = 4, "Friday"
    SATURDAY = 5, "Saturday"
    SUNDAY = 6, "Sunday"


class TeamQuerySet(models.QuerySet):
    def for_user(self, user) -> "TeamQuerySet":
        """The teams this person belongs to, in any role."""
        if not user.is_authenticated:
            return self.none()
        return self.filter(pk__in=Membership.objects.filter(user=user).values("team_id"))

    def writable_by(self, user) -> "TeamQuerySet":
        """The teams where this person may write (Membership.can_write)."""
        if not user.is_authenticated:
            return self.none()
        return self.filter(pk__in=Membership.objects.filter(user=user).writers()
                           .values("team_id"))


class Team(models.Model):
    """A communications team: owns incidents and learnings, receives a weekly digest."""

    name = models.CharField(max_length=120)
    # Unique, so no team can take a look-alike of another's name ("comms" beside "Comms").
    name_key = NameKeyField(max_length=120, unique=True)
    slug = models.SlugField(max_length=60, unique=True)
    timezone = models.CharField("time zone", max_length=64, default="UTC",
                                validators=[validate_timezone])
    digest_weekday = models.PositiveSmallIntegerField(choices=Weekday.choices,
                                                      default=Weekday.MONDAY)
    digest_hour = models.PositiveSmallIntegerField(
        default=9, choices=[(h, f"{h:02d}:00") for h in range(24)]
    )
    created_at = models.DateTimeField(default=django_timezone.now, editable=False)

    objects = TeamQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def today(self) -> dt.date:
        """Today's date where the team works: the one "today" of due dates, overdue actions,
        review dates and the team's periods."""
        return today_in(self.timezone)


class Role(models.TextChoices):
    VIEWER = "viewer", "Viewer"
    MEMBER = "member", "Member"
    MANAGER = "manager", "Manager"


class MembershipQuerySet(models.QuerySet):
    def writers(self) -> "MembershipQuerySet":
        """Memberships that may write (Membership.can_write, in SQL)."""
        return self.filter(role__in=Membership.WRITE_ROLES)


class Membership(PublicIdModel):
    """A user's place in a team, with the role that decides what they may do there."""

    # The one definition of "may write": viewers read; members and managers write.
    WRITE_ROLES = (Role.MEMBER, Role.MANAGER)

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)
    receives_digest = models.BooleanField(default=False)
    # A week with nothing to report sends no digest at all, rather than a short note.
    skip_quiet_weeks = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=django_timezone.now, editable=False)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        ordering = ["team__name", "user__email"]
        constraints = [
            models.UniqueConstraint(fields=["user", "team"], name="membership_unique_user_team"),
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.team} ({self.role})"

    @property
    def can_write(self) -> bool:
        return self.role in self.WRITE_ROLES

    @property
    def can_manage(self) -> bool:
        return self.role == Role.MANAGER


def invitation_token_hash(token: str) -> str:
    """Invitation tokens are stored hashed: a copy of the table opens no invitation."""
    return hashlib.sha256(token.encode()).hexdigest()


class InvitationQuerySet(models.QuerySet):
    def pending(self) -> "InvitationQuerySet":
        """Neither accepted nor revoked (expired ones included: they can be resent)."""
        return self.filter(accepted_at__isnull=True, revoked_at__isnull=True)


class Invitation(PublicIdModel):
    """An offer to join a team, sent to an email address; membership starts only on acceptance."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="invitations")
    # As the manager typed it (lower-cased): the team sees no more than it already knew.
    email = models.EmailField()
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)
    invited_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="invitations_sent")
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(default=django_timezone.now, editable=False)
    sent_at = models.DateTimeField(default=django_timezone.now)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="invitations_accepted")
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = InvitationQuerySet.as_manager()

    class Meta:
        ordering = ["team", "email"]
        constraints = [
            models.UniqueConstraint(
                fields=["team", "email"],
                condition=models.Q(accepted_at__isnull=True, revoked_at__isnull=True),
                name="invitation_one_pending_per_team_email",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.email} to {self.team} ({self.role})"

    @property
    def is_expired(self) -> bool:
        return self.expires_at <= django_timezone.now()

    @property
    def state(self) -> str:
        """accepted, revoked, expired or pending."""
        if self.accepted_at:
            return "accepted"
        if self.revoked_at:
            return "revoked"
        if self.is_expired:
            return "expired"
        return "pending"


def api_token_hash(key: str) -> str:
    """API keys are stored hashed. A key holds some 238 random bits, so one SHA-256 is enough:
    slow, salted hashing protects guessable passwords, and would cost every API request."""
    return hashlib.sha256(key.encode()).hexdigest()


class ApiTokenQuerySet(models.QuerySet):
    def active(self) -> "ApiTokenQuerySet":
        """Not revoked."""
        return self.filter(revoked_at__isnull=True)


class ApiToken(PublicIdModel):
    """A personal key for the REST API: acts as its owner, optionally read-only or in one team.

    The key is shown once, when made; only its hash is kept, and a short prefix in clear, to
    find the row by and to tell the person's keys apart. A token limited to a team reads what
    that team reads and writes only there, and stops working if its owner leaves the team.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=80)
    prefix = models.CharField(max_length=12, unique=True, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    read_only = models.BooleanField(default=False)
    # CASCADE, not SET_NULL: a token limited to a team must never widen to all the user's teams.
    team = models.ForeignKey(Team, on_delete=models.CASCADE, null=True, blank=True,
                             related_name="api_tokens")
    created_at = models.DateTimeField(default=django_timezone.now, editable=False)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True)

    # The hash means nothing to a reader of the history, and each use is not a change.
    history = HistoricalRecords(excluded_fields=["key_hash", "last_used_at"])

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                Lower("name"), "user",
                condition=models.Q(revoked_at__isnull=True),
                name="apitoken_unique_active_name_per_user",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class ThrottleEvent(models.Model):
    """One use of a rate-limited action (a reset or invitation email), kept while it counts.

    In the database rather than the cache so that every worker sees the same count, with or
    without Redis.
    """

    scope = models.CharField(max_length=40)
    # A keyed hash of the address, IP or team: the table never holds an address in clear.
    key = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=django_timezone.now)

    class Meta:
        indexes = [models.Index(fields=["scope", "key", "created_at"],
                                name="throttle_scope_key_time")]

    def __str__(self) -> str:
        return f"{self.scope} at {self.created_at:%Y-%m-%d %H:%M}"
