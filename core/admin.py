from django.contrib import admin, messages
from django.utils import timezone

from core.admin_actions import audited, policy_permission
from core.models import ApiToken, IdempotencyRecord
from core.policy import Act
from core.services import token_create


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("name", "prefix", "owner", "role", "rate_limit", "expires_at", "revoked_at", "last_used_at", "created_at")
    list_filter = ("role", ("revoked_at", admin.EmptyFieldListFilter))
    search_fields = ("name", "prefix", "owner__username")
    list_select_related = ("owner",)
    readonly_fields = ("prefix", "key_hash", "last_used_at", "created_at", "revoked_at")
    fields = ("name", "owner", "role", "rate_limit", "expires_at", "prefix", "key_hash", "revoked_at", "last_used_at", "created_at")
    actions = ["revoke_tokens"]

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        token, raw = token_create(name=obj.name, role=obj.role, owner=obj.owner,
                                  expires_at=obj.expires_at, rate_limit=obj.rate_limit)
        obj.pk, obj.prefix, obj.key_hash, obj.created_at = token.pk, token.prefix, token.key_hash, token.created_at
        messages.warning(request, f"Copy this token now, it will not be shown again: {raw}")

    # Tokens are the admin's (DESIGN.md §7), in the console as on the API.
    has_revoke_tokens_permission = policy_permission(Act.TOKEN_REVOKE)

    @admin.action(description="Revoke selected tokens", permissions=["revoke_tokens"])
    @audited("revoke_tokens")
    def revoke_tokens(self, request, queryset):
        count = queryset.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
        self.message_user(request, f"Revoked {count} token(s).")
        return {"revoked": count}


@admin.register(IdempotencyRecord)
class IdempotencyRecordAdmin(admin.ModelAdmin):
    list_display = ("key", "token", "response_status", "created_at")
    list_select_related = ("token",)
    search_fields = ("key", "token__prefix")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
