from django.contrib import admin

from operator_console.models import AdminActionLog


@admin.register(AdminActionLog)
class AdminActionLogAdmin(admin.ModelAdmin):
    """The audit trail is append-only: viewable, never edited or deleted from the console."""

    list_display = ("id", "created_at", "actor_username", "action", "target_model", "object_ids", "outcome",
                    "request_id")
    list_filter = ("action", "outcome", "target_model")
    search_fields = ("actor_username", "action", "request_id")
    list_select_related = ("actor",)
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
