"""Reads of the operator dashboard. Every figure is one aggregate query (no per-row loops), so the
page costs the same with ten rows or ten million; the sums come from the per-session and per-game
counters the game services maintain, not from scanning spins or rounds."""
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.db.models import Count, Q, Sum
from django.utils import timezone

from core.models import AdminActionLog
from games_app.casino import rules
from games_app.casino.models import CasinoChannel, CasinoCommit, CasinoRound
from games_app.casino.selectors import game_totals
from rl_app.models import DeliveryStatus, WebhookDelivery
from sessions_app.models import GameplaySession, SessionSpin, SessionState
from wallet_app.selectors import ledger_audit_latest, spend_day_bounds

ZERO = Decimal(0)
# Below this many rounds a realised edge is mostly luck (one 5x win on one round reads -400%); the
# dashboard still shows it, greyed and flagged, beside the round count. At 1,000 rounds the 95%
# band of a typical slot (sigma about 1.5 x bet) is still about +/-9 points wide.
EDGE_MIN_ROUNDS = 1_000


@dataclass(frozen=True)
class GameEdge:
    """House edge of one game: expected from its maths (1 - RTP), realised from play so far."""

    family: str                 # "slots (sessions)" or "a2a casino"
    game: str
    rounds: int
    wagered: Decimal
    paid: Decimal
    expected_edge: Decimal | None

    @property
    def realised_edge(self) -> Decimal | None:
        return (1 - self.paid / self.wagered) if self.wagered else None

    @property
    def low_sample(self) -> bool:
        return self.rounds < EDGE_MIN_ROUNDS


@dataclass(frozen=True)
class Dashboard:
    now: datetime
    day_start: datetime
    sessions_by_state: dict[str, int]
    active_sessions: int
    channels_open: int
    channels_closed: int
    pending_commits: int
    stale_commits: int
    spins_today: int
    wagered_today: Decimal
    payout_today: Decimal
    a2a_rounds_today: int
    a2a_wagered_today: Decimal
    a2a_payout_today: Decimal
    edges: list[GameEdge]
    ledger_audit: object | None
    channel_audit: AdminActionLog | None
    webhook_failures: int
    recent_actions: list[AdminActionLog] = field(default_factory=list)
    edge_min_rounds: int = EDGE_MIN_ROUNDS


def _slot_edges() -> list[GameEdge]:
    rows = (GameplaySession.objects.values("game_version__game__slug", "game_version__rtp")
            .annotate(spins=Sum("total_spins"), wagered=Sum("total_wagered"), paid=Sum("total_payout"))
            .order_by("game_version__game__slug"))
    by_game: dict[str, dict] = {}
    for row in rows:
        game = by_game.setdefault(row["game_version__game__slug"],
                                  {"spins": 0, "wagered": ZERO, "paid": ZERO, "edge_weight": ZERO, "rtp": None})
        wagered = row["wagered"] or ZERO
        game["spins"] += row["spins"] or 0
        game["wagered"] += wagered
        game["paid"] += row["paid"] or ZERO
        rtp = row["game_version__rtp"]
        if rtp is not None:
            # Sessions of different versions are weighted by what was wagered on each.
            game["edge_weight"] += wagered * (1 - rtp)
            game["rtp"] = rtp
    edges = []
    for slug, game in by_game.items():
        if game["wagered"]:
            expected = game["edge_weight"] / game["wagered"]
        else:
            expected = (1 - game["rtp"]) if game["rtp"] is not None else None
        edges.append(GameEdge(family="slots (sessions)", game=slug, rounds=game["spins"], wagered=game["wagered"],
                              paid=game["paid"], expected_edge=expected))
    return edges


def _casino_edges() -> list[GameEdge]:
    rtp = {"slots": rules.SLOTS_RTP, "coinflip": rules.COINFLIP_RTP, "lotto": rules.LOTTO_RTP}
    return [GameEdge(family="a2a casino", game=game, rounds=totals.rounds, wagered=totals.wagered,
                     paid=totals.paid_out, expected_edge=(1 - rtp[game]) if game in rtp else None)
            for game, totals in sorted(game_totals().items())]


def _webhook_failures() -> int:
    return WebhookDelivery.objects.filter(status=DeliveryStatus.FAILED).count()


def dashboard_get(*, now: datetime | None = None) -> Dashboard:
    """Everything the dashboard shows, as of `now`. "Today" is the wallet spend day
    (settings.WALLET_DAY_TIMEZONE), the same day the daily limits use."""
    now = now or timezone.now()
    day_start, day_end = spend_day_bounds(now=now)
    by_state = dict(GameplaySession.objects.values_list("state").annotate(n=Count("pk")).order_by())
    channels = CasinoChannel.objects.aggregate(open=Count("pk", filter=Q(status=CasinoChannel.Status.OPEN)),
                                               closed=Count("pk", filter=Q(status=CasinoChannel.Status.CLOSED)))
    commits = CasinoCommit.objects.filter(status=CasinoCommit.Status.PENDING).aggregate(
        pending=Count("pk"), stale=Count("pk", filter=Q(expires_at__lte=now)))
    spins = SessionSpin.objects.filter(created_at__gte=day_start, created_at__lt=day_end).aggregate(
        n=Count("pk"), wagered=Sum("stake"), paid=Sum("payout"))
    rounds = CasinoRound.objects.filter(created_at__gte=day_start, created_at__lt=day_end).aggregate(
        n=Count("pk"), wagered=Sum("bet_amount"), paid=Sum("payout"))
    return Dashboard(
        now=now, day_start=day_start, sessions_by_state=by_state,
        active_sessions=sum(n for state, n in by_state.items() if state != SessionState.COMPLETED),
        channels_open=channels["open"], channels_closed=channels["closed"],
        pending_commits=commits["pending"], stale_commits=commits["stale"],
        spins_today=spins["n"], wagered_today=spins["wagered"] or ZERO, payout_today=spins["paid"] or ZERO,
        a2a_rounds_today=rounds["n"], a2a_wagered_today=rounds["wagered"] or ZERO,
        a2a_payout_today=rounds["paid"] or ZERO,
        edges=_slot_edges() + _casino_edges(), ledger_audit=ledger_audit_latest(),
        channel_audit=AdminActionLog.objects.filter(action="channel_audit").order_by("-id").first(),
        webhook_failures=_webhook_failures(),
        recent_actions=list(AdminActionLog.objects.order_by("-id")[:10]))
