from django.urls import path

from . import views

app_name = "learnings"

urlpatterns = [
    path("learnings/", views.learning_list, name="learning-list"),
    path("learnings/new/", views.learning_create, name="learning-create"),
    path("learnings/<uuid:public_id>/", views.learning_detail, name="learning-detail"),
    path("learnings/<uuid:public_id>/history/", views.learning_history_section,
         name="learning-history"),
    path("learnings/<uuid:public_id>/edit/", views.learning_edit, name="learning-update"),
    path("learnings/<uuid:public_id>/status/", views.learning_status, name="learning-status"),
    path("learnings/<uuid:public_id>/archive/", views.learning_archive, name="learning-archive"),
    path("learnings/<uuid:public_id>/restore/", views.learning_restore, name="learning-restore"),
    path("learnings/<uuid:public_id>/incidents/search/", views.incident_search,
         name="learning-incident-search"),
    path("learnings/<uuid:public_id>/incidents/", views.incident_link,
         name="learning-incident-create"),
    path("learnings/<uuid:public_id>/incidents/<uuid:incident_id>/unlink/",
         views.incident_unlink, name="learning-incident-delete"),
    path("learnings/<uuid:public_id>/actions/", views.action_item_create,
         name="action-item-create"),
    path("actions/", views.my_action_items, name="action-item-mine"),
    path("actions/<uuid:item_id>/edit/", views.action_item_edit, name="action-item-update"),
    path("actions/<uuid:item_id>/complete/", views.action_item_complete,
         name="action-item-complete"),
    path("actions/<uuid:item_id>/reopen/", views.action_item_reopen, name="action-item-reopen"),
    path("actions/<uuid:item_id>/remove/", views.action_item_archive, name="action-item-archive"),
    path("actions/<uuid:item_id>/restore/", views.action_item_restore,
         name="action-item-restore"),
]
