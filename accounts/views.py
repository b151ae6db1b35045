"""Sign-in, invitations, the team switcher, team settings and the profile page."""

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from . import services
from .current import current_membership, switch_team
from .forms import MemberAddForm, MemberRoleForm, ProfileForm, TeamSettingsForm
from .models import Membership, Team
from .selectors import membership_get, membership_list_for_team, team_get_for_user


class InvitationAcceptView(auth_views.PasswordResetConfirmView):
    """An invited person sets their password; the link works once (the token hashes it)."""

    template_name = "accounts/invitation_accept.html"
    post_reset_login = True
    success_url = reverse_lazy("incidents:incident-list")


@login_required
@require_POST
def team_switch(request: HttpRequest) -> HttpResponse:
    membership = switch_team(request, request.POST.get("team", ""))
    if membership is None:
        raise Http404("You are not a member of that team.")
    messages.info(request, f"You are now working in {membership.team.name}.")
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = reverse_lazy("incidents:incident-list")
    return redirect(target)


def _managed_team(request: HttpRequest, slug: str):
    """The team, if the user belongs to it (404 otherwise), and whether they manage it."""
    try:
        team = team_get_for_user(user=request.user, slug=slug)
    except Team.DoesNotExist as missing:
        raise Http404("No such team.") from missing
    membership = membership_get(user=request.user, team=team)
    return team, membership


@login_required
def team_settings_current(request: HttpRequest) -> HttpResponse:
    membership = current_membership(request)
    if membership is None:
        raise Http404("You do not belong to a team yet.")
    return redirect("accounts:team-settings", slug=membership.team.slug)


@login_required
@require_http_methods(["GET", "POST"])
def team_settings(request: HttpRequest, slug: str) -> HttpResponse:
    team, membership = _managed_team(request, slug)
    if not membership.can_manage:
        raise PermissionDenied("Only managers can change team settings.")
    settings_form = TeamSettingsForm(instance=team)
    add_form = MemberAddForm()
    if request.method == "POST" and request.POST.get("action") == "settings":
        settings_form = TeamSettingsForm(request.POST, instance=team)
        if settings_form.is_valid():
            try:
                services.team_update_settings(actor=request.user, team=team,
                                              **settings_form.cleaned_data)
            except ValidationError as error:
                settings_form.add_error(None, error)
            else:
                messages.success(request, "Team settings saved.")
                return redirect("accounts:team-settings", slug=team.slug)
        team.refresh_from_db()
    elif request.method == "POST" and request.POST.get("action") == "add-member":
        add_form = MemberAddForm(request.POST)
        if add_form.is_valid():
            try:
                member, invited = services.team_member_add(
                    actor=request.user, team=team, **add_form.cleaned_data)
            except ValidationError as error:
                for field, errors in error.message_dict.items():
                    add_form.add_error(field if field in add_form.fields else None, errors)
            else:
                note = "An invitation email is on its way." if invited else "They can sign in now."
                messages.success(request, f"Added {member.user.email} as {member.role}. {note}")
                return redirect("accounts:team-settings", slug=team.slug)
    return render(request, "accounts/team_settings.html", {
        "team": team,
        "settings_form": settings_form,
        "add_form": add_form,
        "members": membership_list_for_team(team=team),
        "role_form": MemberRoleForm(),
    }, status=200 if request.method == "GET" else 422)


def _member(team, membership_id: int) -> Membership:
    membership = Membership.objects.filter(team=team, pk=membership_id).select_related(
        "user", "team").first()
    if membership is None:
        raise Http404("No such member.")
    return membership


@login_required
@require_POST
def member_role(request: HttpRequest, slug: str, membership_id: int) -> HttpResponse:
    team, membership = _managed_team(request, slug)
    target = _member(team, membership_id)
    form = MemberRoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose viewer, member or manager.")
    else:
        try:
            services.membership_update_role(actor=request.user, membership=target,
                                            role=form.cleaned_data["role"])
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, f"{target.user.email} is now a {form.cleaned_data['role']}.")
    return redirect("accounts:team-settings", slug=team.slug)


@login_required
@require_POST
def member_remove(request: HttpRequest, slug: str, membership_id: int) -> HttpResponse:
    team, membership = _managed_team(request, slug)
    target = _member(team, membership_id)
    try:
        services.membership_remove(actor=request.user, membership=target)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"{target.user.email} is no longer in {team.name}.")
    return redirect("accounts:team-settings", slug=team.slug)


@login_required
@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        services.user_update_profile(user=request.user, **form.cleaned_data)
        messages.success(request, "Profile saved.")
        return redirect("accounts:profile")
    return render(request, "accounts/profile.html", {"form": form})
