"""Who the API reads and writes for: the one place that says it.

The reader is `request.user`. A personal API token (`request.auth`, set by the token
authentication) may narrow it: `read_only` forbids every write, and `team` limits reading to
what that team reads (`readable(team=…)`) and writing to that team. Whether the person may
write at all is the browser's rule (accounts.tenancy.require_writer): viewers get 403. The
token is read by duck-typing, so this works for sessions, which carry no token.
"""

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.http import Http404
from rest_framework.permissions import SAFE_METHODS, BasePermission

from accounts.models import Membership, Team, User
from accounts.tenancy import require_writer
from accounts.tenancy import writable_teams as tenancy_writable_teams

READ_ONLY = "This token is read-only: it cannot change anything."
OTHER_TEAM = "This token is limited to {team}: it cannot change what other teams own."


@dataclass(frozen=True)
class Reader:
    """The person an API request acts for, and what their token (if any) allows."""

    user: User
    # A token limited to one team: reads what that team reads, writes only to it.
    team: Team | None = None
    read_only: bool = False
    # The token's team is no longer one of the person's: it reads and writes nothing.
    cut_off: bool = False

    @property
    def scope(self) -> dict:
        """The reader as selectors take it: user=… or team=…"""
        return {"team": self.team} if self.team is not None else {"user": self.user}

    def narrow(self, queryset):
        """`queryset` (already read through the tenancy door), or nothing when cut off."""
        return queryset.none() if self.cut_off else queryset

    def teams(self):
        """The teams this reader acts in: the person's, or the token's one team."""
        teams = Team.objects.for_user(self.user)
        if self.team is not None:
            teams = teams.filter(pk=self.team.pk)
        return teams


def reader(request) -> Reader:
    """The request's Reader, worked out once per request."""
    found = getattr(request, "_api_reader", None)
    if found is None:
        token = request.auth
        team = getattr(token, "team", None)
        # A token's team membership is checked when the token is read (token_for_key sets
        # in_team); asked here only of a token that was not read so.
        cut_off = team is not None and not getattr(token, "in_team", False) and not (
            Membership.objects.filter(user=request.user, team=team).exists())
        found = Reader(user=request.user, team=team,
                       read_only=bool(getattr(token, "read_only", False)), cut_off=cut_off)
        request._api_reader = found
    return found


def get_readable(request, get, **kwargs):
    """One object through a selector that reads for user=… or team=… (404 for the rest)."""
    current = reader(request)
    if current.cut_off:
        raise Http404("Not found.")
    return get(**current.scope, **kwargs)


def require_write(request, team: Team) -> None:
    """Refuse (403) a write to what `team` owns: from a read-only token, a token limited to
    another team, or a person who may not write there (a viewer). Callers have shown first
    that the reader may see the object: others get a 404."""
    current = reader(request)
    if current.read_only:
        raise PermissionDenied(READ_ONLY)
    if current.team is not None and current.team.pk != team.pk:
        raise PermissionDenied(OTHER_TEAM.format(team=current.team.name))
    require_writer(current.user, team)


class ApiAccess(BasePermission):
    """Signed in (session or token); read-only tokens only read. A method the endpoint does
    not answer (DELETE on what is never deleted) is a 405 to every signed-in caller alike,
    before any other rule: no object is looked up for it."""

    message = READ_ONLY

    def has_permission(self, request, view) -> bool:
        if not (request.user and request.user.is_authenticated):
            return False
        if not hasattr(view, request.method.lower()):
            return True  # the view answers 405 (APIView.http_method_not_allowed)
        return request.method in SAFE_METHODS or not reader(request).read_only


NOT_A_WRITER_ANYWHERE = "Viewers can read but not log or change anything."


def writable_teams(request):
    """The teams where this reader may write: the person's (accounts.tenancy), narrowed to
    the token's team; none for a read-only token."""
    current = reader(request)
    if current.read_only:
        return Team.objects.none()
    teams = tenancy_writable_teams(current.user)
    return teams.filter(pk=current.team.pk) if current.team is not None else teams


def require_some_write(request) -> None:
    """Refuse (403) a create from a reader who may write nowhere, before reading its input."""
    if not writable_teams(request).exists():
        raise PermissionDenied(READ_ONLY if reader(request).read_only
                               else NOT_A_WRITER_ANYWHERE)
