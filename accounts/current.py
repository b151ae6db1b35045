"""Which team the signed-in user is working in (chosen with the header's team switcher)."""

from .models import Membership
from .selectors import membership_list_for_user

SESSION_KEY = "current_team"


def memberships_of(request) -> list[Membership]:
    """The signed-in user's memberships, loaded once per request."""
    if not hasattr(request, "_misfire_memberships"):
        user = request.user
        request._misfire_memberships = (
            list(membership_list_for_user(user=user)) if user.is_authenticated else []
        )
    return request._misfire_memberships


def current_membership(request) -> Membership | None:
    """The membership of the team chosen in this session, else the user's first team."""
    memberships = memberships_of(request)
    wanted = request.session.get(SESSION_KEY)
    for membership in memberships:
        if membership.team.slug == wanted:
            return membership
    return memberships[0] if memberships else None


def switch_team(request, slug: str) -> Membership | None:
    for membership in memberships_of(request):
        if membership.team.slug == slug:
            request.session[SESSION_KEY] = slug
            return membership
    return None
