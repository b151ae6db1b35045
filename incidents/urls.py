from django.urls import path

from . import views

app_name = "incidents"

urlpatterns = [
    path("incidents/", views.incident_list, name="incident-list"),
    path("incidents/log/", views.incident_log, name="incident-create"),
    path("incidents/log/similar/", views.incident_similar, name="incident-similar"),
    path("incidents/<uuid:public_id>/", views.incident_detail, name="incident-detail"),
    path("incidents/<uuid:public_id>/edit/", views.incident_edit, name="incident-update"),
    path("incidents/<uuid:public_id>/archive/", views.incident_archive, name="incident-archive"),
    path("incidents/<uuid:public_id>/restore/", views.incident_restore, name="incident-restore"),
    path("incidents/<uuid:public_id>/history/", views.incident_history_section,
         name="incident-history"),
    path("incidents/<uuid:public_id>/sources/", views.source_add, name="source-create"),
    path("incidents/<uuid:public_id>/sources/<uuid:source_id>/remove/", views.source_remove,
         name="source-delete"),
    path("incidents/<uuid:public_id>/timeline/", views.timeline_add, name="timeline-create"),
    path("incidents/<uuid:public_id>/timeline/<uuid:event_id>/remove/", views.timeline_remove,
         name="timeline-delete"),
    path("library/", views.library, name="library"),
    path("organizations/", views.organization_list, name="organization-list"),
    # Not under organizations/: an organisation may be called "Suggest".
    path("organization-suggestions/", views.organization_suggest,
         name="organization-suggest"),
    path("organizations/<slug:slug>/", views.organization_detail, name="organization-detail"),
]
