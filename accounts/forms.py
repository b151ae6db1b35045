"""Forms for signing in, teams and profiles."""

from django import forms

from .models import Role, Team, User, timezone_choices


class TimezoneField(forms.ChoiceField):
    def __init__(self, **kwargs):
        super().__init__(choices=timezone_choices, **kwargs)


class MemberAddForm(forms.Form):
    email = forms.EmailField(label="Email address", max_length=254,
                             widget=forms.EmailInput(attrs={"autocomplete": "off"}))
    role = forms.ChoiceField(choices=Role.choices, initial=Role.MEMBER)


class MemberRoleForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices)


class TeamSettingsForm(forms.ModelForm):
    timezone = TimezoneField(help_text="The digest goes out at this team's local time.")

    class Meta:
        model = Team
        fields = ["name", "timezone", "digest_weekday", "digest_hour"]
        labels = {"digest_weekday": "Digest day", "digest_hour": "Digest hour"}


class ProfileForm(forms.ModelForm):
    timezone = TimezoneField(help_text="Times are shown in this time zone.")

    class Meta:
        model = User
        fields = ["display_name", "timezone"]
