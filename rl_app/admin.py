from django.contrib import admin

from core.admin_actions import policy_model_permission
from core.admin_base import ReadOnlyModelAdmin
from core.policy import Act
from rl_app.models import ExperienceStep, PolicyFeedback, WebhookDelivery, WebhookHook
from rl_app.services import webhook_hook_set_active


@admin.register(ExperienceStep)
class ExperienceStepAdmin(ReadOnlyModelAdmin):
    list_display = ("id", "session", "index", "action_type", "reward", "terminated", "truncated", "policy_id",
                    "policy_version", "created_at")
    list_filter = ("terminated", "truncated", "session__game_version__game")
    search_fields = ("=session__id", "policy_id", "request_id")
    list_select_related = ("session",)
    date_hierarchy = "created_at"
    show_full_result_count = False  # counting millions of steps on every page view is not worth it

    @admin.display(description="action")
    def action_type(self, obj: ExperienceStep) -> str:
        return str(obj.action.get("type", "")) if isinstance(obj.action, dict) else ""


@admin.register(PolicyFeedback)
class PolicyFeedbackAdmin(ReadOnlyModelAdmin):
    list_display = ("id", "session", "step_index", "policy_id", "policy_version", "owner", "created_at")
    list_filter = ("policy_id",)
    search_fields = ("=session__id", "policy_id", "owner__username")
    list_select_related = ("session", "owner")


@admin.register(WebhookHook)
class WebhookHookAdmin(admin.ModelAdmin):
    list_display = ("id", "owner", "url", "events", "reward_threshold", "active", "created_at")
    list_filter = ("active",)
    search_fields = ("url", "owner__username")
    list_select_related = ("owner",)
    # The secret is never displayed; staff may only (de)activate a hook.
    fields = ("owner", "url", "events", "reward_threshold", "description", "active", "previous_secret_expires_at",
              "created_at")
    readonly_fields = ("owner", "url", "events", "reward_threshold", "description", "previous_secret_expires_at",
                       "created_at")

    def has_add_permission(self, request):
        return False

    # (De)activating or deleting an agent's hook: its owner or an admin (core.policy), never an operator.
    has_change_permission = policy_model_permission(Act.WEBHOOK_DEACTIVATE)
    has_delete_permission = policy_model_permission(Act.WEBHOOK_DEACTIVATE)

    def save_model(self, request, obj, form, change):
        # Through the service, so the owner's sessions learn whether any hook is still active.
        webhook_hook_set_active(hook=obj, active=obj.active)

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        webhook_hook_set_active(hook=obj, active=False)

    def delete_queryset(self, request, queryset):
        hooks = list(queryset)
        super().delete_queryset(request, queryset)
        for hook in hooks:
            webhook_hook_set_active(hook=hook, active=False)


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyModelAdmin):
    list_display = ("id", "hook", "event", "session", "step_index", "status", "attempts", "response_code",
                    "created_at", "delivered_at")
    list_filter = ("status", "event")
    search_fields = ("=hook__id", "=session__id", "last_error")
    list_select_related = ("hook", "session")
