"""Writes for people and teams. Each checks the actor's right to make it."""

import hmac
import re
import secrets
import string
import unicodedata
from datetime import timedelta

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone as django_timezone
from django.utils.crypto import salted_hmac
from django.utils.formats import date_format

from common.email import send_templated_email
from common.history import attribute_history

from .models import (
    ApiToken,
    Invitation,
    Membership,
    Role,
    Team,
    ThrottleEvent,
    User,
    api_token_hash,
    invitation_token_hash,
    team_name_key,
)
from .selectors import membership_get

INVITATION_LIFETIME = timedelta(days=7)
# Invitation emails a team may send (new and resent) in any 24 hours.
INVITATIONS_PER_TEAM_PER_DAY = 20
INVITATION_WINDOW = timedelta(hours=24)
# Password-reset emails: per address and per client IP, in any hour.
RESETS_PER_ADDRESS_PER_HOUR = 3
RESETS_PER_IP_PER_HOUR = 10
RESET_WINDOW = timedelta(hours=1)


def _require_manager(actor: User, team: Team) -> None:
    membership = membership_get(user=actor, team=team)
    if membership is None or not membership.can_manage:
        raise PermissionDenied("Only a manager of this team can do that.")


def _lock_team(team: Team) -> Team:
    """Lock the team's row for the rest of the transaction.

    Every change to a team's memberships takes this lock first, so two of them (two managers
    stepping down at once) run one after the other and the second sees the first's result:
    locking only the membership being changed let both pass the "another manager remains" check.
    """
    return Team.objects.select_for_update().get(pk=team.pk)


# Rate limits


def _throttle_key(value: str) -> str:
    # Keyed, so the table cannot be searched for a known address.
    return salted_hmac("accounts.throttle", value.lower(), algorithm="sha256").hexdigest()


def throttle_count(*, scope: str, value: str, window: timedelta) -> int:
    """How many times the action counted within the window."""
    since = django_timezone.now() - window
    return ThrottleEvent.objects.filter(scope=scope, key=_throttle_key(value),
                                        created_at__gt=since).count()


def throttle_oldest(*, scope: str, value: str, window: timedelta):
    """When the oldest use still counting was made (None if none counts)."""
    since = django_timezone.now() - window
    event = (ThrottleEvent.objects.filter(scope=scope, key=_throttle_key(value),
                                          created_at__gt=since).order_by("created_at").first())
    return event.created_at if event else None


@transaction.atomic
def throttle_record(*, scope: str, value: str, window: timedelta) -> None:
    """Count one use of the action, and forget this scope's uses that no longer count."""
    now = django_timezone.now()
    ThrottleEvent.objects.filter(scope=scope, created_at__lte=now - window).delete()
    ThrottleEvent.objects.create(scope=scope, key=_throttle_key(value), created_at=now)


def password_reset_allowed(*, email: str, ip_address: str) -> bool:
    """Whether one more reset email may go to this address from this IP; counts it if so.

    The page answers the same either way, so the limit tells nobody whether the address exists.
    """
    by_address = throttle_count(scope="reset-address", value=email, window=RESET_WINDOW)
    by_ip = throttle_count(scope="reset-ip", value=ip_address, window=RESET_WINDOW)
    if by_address >= RESETS_PER_ADDRESS_PER_HOUR or by_ip >= RESETS_PER_IP_PER_HOUR:
        return False
    throttle_record(scope="reset-address", value=email, window=RESET_WINDOW)
    throttle_record(scope="reset-ip", value=ip_address, window=RESET_WINDOW)
    return True


# Invitations


def invitation_path(token: str) -> str:
    return reverse("accounts:invitation-accept", kwargs={"token": token})


def _check_invitation_limit(team: Team) -> None:
    scope, value = "invitation-team", str(team.pk)
    if throttle_count(scope=scope, value=value, window=INVITATION_WINDOW) < \
            INVITATIONS_PER_TEAM_PER_DAY:
        return
    oldest = throttle_oldest(scope=scope, value=value, window=INVITATION_WINDOW)
    again = django_timezone.localtime(oldest + INVITATION_WINDOW)
    raise ValidationError({"email": (
        f"{team.name} has sent {INVITATIONS_PER_TEAM_PER_DAY} invitations in the last 24 hours, "
        f"the most allowed. You can invite again from {date_format(again, 'j M, H:i')}."
    )})


def _send_invitation(invitation: Invitation, actor: User) -> None:
    """Give the invitation a fresh token and expiry, and email the link after commit."""
    _check_invitation_limit(invitation.team)
    token = secrets.token_urlsafe(32)
    now = django_timezone.now()
    invitation.token_hash = invitation_token_hash(token)
    invitation.sent_at = now
    invitation.expires_at = now + INVITATION_LIFETIME
    invitation.save()
    throttle_record(scope="invitation-team", value=str(invitation.team.pk),
                    window=INVITATION_WINDOW)
    context = {
        "team_name": invitation.team.name,
        "inviter_name": actor.display_name,
        "inviter_email": actor.email,
        "role": invitation.get_role_display().lower(),
        "expires_at": invitation.expires_at,
        "path": invitation_path(token),
    }
    to = [invitation.email]
    transaction.on_commit(
        lambda: send_templated_email(template="emails/invitation", to=to, context=context)
    )


@transaction.atomic
def invitation_create(*, actor: User, team: Team, email: str, role: str) -> Invitation:
    """Invite an email address to the team; the person joins only by accepting.

    What the manager learns is the same whether or not the address has an account.
    """
    _require_manager(actor, team)
    if role not in Role.values:
        raise ValidationError({"role": "Choose viewer, member or manager."})
    email = User.objects.normalize_email(email).strip().lower()
    if len(email) > Invitation._meta.get_field("email").max_length:
        raise ValidationError({"email": "An email address has at most 254 characters."})
    team = _lock_team(team)
    # The team already lists its members' addresses, so saying so reveals nothing new.
    if Membership.objects.filter(team=team, user__email__iexact=email).exists():
        raise ValidationError({"email": f"{email} is already a member of {team.name}."})
    earlier = Invitation.objects.pending().filter(team=team, email=email).first()
    if earlier is not None and not earlier.is_expired:
        raise ValidationError({"email": (
            f"{email} has already been invited; resend or revoke the invitation below.")})
    if earlier is not None:
        # An expired invitation gives way to the new one (one pending per address and team).
        earlier.revoked_at = django_timezone.now()
        earlier.save(update_fields=["revoked_at"])
    invitation = Invitation(team=team, email=email, role=role, invited_by=actor)
    _send_invitation(invitation, actor)
    return invitation


@transaction.atomic
def invitation_resend(*, actor: User, invitation: Invitation) -> Invitation:
    """Send a pending invitation again with a new link (the old link stops working)."""
    _require_manager(actor, invitation.team)
    _lock_team(invitation.team)
    invitation = Invitation.objects.select_related("team").get(pk=invitation.pk)
    if invitation.state not in ("pending", "expired"):
        raise ValidationError(f"The invitation to {invitation.email} was already "
                              f"{invitation.state}.")
    _send_invitation(invitation, actor)
    return invitation


@transaction.atomic
def invitation_revoke(*, actor: User, invitation: Invitation) -> Invitation:
    """Withdraw a pending invitation: its link then shows that it was withdrawn."""
    _require_manager(actor, invitation.team)
    _lock_team(invitation.team)
    invitation = Invitation.objects.select_related("team").get(pk=invitation.pk)
    if invitation.accepted_at is not None:
        raise ValidationError(f"{invitation.email} has already accepted the invitation.")
    if invitation.revoked_at is None:
        invitation.revoked_at = django_timezone.now()
        invitation.save(update_fields=["revoked_at"])
    return invitation


def _join(invitation: Invitation, user: User) -> Membership:
    """Create the membership an invitation offers (the team row must be locked)."""
    membership, created = Membership.objects.get_or_create(
        user=user, team=invitation.team,
        defaults={"role": invitation.role,
                  "receives_digest": invitation.role == Role.MANAGER},
    )
    invitation.accepted_at = django_timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    return membership


def _usable_invitation(invitation: Invitation) -> Invitation:
    _lock_team(invitation.team)
    invitation = Invitation.objects.select_related("team").get(pk=invitation.pk)
    if invitation.state != "pending":
        raise ValidationError(f"This invitation was {invitation.state} and cannot be used.")
    return invitation


@transaction.atomic
def invitation_accept(*, user: User, invitation: Invitation) -> Membership:
    """The signed-in owner of the invited address accepts: only now do they join the team."""
    invitation = _usable_invitation(invitation)
    if user.email.lower() != invitation.email:
        raise PermissionDenied("This invitation is for another email address.")
    return _join(invitation, user)


@transaction.atomic
def invitation_accept_with_new_account(*, invitation: Invitation, password: str,
                                       display_name: str = "") -> Membership:
    """Someone without a (usable) account accepts by choosing a password.

    The link was emailed to the address, so following it proves that the person reads that
    mailbox, as a password-reset link does.
    """
    invitation = _usable_invitation(invitation)
    user = User.objects.filter(email__iexact=invitation.email).first()
    if user is not None and user.has_usable_password():
        raise ValidationError(f"{invitation.email} already has an account: sign in to accept.")
    if user is None:
        user = User(email=invitation.email)
    validate_password(password, user)
    user.set_password(password)
    if display_name:
        user.display_name = display_name
    user.full_clean(exclude=["password"], validate_unique=False)
    user.save()
    return _join(invitation, user)


def _other_managers(membership: Membership) -> bool:
    return (
        Membership.objects.filter(team_id=membership.team_id, role=Role.MANAGER)
        .exclude(pk=membership.pk)
        .exists()
    )


@transaction.atomic
def membership_update_role(*, actor: User, membership: Membership, role: str) -> Membership:
    """Change a member's role; a team always keeps at least one manager."""
    if role not in Role.values:
        raise ValidationError({"role": "Choose viewer, member or manager."})
    _lock_team(membership.team)
    # Checked under the lock: the actor may have been demoted a moment ago.
    _require_manager(actor, membership.team)
    membership = Membership.objects.select_related("team", "user").get(pk=membership.pk)
    if membership.role == Role.MANAGER and role != Role.MANAGER and not _other_managers(membership):
        raise ValidationError({"role": "A team needs at least one manager; promote someone first."})
    membership.role = role
    membership.save(update_fields=["role"])
    return membership


@transaction.atomic
def membership_remove(*, actor: User, membership: Membership) -> None:
    """Take a person out of a team (never the last manager). Their work stays with the team."""
    _lock_team(membership.team)
    _require_manager(actor, membership.team)
    membership = Membership.objects.filter(pk=membership.pk).first()
    if membership is None:
        return  # removed a moment ago by someone else: the outcome asked for holds
    if membership.role == Role.MANAGER and not _other_managers(membership):
        raise ValidationError("A team needs at least one manager; promote someone first.")
    membership.delete()


NAME_TAKEN = ("Another team already uses this name, or one that differs only in capitals, "
              "spaces, punctuation or look-alike letters. Choose a name of your own.")


@transaction.atomic
def team_update_settings(
    *, actor: User, team: Team, name: str, timezone: str, digest_weekday: int, digest_hour: int
) -> Team:
    """Change a team's name, time zone and digest schedule.

    Names are unique across the installation ignoring case, spaces and punctuation, so no team
    can pass itself off as another in an invitation or the library.
    """
    _require_manager(actor, team)
    team.name = name
    team.timezone = timezone
    team.digest_weekday = digest_weekday
    team.digest_hour = digest_hour
    team.full_clean(exclude=["slug", "name_key"])
    if any(unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp") for char in name):
        # A line break would also end up in the digest's headers (List-Id).
        raise ValidationError({"name": "A team name is one line of text, without line breaks "
                                       "or invisible control characters."})
    key = team_name_key(name)
    if not key:
        raise ValidationError({"name": "A team name needs at least one letter or digit."})
    if Team.objects.filter(name_key=key).exclude(pk=team.pk).exists():
        raise ValidationError({"name": NAME_TAKEN})
    try:
        # A savepoint, so that losing a race to the constraint leaves the transaction usable.
        with transaction.atomic():
            team.save(update_fields=["name", "name_key", "timezone", "digest_weekday",
                                     "digest_hour"])
    except IntegrityError as clash:
        raise ValidationError({"name": NAME_TAKEN}) from clash
    return team


@transaction.atomic
def user_update_profile(*, user: User, display_name: str, timezone: str) -> User:
    """Change the signed-in user's own name and time zone."""
    user.display_name = display_name
    user.timezone = timezone
    user.full_clean(exclude=["password"])
    user.save(update_fields=["display_name", "timezone"])
    return user


# API tokens

# mf_<prefix>_<secret>: "mf_" and the fixed shape let secret scanners recognise a leaked key;
# the prefix is kept in clear to find the row and to tell a person's keys apart.
TOKEN_PREFIX_LENGTH = 8
TOKEN_SECRET_LENGTH = 40  # 40 letters or digits: some 238 random bits
TOKEN_PREFIX_ALPHABET = string.ascii_lowercase + string.digits
TOKEN_SECRET_ALPHABET = string.ascii_letters + string.digits
TOKEN_KEY = re.compile(rf"mf_([a-z0-9]{{{TOKEN_PREFIX_LENGTH}}})"
                       rf"_[A-Za-z0-9]{{{TOKEN_SECRET_LENGTH}}}")
# A busy client would otherwise write the row on every request.
TOKEN_USE_RECORDED_EVERY = timedelta(minutes=1)
TOKENS_PER_USER = 50
TOKEN_NAME_MAX = ApiToken._meta.get_field("name").max_length
# Word for word the same whether the team does not exist or is another team's.
# (Messages, not secrets: S105 goes by the word "token" in the name.)
TOKEN_TEAM_REFUSED = "Choose one of your own teams, or “All your teams”."  # noqa: S105
TOKEN_NAME_REQUIRED = "Give the token a name, e.g. the notebook or tool that will use it."  # noqa: S105


def _random(alphabet: str, length: int) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(length))


def _new_key() -> tuple[str, str]:
    """A fresh key and its prefix, the prefix not yet taken (a clash is one chance in
    trillions; drawing again costs nothing)."""
    while True:
        prefix = _random(TOKEN_PREFIX_ALPHABET, TOKEN_PREFIX_LENGTH)
        if not ApiToken.objects.filter(prefix=prefix).exists():
            return prefix, f"mf_{prefix}_{_random(TOKEN_SECRET_ALPHABET, TOKEN_SECRET_LENGTH)}"


def _token_name_errors(user: User, name: str) -> str | None:
    if not name:
        return TOKEN_NAME_REQUIRED
    if len(name) > TOKEN_NAME_MAX:
        return f"A token name has at most {TOKEN_NAME_MAX} characters (this one has {len(name)})."
    if "\x00" in name:
        return "A token name cannot contain a NUL character."
    if ApiToken.objects.active().filter(user=user, name__iexact=name).exists():
        return (f"You already have a token called “{name}”. Choose another name, or revoke "
                "that token first.")
    return None


@transaction.atomic
def token_create(*, user: User, name: str, read_only: bool = False,
                 team: Team | None = None) -> tuple[ApiToken, str]:
    """Make a personal API token; returns it and its key, which is shown once and never
    stored (only its hash is).

    `team` limits the token to one of the user's teams; None lets it act in all of them.
    """
    # One token made at a time per person, so the name check and the limit hold under races.
    User.objects.select_for_update().get(pk=user.pk)
    name = (name or "").strip()
    errors = {}
    if (name_error := _token_name_errors(user, name)) is not None:
        errors["name"] = name_error
    if team is not None and not Membership.objects.filter(user=user, team_id=team.pk).exists():
        errors["team"] = TOKEN_TEAM_REFUSED
    if errors:
        raise ValidationError(errors)
    if ApiToken.objects.active().filter(user=user).count() >= TOKENS_PER_USER:
        raise ValidationError(f"You have {TOKENS_PER_USER} tokens, the most allowed. Revoke one "
                              "you no longer use first.")
    prefix, key = _new_key()
    token = ApiToken(user=user, name=name, prefix=prefix, key_hash=api_token_hash(key),
                     read_only=bool(read_only), team=team)
    attribute_history(token, user)
    token.save()
    return token, key


@transaction.atomic
def token_revoke(*, user: User, token: ApiToken) -> ApiToken:
    """Stop a token from working, for good. The row stays (with its history); revoking twice
    changes nothing."""
    token = ApiToken.objects.select_for_update().filter(pk=token.pk).first()
    if token is None or token.user_id != user.pk:
        raise PermissionDenied("Only the owner of a token can revoke it.")
    if token.revoked_at is None:
        attribute_history(token, user)
        token.revoked_at = django_timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


def token_for_key(key: str) -> ApiToken | None:
    """The active token this key opens, its user and team loaded, or None: for a key of the
    wrong shape, an unknown or wrong key, a revoked token, an inactive user, or a token
    limited to a team its owner has since left.

    Records the use (last_used_at) at most once a minute.
    """
    if not isinstance(key, str) or (match := TOKEN_KEY.fullmatch(key)) is None:
        return None
    # The prefix is unique: no order to sort by. Read on every API request, so kept to what
    # every token needs; a token limited to a team is checked against its team after.
    found = list(ApiToken.objects.active().select_related("user", "team")
                 .filter(prefix=match[1]).order_by()[:1])
    token = found[0] if found else None
    # Compared in constant time: how long the answer takes says nothing about the hash.
    if token is None or not hmac.compare_digest(token.key_hash, api_token_hash(key)):
        return None
    if not token.user.is_active:
        return None
    if token.team_id is not None and not Membership.objects.filter(
            user_id=token.user_id, team_id=token.team_id).exists():
        return None
    # Checked in this request: the API's reader need not ask again (api.access.reader).
    token.in_team = token.team_id is not None
    now = django_timezone.now()
    recorded_before = now - TOKEN_USE_RECORDED_EVERY
    if token.last_used_at is None or token.last_used_at <= recorded_before:
        # Conditional, so two requests at once write once; .update() leaves no history record.
        ApiToken.objects.filter(pk=token.pk).filter(
            Q(last_used_at__isnull=True) | Q(last_used_at__lte=recorded_before)
        ).update(last_used_at=now)
        token.last_used_at = now
    return token


# The weekly digest, per membership


@transaction.atomic
def membership_update_digest(*, user: User, membership: Membership, receives_digest: bool,
                             skip_quiet_weeks: bool) -> Membership:
    """A person's own digest choices for one of their teams: whether to receive the weekly
    digest, and whether a quiet week sends nothing rather than a short note."""
    if membership.user_id != user.pk:
        raise PermissionDenied("Only the member chooses their own digest.")
    membership.receives_digest = receives_digest
    membership.skip_quiet_weeks = skip_quiet_weeks
    membership.save(update_fields=["receives_digest", "skip_quiet_weeks"])
    return membership


@transaction.atomic
def membership_unsubscribe_digest(*, membership: Membership) -> Membership:
    """The one-click unsubscribe of a digest email: the holder of the signed link stops
    receiving this team's digest (nothing else changes, for them or anyone)."""
    if membership.receives_digest:
        membership.receives_digest = False
        membership.save(update_fields=["receives_digest"])
    return membership
