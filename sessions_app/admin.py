from django.contrib import admin

from sessions_app.models import GameplaySession, SessionSpin, SessionTransition


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class TransitionInline(admin.TabularInline):
    model = SessionTransition
    fields = ("from_state", "to_state", "action", "cause", "request_id", "at")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(GameplaySession)
class GameplaySessionAdmin(admin.ModelAdmin):
    list_display = ("id", "owner", "game_version", "state", "bet", "total_spins", "total_wagered", "total_payout",
                    "created_at")
    list_filter = ("state", "game_version__game")
    search_fields = ("id", "owner__username")
    list_select_related = ("owner", "game_version__game")
    readonly_fields = [f.name for f in GameplaySession._meta.fields]
    inlines = [TransitionInline]

    def has_add_permission(self, request):
        return False


@admin.register(SessionTransition)
class SessionTransitionAdmin(ReadOnlyAdmin):
    list_display = ("session", "from_state", "to_state", "action", "cause", "request_id", "at")
    list_filter = ("to_state", "action")
    search_fields = ("request_id", "session__id")
    list_select_related = ("session",)


@admin.register(SessionSpin)
class SessionSpinAdmin(ReadOnlyAdmin):
    list_display = ("session", "nonce", "stake", "fee", "payout", "multiplier", "balance_after", "created_at")
    search_fields = ("session__id", "request_id")
    list_select_related = ("session",)
