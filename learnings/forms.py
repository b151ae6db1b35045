"""Browser forms for learnings and action items. They parse and validate; services write."""

import uuid

from django import forms

from accounts.models import Team, User
from accounts.tenancy import writers_of
from common.dates import clean_planned_date, today_in
from common.text import LONG_TEXT_MAX, REASON_MAX, TextLengthValidator, limit_length

from .models import ActionKind, Learning, LearningStatus


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return str(obj)


def people_of(teams, current: User | None = None) -> "forms.QuerySet[User]":
    """Who may own a learning or an action: members and managers of the teams (viewers can
    neither edit learnings nor tick actions off). The current owner stays offered even if
    since made a viewer, so that editing other fields does not force a new owner."""
    can_act = writers_of(teams)
    if current is not None:
        can_act = can_act | User.objects.filter(pk=current.pk, memberships__team__in=teams)
    return can_act.distinct().order_by("display_name", "email")


class LearningForm(forms.ModelForm):
    """A learning's own words: what we now know and what we will do differently."""

    owner = PersonChoiceField(queryset=User.objects.none(), required=False,
                              empty_label="Nobody yet",
                              help_text="Who sees to it that the practice sticks.")

    class Meta:
        model = Learning
        fields = ["title", "lesson", "practice", "owner", "review_on"]
        widgets = {
            "title": forms.TextInput(attrs={"placeholder": "e.g. Pause the queue when the "
                                                           "news turns"}),
            "lesson": forms.Textarea(attrs={"rows": 5}),
            "practice": forms.Textarea(attrs={"rows": 5}),
            "review_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }
        help_texts = {
            "lesson": "Markdown is allowed.",
            "practice": "The habit, check or rule the team commits to. Markdown is allowed.",
            "review_on": "When to check that the practice still holds.",
        }

    def __init__(self, *args, teams=None, **kwargs):
        super().__init__(*args, **kwargs)
        if teams is None:
            teams = Team.objects.filter(pk=self.instance.team_id)
        self.fields["owner"].queryset = people_of(teams, current=self.instance.owner)
        for name in ("lesson", "practice"):
            limit_length(self.fields[name], LONG_TEXT_MAX)

    def clean_review_on(self):
        team = self.cleaned_data.get("team") or (self.instance.team if self.instance.team_id
                                                 else None)
        return clean_planned_date(self.cleaned_data["review_on"],
                                  today=team.today() if team else today_in())

    def service_data(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class LearningCreateForm(LearningForm):
    """A new learning, with the team it belongs to and the incidents it is drawn from."""

    team = forms.ModelChoiceField(queryset=Team.objects.none(), empty_label=None)
    incidents = forms.Field(widget=forms.MultipleHiddenInput, required=False)
    idempotency_key = forms.UUIDField(widget=forms.HiddenInput)

    class Meta(LearningForm.Meta):
        fields = ["team", *LearningForm.Meta.fields]

    def __init__(self, *args, teams=None, **kwargs):
        super().__init__(*args, teams=teams, **kwargs)
        self.fields["team"].queryset = teams
        self.fields["idempotency_key"].initial = uuid.uuid4
        self.order_fields(["team", "title", "lesson", "practice", "owner", "review_on"])

    def clean_incidents(self) -> list[uuid.UUID]:
        values = self.cleaned_data.get("incidents") or []
        try:
            return [uuid.UUID(str(value)) for value in values]
        except ValueError as error:
            raise forms.ValidationError("No incident your team can read has that address.") \
                from error


class StatusForm(forms.Form):
    status = forms.ChoiceField(choices=LearningStatus.choices)
    reason = forms.CharField(required=False, validators=[TextLengthValidator(REASON_MAX)],
                             label="Why retire it?", widget=forms.Textarea(attrs={"rows": 3}))


class ActionItemForm(forms.Form):
    title = forms.CharField(max_length=200, label="Action")
    owner = PersonChoiceField(queryset=User.objects.none(), required=False,
                              empty_label="Nobody yet")
    due_on = forms.DateField(label="Due on", required=False,
                             widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    kind = forms.ChoiceField(choices=ActionKind.choices, initial=ActionKind.PREVENTIVE,
                             help_text="Preventive stops it happening, detective spots it "
                                       "sooner, corrective repairs what happened.")

    def __init__(self, *args, team=None, current_owner: User | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.team = team
        self.fields["owner"].queryset = people_of(Team.objects.filter(pk=team.pk),
                                                  current=current_owner)

    def clean_due_on(self):
        return clean_planned_date(self.cleaned_data["due_on"], today=self.team.today())


class ActionItemCreateForm(ActionItemForm):
    done = forms.BooleanField(required=False, label="Already done",
                              help_text="Record an action already taken (its date may be past).")


class LinkForm(forms.Form):
    incident = forms.UUIDField(error_messages={
        "required": "Choose an incident to link.",
        "invalid": "No incident your team can read has that address.",
    })
