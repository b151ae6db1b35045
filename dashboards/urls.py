from django.urls import path

from . import views

app_name = "dashboards"

urlpatterns = [
    path("teams/<slug:slug>/dashboard/", views.team_dashboard, name="team-dashboard"),
    path("library/dashboard/", views.library_dashboard, name="library-dashboard"),
]
