"""Channel audit: conservation and the nonce chain, checked against the rounds table; the reservations
kept on the row, checked against the pending commits and open lotto tickets they summarise."""
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Max, Min, Sum

from core.money import exact_money
from games_app.casino import rules
from games_app.casino.models import CasinoChannel, CasinoCommit, CasinoLottoTicket, CasinoRound

ZERO = Decimal(0)


@dataclass
class Reservations:
    """What a channel's pending commits and open tickets hold back, derived from those rows."""
    agent: Decimal = ZERO
    casino: Decimal = ZERO
    open_tickets: int = 0


def derived_reservations(*, channel_ids: list[int]) -> dict[int, Reservations]:
    """The reservations of these channels, from their pending commits and open tickets (two statements)."""
    out: dict[int, Reservations] = defaultdict(Reservations)
    pending = CasinoCommit.objects.filter(channel_id__in=channel_ids, status=CasinoCommit.Status.PENDING)
    for channel_id, game, bet in pending.values_list("channel_id", "game", "bet_amount"):
        agent, casino = rules.commit_reservation(game=game, bet=bet)
        out[channel_id].agent += agent
        out[channel_id].casino += casino
    tickets = (CasinoLottoTicket.objects.filter(channel_id__in=channel_ids, status=CasinoLottoTicket.Status.OPEN)
               .values("channel_id").annotate(n=Sum("ticket_count")).order_by())
    for row in tickets:
        out[row["channel_id"]].open_tickets = row["n"]
        out[row["channel_id"]].casino += rules.lotto_liability(row["n"])
    return out


@exact_money
def audit_channel(*, channel: CasinoChannel, totals: dict | None = None,
                  reservations: Reservations | None = None) -> list[str]:
    """Problems of one channel (empty when consistent)."""
    problems = []
    if channel.agent_deposit + channel.casino_deposit != channel.agent_balance + channel.casino_balance:
        problems.append("conservation: deposits != balances")
    if totals is None:
        totals = CasinoRound.objects.filter(channel=channel).aggregate(
            n=Count("pk"), lo=Min("nonce"), hi=Max("nonce"), bets=Sum("bet_amount"), paid=Sum("payout"))
    n = totals["n"] or 0
    if n != channel.nonce or (n and (totals["lo"] != 1 or totals["hi"] != channel.nonce)):
        problems.append(f"nonce chain: nonce={channel.nonce} but {n} rounds spanning {totals['lo']}..{totals['hi']}")
    bets, paid = totals["bets"] or ZERO, totals["paid"] or ZERO
    if channel.agent_deposit - bets + paid != channel.agent_balance:
        problems.append(f"agent balance {channel.agent_balance} != deposit - bets + payouts "
                        f"({channel.agent_deposit - bets + paid})")
    if channel.casino_deposit + bets - paid != channel.casino_balance:
        problems.append(f"casino balance {channel.casino_balance} != deposit + bets - payouts "
                        f"({channel.casino_deposit + bets - paid})")
    if reservations is None:
        reservations = derived_reservations(channel_ids=[channel.pk])[channel.pk]
    kept = (channel.reserved_agent, channel.reserved_casino, channel.open_lotto_tickets)
    derived = (reservations.agent, reservations.casino, reservations.open_tickets)
    if kept != derived:
        problems.append(f"reservations (agent, casino, open tickets) {kept} != pending commits and open "
                        f"tickets {derived}")
    return problems


def audit_all_channels(*, batch: int = 500):
    """Yield (channel, problems) for every inconsistent channel."""
    last_pk = 0
    while True:
        channels = list(CasinoChannel.objects.filter(pk__gt=last_pk).order_by("pk")[:batch])
        if not channels:
            return
        last_pk = channels[-1].pk
        ids = [c.pk for c in channels]
        rows = (CasinoRound.objects.filter(channel_id__in=ids).values("channel_id")
                .annotate(n=Count("pk"), lo=Min("nonce"), hi=Max("nonce"), bets=Sum("bet_amount"), paid=Sum("payout")))
        by_channel = {row["channel_id"]: row for row in rows}
        reservations = derived_reservations(channel_ids=ids)
        empty = {"n": 0, "lo": None, "hi": None, "bets": None, "paid": None}
        for channel in channels:
            problems = audit_channel(channel=channel, totals=by_channel.get(channel.pk, empty),
                                     reservations=reservations[channel.pk])
            if problems:
                yield channel, problems
