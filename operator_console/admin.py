from django.contrib import admin

from core.admin_base import ReadOnlyModelAdmin
from core.models import AdminActionLog


@admin.register(AdminActionLog)
class AdminActionLogAdmin(ReadOnlyModelAdmin):
    """The audit trail is append-only: viewable, never edited or deleted from the console."""

    list_display = ("id", "created_at", "actor_username", "action", "target_model", "object_ids", "outcome",
                    "request_id")
    list_filter = ("action", "outcome", "target_model")
    search_fields = ("actor_username", "action", "request_id")
    list_select_related = ("actor",)
    date_hierarchy = "created_at"
