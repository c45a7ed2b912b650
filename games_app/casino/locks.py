"""Row locks for casino writes, always in this order so concurrent writers never deadlock:

1. the channel row,
2. wallets (the agent's, then the house's) — taken inside wallet_app's services,
3. the rest (commit, lotto draw, ticket, stats rows).

A signed open takes an advisory lock on its address between 1 and 2.

`of=("self",)` keeps joined rows unlocked. The lotto draw is locked FOR NO KEY UPDATE so that
ticket inserts (which take FOR KEY SHARE through their foreign key) never wait on it.
"""
from django.db import connection

from games_app.casino.models import CasinoChannel, CasinoCommit, CasinoLottoDraw, CasinoLottoTicket


def lock_open_channel(*, scope: str, agent_address: str) -> CasinoChannel | None:
    return (CasinoChannel.objects.select_for_update(of=("self",))
            .filter(scope=scope, agent_address=agent_address, status=CasinoChannel.Status.OPEN)
            .order_by("pk").first())


def lock_channel(*, channel_id: int) -> CasinoChannel:
    return CasinoChannel.objects.select_for_update(of=("self",)).get(pk=channel_id)


def lock_pending_commit(*, channel: CasinoChannel, game: str) -> CasinoCommit | None:
    """Call while holding the channel lock."""
    return (CasinoCommit.objects.select_for_update(of=("self",))
            .filter(channel=channel, game=game, status=CasinoCommit.Status.PENDING).order_by("pk").first())


def lock_draw(*, draw_id: int, skip_locked: bool = False) -> CasinoLottoDraw | None:
    return (CasinoLottoDraw.objects.select_for_update(no_key=True, skip_locked=skip_locked, of=("self",))
            .filter(pk=draw_id).first())


def lock_ticket(*, ticket_id: int) -> CasinoLottoTicket:
    """Call while holding the ticket's channel lock."""
    return CasinoLottoTicket.objects.select_for_update(of=("self",)).get(pk=ticket_id)


def lock_signed_open(*, agent_address: str) -> None:
    """Serialise signed opens of one address across namespaces (until the transaction ends), so the
    same open signature cannot win twice in two namespaces at once."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"casino-signed-open:{agent_address}"])
