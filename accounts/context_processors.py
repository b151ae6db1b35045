from .current import current_membership, memberships_of


def teams(request):
    """The current membership and the user's teams, for the header's team switcher and for
    saying whose own failure an incident is."""
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {"current_membership": None, "memberships": [], "my_team_ids": set()}
    memberships = memberships_of(request)
    return {
        "current_membership": current_membership(request),
        "memberships": memberships,
        # "Own" means the reader's own only for their teams' incidents (pages say whose).
        "my_team_ids": {membership.team_id for membership in memberships},
    }
