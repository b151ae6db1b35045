"""Learnings drawn from incidents (own and other organisations'), and the actions they lead to."""

from datetime import date

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Q
from simple_history.models import HistoricalRecords

from accounts.tenancy import TeamOwnedQuerySet, Tenancy
from common.models import PublicModel
from common.text import search_text
from common.urls import object_url
from incidents.models import Incident, Origin, RootCause


class LearningStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    PROPOSED = "proposed", "Proposed"
    ADOPTED = "adopted", "Adopted"
    RETIRED = "retired", "Retired"


# Learnings in force first, then those on their way; retired ones last.
STATUS_ORDER = models.Case(
    models.When(status=LearningStatus.ADOPTED, then=models.Value(0)),
    models.When(status=LearningStatus.PROPOSED, then=models.Value(1)),
    models.When(status=LearningStatus.DRAFT, then=models.Value(2)),
    default=models.Value(3), output_field=models.IntegerField(),
)


# Where each status may go next. A retired learning must be reopened (back to draft) before
# it can be proposed or adopted again.
TRANSITIONS = {
    LearningStatus.DRAFT: (LearningStatus.PROPOSED, LearningStatus.ADOPTED),
    LearningStatus.PROPOSED: (LearningStatus.ADOPTED, LearningStatus.DRAFT),
    LearningStatus.ADOPTED: (LearningStatus.RETIRED,),
    LearningStatus.RETIRED: (LearningStatus.DRAFT,),
}

# The button that moves a learning to each status, as people say it.
TRANSITION_VERBS = {
    (LearningStatus.DRAFT, LearningStatus.PROPOSED): "Propose",
    (LearningStatus.DRAFT, LearningStatus.ADOPTED): "Adopt",
    (LearningStatus.PROPOSED, LearningStatus.ADOPTED): "Adopt",
    (LearningStatus.PROPOSED, LearningStatus.DRAFT): "Back to draft",
    (LearningStatus.ADOPTED, LearningStatus.RETIRED): "Retire",
    (LearningStatus.RETIRED, LearningStatus.DRAFT): "Reopen",
}


def counted_links(*, depth: int = 1) -> models.QuerySet:
    """Links of the outer learning to the incidents that count for it: active ones its team
    can read (its own and the library's). An incident another team has since made private, or
    one archived, no longer shapes the learning. `depth`: how many queries out the learning
    is (2 inside a subquery of a subquery of learnings)."""
    return Learning.incidents.through.objects.filter(
        Incident.tenancy.readable_q(_outer("team_id", depth), prefix="incident__"),
        learning_id=_outer("pk", depth),
        incident__archived_at__isnull=True,
    )


def _outer(name: str, depth: int):
    ref = OuterRef(name)
    for _ in range(depth - 1):
        ref = OuterRef(ref)
    return ref


class LearningQuerySet(TeamOwnedQuerySet):
    """Learnings belong to a team and are read by its members only (no shared rows)."""

    def active(self) -> "LearningQuerySet":
        return self.filter(archived_at__isnull=True)

    def archived(self) -> "LearningQuerySet":
        return self.filter(archived_at__isnull=False)

    def with_cause(self, cause: RootCause, *, besides: Incident | None = None
                   ) -> "LearningQuerySet":
        """Learnings whose derived causes include this one (primary or contributing cause of
        an incident that counts for them); `besides`: through other incidents than that one."""
        links = counted_links().filter(
            Q(incident__primary_cause=cause) | Q(incident__contributing_causes=cause))
        if besides is not None:
            links = links.exclude(incident_id=besides.pk)
        return self.filter(Exists(links))

    def drawn_from(self, value: str) -> "LearningQuerySet":
        """own: only from own failures; external: only from other organisations'; both.
        Anything else changes nothing."""
        own = Exists(counted_links().filter(incident__origin=Origin.OWN))
        external = Exists(counted_links().filter(incident__origin=Origin.EXTERNAL))
        if value == "own":
            return self.filter(own & ~external)
        if value == "external":
            return self.filter(external & ~own)
        if value == "both":
            return self.filter(own & external)
        return self

    def search(self, text: str) -> "LearningQuerySet":
        """Every word must appear in the title, the lesson or the practice."""
        queryset = self
        for word in search_text(text).split():
            queryset = queryset.filter(Q(title__icontains=word) | Q(lesson__icontains=word)
                                       | Q(practice__icontains=word))
        return queryset


class Learning(PublicModel):
    """One lesson a team draws from one or more incidents, with the practice it commits to."""

    team = models.ForeignKey("accounts.Team", on_delete=models.PROTECT, related_name="learnings")
    title = models.CharField(max_length=200)
    lesson = models.TextField("what we now know", blank=True)
    practice = models.TextField("what we will do differently", blank=True)
    status = models.CharField(max_length=10, choices=LearningStatus.choices,
                              default=LearningStatus.DRAFT)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                              blank=True, related_name="owned_learnings")
    # Own incidents and other organisations' (library incidents of any team). Its root causes
    # are these incidents' causes, derived when read (learnings.selectors), never stored.
    incidents = models.ManyToManyField("incidents.Incident", blank=True,
                                       related_name="learnings")
    status_changed_at = models.DateTimeField(null=True, blank=True)
    status_changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                          null=True, blank=True, related_name="+")
    adopted_at = models.DateTimeField(null=True, blank=True)
    retired_at = models.DateTimeField(null=True, blank=True)
    retired_reason = models.TextField("why it was retired", blank=True)
    review_on = models.DateField("review on", null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+")
    archived_at = models.DateTimeField(null=True, blank=True)
    # Set from the form's one-time token so that a double-submitted form creates one learning.
    idempotency_key = models.UUIDField(null=True, blank=True, editable=False)

    history = HistoricalRecords(m2m_fields=[incidents], excluded_fields=["idempotency_key"])

    tenancy = Tenancy()
    objects = LearningQuerySet.as_manager()

    class Meta:
        ordering = ["-updated_at", "-pk"]
        indexes = [
            models.Index(fields=["team", "status"], name="learning_team_status"),
            models.Index(fields=["team", "-updated_at"], name="learning_team_updated"),
            # A team's learnings in the order the incident page's precedents show them (in
            # force first, then the latest adopted and changed): read until five share the
            # incident's cause, not every learning of the team sorted.
            models.Index("team", STATUS_ORDER, models.F("adopted_at").desc(),
                         models.F("updated_at").desc(), condition=Q(archived_at__isnull=True),
                         name="learning_team_in_force"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["team", "idempotency_key"],
                                    name="learning_unique_team_idempotency_key"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return object_url("learnings:learning-detail", "public_id", self.public_id)

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None

    @property
    def closes_actions(self) -> bool:
        """Retired or archived: its actions are closed, neither open nor overdue, until the
        learning is reopened or restored (nothing is stored on the actions themselves)."""
        return self.status == LearningStatus.RETIRED or self.archived_at is not None

    @property
    def actions_closed_note(self) -> str:
        """Why its actions are closed, as its page and a refused change say it ("" while
        they are not)."""
        if not self.closes_actions:
            return ""
        state = "archived" if self.is_archived else "retired"
        return f"This learning is {state}; its actions are closed."

    @property
    def reopen_verb(self) -> str:
        """What opens its closed actions again: restoring it (archived) or reopening it."""
        return "Restore" if self.is_archived else "Reopen"

    def next_statuses(self) -> list[tuple[str, str]]:
        """(status, button label) for each status this learning may move to."""
        current = LearningStatus(self.status)
        return [(to.value, TRANSITION_VERBS[(current, to)]) for to in TRANSITIONS[current]]


class ActionKind(models.TextChoices):
    PREVENTIVE = "preventive", "Preventive"
    DETECTIVE = "detective", "Detective"
    CORRECTIVE = "corrective", "Corrective"


class ActionItemQuerySet(TeamOwnedQuerySet):
    """Action items belong to their learning's team."""

    def active(self) -> "ActionItemQuerySet":
        return self.filter(archived_at__isnull=True)

    def open(self) -> "ActionItemQuerySet":
        """Not done, and on a learning that still asks for it (see Learning.closes_actions)."""
        return self.filter(done_at__isnull=True).exclude(
            learning__status=LearningStatus.RETIRED).filter(learning__archived_at__isnull=True)

    def archived(self) -> "ActionItemQuerySet":
        return self.filter(archived_at__isnull=False)

    def overdue(self, teams) -> "ActionItemQuerySet":
        """ActionItem.is_overdue in SQL, for the items of these teams: open and due before
        today in each team's own calendar (a team's today is worked out once, not per row)."""
        return self.open().filter(past_due_q(teams))

    def with_overdue(self, teams, name: str = "is_overdue") -> "ActionItemQuerySet":
        """Each item with `name`: whether it is overdue (as overdue()), for items of these
        teams; false for any other."""
        teams = list(teams)
        # Never NULL: an undated item is not overdue (false, not unknown).
        overdue = (Q(done_at__isnull=True, due_on__isnull=False,
                     learning__archived_at__isnull=True)
                   & ~Q(learning__status=LearningStatus.RETIRED) & past_due_q(teams))
        return self.annotate(**{name: models.ExpressionWrapper(
            overdue, output_field=models.BooleanField()) if teams else models.Value(False)})


def past_due_q(teams) -> Q:
    """Due before today in its team's calendar, for items of these teams."""
    past_due = Q(pk__in=[])
    for team in teams:
        past_due |= Q(learning__team=team, due_on__lt=team.today())
    return past_due


class ActionItem(PublicModel):
    """A follow-up a learning commits to: who does what by when."""

    learning = models.ForeignKey(Learning, on_delete=models.PROTECT, related_name="action_items")
    title = models.CharField(max_length=200)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                              blank=True, related_name="action_items")
    due_on = models.DateField("due on", null=True, blank=True)
    kind = models.CharField(max_length=10, choices=ActionKind.choices,
                            default=ActionKind.PREVENTIVE)
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                                blank=True, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+")
    archived_at = models.DateTimeField(null=True, blank=True)

    history = HistoricalRecords()

    tenancy = Tenancy(team="learning__team")
    objects = ActionItemQuerySet.as_manager()

    class Meta:
        # Open first, then by due date (overdue ones have the earliest), undated last.
        ordering = [models.F("done_at").asc(nulls_first=True),
                    models.F("due_on").asc(nulls_last=True), "pk"]
        indexes = [
            models.Index(fields=["owner", "done_at"], name="actionitem_owner_done"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_done(self) -> bool:
        return self.done_at is not None

    @property
    def is_closed(self) -> bool:
        """Not done but no longer asked for: its learning is retired or archived."""
        return self.done_at is None and self.learning.closes_actions

    def is_overdue(self, today: date | None = None) -> bool:
        """Open and past its due date, in the team's own calendar."""
        if self.done_at is not None or self.due_on is None or self.is_closed:
            return False
        return self.due_on < (today or self.learning.team.today())

    @property
    def overdue(self) -> bool:
        return self.is_overdue()
