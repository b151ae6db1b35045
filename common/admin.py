"""Admin pieces every domain app shares."""

from django.core.exceptions import PermissionDenied
from simple_history.admin import SimpleHistoryAdmin


class ReadOnlyHistoryAdmin(SimpleHistoryAdmin):
    """History in the admin is for reading. Reverting to an old record would write the whole
    old row at once, past the services: a learning back to "adopted" without its status rules,
    an incident's first response left behind its timeline. Changes go through the change
    form (whose saves the services follow up) or the pages."""

    def revert_disabled(self, request, obj=None) -> bool:
        return True

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method == "POST":
            raise PermissionDenied("Old records are shown, not restored: change the current "
                                   "one instead.")
        return super().history_form_view(request, object_id, version_id, extra_context)
