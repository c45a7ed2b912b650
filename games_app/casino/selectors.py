"""Reads of the A2A casino. Every channel query is keyed by (scope, agent_address)."""
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Q, Sum

from core.money import format_amount
from games_app.casino.models import (CasinoChannel, CasinoGameStats, CasinoLottoDraw, CasinoLottoTicket, CasinoRound,
                                     Game)

ZERO = Decimal(0)


def channel_latest(*, scope: str, agent_address: str) -> CasinoChannel | None:
    """The open channel if there is one, else the most recently opened (closed) one."""
    channels = CasinoChannel.objects.filter(scope=scope, agent_address=agent_address)
    return (channels.filter(status=CasinoChannel.Status.OPEN).first()
            or channels.order_by("-opened_at", "-pk").first())


def latest_open_signed_at(*, agent_address: str) -> int | None:
    """The newest signedAt of a signed open of this address, in any namespace."""
    return (CasinoChannel.objects.filter(agent_address=agent_address, open_signed_at__isnull=False)
            .order_by("-open_signed_at").values_list("open_signed_at", flat=True).first())


def channel_open(*, scope: str, agent_address: str) -> CasinoChannel | None:
    return CasinoChannel.objects.filter(scope=scope, agent_address=agent_address,
                                        status=CasinoChannel.Status.OPEN).first()


@dataclass(frozen=True)
class HouseExposure:
    """House money now in open funded channels: all of them, and the given owner's."""
    all_channels: Decimal
    owner_channels: Decimal


def house_exposure(*, house_wallet_id: int, owner) -> HouseExposure:
    totals = CasinoChannel.objects.filter(status=CasinoChannel.Status.OPEN, funded=True,
                                          house_wallet_id=house_wallet_id).aggregate(
        all=Sum("casino_balance"), owner=Sum("casino_balance", filter=Q(owner=owner)))
    return HouseExposure(all_channels=totals["all"] or ZERO, owner_channels=totals["owner"] or ZERO)


# A game's totals as the stats report them: every round but a lotto win counts as played.
ROUND_TOTALS = {"rounds": Count("pk", filter=~Q(kind=CasinoRound.Kind.LOTTO_WIN)), "wagered": Sum("bet_amount"),
                "paid": Sum("payout"), "count": Count("pk")}


@dataclass(frozen=True)
class GameTotals:
    rounds: int
    wagered: Decimal
    paid_out: Decimal


def game_totals() -> dict[str, GameTotals]:
    """Exact totals per game: its folded stats row plus the rounds after the fold (two statements)."""
    folded = {row.game: row for row in CasinoGameStats.objects.all()}
    after = Q()
    for game in Game.values:
        after |= Q(game=game, pk__gt=folded[game].through_round_id if game in folded else 0)
    recent = {row["game"]: row for row in CasinoRound.objects.filter(after).values("game")
              .annotate(**ROUND_TOTALS).order_by()}
    out = {}
    for game in Game.values:
        row, tail = folded.get(game), recent.get(game, {"rounds": 0, "wagered": ZERO, "paid": ZERO})
        out[game] = GameTotals(rounds=(row.total_rounds if row else 0) + tail["rounds"],
                               wagered=(row.total_wagered if row else ZERO) + tail["wagered"],
                               paid_out=(row.total_paid_out if row else ZERO) + tail["paid"])
    return out


def game_stats() -> dict[str, dict]:
    """`game_totals` as the stats answer writes them (amounts as exact strings)."""
    return {game: {"total_rounds": totals.rounds, "total_wagered": format_amount(totals.wagered),
                   "total_paid_out": format_amount(totals.paid_out)} for game, totals in game_totals().items()}


def round_at(*, channel: CasinoChannel, nonce: int, game: str, agent_seed: str) -> CasinoRound | None:
    """The play round of `game` at `nonce` revealed with `agent_seed` (a retried reveal's record)."""
    if nonce < 1:
        return None
    return CasinoRound.objects.filter(channel=channel, nonce=nonce, game=game, kind=CasinoRound.Kind.PLAY,
                                      agent_seed=agent_seed).first()


def channel_counts() -> dict[str, int]:
    return CasinoChannel.objects.aggregate(open=Count("pk", filter=Q(status="open")),
                                           closed=Count("pk", filter=Q(status="closed")))


def draw_totals(*, draw: CasinoLottoDraw) -> tuple[int, Decimal]:
    totals = draw.tickets.aggregate(n=Sum("ticket_count"), pool=Sum("total_cost"))
    return totals["n"] or 0, totals["pool"] or ZERO


def draws_past(*, limit: int = 10):
    return CasinoLottoDraw.objects.exclude(status=CasinoLottoDraw.Status.OPEN).order_by("-draw_time")[:limit]


def tickets_of_channel(*, channel: CasinoChannel, limit: int = 50):
    return CasinoLottoTicket.objects.filter(channel=channel).select_related("draw").order_by("-created_at")[:limit]

