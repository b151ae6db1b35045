"""Reads for people and teams."""

from django.db.models import QuerySet

from .models import Membership, Team, User


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
