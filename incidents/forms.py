"""Browser forms for incidents. They parse and validate; services do the writing."""

import uuid

from django import forms
from django.db.models import Q
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.text import format_lazy

from accounts.models import Team
from common.dates import clean_past_date, clean_past_datetime, incident_today
from common.text import LONG_TEXT_MAX, limit_length

from .models import (
    Context,
    Factor,
    Incident,
    Origin,
    Platform,
    RootCause,
    Severity,
    Source,
    TimelineEvent,
    Visibility,
    http_url_validator,
    platform_from_url,
)


class HttpURLField(forms.URLField):
    """A link that must be http(s); javascript:, ftp: and friends are refused."""

    default_validators = [http_url_validator]
    default_error_messages = {"invalid": http_url_validator.message}

    def __init__(self, **kwargs):
        kwargs.setdefault("assume_scheme", "https")
        kwargs.setdefault("max_length", 1000)
        super().__init__(**kwargs)


class CauseChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: RootCause) -> str:
        return f"{obj.name} — {obj.description}"


def _latest_today(team: Team | None):
    # As the services decide: the team's today, or the person's (the active zone) when later.
    return incident_today(team.timezone if team else None)


class OrganizationPicker(forms.TextInput):
    """A text box whose suggestions (a <datalist> of that id on the page) are fetched as one
    types, a few at a time: a list of every organisation would grow with the data."""

    def __init__(self, *, options_id: str, value: str = "name", attrs=None):
        super().__init__(attrs={
            # No autocomplete="off": Chromium would then not bring back what was typed when
            # someone goes Back to the form.
            "list": options_id,
            "hx-get": format_lazy("{}?value={}", reverse_lazy("incidents:organization-suggest"),
                                  value),
            "hx-trigger": "input changed delay:200ms", "hx-target": f"#{options_id}",
            "hx-swap": "innerHTML", "hx-sync": "this:replace", **(attrs or {}),
        })


def default_visibility(origin: str | None) -> str:
    """Own failures stay with the team; other organisations' are offered to the library."""
    return Visibility.LIBRARY if origin == Origin.EXTERNAL else Visibility.TEAM


class IncidentLogForm(forms.Form):
    """The quick form: enough to log a failure in under a minute; the rest is on the edit page."""

    team = forms.ModelChoiceField(queryset=Team.objects.none(), empty_label=None)
    title = forms.CharField(max_length=200, widget=forms.TextInput(
        attrs={"placeholder": "e.g. Brand hashtag flooded with complaints", "autofocus": True}))
    organization = forms.CharField(
        label="Organisation", max_length=200,
        help_text="Pick a known organisation or type a new name.",
        widget=OrganizationPicker(options_id="organization-options"),
    )
    link = HttpURLField(label="Link", required=False,
                        help_text="The post, a screenshot or an article about it.")
    platform = forms.ChoiceField(
        choices=[("", "Guess from the link")] + Platform.choices, required=False)
    occurred_on = forms.DateField(label="Occurred on",
                                  widget=forms.DateInput(attrs={"type": "date"}))
    summary = forms.CharField(label="What happened", required=False, widget=forms.Textarea(
        attrs={"rows": 4}), help_text="Markdown is allowed.")
    primary_cause = CauseChoiceField(queryset=RootCause.objects.filter(is_active=True),
                                     to_field_name="slug", empty_label="Choose the main cause…")
    origin = forms.ChoiceField(choices=Origin.choices, initial=Origin.OWN,
                               widget=forms.RadioSelect)
    # Asked, not assumed: sharing puts the incident in front of every team. Left unanswered
    # (an older page, a script), it follows the origin as the service does.
    visibility = forms.ChoiceField(
        label="Share it in the library?", required=False, widget=forms.RadioSelect,
        choices=[(Visibility.LIBRARY, "Yes, visible to every team"),
                 (Visibility.TEAM, "No, only my team")],
        help_text="Other organisations' failures are usually shared; your own stay private.",
    )
    severity = forms.ChoiceField(choices=Severity.choices, initial=Severity.MEDIUM,
                                 required=False)
    idempotency_key = forms.UUIDField(widget=forms.HiddenInput)
    # Shown only beside the warning that the incident looks already logged.
    log_anyway = forms.BooleanField(
        label="Log it anyway: this is a different failure", required=False)

    def __init__(self, *args, teams=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = teams if teams is not None else Team.objects.none()
        self.fields["occurred_on"].initial = timezone.localdate
        self.fields["idempotency_key"].initial = uuid.uuid4
        origin = self.initial.get("origin", self.fields["origin"].initial)
        self.fields["visibility"].initial = default_visibility(origin)
        limit_length(self.fields["summary"], LONG_TEXT_MAX)

    def clean_occurred_on(self):
        return clean_past_date(self.cleaned_data["occurred_on"],
                               today=_latest_today(self.cleaned_data.get("team")))

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("visibility"):
            cleaned["visibility"] = default_visibility(cleaned.get("origin"))
        cleaned["severity"] = cleaned.get("severity") or Severity.MEDIUM
        if not cleaned.get("platform") and "platform" not in self.errors:
            guessed = platform_from_url(cleaned.get("link") or "")
            if guessed:
                cleaned["platform"] = guessed
            else:
                self.add_error("platform", "Choose the platform, or paste a link to guess it.")
        return cleaned


class IncidentEditForm(forms.ModelForm):
    """Every field of an incident."""

    organization_name = forms.CharField(
        label="Organisation", max_length=200,
        widget=OrganizationPicker(options_id="organization-options"))
    primary_cause = CauseChoiceField(queryset=RootCause.objects.all(), to_field_name="slug")
    contributing_causes = forms.ModelMultipleChoiceField(
        queryset=RootCause.objects.all(), to_field_name="slug", required=False,
        widget=forms.CheckboxSelectMultiple)
    factors = forms.ModelMultipleChoiceField(
        queryset=Factor.objects.filter(is_active=True), to_field_name="slug", required=False,
        widget=forms.CheckboxSelectMultiple)
    context = forms.MultipleChoiceField(choices=Context.choices, required=False,
                                        widget=forms.CheckboxSelectMultiple)

    class Meta:
        model = Incident
        fields = [
            "title", "organization_name", "origin", "visibility", "platform", "occurred_on",
            "summary", "status", "severity", "primary_cause", "contributing_causes", "factors",
            "context", "actor", "detected_at", "resolved_at",
            "acknowledged", "apologized", "explained_fix", "asked_for_help",
            "deleted_silently", "defensive", "blamed_others",
        ]
        widgets = {
            "occurred_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "detected_at": forms.DateTimeInput(attrs={"type": "datetime-local"},
                                               format="%Y-%m-%dT%H:%M"),
            "resolved_at": forms.DateTimeInput(attrs={"type": "datetime-local"},
                                               format="%Y-%m-%dT%H:%M"),
            "summary": forms.Textarea(attrs={"rows": 8}),
            "origin": forms.RadioSelect,
            "visibility": forms.RadioSelect,
        }
        labels = {"summary": "What happened"}
        help_texts = {
            "visibility": "Shared library incidents can be read by every team here.",
            "summary": "Markdown is allowed.",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        limit_length(self.fields["summary"], LONG_TEXT_MAX)
        if self.instance.pk:
            self.fields["organization_name"].initial = self.instance.organization.name
            self.fields["context"].initial = self.instance.context
            # The options are slugs (to_field_name) but a ModelForm's initial for a foreign
            # key is its pk, which matches no option: the select would come up empty and the
            # next save would drop the cause. Relations are given as slugs.
            self.initial["primary_cause"] = self.instance.primary_cause.slug
            self.initial["contributing_causes"] = [
                c.slug for c in self.instance.contributing_causes.all()]
            factors = list(self.instance.factors.all())
            self.initial["factors"] = [f.slug for f in factors]
            # A factor retired from the vocabulary stays offered where it is already ticked,
            # so that saving does not silently drop it.
            self.fields["factors"].queryset = Factor.objects.filter(
                Q(is_active=True) | Q(pk__in=[f.pk for f in factors]))

    def clean_occurred_on(self):
        team = self.instance.team if self.instance.pk else None
        return clean_past_date(self.cleaned_data["occurred_on"], today=_latest_today(team))

    def clean_detected_at(self):
        return clean_past_datetime(self.cleaned_data["detected_at"])

    def clean_resolved_at(self):
        return clean_past_datetime(self.cleaned_data["resolved_at"])

    def service_data(self) -> dict:
        """What incident_update takes, from the cleaned form."""
        data = {name: self.cleaned_data[name] for name in self.Meta.fields
                if name != "organization_name"}
        data["organization_name"] = self.cleaned_data["organization_name"]
        return data


class SourceForm(forms.Form):
    url = HttpURLField(label="Link")
    kind = forms.ChoiceField(choices=Source.Kind.choices, initial=Source.Kind.ARTICLE)
    title = forms.CharField(max_length=300, required=False)


class TimelineEventForm(forms.Form):
    at = forms.DateTimeField(label="When", widget=forms.DateTimeInput(
        attrs={"type": "datetime-local"}))
    kind = forms.ChoiceField(choices=TimelineEvent.Kind.choices,
                             initial=TimelineEvent.Kind.NOTE)
    text = forms.CharField(max_length=500, label="What happened then")
    url = HttpURLField(label="Link", required=False)

    def clean_at(self):
        return clean_past_datetime(self.cleaned_data["at"])

