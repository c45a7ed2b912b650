from django.contrib import admin

from core.admin_display import ConsoleDisplayMixin


class ReadOnlyModelAdmin(ConsoleDisplayMixin, admin.ModelAdmin):
    """For append-only tables (ledger, rounds, events, transitions, traces, audit logs): rows are written by
    services only, so the admin may show them but never add, edit or delete one."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
