from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from .models import ApiToken, Invitation, Membership, Team, User, team_name_key


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ("user",)


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ("email",)
    list_display = ("email", "display_name", "is_staff", "is_active", "last_login")
    search_fields = ("email", "display_name")
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Profile", {"fields": ("display_name", "timezone")}),
        ("Permissions", {"fields": ("is_active", "is_staff", "is_superuser", "groups",
                                    "user_permissions")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",),
                             "fields": ("email", "password1", "password2")}),)


class TeamAdminForm(forms.ModelForm):
    def clean_name(self):
        name = self.cleaned_data["name"]
        key = team_name_key(name)
        if not key:
            raise forms.ValidationError("A team name needs at least one letter or digit.")
        if Team.objects.filter(name_key=key).exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError("Another team already uses this name, or one that "
                                        "differs only in capitals, spaces, punctuation or "
                                        "look-alike letters.")
        return name


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    form = TeamAdminForm
    list_display = ("name", "slug", "timezone", "digest_weekday", "digest_hour")
    search_fields = ("name", "slug")
    readonly_fields = ("name_key",)
    prepopulated_fields = {"slug": ("name",)}
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ("user", "team", "role", "receives_digest")
    list_filter = ("role", "team")
    list_select_related = ("user", "team")
    autocomplete_fields = ("user", "team")


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    """Read-mostly: invitations are made, resent and revoked on the team settings page, where
    the rate limit and the email apply."""

    list_display = ("email", "team", "role", "invited_by", "sent_at", "expires_at",
                    "accepted_at", "revoked_at")
    list_filter = ("role", "team")
    list_select_related = ("team", "invited_by")
    search_fields = ("email", "team__name")
    exclude = ("token_hash",)
    readonly_fields = ("team", "email", "role", "invited_by", "created_at", "sent_at",
                       "expires_at", "accepted_at", "accepted_by")

    def has_add_permission(self, request):
        return False


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Read-only: tokens are made (their key shown once) and revoked by their owners on the
    profile page; the hash is never shown."""

    list_display = ("name", "user", "prefix", "team", "read_only", "created_at", "last_used_at",
                    "revoked_at")
    list_filter = ("read_only",)
    list_select_related = ("user", "team")
    search_fields = ("name", "prefix", "user__email")
    exclude = ("key_hash",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # revoked on the profile page, never deleted: the row keeps its history
