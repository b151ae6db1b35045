"""The tenancy layer: which rows of team-owned data a person or a team may read and write.

Every team-owned model declares once, in a `Tenancy`, where its owning team is and which of
its rows every team may read (a library incident, a shared organisation), and takes its
manager from `TeamOwnedQuerySet` (NetBox's RestrictedQuerySet is the model):

    Incident.objects.for_user(user)      # what a person may read: their teams' rows + shared
    Incident.objects.for_team(team)      # what a team may read (a learning may link these)
    Incident.objects.owned_by(team)      # what a team owns (its dashboard's counts)
    Incident.objects.writable_by(user)   # rows of the teams where the person may write

"May write" has one definition, `Membership.can_write` (members and managers); services call
`require_writer` before every write, pages ask `can_write`. Nothing else filters by team.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Q

from .models import Membership, Team, User

NOT_A_WRITER = "Only members and managers of {team} can change this."
# A team slug that is not one of the reader's teams: the same words whether it exists or not.
NOT_YOUR_TEAM = "None of your teams has this slug."


@dataclass(frozen=True)
class Tenancy:
    """Where a model's owning team is, and which of its rows every team may read."""

    # Path from the model to its owning team ("team", "learning__team").
    team: str = "team"
    # The rows every team of the installation may read, in SQL, and the same rule for a row in
    # hand. None: only the owning team reads.
    shared: Q | None = None
    is_shared: Callable[[Any], bool] | None = None

    def team_q(self, team: Any, *, prefix: str = "") -> Q:
        """Rows owned by `team`: a Team, a team id, or an expression such as OuterRef."""
        value = team.pk if isinstance(team, Team) else team
        return Q(**{f"{prefix}{self.team}_id": value})

    def shared_q(self, *, prefix: str = "") -> Q | None:
        return _prefixed(self.shared, prefix) if self.shared is not None else None

    def readable_q(self, team: Any, *, prefix: str = "") -> Q:
        """Rows `team` may read, for a query of this model or (with `prefix`, e.g.
        "incident__") of a model pointing at it."""
        return self._or_shared(self.team_q(team, prefix=prefix), prefix=prefix)

    def user_q(self, user: User, *, prefix: str = "") -> Q:
        """Rows this person may read (their teams' and the shared ones), for a query of this
        model or, with `prefix`, of a model pointing at it. The teams are a small subquery:
        joined rows are compared with it, never gathered into a growing IN list."""
        return self._or_shared(Q(**{f"{prefix}{self.team}_id__in": member_team_ids(user)}),
                               prefix=prefix)

    def _or_shared(self, condition: Q, *, prefix: str) -> Q:
        shared = self.shared_q(prefix=prefix)
        return condition | shared if shared is not None else condition

    def owner_id(self, obj) -> int:
        *path, last = self.team.split("__")
        for name in path:
            obj = getattr(obj, name)
        return getattr(obj, f"{last}_id")

    def readable_by_team(self, obj, team_id: int) -> bool:
        """readable_q for a row already loaded (no query for an incident or learning)."""
        return self.owner_id(obj) == team_id or bool(self.is_shared and self.is_shared(obj))


def _prefixed(condition: Q, prefix: str) -> Q:
    if not prefix:
        return condition
    copy = Q()
    copy.connector, copy.negated = condition.connector, condition.negated
    copy.children = [
        _prefixed(child, prefix) if isinstance(child, Q) else (f"{prefix}{child[0]}", child[1])
        for child in condition.children
    ]
    return copy


def member_team_ids(user: User, *, writers: bool = False) -> models.QuerySet:
    """The ids of the user's teams (where they may write, with writers=True), as a subquery."""
    memberships = Membership.objects.filter(user=user)
    if writers:
        memberships = memberships.writers()
    return memberships.values("team_id")


class TeamOwnedQuerySet(models.QuerySet):
    """The one door to team-owned rows; the model's `tenancy` says where its team is."""

    @property
    def tenancy(self) -> Tenancy:
        return self.model.tenancy

    def for_user(self, user: User) -> "TeamOwnedQuerySet":
        """What this person may read: their teams' rows, and the rows every team may read."""
        if not user.is_authenticated:
            return self.none()
        return self.filter(self.tenancy.user_q(user))

    def for_team(self, team: Team) -> "TeamOwnedQuerySet":
        """What one team may read, whoever of its members is acting: what it owns and the
        rows every team may read. Team-owned records (learnings) point only at these."""
        return self.filter(self.tenancy.readable_q(team))

    def owned_by(self, team: Team) -> "TeamOwnedQuerySet":
        """What one team owns, without the rows every team may read: a dashboard's or a
        digest's counts of the team's own records. (for_team(team) narrowed to the team's
        own rows is the same set, but asks PostgreSQL for the shared rows too.)"""
        return self.filter(self.tenancy.team_q(team))

    def readable(self, *, user: User | None = None, team: Team | None = None
                 ) -> "TeamOwnedQuerySet":
        """for_user(user) or for_team(team), for selectors that read for a person (a page)
        or for a team (a dashboard, a digest): exactly one of the two."""
        if (user is None) == (team is None):
            raise TypeError("Read for a user or for a team: give exactly one.")
        return self.for_user(user) if user is not None else self.for_team(team)

    def writable_by(self, user: User) -> "TeamOwnedQuerySet":
        """The rows this person may change: those of the teams where they are a member or a
        manager (never another team's, shared or not)."""
        if not user.is_authenticated:
            return self.none()
        return self.filter(**{f"{self.tenancy.team}_id__in": member_team_ids(user, writers=True)})


def reader_team_ids(*, user: User | None = None, team: Team | None = None) -> list[int]:
    """The ids of the teams a reader reads as their own: the user's teams, or the team. A
    short list, given to PostgreSQL as values so that it can start from those teams' rows."""
    if team is not None:
        return [team.pk]
    if user is None or not user.is_authenticated:
        return []
    return list(member_team_ids(user).values_list("team_id", flat=True))


def writable_teams(user: User) -> models.QuerySet[Team]:
    """The teams where this person may write, by name."""
    return Team.objects.writable_by(user).order_by("name")


def writers_of(teams) -> models.QuerySet[User]:
    """The people who may write in any of these teams (a queryset of teams, or one team)."""
    teams = [teams] if isinstance(teams, Team) else teams
    return User.objects.filter(
        pk__in=Membership.objects.filter(team__in=teams).writers().values("user_id"))


def can_write(user: User, team: Team) -> bool:
    """Whether this person may change what `team` owns."""
    if not user.is_authenticated:
        return False
    return Membership.objects.filter(user=user, team=team).writers().exists()


def require_writer(user: User, team: Team) -> None:
    """Refuse (PermissionDenied, a 403 page) anyone who may not change what `team` owns.
    Callers have already shown that the reader may see the row: others get a 404 first."""
    if not can_write(user, team):
        raise PermissionDenied(NOT_A_WRITER.format(team=team.name))
