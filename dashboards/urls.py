from django.urls import path

from . import digest_views, views

app_name = "dashboards"

urlpatterns = [
    path("teams/<slug:slug>/dashboard/", views.team_dashboard, name="team-dashboard"),
    path("library/dashboard/", views.library_dashboard, name="library-dashboard"),
    path("teams/<slug:slug>/digest/", digest_views.digest_preview, name="digest-preview"),
    path("digest/unsubscribe/<str:token>/", digest_views.digest_unsubscribe,
         name="digest-unsubscribe"),
]
