from django.contrib import admin
from django.db import models

from common.admin import ReadOnlyHistoryAdmin
from common.history import one_history_record

from . import services
from .models import (
    Factor,
    Incident,
    IncidentSource,
    Organization,
    RootCause,
    Source,
    TimelineEvent,
)

# Links typed without a scheme are https (Django 6's default; 5.2 warns until it is chosen).
HTTPS_URLS = {models.URLField: {"assume_scheme": "https"}}


class TimelineInline(admin.TabularInline):
    """The incident's timeline. Entries are removed on the incident's page, which records
    who removed them and recomputes the first response."""

    formfield_overrides = HTTPS_URLS
    model = TimelineEvent
    extra = 0
    can_delete = False


class SourceLinkInline(admin.TabularInline):
    """This incident's sources, with this incident's own kind and title for each."""

    formfield_overrides = HTTPS_URLS
    model = IncidentSource
    extra = 0
    # Removed on the incident's page, which records who removed the link.
    can_delete = False
    fields = ("source", "kind", "title", "captured_at", "added_by", "created_at")
    readonly_fields = ("created_at",)
    autocomplete_fields = ("source",)
    raw_id_fields = ("added_by",)


@admin.register(Incident)
class IncidentAdmin(ReadOnlyHistoryAdmin):
    list_display = ("title", "organization", "team", "origin", "visibility", "occurred_on",
                    "primary_cause", "severity", "status", "archived_at")
    list_filter = ("origin", "visibility", "platform", "severity", "status", "primary_cause")
    search_fields = ("title", "summary", "organization__name")
    list_select_related = ("organization", "team", "primary_cause")
    autocomplete_fields = ("organization",)
    filter_horizontal = ("contributing_causes", "factors")
    # Derived (services.incident_refresh_derived), never typed.
    readonly_fields = ("public_id", "response_score", "first_response_at", "created_at",
                       "updated_at")
    inlines = [SourceLinkInline, TimelineInline]
    date_hierarchy = "occurred_on"

    def save_model(self, request, obj, form, change):
        # One history record for the whole save, written in save_related once the relations
        # and inlines are saved and the derived fields follow them.
        obj.skip_history_when_saving = True
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        incident = form.instance
        del incident.skip_history_when_saving
        with one_history_record(incident, user=request.user, created=not change):
            super().save_related(request, form, formsets, change)
            # The admin writes the fields and the timeline round the services: what the page
            # derives from them (and a library incident's shared organisation) follows here.
            services.incident_refresh_derived(incident=incident)

    def has_delete_permission(self, request, obj=None):
        return False  # archive instead: nothing is lost


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    formfield_overrides = HTTPS_URLS
    # An empty team means shared by every team; a private organisation's slug keeps its random
    # tail, so that its address says nothing about other teams' organisations.
    list_display = ("name", "slug", "team", "industry")
    list_filter = (("team", admin.EmptyFieldListFilter), "team")
    list_select_related = ("team",)
    search_fields = ("name", "slug", "aliases")
    prepopulated_fields = {"slug": ("name",)}


@admin.register(RootCause)
class RootCauseAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "slug", "taxonomy_version", "is_active")

    def has_delete_permission(self, request, obj=None):
        # Deleting one would silently drop it from incidents' contributing causes, with no
        # history: retire it (is_active) instead.
        return False


@admin.register(Factor)
class FactorAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "is_active")

    def has_delete_permission(self, request, obj=None):
        return False  # as for root causes: retire it instead


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    formfield_overrides = HTTPS_URLS
    # Titles and kinds are each incident's (IncidentSource), so none is shown for the link.
    list_display = ("url", "platform", "created_at")
    search_fields = ("url",)
    list_filter = ("platform",)


@admin.register(IncidentSource)
class IncidentSourceAdmin(ReadOnlyHistoryAdmin):
    formfield_overrides = HTTPS_URLS
    list_display = ("source", "incident", "kind", "title", "added_by", "created_at")
    list_filter = ("kind",)
    search_fields = ("source__url", "title", "incident__title")
    list_select_related = ("source", "incident", "added_by")
    raw_id_fields = ("incident", "source", "added_by")

    def has_delete_permission(self, request, obj=None):
        return False  # removed on the incident's page, which records who removed it


@admin.register(TimelineEvent)
class TimelineEventAdmin(ReadOnlyHistoryAdmin):
    formfield_overrides = HTTPS_URLS
    list_display = ("incident", "at", "kind", "text")
    list_select_related = ("incident",)

    def get_readonly_fields(self, request, obj=None):
        # An entry stays on its incident: moving it would leave the first one's first
        # response stale.
        return ("incident",) if obj is not None else ()

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        services.incident_refresh_derived(incident=obj.incident)

    def has_delete_permission(self, request, obj=None):
        return False  # removed on the incident's page, which recomputes the first response
