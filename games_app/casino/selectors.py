"""Reads of the A2A casino. Every channel query is keyed by (scope, agent_address)."""
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Q, Sum

from core.money import format_amount
from games_app.casino import rules
from games_app.casino.models import (CasinoChannel, CasinoCommit, CasinoGameStats, CasinoLottoDraw,
                                     CasinoLottoTicket, Game)

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


@dataclass(frozen=True)
class Reservations:
    """Money a channel has promised but not yet moved: pending bets (agent side), the largest net
    payout of each pending commit and 85× every open lotto ticket (casino side)."""
    agent: Decimal
    casino_commits: Decimal
    lotto: Decimal
    open_tickets: int

    @property
    def casino(self) -> Decimal:
        return self.casino_commits + self.lotto


def channel_reservations(*, channel: CasinoChannel, exclude_game: str | None = None) -> Reservations:
    agent = casino_commits = ZERO
    pending = CasinoCommit.objects.filter(channel=channel, status=CasinoCommit.Status.PENDING)
    if exclude_game:
        pending = pending.exclude(game=exclude_game)
    for game, bet in pending.values_list("game", "bet_amount"):
        agent += bet
        casino_commits += bet * (rules.MAX_MULTIPLIER[game] - 1)
    tickets = (CasinoLottoTicket.objects.filter(channel=channel, status=CasinoLottoTicket.Status.OPEN)
               .aggregate(n=Sum("ticket_count"))["n"] or 0)
    lotto = tickets * rules.LOTTO_TICKET_PRICE * rules.LOTTO_PAYOUT_MULTIPLIER
    return Reservations(agent=agent, casino_commits=casino_commits, lotto=lotto, open_tickets=tickets)


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


def game_stats() -> dict[str, dict]:
    rows = {row.game: row for row in CasinoGameStats.objects.all()}
    out = {}
    for game in Game.values:
        row = rows.get(game)
        out[game] = {
            "total_rounds": row.total_rounds if row else 0,
            "total_wagered": format_amount(row.total_wagered if row else ZERO),
            "total_paid_out": format_amount(row.total_paid_out if row else ZERO),
        }
    return out


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

