"""Channel audit: conservation and the nonce chain, checked against the rounds table."""
from decimal import Decimal

from django.db.models import Count, Max, Min, Sum

from games_app.casino.models import CasinoChannel, CasinoRound

ZERO = Decimal(0)


def audit_channel(*, channel: CasinoChannel, totals: dict | None = None) -> list[str]:
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
    return problems


def audit_all_channels(*, batch: int = 500):
    """Yield (channel, problems) for every inconsistent channel."""
    last_pk = 0
    while True:
        channels = list(CasinoChannel.objects.filter(pk__gt=last_pk).order_by("pk")[:batch])
        if not channels:
            return
        last_pk = channels[-1].pk
        rows = (CasinoRound.objects.filter(channel_id__in=[c.pk for c in channels]).values("channel_id")
                .annotate(n=Count("pk"), lo=Min("nonce"), hi=Max("nonce"), bets=Sum("bet_amount"), paid=Sum("payout")))
        by_channel = {row["channel_id"]: row for row in rows}
        empty = {"n": 0, "lo": None, "hi": None, "bets": None, "paid": None}
        for channel in channels:
            problems = audit_channel(channel=channel, totals=by_channel.get(channel.pk, empty))
            if problems:
                yield channel, problems
