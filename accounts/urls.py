from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

from . import views

app_name = "accounts"

urlpatterns = [
    path("login/", auth_views.LoginView.as_view(template_name="accounts/login.html",
                                                redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password-reset/", views.PasswordResetView.as_view(
        template_name="accounts/password_reset.html",
        email_template_name="emails/password_reset.txt",
        html_email_template_name="emails/password_reset.html",
        subject_template_name="emails/password_reset_subject.txt",
        success_url=reverse_lazy("accounts:password-reset-done"),
    ), name="password-reset"),
    path("password-reset/sent/", auth_views.PasswordResetDoneView.as_view(
        template_name="accounts/password_reset_done.html"), name="password-reset-done"),
    path("password-reset/<uidb64>/<token>/", auth_views.PasswordResetConfirmView.as_view(
        template_name="accounts/password_reset_confirm.html",
        success_url=reverse_lazy("accounts:password-reset-complete"),
    ), name="password-reset-confirm"),
    path("password-reset/done/", auth_views.PasswordResetCompleteView.as_view(
        template_name="accounts/password_reset_complete.html"), name="password-reset-complete"),
    path("invitation/<slug:token>/", views.invitation_accept, name="invitation-accept"),
    path("team/switch/", views.team_switch, name="team-switch"),
    path("team/", views.team_settings_current, name="team-settings-current"),
    path("teams/<slug:slug>/settings/", views.team_settings, name="team-settings"),
    path("teams/<slug:slug>/members/<uuid:membership_id>/role/", views.member_role,
         name="membership-update"),
    path("teams/<slug:slug>/members/<uuid:membership_id>/remove/", views.member_remove,
         name="membership-delete"),
    path("teams/<slug:slug>/invitations/<uuid:invitation_id>/resend/", views.invitation_resend,
         name="invitation-resend"),
    path("teams/<slug:slug>/invitations/<uuid:invitation_id>/revoke/", views.invitation_revoke,
         name="invitation-revoke"),
    path("profile/", views.profile, name="profile"),
    path("profile/tokens/", views.token_create, name="token-create"),
    path("profile/tokens/<uuid:token_id>/revoke/", views.token_revoke, name="token-revoke"),
]
