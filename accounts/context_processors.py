from .current import current_membership, memberships_of


def teams(request):
    """The current membership and the user's teams, for the header's team switcher."""
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {"current_membership": None, "memberships": []}
    return {
        "current_membership": current_membership(request),
        "memberships": memberships_of(request),
    }
