"""Row locks of sessions. Lock order everywhere: session, then wallet, then the rest.

A gameplay action locks its session and the session's wallet in ONE statement,
`SELECT ... FROM session JOIN wallet ... FOR UPDATE OF session, wallet`: PostgreSQL takes the row
locks in the order of the OF list, session first, so the documented order holds. Paths that lock a
wallet without a session (deposits, withdrawals, A2A channels, probing campaigns) never lock a session
afterwards, so no cycle — and no deadlock — can form between the two orders.
"""
from core import policy
from core.db import CompiledQuery
from sessions_app.exceptions import SessionNotFound
from sessions_app.models import GameplaySession

# What an action reads: the session row without its summary and timestamps, the wallet row's money
# columns, and of the game version only its bet limits and the identity of its (cached) engine.
ACTION_FIELDS = (
    "owner_id", "game_version_id", "wallet_id", "state", "bet", "budget", "max_spins", "reward_function",
    "server_seed", "server_seed_hash", "client_seed", "nonce", "probes", "steps", "total_spins", "total_wagered",
    "total_fees", "total_payout", "total_reward", "last_multiplier", "last_payout", "end_reason", "owner_has_hooks",
    "game_version__content_hash", "game_version__min_bet", "game_version__max_bet", "game_version__game_id",
    "game_version__game__slug",
    "wallet__owner_id", "wallet__balance", "wallet__daily_limit", "wallet__cost_per_spin", "wallet__cost_per_query",
    "wallet__frozen", "wallet__spent_today", "wallet__spent_day_start", "wallet__last_spend_at",
)


def _action_lock(**filters):
    return (GameplaySession.objects.select_related("game_version__game", "wallet").only(*ACTION_FIELDS)
            .select_for_update(of=("self", "wallet")).filter(**filters).order_by())


# Compiled once per process (thread): building this query costs more CPU than PostgreSQL spends on it.
_OWN_SESSION = CompiledQuery(lambda pk, owner_id: _action_lock(pk=pk, owner_id=owner_id),
                             pk=-9_000_000_001, owner_id=-9_000_000_002)
_ANY_SESSION = CompiledQuery(lambda pk: _action_lock(pk=pk), pk=-9_000_000_001)


def lock_session(*, session_id: int, actor: policy.Actor, action: str = policy.Act.SESSION_PLAY) -> GameplaySession:
    """Lock the session, if `actor` may do `action` to it (play: its owner only, never staff), and its wallet,
    in that order, in one statement; `session.wallet` is the locked wallet for wallet_app's `*_locked`
    services. Call inside atomic(). Raises SessionNotFound for a session the actor may not even read,
    Forbidden for one it may only read."""
    session = None
    if policy.allows_any(actor, action):  # the rows policy.scope allows: any, or the actor's own
        session = _ANY_SESSION.first(pk=session_id)
    elif policy.allows(actor, action, owner_id=actor.user_id):
        session = _OWN_SESSION.first(pk=session_id, owner_id=actor.user_id)
    if session is not None:
        return session
    # Refused or missing: policy decides which error (one more, unlocked read of the owner).
    return policy.get_for(actor, action, GameplaySession.objects.only("owner_id"), pk=session_id,
                          not_found=SessionNotFound(details={"session": session_id}))
