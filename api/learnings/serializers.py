"""Learnings and their action items in JSON: explicit output serializers, and input
serializers that only parse. Who may own what, which incidents a team may link, dates and
the status rules are the services' (learnings.services), raised as their ValidationError and
answered as a 400 by field."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import Team, User
from common.text import LONG_TEXT_MAX, REASON_MAX
from learnings.models import ActionItem, ActionKind, Learning, LearningStatus
from learnings.selectors import learning_causes, visible_incidents

from ..incidents.serializers import NOT_YOUR_TEAM, absolute

NOT_A_MEMBER = "No member of {team} has this email."


class LearningSerializer(serializers.Serializer):
    """A learning as the API shows it."""

    id = serializers.UUIDField(source="public_id", read_only=True)
    team = serializers.SlugField(source="team.slug", read_only=True)
    title = serializers.CharField(read_only=True)
    lesson = serializers.CharField(read_only=True, help_text="What we now know. Markdown.")
    practice = serializers.CharField(read_only=True,
                                     help_text="What we will do differently. Markdown.")
    status = serializers.ChoiceField(LearningStatus.choices, read_only=True)
    owner = serializers.EmailField(source="owner.email", read_only=True, allow_null=True)
    incidents = serializers.SerializerMethodField(
        help_text="The ids of the incidents it is drawn from that its team can read.")
    causes = serializers.SerializerMethodField(
        help_text="The root causes of its incidents (slugs, derived), most frequent first.")
    adopted_at = serializers.DateTimeField(read_only=True, allow_null=True)
    review_on = serializers.DateField(read_only=True, allow_null=True)
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)
    archived = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField(help_text="The learning's page.")

    @extend_schema_field({"type": "array", "items": {"type": "string", "format": "uuid"}})
    def get_incidents(self, learning: Learning) -> list[str]:
        incidents, _hidden = visible_incidents(learning)
        return [str(incident.public_id) for incident in incidents]

    @extend_schema_field({"type": "array", "items": {"type": "string"}})
    def get_causes(self, learning: Learning) -> list[str]:
        return [derived.cause.slug for derived in learning_causes(learning)]

    def get_archived(self, learning: Learning) -> bool:
        return learning.archived_at is not None

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, learning: Learning) -> str:
        return absolute(self.context.get("request"), learning.get_absolute_url())


class OwnerField(serializers.CharField):
    """A person by email; the view finds them among the members of the right team."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", User._meta.get_field("email").max_length)
        kwargs.setdefault("allow_null", True)
        super().__init__(**kwargs)


def team_member(email: str | None, *, team: Team, field: str = "owner") -> User | None:
    """The member of `team` with this email (None for null). Anyone else, whether such a
    person exists or not, is refused with the same message."""
    if email is None or email == "":
        return None
    found = User.objects.filter(email__iexact=email.strip(), memberships__team=team).first()
    if found is None:
        raise serializers.ValidationError({field: [NOT_A_MEMBER.format(team=team.name)]})
    return found


class LearningInputSerializer(serializers.Serializer):
    """What creating (POST) or changing (PUT, PATCH) a learning takes."""

    team = serializers.SlugRelatedField(
        slug_field="slug", queryset=Team.objects.none(), required=False,
        error_messages={"does_not_exist": NOT_YOUR_TEAM, "invalid": NOT_YOUR_TEAM},
        help_text="The team it belongs to, by slug: needed only when the caller writes in "
                  "several teams. It cannot change afterwards.")
    title = serializers.CharField(max_length=Learning._meta.get_field("title").max_length)
    lesson = serializers.CharField(allow_blank=True, required=False, max_length=LONG_TEXT_MAX,
                                   help_text="What we now know. Markdown.")
    practice = serializers.CharField(allow_blank=True, required=False,
                                     max_length=LONG_TEXT_MAX,
                                     help_text="What we will do differently. Markdown.")
    owner = OwnerField(required=False, help_text="The email of a member or manager of the "
                                                 "learning's team, or null.")
    review_on = serializers.DateField(required=False, allow_null=True,
                                      help_text="When to check that the practice still holds.")
    incidents = serializers.ListField(
        child=serializers.CharField(max_length=64), required=False, max_length=500,
        help_text="The ids of the incidents it is drawn from: the team's own or the "
                  "library's. On a change, the whole list: ids left out are unlinked.")
    status = serializers.ChoiceField(
        LearningStatus.choices, required=False,
        help_text="A change only (PUT, PATCH): moves it through the same steps as its page "
                  "(draft, proposed, adopted, retired; a retired one back to draft first).")
    reason = serializers.CharField(allow_blank=True, required=False, max_length=REASON_MAX,
                                   help_text="Why it is retired (needed to retire it).")

    def __init__(self, *args, teams=None, **kwargs):
        super().__init__(*args, **kwargs)
        if teams is not None:
            self.fields["team"].queryset = teams

    def to_representation(self, learning: Learning) -> dict:
        """The learning as this input takes it: the browsable API's form, filled in."""
        incidents, _hidden = visible_incidents(learning)
        return {"team": learning.team.slug, "title": learning.title,
                "lesson": learning.lesson, "practice": learning.practice,
                "owner": _email(learning.owner),
                "review_on": learning.review_on.isoformat() if learning.review_on else None,
                "incidents": [str(incident.public_id) for incident in incidents],
                "status": learning.status, "reason": ""}


def _email(person: User | None) -> str | None:
    return person.email if person is not None else None


class ActionItemSerializer(serializers.Serializer):
    """An action item as the API shows it."""

    id = serializers.UUIDField(source="public_id", read_only=True)
    learning = serializers.UUIDField(source="learning.public_id", read_only=True)
    title = serializers.CharField(read_only=True)
    owner = serializers.EmailField(source="owner.email", read_only=True, allow_null=True)
    due_on = serializers.DateField(read_only=True, allow_null=True)
    kind = serializers.ChoiceField(ActionKind.choices, read_only=True)
    done_at = serializers.DateTimeField(read_only=True, allow_null=True)
    overdue = serializers.BooleanField(
        read_only=True, help_text="Open and past its due date in its team's calendar.")
    archived = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField(help_text="The item on its learning's page.")

    def get_archived(self, item: ActionItem) -> bool:
        return item.archived_at is not None

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, item: ActionItem) -> str:
        return absolute(self.context.get("request"),
                        f"{item.learning.get_absolute_url()}#item-{item.public_id}")


class ActionItemInputSerializer(serializers.Serializer):
    """What creating (POST) or changing (PUT, PATCH) an action item takes."""

    learning = serializers.UUIDField(
        required=False, help_text="The learning it belongs to (needed to create one). It "
                                  "cannot change afterwards.")
    title = serializers.CharField(max_length=ActionItem._meta.get_field("title").max_length)
    owner = OwnerField(required=False, help_text="The email of a member or manager of the "
                                                 "learning's team, or null.")
    due_on = serializers.DateField(required=False, allow_null=True)
    kind = serializers.ChoiceField(ActionKind.choices, required=False)
    done = serializers.BooleanField(
        required=False, help_text="true completes it, false reopens it (while its learning "
                                  "is neither retired nor archived).")

    def to_representation(self, item: ActionItem) -> dict:
        """The item as this input takes it: the browsable API's form, filled in."""
        return {"learning": str(item.learning.public_id), "title": item.title,
                "owner": _email(item.owner),
                "due_on": item.due_on.isoformat() if item.due_on else None,
                "kind": item.kind, "done": item.done_at is not None}
