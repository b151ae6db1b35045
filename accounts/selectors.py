"""Reads for people and teams."""

from collections.abc import Iterable
from uuid import UUID

from django.db.models import Exists, OuterRef, QuerySet

from .models import ApiToken, Invitation, Membership, Team, User, invitation_token_hash


def membership_get(*, user: User, team: Team) -> Membership | None:
    if not user.is_authenticated:
        return None
    return Membership.objects.filter(user=user, team=team).select_related("team").first()


def membership_list_for_user(*, user: User) -> QuerySet[Membership]:
    return Membership.objects.filter(user=user).select_related("team").order_by("team__name")


def membership_list_for_team(*, team: Team) -> QuerySet[Membership]:
    return Membership.objects.filter(team=team).select_related("user").order_by(
        "user__email"
    )


def team_get_for_user(*, user: User, slug: str) -> Team:
    """The team with this slug if the user belongs to it; Team.DoesNotExist otherwise."""
    return Team.objects.for_user(user).get(slug=slug)


def invitation_list_pending_for_team(*, team: Team) -> QuerySet[Invitation]:
    """The team's open invitations, by the address typed: no account details of the invitee."""
    return Invitation.objects.pending().filter(team=team).order_by("email")


def invitation_get_by_token(*, token: str) -> Invitation | None:
    """The invitation whose link carries this token, whatever its state."""
    if not token or len(token) > 200:
        return None
    return (Invitation.objects.select_related("team", "invited_by")
            .filter(token_hash=invitation_token_hash(token)).first())


def invitation_get_for_team(*, team: Team, public_id: UUID) -> Invitation | None:
    return Invitation.objects.select_related("team").filter(team=team, public_id=public_id).first()


def membership_get_for_team(*, team: Team, public_id: UUID) -> Membership | None:
    return (Membership.objects.select_related("user", "team")
            .filter(team=team, public_id=public_id).first())


def user_get_by_email(*, email: str) -> User | None:
    return User.objects.filter(email__iexact=email).first()


def people_of_team(*, team: Team, user_ids: Iterable[int]) -> dict[int, tuple[User, bool]]:
    """These people, each with whether they are now a member of `team`, in one query (how
    history names them: common.history.person_label)."""
    members = Membership.objects.filter(team=team, user_id=OuterRef("pk"))
    return {user.pk: (user, user.in_team) for user in
            User.objects.filter(pk__in=user_ids).annotate(in_team=Exists(members))}


def token_list_for_user(*, user: User) -> QuerySet[ApiToken]:
    """The person's tokens that still work or could (not revoked), newest first, each with
    whether its owner is still in the team it is limited to (`in_team`)."""
    in_team = Membership.objects.filter(user_id=OuterRef("user_id"), team_id=OuterRef("team_id"))
    return (ApiToken.objects.active().filter(user=user).select_related("team").defer("key_hash")
            .annotate(in_team=Exists(in_team)).order_by("-created_at", "-pk"))


def token_get_for_user(*, user: User, public_id: UUID) -> ApiToken | None:
    """One of the person's own tokens, revoked or not; None for anyone else's."""
    if not user.is_authenticated:
        return None
    return ApiToken.objects.filter(user=user, public_id=public_id).first()
