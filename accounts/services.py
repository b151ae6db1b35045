"""Writes for people and teams. Each checks the actor's right to make it."""

from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from common.email import send_templated_email

from .models import Membership, Role, Team, User
from .selectors import membership_get


def _require_manager(actor: User, team: Team) -> None:
    membership = membership_get(user=actor, team=team)
    if membership is None or not membership.can_manage:
        raise PermissionDenied("Only a manager of this team can do that.")


def invitation_url(user: User) -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return reverse("accounts:invitation-accept", kwargs={"uidb64": uid, "token": token})


@transaction.atomic
def team_member_add(*, actor: User, team: Team, email: str, role: str) -> tuple[Membership, bool]:
    """Add a person to the team by email; invite them first if they have no account.

    Returns the membership and whether an invitation email was sent.
    """
    _require_manager(actor, team)
    if role not in Role.values:
        raise ValidationError({"role": "Choose viewer, member or manager."})
    email = User.objects.normalize_email(email).lower()
    user = User.objects.filter(email__iexact=email).first()
    if user is None:
        user = User.objects.create_user(email=email, password=None)
    elif Membership.objects.filter(user=user, team=team).exists():
        raise ValidationError({"email": f"{email} is already a member of {team.name}."})
    # Someone invited before who never chose a password gets a fresh invitation.
    invited = not user.has_usable_password()
    membership = Membership.objects.create(
        user=user, team=team, role=role, receives_digest=role == Role.MANAGER
    )
    if invited:
        link = invitation_url(user)
        transaction.on_commit(
            lambda: send_templated_email(
                template="emails/invitation",
                to=[email],
                context={"team": team, "inviter": actor, "path": link},
            )
        )
    return membership, invited


def _other_managers(membership: Membership) -> bool:
    return (
        Membership.objects.filter(team_id=membership.team_id, role=Role.MANAGER)
        .exclude(pk=membership.pk)
        .exists()
    )


@transaction.atomic
def membership_update_role(*, actor: User, membership: Membership, role: str) -> Membership:
    """Change a member's role; a team always keeps at least one manager."""
    _require_manager(actor, membership.team)
    if role not in Role.values:
        raise ValidationError({"role": "Choose viewer, member or manager."})
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    if membership.role == Role.MANAGER and role != Role.MANAGER and not _other_managers(membership):
        raise ValidationError({"role": "A team needs at least one manager; promote someone first."})
    membership.role = role
    membership.save(update_fields=["role"])
    return membership


@transaction.atomic
def membership_remove(*, actor: User, membership: Membership) -> None:
    """Take a person out of a team (never the last manager). Their work stays with the team."""
    _require_manager(actor, membership.team)
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    if membership.role == Role.MANAGER and not _other_managers(membership):
        raise ValidationError("A team needs at least one manager; promote someone first.")
    membership.delete()


@transaction.atomic
def team_update_settings(
    *, actor: User, team: Team, name: str, timezone: str, digest_weekday: int, digest_hour: int
) -> Team:
    """Change a team's name, time zone and digest schedule."""
    _require_manager(actor, team)
    team.name = name
    team.timezone = timezone
    team.digest_weekday = digest_weekday
    team.digest_hour = digest_hour
    team.full_clean(exclude=["slug"])
    team.save(update_fields=["name", "timezone", "digest_weekday", "digest_hour"])
    return team


@transaction.atomic
def user_update_profile(*, user: User, display_name: str, timezone: str) -> User:
    """Change the signed-in user's own name and time zone."""
    user.display_name = display_name
    user.timezone = timezone
    user.full_clean(exclude=["password"])
    user.save(update_fields=["display_name", "timezone"])
    return user
