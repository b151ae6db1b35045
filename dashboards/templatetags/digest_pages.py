"""The digest side of pages served by earlier apps: the team settings page's last delivery of
each member. accounts' templates load this; accounts' Python never imports dashboards
(DESIGN, rule 8)."""

from collections.abc import Iterable

from django import template
from django.db.models import OuterRef, Subquery

from accounts.models import Membership, Team

from ..models import DigestDelivery

register = template.Library()


def delivery_latest_by_user(*, team: Team, user_ids: Iterable[int]) -> dict[int, DigestDelivery]:
    """Each of these people's latest digest delivery of the team (the newest week), in one
    query whatever their number."""
    team_rows = DigestDelivery.objects.owned_by(team)
    newest = (team_rows.filter(user_id=OuterRef("user_id"))
              .order_by("-period_start", "-pk").values("pk")[:1])
    rows = team_rows.filter(user_id__in=list(user_ids), pk=Subquery(newest))
    return {row.user_id: row for row in rows}


@register.inclusion_tag("dashboards/digest_deliveries.html")
def digest_deliveries(team: Team, members: Iterable[Membership]) -> dict:
    """The team's members, each with whether they receive the digest and their last
    delivery (None: never), from the members the page has already read."""
    members = list(members)
    latest = delivery_latest_by_user(team=team, user_ids=[m.user_id for m in members])
    return {
        "team": team,
        "rows": [(member, latest.get(member.user_id)) for member in members],
        "recipients": sum(1 for member in members if member.receives_digest),
    }
