"""The weekly digest's content: what one team's week holds, and the email each member gets.

`digest_build` reads everything once per team and week, in a fixed number of queries whatever
the number of incidents or recipients; `digest_message` renders one member's email from it
with no query at all. Everything the team reads comes through the tenancy layer: its own rows
(`owned_by(team)`) and the library's shared rows (`readable(team=...)` narrowed to library
visibility), never another team's private data.
"""

import datetime as dt
import uuid
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

import css_inline
from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.db.models import (
    BooleanField,
    Case,
    Count,
    ExpressionWrapper,
    F,
    IntegerField,
    Q,
    QuerySet,
    Value,
    When,
    Window,
)
from django.db.models.functions import RowNumber
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.formats import date_format

from accounts.models import Membership, Team
from incidents.models import Incident, Origin, Visibility, severity_rank_expression
from learnings.models import ActionItem, Learning, LearningStatus

from .metrics import TeamMetrics, _dated, _in, _team_incidents, in_team_calendar, team_metrics
from .periods import Period
from .schedule import period_start, week_label

# At most this many rows in each list of the email (the rest are counted and linked): the
# email stays short to read and well under 100 KB.
LISTED = 10
ELSEWHERE = 5
# The team's frequent causes, which rank other teams' failures first: its top primary causes
# over the year before the week.
FREQUENT_CAUSES = 3
UNSUBSCRIBE_SALT = "misfire.digest.unsubscribe"
INLINER = css_inline.CSSInliner(keep_at_rules=True, load_remote_stylesheets=False)


@dataclass(frozen=True)
class CauseWeek:
    """One primary cause's incidents this week and the week before, with its bars' widths."""

    slug: str
    name: str
    now: int
    before: int
    now_width: int
    before_width: int

    @property
    def change(self) -> int:
        return self.now - self.before


@dataclass(frozen=True)
class Digest:
    """One team's week, as every member's email tells it."""

    team: Team
    period: Period
    numbers: TeamMetrics
    own_incidents: list[Incident]
    elsewhere: list[Incident]
    elsewhere_total: int
    learnings_created: list[Learning]
    learnings_adopted: list[Learning]
    overdue: list[ActionItem]
    causes: list[CauseWeek]
    # The team's today when the digest was read: overdue items are those of this day.
    today: dt.date | None = None
    # In a quiet week: one adopted learning of the team, or one library case, worth reading.
    pick: Learning | Incident | None = None

    @property
    def in_progress(self) -> bool:
        """The week has not ended yet (a preview of this week so far)."""
        return self.today is not None and self.period.end >= self.today

    @property
    def last_day_so_far(self) -> dt.date:
        """The week's last day, or today while the week runs: pages refuse later days."""
        return min(self.period.end, self.today) if self.today else self.period.end

    @property
    def period_start(self) -> dt.date:
        return period_start(self.period)

    @property
    def own_total(self) -> int:
        return self.numbers.incidents[Origin.OWN]

    @property
    def external_total(self) -> int:
        return self.numbers.incidents[Origin.EXTERNAL]

    @property
    def overdue_total(self) -> int:
        return self.numbers.action_items["overdue"]

    @property
    def created_total(self) -> int:
        return self.numbers.learnings["created"]

    @property
    def adopted_total(self) -> int:
        return self.numbers.learnings["adopted_in_period"]

    @property
    def own_more(self) -> int:
        return self.own_total - len(self.own_incidents)

    @property
    def elsewhere_more(self) -> int:
        return self.elsewhere_total - len(self.elsewhere)

    @property
    def overdue_more(self) -> int:
        return self.overdue_total - len(self.overdue)

    @property
    def is_quiet(self) -> bool:
        """Nothing to report: no incident logged by the team or shared by another, no
        learning created or adopted, and nothing overdue."""
        return not (self.own_total or self.external_total or self.elsewhere_total
                    or self.created_total or self.adopted_total or self.overdue_total)

    @property
    def label(self) -> str:
        return week_label(self.period)


# ---------------------------------------------------------------------------------------------
# Reading the week


def _frequent_causes(team: Team, period: Period) -> QuerySet:
    """The ids of the team's most frequent primary causes over the year before the week's
    end, as a subquery."""
    year = Period(start=period.end - dt.timedelta(days=365), end=period.end)
    return (_team_incidents(team).filter(_in(year)).values("primary_cause_id")
            .annotate(n=Count("pk")).order_by("-n", "primary_cause_id")
            .values("primary_cause_id")[:FREQUENT_CAUSES])


def _library_elsewhere(team: Team) -> QuerySet[Incident]:
    """Shared incidents logged by other teams: the library as this team reads it."""
    return (Incident.objects.readable(team=team).active()
            .filter(visibility=Visibility.LIBRARY).exclude(team=team)
            .select_related("organization", "primary_cause"))


def _around(name: str, period: Period) -> Q:
    """Stored times from a day before the period to a day after it, in UTC: a superset of
    those whose local day is in the period in any time zone (offsets are under a day), and
    one PostgreSQL can compare without converting every row. `_dated` alone wraps the column
    in AT TIME ZONE, so the library's week was found by reading every shared incident
    (bench/RESULTS.md, digest: 130 of a team digest's ~170 ms at 200,000 incidents)."""
    return Q(**{f"{name}__gte": dt.datetime.combine(period.start - dt.timedelta(days=1),
                                                    dt.time(), dt.UTC),
                f"{name}__lt": dt.datetime.combine(period.end + dt.timedelta(days=2),
                                                   dt.time(), dt.UTC)})


def elsewhere_in_week(*, team: Team, period: Period) -> list[Incident]:
    """elsewhere: incidents other teams shared with the library during the week (logged in
    it, in the team's calendar), those of the team's frequent causes first (its top three
    primary causes of the year), then the most severe, then the newest; each carries `total`,
    the number of such incidents."""
    return list(
        _library_elsewhere(team).filter(_dated("created_at", period), _around("created_at", period))
        .annotate(
            is_frequent=Case(
                When(primary_cause_id__in=_frequent_causes(team, period), then=Value(1)),
                default=Value(0), output_field=IntegerField()),
            rank=severity_rank_expression(),
            total=Window(Count("pk")),
        )
        .order_by("-is_frequent", "-rank", "-created_at", "-pk")[:ELSEWHERE]
    )


def _own_incidents(team: Team, period: Period) -> list[Incident]:
    return list(_team_incidents(team).filter(_in(period), origin=Origin.OWN)
                .select_related("organization", "primary_cause")
                .annotate(rank=severity_rank_expression())
                .order_by("-rank", "-occurred_on", "-pk")[:LISTED])


def _learnings(team: Team, period: Period) -> tuple[list[Learning], list[Learning]]:
    """The team's learnings created in the week (newest first), and those adopted in it (most
    recently adopted first), at most LISTED of each, in one query: each row is numbered within
    its side, so a week of many new learnings cannot push the adopted ones out."""
    created, adopted = _dated("created_at", period), _dated("adopted_at", period)
    was_created = ExpressionWrapper(created, output_field=BooleanField())
    was_adopted = ExpressionWrapper(adopted, output_field=BooleanField())
    rows = list(
        Learning.objects.owned_by(team).active().filter(created | adopted)
        .select_related("owner")
        .annotate(
            was_created=was_created, was_adopted=was_adopted,
            created_rank=Window(RowNumber(), partition_by=[was_created],
                                order_by=[F("created_at").desc(), F("pk").desc()]),
            adopted_rank=Window(RowNumber(), partition_by=[was_adopted],
                                order_by=[F("adopted_at").desc(nulls_last=True),
                                          F("pk").desc()]),
        )
        # Each side's first LISTED (and the other side's, which the lists below drop).
        .filter(Q(created_rank__lte=LISTED) | Q(adopted_rank__lte=LISTED))
        .order_by("-created_at", "-pk")
    )
    newest_adopted = sorted((row for row in rows if row.was_adopted),
                            key=lambda row: (row.adopted_at, row.pk), reverse=True)
    return [row for row in rows if row.was_created][:LISTED], newest_adopted[:LISTED]


def _overdue(team: Team) -> list[ActionItem]:
    return list(ActionItem.objects.owned_by(team).active().overdue([team])
                .select_related("owner", "learning").order_by("due_on", "pk")[:LISTED])


def _causes(numbers: TeamMetrics) -> list[CauseWeek]:
    """Each cause of the week (own and external together) with its count the week before,
    most first; a cause seen only the week before is not listed (the dashboard's causes)."""
    rows = [(cause.slug, cause.name, cause.total, cause.own_before + cause.external_before)
            for cause in numbers.causes]
    widest = max([max(now, before) for _, _, now, before in rows], default=0) or 1
    return [CauseWeek(slug=slug, name=name, now=now, before=before,
                      now_width=round(100 * now / widest),
                      before_width=round(100 * before / widest))
            for slug, name, now, before in rows]


def _pick(team: Team) -> Learning | Incident | None:
    """For a quiet week: the team's most recently adopted learning still in force, or else the
    library case answered best (highest response score, then severity, then newest)."""
    learning = (Learning.objects.owned_by(team).active().filter(status=LearningStatus.ADOPTED)
                .select_related("owner").order_by("-adopted_at", "-pk").first())
    if learning is not None:
        return learning
    return (_library_elsewhere(team).annotate(rank=severity_rank_expression())
            .order_by("-response_score", "-rank", "-occurred_on", "-pk").first())


@in_team_calendar
def digest_build(*, team: Team, period: Period) -> Digest:
    """Everything one team's digest of `period` says, read once for all its recipients."""
    numbers = team_metrics(team=team, period=period)
    elsewhere = elsewhere_in_week(team=team, period=period)
    created, adopted = _learnings(team, period)
    digest = Digest(
        team=team, period=period, numbers=numbers,
        own_incidents=_own_incidents(team, period) if numbers.incidents[Origin.OWN] else [],
        elsewhere=elsewhere, elsewhere_total=elsewhere[0].total if elsewhere else 0,
        learnings_created=created, learnings_adopted=adopted,
        overdue=_overdue(team) if numbers.action_items["overdue"] else [],
        causes=_causes(numbers), today=team.today(),
    )
    if digest.is_quiet:
        digest = Digest(**{**digest.__dict__, "pick": _pick(team)})
    return digest


# ---------------------------------------------------------------------------------------------
# One member's email


def unsubscribe_token(membership: Membership) -> str:
    """A signed token naming one membership: it unsubscribes that person from that team's
    digest, and no one else from anything."""
    return signing.Signer(salt=UNSUBSCRIBE_SALT).sign(str(membership.public_id))


def unsubscribe_membership_id(token: str) -> str | None:
    """The membership public id a token names, or None if it was not signed here."""
    try:
        return signing.Signer(salt=UNSUBSCRIBE_SALT).unsign(token)
    except signing.BadSignature:
        return None


def absolute(path: str, **params) -> str:
    query = urlencode({key: value for key, value in params.items() if value not in (None, "")})
    return f"{settings.SITE_URL}{path}" + (f"?{query}" if query else "")


def _links(digest: Digest) -> dict[str, str]:
    team, start, end = digest.team, digest.period.start, digest.last_day_so_far
    days = {"occurred_after": start.isoformat(), "occurred_before": end.isoformat()}
    return {
        "dashboard": absolute(reverse("dashboards:team-dashboard", args=[team.slug]),
                              **{"from": start.isoformat(), "to": end.isoformat()}),
        "own_incidents": absolute(reverse("incidents:incident-list"), team=team.slug,
                                  origin=Origin.OWN, **days),
        "library": absolute(reverse("incidents:library"), sort="-created_at"),
        "learnings": absolute(reverse("learnings:learning-list"), team=team.slug),
        "actions": absolute(reverse("learnings:action-item-mine")),
        "log": absolute(reverse("incidents:incident-create")),
        "settings": absolute(reverse("accounts:profile")) + "#digest",
    }


def new_message_id() -> str:
    """A new Message-ID for one delivery, chosen when it is claimed. Short, so that the header
    fits on one line (a team's slug in it made some 80 characters, which mail writers fold)."""
    domain = urlsplit(settings.SITE_URL).hostname or "misfire.localhost"
    return f"<{uuid.uuid4().hex}@{domain}>"


def digest_context(digest: Digest, membership: Membership) -> dict:
    """What the templates need for one member: the digest, its links, and the member's
    own unsubscribe link."""
    token = unsubscribe_token(membership)
    return {
        "digest": digest, "team": digest.team, "numbers": digest.numbers,
        "recipient": membership.user, "links": _links(digest),
        "unsubscribe_url": absolute(reverse("dashboards:digest-unsubscribe", args=[token])),
        "site_url": settings.SITE_URL,
        "week_label": digest.label,
        "period_start_label": date_format(digest.period_start, "j F Y"),
    }


def digest_message(digest: Digest, membership: Membership, *, message_id: str,
                   connection=None, subject_prefix: str = "") -> EmailMultiAlternatives:
    """One member's email: plain text and HTML (CSS inlined, no image, script or SVG), with
    RFC 8058 one-click unsubscribe headers."""
    context = digest_context(digest, membership)
    # Plain text (the template turns autoescaping off); the HTML's preview line escapes it.
    subject = subject_prefix + " ".join(
        render_to_string("emails/digest_subject.txt", context).split())
    context["subject"] = subject
    text = render_to_string("emails/digest.txt", context)
    html = INLINER.inline(render_to_string("emails/digest.html", context))
    message = EmailMultiAlternatives(
        subject=subject, body=text, from_email=settings.DEFAULT_FROM_EMAIL,
        to=[membership.user.email], connection=connection,
        headers={
            "Message-ID": message_id,
            "List-Unsubscribe": f"<{context['unsubscribe_url']}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            # The name on one line: a line break posted in it would make every email fail.
            "List-Id": f"{' '.join(digest.team.name.split())} weekly digest "
                       f"<{digest.team.slug}.digest."
                       f"{urlsplit(settings.SITE_URL).hostname or 'misfire.localhost'}>",
            "Auto-Submitted": "auto-generated",
            "X-Auto-Response-Suppress": "All",
        },
    )
    message.attach_alternative(html, "text/html")
    return message


def digest_recipients(team: Team) -> QuerySet[Membership]:
    """The members who receive the team's digest (active accounts only)."""
    return (Membership.objects.filter(team=team, receives_digest=True, user__is_active=True)
            .select_related("user", "team").order_by("user__email"))
