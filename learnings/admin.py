"""Learnings and action items in the admin, under the house rules: nothing is deleted (archive
instead), and what the services set — a status and its dates, who created or completed — is
shown, never typed: the learning's page changes a status (learning_change_status checks the
transition and stamps adoption and retirement) and ticks off actions."""

from django.contrib import admin

from common.admin import ReadOnlyHistoryAdmin

from .models import ActionItem, Learning


class ActionItemInline(admin.TabularInline):
    model = ActionItem
    extra = 0
    fields = ("title", "owner", "due_on", "kind", "done_at", "done_by", "archived_at")
    readonly_fields = ("done_at", "done_by")
    autocomplete_fields = ("owner",)
    can_delete = False  # archive instead (archived_at): the learning's history keeps it


@admin.register(Learning)
class LearningAdmin(ReadOnlyHistoryAdmin):
    list_display = ("title", "team", "status", "owner", "adopted_at", "updated_at", "archived_at")
    list_filter = ("status", "team")
    search_fields = ("title", "lesson", "practice")
    list_select_related = ("team", "owner")
    autocomplete_fields = ("owner", "incidents")
    readonly_fields = ("public_id", "created_at", "updated_at", "created_by", "status",
                       "status_changed_at", "status_changed_by", "adopted_at", "retired_at",
                       "retired_reason")
    inlines = [ActionItemInline]

    def has_delete_permission(self, request, obj=None):
        return False  # archive instead: nothing is lost


@admin.register(ActionItem)
class ActionItemAdmin(ReadOnlyHistoryAdmin):
    list_display = ("title", "learning", "owner", "due_on", "kind", "done_at", "archived_at")
    list_filter = ("kind",)
    search_fields = ("title", "learning__title")
    list_select_related = ("learning", "owner")
    autocomplete_fields = ("owner", "learning")
    readonly_fields = ("public_id", "created_at", "updated_at", "created_by", "done_at",
                       "done_by")

    def has_delete_permission(self, request, obj=None):
        return False  # archive instead: nothing is lost
