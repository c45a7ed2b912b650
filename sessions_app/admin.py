from django.contrib import admin, messages

from core.admin_actions import audited, policy_permission
from core.admin_base import ReadOnlyModelAdmin
from core.admin_display import ConsoleDisplayMixin
from core.policy import Act, actor_from_user
from sessions_app.exceptions import InvalidStateTransition
from sessions_app.models import GameplaySession, SessionSpin, SessionState, SessionTransition
from sessions_app.services import session_force_close


class TransitionInline(admin.TabularInline):
    model = SessionTransition
    fields = ("from_state", "to_state", "action", "cause", "request_id", "at")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(GameplaySession)
class GameplaySessionAdmin(ConsoleDisplayMixin, admin.ModelAdmin):
    list_display = ("id", "owner", "game_version", "state", "bet", "total_spins", "total_wagered", "total_payout",
                    "created_at")
    list_filter = ("state", "game_version__game")
    search_fields = ("id", "owner__username")
    list_select_related = ("owner", "game_version__game")
    readonly_fields = [f.name for f in GameplaySession._meta.fields]
    inlines = [TransitionInline]
    actions = ["force_close_sessions"]

    def has_add_permission(self, request):
        return False

    has_force_close_sessions_permission = policy_permission(Act.SESSION_FORCE_CLOSE)

    @admin.action(description="Force-close selected sessions (moves no money)", permissions=["force_close_sessions"])
    @audited("force_close_sessions")
    def force_close_sessions(self, request, queryset):
        # Staff never play an agent's session (no abort on its behalf): they stop it with force_close,
        # each in its own transaction; completed ones are skipped.
        actor = actor_from_user(request.user)
        closed, skipped = [], []
        for pk in queryset.order_by("pk").values_list("pk", flat=True):
            try:
                session_force_close(session_id=pk, actor=actor, reason="admin console")
                closed.append(pk)
            except InvalidStateTransition:
                skipped.append(pk)
        self.message_user(request, f"Force-closed {len(closed)} session(s); {len(skipped)} already completed.",
                          messages.SUCCESS)
        return {"closed": closed, "skipped": skipped, "money_moved": "0"}


@admin.register(SessionTransition)
class SessionTransitionAdmin(ReadOnlyModelAdmin):
    list_display = ("session", "from_state", "to_state", "action", "cause", "request_id", "at")
    list_filter = ("to_state", "action")
    search_fields = ("request_id", "session__id")
    list_select_related = ("session",)


@admin.register(SessionSpin)
class SessionSpinAdmin(ReadOnlyModelAdmin):
    list_display = ("session", "nonce", "stake", "fee", "payout", "multiplier", "balance_after", "created_at")
    search_fields = ("session__id", "request_id")
    list_select_related = ("session",)
