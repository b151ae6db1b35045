"""Sign-in, invitations, the team switcher, team settings, and the profile page with its API
tokens."""

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from common.pages import apply_errors

from . import services
from .current import SESSION_KEY, current_membership, memberships_of, switch_team
from .forms import (
    DigestChoicesForm,
    InvitationSignupForm,
    MemberAddForm,
    MemberRoleForm,
    ProfileForm,
    TeamSettingsForm,
    TokenCreateForm,
)
from .models import Invitation, Membership, Team
from .selectors import (
    invitation_get_by_token,
    invitation_get_for_team,
    invitation_list_pending_for_team,
    membership_get,
    membership_get_for_team,
    membership_list_for_team,
    team_get_for_user,
    token_get_for_user,
    token_list_for_user,
    user_get_by_email,
)
from .throttling import client_ip, login_username


class PasswordResetView(auth_views.PasswordResetView):
    """Django's reset page, with a limit on emails per address and per IP.

    Over the limit nothing is sent, and the page answers exactly as when an email went out, as
    it already does for an unknown address.
    """

    def form_valid(self, form):
        allowed = services.password_reset_allowed(email=form.cleaned_data["email"],
                                                  ip_address=client_ip(self.request))
        if allowed:
            return super().form_valid(form)
        return HttpResponseRedirect(self.get_success_url())


def lockout(request: HttpRequest, response=None, credentials=None) -> HttpResponse:
    """The page django-axes shows instead of the sign-in form once a pair is locked out."""
    return render(request, "accounts/lockout.html", {
        "failure_limit": settings.AXES_FAILURE_LIMIT,
        "minutes": int(settings.AXES_COOLOFF_TIME.total_seconds() // 60),
        "username": login_username(request, credentials) or "",
    }, status=429)


INVITATION_PAGE = "accounts/invitation_accept.html"


def _joined(request: HttpRequest, membership: Membership) -> HttpResponse:
    """Work in the team just joined, and say so."""
    request.session[SESSION_KEY] = membership.team.slug
    messages.success(request, f"Welcome to {membership.team.name}. You joined as a "
                              f"{membership.get_role_display().lower()}.")
    return redirect("incidents:incident-list")


@require_http_methods(["GET", "POST"])
def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    """The page an invitation email links to. Membership starts here, when the person accepts:
    someone new chooses a password; someone with an account signs in as the invited address and
    clicks Accept."""
    invitation = invitation_get_by_token(token=token)
    if invitation is None:
        return render(request, INVITATION_PAGE, {"state": "unknown"}, status=404)
    if invitation.state != "pending":
        return render(request, INVITATION_PAGE, {"state": invitation.state,
                                                 "invitation": invitation}, status=410)
    context = {"invitation": invitation}
    user = request.user
    if user.is_authenticated and user.email.lower() != invitation.email:
        return render(request, INVITATION_PAGE, {**context, "state": "other-user"})
    account = user if user.is_authenticated else user_get_by_email(email=invitation.email)
    if user.is_authenticated or (account is not None and account.has_usable_password()):
        if not user.is_authenticated:
            login_url = reverse("accounts:login") + "?" + urlencode({"next": request.path})
            return render(request, INVITATION_PAGE,
                          {**context, "state": "sign-in", "login_url": login_url})
        if request.method == "POST":
            try:
                membership = services.invitation_accept(user=user, invitation=invitation)
            except ValidationError as error:
                messages.error(request, " ".join(error.messages))
                return redirect(request.path)
            return _joined(request, membership)
        return render(request, INVITATION_PAGE, {**context, "state": "accept"})

    form = InvitationSignupForm(request.POST or None, email=invitation.email)
    if request.method == "POST" and form.is_valid():
        try:
            membership = services.invitation_accept_with_new_account(
                invitation=invitation, password=form.cleaned_data["new_password1"],
                display_name=form.cleaned_data["display_name"])
        except ValidationError as error:
            form.add_error(None, error.messages)
        else:
            login(request, membership.user, backend="django.contrib.auth.backends.ModelBackend")
            return _joined(request, membership)
    return render(request, INVITATION_PAGE, {**context, "state": "sign-up", "form": form},
                  status=422 if form.errors else 200)


@login_required
@require_POST
def team_switch(request: HttpRequest) -> HttpResponse:
    membership = switch_team(request, request.POST.get("team", ""))
    if membership is None:
        raise Http404("You are not a member of that team.")
    messages.info(request, f"You are now working in {membership.team.name}.")
    target = request.POST.get("next", "")
    # Only a path of this site: redirect() would read a bare word as a view name.
    if not target.startswith("/") or not url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}):
        target = reverse("incidents:incident-list")
    return HttpResponseRedirect(target)


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
                invitation = services.invitation_create(
                    actor=request.user, team=team, **add_form.cleaned_data)
            except ValidationError as error:
                for field, errors in error.message_dict.items():
                    add_form.add_error(field if field in add_form.fields else None, errors)
            else:
                # Word for word the same whether or not the address has an account.
                messages.success(request, (
                    f"An invitation has been sent to {invitation.email}. If they accept it within "
                    f"7 days, they join {team.name} as a {invitation.get_role_display().lower()}."
                ))
                return redirect("accounts:team-settings", slug=team.slug)
    return render(request, "accounts/team_settings.html", {
        "team": team,
        "settings_form": settings_form,
        "add_form": add_form,
        "members": membership_list_for_team(team=team),
        "invitations": invitation_list_pending_for_team(team=team),
        "role_form": MemberRoleForm(),
    }, status=200 if request.method == "GET" else 422)


def _invitation(team, invitation_id) -> Invitation:
    invitation = invitation_get_for_team(team=team, public_id=invitation_id)
    if invitation is None:
        raise Http404("No such invitation.")
    return invitation


def _change_invitation(request: HttpRequest, slug: str, invitation_id, service,
                       done: str) -> HttpResponse:
    """Apply one service to a pending invitation of a team the user manages; back to the
    team settings with the outcome (done names the address as {email})."""
    team, _ = _managed_team(request, slug)
    invitation = _invitation(team, invitation_id)
    try:
        service(actor=request.user, invitation=invitation)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, done.format(email=invitation.email))
    return redirect("accounts:team-settings", slug=team.slug)


@login_required
@require_POST
def invitation_resend(request: HttpRequest, slug: str, invitation_id) -> HttpResponse:
    return _change_invitation(
        request, slug, invitation_id, services.invitation_resend,
        "The invitation to {email} has been sent again with a new link; the earlier link no "
        "longer works.")


@login_required
@require_POST
def invitation_revoke(request: HttpRequest, slug: str, invitation_id) -> HttpResponse:
    return _change_invitation(
        request, slug, invitation_id, services.invitation_revoke,
        "The invitation to {email} was revoked; its link no longer works.")


def _member(team, membership_id) -> Membership:
    membership = membership_get_for_team(team=team, public_id=membership_id)
    if membership is None:
        raise Http404("No such member.")
    return membership


@login_required
@require_POST
def member_role(request: HttpRequest, slug: str, membership_id) -> HttpResponse:
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
def member_remove(request: HttpRequest, slug: str, membership_id) -> HttpResponse:
    team, membership = _managed_team(request, slug)
    target = _member(team, membership_id)
    try:
        services.membership_remove(actor=request.user, membership=target)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"{target.user.email} is no longer in {team.name}.")
    return redirect("accounts:team-settings", slug=team.slug)


PROFILE_PAGE = "accounts/profile.html"
TOKENS_SECTION = "accounts/partials/tokens.html"


def _tokens_context(request: HttpRequest, *, token_form: TokenCreateForm | None = None,
                    **extra) -> dict:
    """The API tokens section: the person's tokens and the form to make one; `extra` may
    carry a key just made (new_key, new_token: shown this once) or a notice."""
    return {
        "token_form": token_form or TokenCreateForm(user=request.user),
        "tokens": token_list_for_user(user=request.user),
        **extra,
    }


def _digest_form(request: HttpRequest, data=None) -> DigestChoicesForm:
    """The person's digest choices, one pair per team: their own memberships only (the ones
    the page's header has read already)."""
    return DigestChoicesForm(data, memberships=memberships_of(request), prefix="digest")


def _digest_save(request: HttpRequest) -> HttpResponse:
    form = _digest_form(request, request.POST)
    form.full_clean()  # two optional checkboxes per team: nothing can be refused
    changed = [(membership, receives, skip_quiet)
               for membership, receives, skip_quiet in form.choices()
               if (membership.receives_digest, membership.skip_quiet_weeks)
               != (receives, skip_quiet)]
    for membership, receives, skip_quiet in changed:
        services.membership_update_digest(user=request.user, membership=membership,
                                          receives_digest=receives, skip_quiet_weeks=skip_quiet)
    if changed:
        messages.success(request, "Digest choices saved: " + "; ".join(
            f"{membership.team.name}, "
            + ("receive it" + (" except quiet weeks" if skip_quiet else "")
               if receives else "not received")
            for membership, receives, skip_quiet in changed) + ".")
    else:
        messages.info(request, "Your digest choices were already these: nothing changed.")
    return redirect(reverse("accounts:profile") + "#digest")


@login_required
@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    if request.method == "POST" and request.POST.get("action") == "digest":
        return _digest_save(request)
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        services.user_update_profile(user=request.user, **form.cleaned_data)
        messages.success(request, "Profile saved.")
        return redirect("accounts:profile")
    return render(request, PROFILE_PAGE, {"form": form, "digest_form": _digest_form(request),
                                          **_tokens_context(request)})


def _tokens_answer(request: HttpRequest, *, status: int = 200, **context) -> HttpResponse:
    """The tokens section again for htmx, else the whole profile page. Never a redirect when
    a key was just made: the key is in this answer only, and is stored nowhere to be shown
    after one."""
    context = _tokens_context(request, **context)
    if request.htmx:
        # 200 even for form errors, so that htmx swaps them in beside the fields.
        return render(request, TOKENS_SECTION, context)
    return render(request, PROFILE_PAGE, {"form": ProfileForm(instance=request.user),
                                          "digest_form": _digest_form(request), **context},
                  status=status)


@login_required
@require_POST
def token_create(request: HttpRequest) -> HttpResponse:
    form = TokenCreateForm(request.POST, user=request.user)
    if form.is_valid():
        try:
            token, key = services.token_create(user=request.user, **form.cleaned_data)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            return _tokens_answer(request, new_key=key, new_token=token)
    return _tokens_answer(request, token_form=form, status=422)


@login_required
@require_POST
def token_revoke(request: HttpRequest, token_id) -> HttpResponse:
    token = token_get_for_user(user=request.user, public_id=token_id)
    if token is None:
        raise Http404("No such token.")
    services.token_revoke(user=request.user, token=token)
    notice = (f"The token “{token.name}” was revoked: programs that use it can no longer reach "
              "the API.")
    if request.htmx:
        return _tokens_answer(request, notice=notice)
    messages.success(request, notice)
    return redirect("accounts:profile")
