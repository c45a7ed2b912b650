"""Row locks for casino writes, always in this order so concurrent writers never deadlock:

1. the channel row,
2. wallets (the agent's, then the house's) — taken inside wallet_app's services,
3. the rest (commit, lotto draw, ticket, stats rows).

A signed open takes an advisory lock on its address between 1 and 2.

`of=("self",)` keeps joined rows unlocked. The lotto draw is locked FOR NO KEY UPDATE so that
ticket inserts (which take FOR KEY SHARE through their foreign key) never wait on it.
"""
from django.db import connection
from django.db.models import OuterRef

from core.db import CompiledQuery
from games_app.casino.models import CasinoChannel, CasinoCommit, CasinoLottoDraw, CasinoLottoTicket
from wallet_app.selectors import wallet_frozen_exists


# Compiled once per process (thread): building these costs more CPU than PostgreSQL spends on them.
_OPEN_CHANNEL = CompiledQuery(
    lambda scope, agent_address: (
        CasinoChannel.objects.select_for_update(of=("self",))
        .filter(scope=scope, agent_address=agent_address, status=CasinoChannel.Status.OPEN)
        .annotate(agent_wallet_frozen=wallet_frozen_exists(wallet_id=OuterRef("agent_wallet_id"))).order_by("pk")[:1]),
    scope="\x00sentinel-scope", agent_address="\x00sentinel-address")
_PENDING_COMMIT = CompiledQuery(
    lambda channel_id, game: (CasinoCommit.objects.select_for_update(of=("self",))
                              .filter(channel_id=channel_id, game=game, status=CasinoCommit.Status.PENDING)
                              .order_by("pk")[:1]),
    channel_id=-9_000_000_001, game="\x00sentinel-game")


def lock_open_channel(*, scope: str, agent_address: str) -> CasinoChannel | None:
    """The open channel, with `agent_wallet_frozen` read in the same statement (a plain read of the
    wallet, not a lock: a freeze committing later applies to later requests)."""
    return _OPEN_CHANNEL.first(scope=scope, agent_address=agent_address)


def lock_channel(*, channel_id: int) -> CasinoChannel:
    return CasinoChannel.objects.select_for_update(of=("self",)).get(pk=channel_id)


def lock_channel_unless_busy(*, channel_id: int) -> CasinoChannel | None:
    """The channel row, or None when another transaction holds it (for background jobs)."""
    return CasinoChannel.objects.select_for_update(of=("self",), skip_locked=True).filter(pk=channel_id).first()


def lock_pending_commit(*, channel: CasinoChannel, game: str) -> CasinoCommit | None:
    """Call while holding the channel lock."""
    return _PENDING_COMMIT.first(channel_id=channel.pk, game=game)


def lock_expired_commits(*, channel: CasinoChannel, now) -> list[CasinoCommit]:
    """Call while holding the channel lock."""
    return list(CasinoCommit.objects.select_for_update(of=("self",))
                .filter(channel=channel, status=CasinoCommit.Status.PENDING, expires_at__lte=now).order_by("pk"))


def lock_open_tickets(*, channel: CasinoChannel, draw_id: int) -> list[CasinoLottoTicket]:
    """Call while holding the channel lock."""
    return list(CasinoLottoTicket.objects.select_for_update(of=("self",))
                .filter(channel=channel, draw_id=draw_id, status=CasinoLottoTicket.Status.OPEN).order_by("pk"))


def lock_draw(*, draw_id: int, skip_locked: bool = False) -> CasinoLottoDraw | None:
    return (CasinoLottoDraw.objects.select_for_update(no_key=True, skip_locked=skip_locked, of=("self",))
            .filter(pk=draw_id).first())


def lock_signed_open(*, agent_address: str) -> None:
    """Serialise signed opens of one address across namespaces (until the transaction ends), so the
    same open signature cannot win twice in two namespaces at once."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"casino-signed-open:{agent_address}"])
