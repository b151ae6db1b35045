"""Forms for signing in, teams and profiles."""

from django import forms
from django.contrib.auth import password_validation

from .models import ApiToken, Role, Team, User, timezone_choices
from .services import TOKEN_NAME_REQUIRED, TOKEN_TEAM_REFUSED


class TimezoneField(forms.ChoiceField):
    def __init__(self, **kwargs):
        kwargs.setdefault("label", "Time zone")
        super().__init__(choices=timezone_choices, **kwargs)


class MemberAddForm(forms.Form):
    # 254: the longest address the database holds (a longer one was a 500, not an error).
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
        help_texts = {
            "name": "Unique across Misfire: no other team may use it, whatever its capitals, "
                    "spaces, punctuation or look-alike letters.",
            "digest_weekday": "The weekly digest goes out on this day and reports the seven "
                              "days before it.",
            "digest_hour": "It is sent at this hour, the team's local time (daylight saving "
                           "included).",
        }


class ProfileForm(forms.ModelForm):
    timezone = TimezoneField(help_text="Times are shown in this time zone.")

    class Meta:
        model = User
        fields = ["display_name", "timezone"]


class InvitationSignupForm(forms.Form):
    """What someone new to Misfire gives to accept an invitation: a name and a password."""

    display_name = forms.CharField(
        label="Your name", max_length=120, required=False,
        help_text="Shown to your team beside your work. You can change it later.")
    new_password1 = forms.CharField(
        label="Password", strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html())
    new_password2 = forms.CharField(
        label="Password again", strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))

    def __init__(self, *args, email: str, **kwargs):
        self.email = email
        super().__init__(*args, **kwargs)

    def clean_new_password2(self):
        first = self.cleaned_data.get("new_password1")
        second = self.cleaned_data.get("new_password2")
        if first and second and first != second:
            raise forms.ValidationError("The two passwords differ.")
        if second:
            password_validation.validate_password(second, User(email=self.email))
        return second


class TokenCreateForm(forms.Form):
    """Name a new API token, and choose whether it may write and in which of one's teams."""

    # The service checks the name and the team again; the form catches the obvious at once.
    name = forms.CharField(
        label="Token name", max_length=ApiToken._meta.get_field("name").max_length,
        help_text="What will use it, e.g. “Quarterly report notebook”.",
        widget=forms.TextInput(attrs={"autocomplete": "off"}))
    read_only = forms.BooleanField(
        label="Read-only", required=False,
        help_text="It can read and export, but never change anything.")
    team = forms.ModelChoiceField(
        label="Team", queryset=Team.objects.none(), required=False, to_field_name="slug",
        empty_label="All your teams",
        help_text="Limit it to one of your teams, or let it act in all of them.")

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        name = self.fields["name"]
        name.error_messages["required"] = TOKEN_NAME_REQUIRED
        name.error_messages["max_length"] = (
            "A token name has at most %(limit_value)d characters (this one has %(show_value)d).")
        team = self.fields["team"]
        team.queryset = Team.objects.for_user(user).order_by("name")
        team.error_messages["invalid_choice"] = TOKEN_TEAM_REFUSED


class DigestChoicesForm(forms.Form):
    """A person's weekly digest choices: for each of their teams, whether to receive it and
    whether a quiet week sends nothing. Only the memberships given (the person's own) have
    fields; anything else posted is ignored."""

    def __init__(self, *args, memberships, **kwargs):
        super().__init__(*args, **kwargs)
        self.memberships = list(memberships)
        for membership in self.memberships:
            key = membership.public_id
            self.fields[f"receives-{key}"] = forms.BooleanField(
                label=f"Receive the {membership.team.name} digest", required=False,
                initial=membership.receives_digest)
            self.fields[f"skip_quiet-{key}"] = forms.BooleanField(
                label=f"Skip quiet weeks of {membership.team.name}", required=False,
                initial=membership.skip_quiet_weeks)

    def rows(self):
        """Each membership with its two fields, for the template."""
        return [(membership, self[f"receives-{membership.public_id}"],
                 self[f"skip_quiet-{membership.public_id}"]) for membership in self.memberships]

    def choices(self):
        """Each membership with what was chosen: (membership, receives, skip_quiet)."""
        return [(membership, self.cleaned_data[f"receives-{membership.public_id}"],
                 self.cleaned_data[f"skip_quiet-{membership.public_id}"])
                for membership in self.memberships]
