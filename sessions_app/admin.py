from django.contrib import admin, messages

from core.admin_base import ReadOnlyModelAdmin
from operator_console.admin_actions import audited, console_permission
from operator_console.admin_display import ConsoleDisplayMixin
from operator_console.services import session_abort_by
from sessions_app.exceptions import InvalidStateTransition
from sessions_app.models import GameplaySession, SessionSpin, SessionState, SessionTransition


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
    actions = ["abort_sessions"]

    def has_add_permission(self, request):
        return False

    has_abort_sessions_permission = console_permission("abort_sessions")

    @admin.action(description="Abort selected sessions", permissions=["abort_sessions"])
    @audited("abort_sessions")
    def abort_sessions(self, request, queryset):
        # Each abort goes through the state machine in its own transaction; completed ones are skipped.
        aborted, skipped = [], []
        for pk in queryset.exclude(state=SessionState.COMPLETED).order_by("pk").values_list("pk", flat=True):
            try:
                session_abort_by(session_id=pk, actor=request.user)
                aborted.append(pk)
            except InvalidStateTransition:
                skipped.append(pk)
        skipped += list(queryset.filter(state=SessionState.COMPLETED).exclude(pk__in=aborted)
                        .values_list("pk", flat=True))
        self.message_user(request, f"Aborted {len(aborted)} session(s); {len(skipped)} already completed.",
                          messages.SUCCESS)
        return {"aborted": aborted, "skipped": sorted(skipped)}


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
