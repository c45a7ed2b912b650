from django.contrib import admin, messages

from core.admin_actions import audited, policy_permission
from core.admin_base import ReadOnlyModelAdmin
from core.admin_display import ConsoleDisplayMixin
from core.policy import Act
from games_app.casino import services
from games_app.casino.models import (CasinoChannel, CasinoCommit, CasinoEvent, CasinoGameStats, CasinoLottoDraw,
                                     CasinoLottoTicket, CasinoRequest, CasinoRound)


@admin.register(CasinoChannel)
class CasinoChannelAdmin(ReadOnlyModelAdmin):
    # Balances move only through services (and wallets with them), so the channel is read-only too.
    list_display = ("id", "agent_address", "scope", "status", "funded", "agent_balance", "casino_balance", "nonce",
                    "games_played", "opened_at", "closed_at")
    list_filter = ("status", "funded")
    search_fields = ("agent_address", "scope", "owner__username")
    list_select_related = ("owner",)


@admin.register(CasinoCommit)
class CasinoCommitAdmin(ConsoleDisplayMixin, admin.ModelAdmin):
    list_display = ("id", "agent_address", "game", "status", "bet_amount", "choice", "created_at", "expires_at")
    list_filter = ("status", "game")
    search_fields = ("agent_address", "commitment")
    list_select_related = ("channel",)
    readonly_fields = [f.name for f in CasinoCommit._meta.fields]
    actions = ["expire_stale_commits"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    has_expire_commits_permission = policy_permission(Act.COMMITS_EXPIRE)

    @admin.action(description="Expire stale commits (all pending commits past their timeout)",
                  permissions=["expire_commits"])
    @audited("expire_stale_commits")
    def expire_stale_commits(self, request, queryset):
        expired = services.commits_expire_stale()
        self.message_user(request, f"{expired} stale commit(s) expired.", messages.SUCCESS)
        return {"expired": expired}


@admin.register(CasinoRound)
class CasinoRoundAdmin(ReadOnlyModelAdmin):
    list_display = ("id", "channel", "nonce", "game", "kind", "bet_amount", "payout", "agent_balance_after",
                    "casino_balance_after", "created_at")
    list_filter = ("game", "kind")
    search_fields = ("channel__agent_address", "result_hash", "request_id")
    list_select_related = ("channel",)


@admin.register(CasinoEvent)
class CasinoEventAdmin(ReadOnlyModelAdmin):
    list_display = ("id", "kind", "agent_address", "channel", "request_id", "created_at")
    list_filter = ("kind",)
    search_fields = ("agent_address", "request_id")
    list_select_related = ("channel",)


@admin.register(CasinoRequest)
class CasinoRequestAdmin(ReadOnlyModelAdmin):
    list_display = ("id", "action", "agent_address", "scope", "key_source", "response_status", "request_id",
                    "created_at")
    list_filter = ("action", "key_source")
    search_fields = ("agent_address", "key", "request_id")
    list_select_related = ("channel",)


@admin.register(CasinoGameStats)
class CasinoGameStatsAdmin(ReadOnlyModelAdmin):
    list_display = ("game", "total_rounds", "total_wagered", "total_paid_out", "through_round_id", "updated_at")


@admin.register(CasinoLottoDraw)
class CasinoLottoDrawAdmin(ReadOnlyModelAdmin):
    list_display = ("id", "draw_time", "status", "commitment", "winning_number", "drawn_at")
    list_filter = ("status",)
    exclude = ("seed",)  # secret until the draw; shown in the API once drawn


@admin.register(CasinoLottoTicket)
class CasinoLottoTicketAdmin(ReadOnlyModelAdmin):
    list_display = ("id", "draw", "agent_address", "picked_number", "ticket_count", "total_cost", "status", "payout")
    list_filter = ("status",)
    search_fields = ("agent_address",)
    list_select_related = ("draw", "channel")
