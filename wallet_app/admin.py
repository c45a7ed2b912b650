from django.contrib import admin, messages

from core.admin_actions import audited, policy_model_permission, policy_permission
from core.admin_base import ReadOnlyModelAdmin
from core.admin_display import ConsoleDisplayMixin
from core.policy import Act
from wallet_app import services
from wallet_app.models import LedgerAudit, LedgerEntry, Wallet


@admin.register(Wallet)
class WalletAdmin(ConsoleDisplayMixin, admin.ModelAdmin):
    list_display = ("id", "owner", "currency", "balance", "daily_limit", "spent_today", "cost_per_spin",
                    "cost_per_query", "frozen", "updated_at")
    list_filter = ("frozen", "currency")
    search_fields = ("owner__username", "=id")
    list_select_related = ("owner",)
    # Money and the spend counter change only through services (one ledger row per change).
    readonly_fields = ("balance", "frozen", "spent_today", "spent_day_start", "last_spend_at", "created_at",
                       "updated_at")
    fields = ("owner", "currency", "daily_limit", "cost_per_spin", "cost_per_query", *readonly_fields)
    actions = ["freeze_wallets", "unfreeze_wallets"]

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields + (("owner", "currency") if obj is not None else ())

    def save_model(self, request, obj, form, change):
        if change:
            saved = services.set_limits(wallet_id=obj.pk, daily_limit=obj.daily_limit,
                                        cost_per_spin=obj.cost_per_spin, cost_per_query=obj.cost_per_query)
        else:
            saved = services.wallet_create(owner=obj.owner, currency=obj.currency, daily_limit=obj.daily_limit,
                                           cost_per_spin=obj.cost_per_spin, cost_per_query=obj.cost_per_query)
        obj.pk, obj.created_at, obj.updated_at = saved.pk, saved.created_at, saved.updated_at

    def has_delete_permission(self, request, obj=None):
        return False

    # The change form sets limits and fees: admins only, as on the API.
    has_change_permission = policy_model_permission(Act.WALLET_SET_LIMITS)

    has_freeze_wallets_permission = policy_permission(Act.WALLET_FREEZE)
    # Unfreezing re-enables spending: admins only, as on the API.
    has_unfreeze_wallets_permission = policy_permission(Act.WALLET_UNFREEZE)

    @admin.action(description="Freeze selected wallets", permissions=["freeze_wallets"])
    @audited("freeze_wallets")
    def freeze_wallets(self, request, queryset):
        pks = list(queryset.order_by("pk").values_list("pk", flat=True))
        for pk in pks:
            services.freeze(wallet_id=pk)
        self.message_user(request, f"Froze {len(pks)} wallet(s).", messages.SUCCESS)
        return {"frozen": len(pks)}

    @admin.action(description="Unfreeze selected wallets", permissions=["unfreeze_wallets"])
    @audited("unfreeze_wallets")
    def unfreeze_wallets(self, request, queryset):
        pks = list(queryset.order_by("pk").values_list("pk", flat=True))
        for pk in pks:
            services.unfreeze(wallet_id=pk)
        self.message_user(request, f"Unfroze {len(pks)} wallet(s).", messages.SUCCESS)
        return {"unfrozen": len(pks)}


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyModelAdmin):
    list_display = ("id", "wallet", "kind", "amount", "balance_after", "reference", "request_id", "created_at")
    list_filter = ("kind",)
    search_fields = ("=wallet__id", "wallet__owner__username", "reference", "request_id")
    list_select_related = ("wallet", "wallet__owner")


@admin.register(LedgerAudit)
class LedgerAuditAdmin(ReadOnlyModelAdmin):
    list_display = ("id", "finished_at", "wallets_checked", "entries_checked", "mismatch_count")
    # Run a new audit from the operator dashboard (audited); the rows here are its history.

