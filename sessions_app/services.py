"""Writes of gameplay sessions. Every action runs in one transaction holding the session row lock and
the wallet's (taken together, session first: sessions_app.locks), so concurrent actions on a session
serialize and spin nonces stay gap-free. An action's rows (ledger, spin, step, transition) and the new
wallet and session state are queued on a WriteBatch and written in one statement before commit; a v2
batch of N actions writes them all in that one statement too. The experience step is rl_app's row: the
action emits STEP_TAKEN (sessions_app.events) and rl_app's handler queues the step on the same batch."""
import secrets
import time
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from core import policy
from core.db import WriteBatch, changed_fields, loaded_values, new_row
from core.exceptions import DomainError, ValidationFailed
from core.money import exact_money, format_amount, multiply_money, parse_amount, ratio
from core.request_context import get_request_id
from core.rng import FairRNG, generate_server_seed, hash_server_seed
from games_app.selectors import engine_for, game_latest_version
from sessions_app import metrics
from sessions_app.events import SESSION_OPENING, SESSION_SUMMARY, STEP_TAKEN, SessionStep, SessionSummary
from sessions_app.exceptions import BatchActionFailed, BatchDeadlineExceeded, BudgetExceeded, InvalidBet, MaxBetExceeded
from sessions_app.locks import lock_session
from sessions_app.models import GameplaySession, SessionSpin, SessionState, SessionTransition
from sessions_app.observations import observe
from sessions_app.rewards import REWARD_FUNCTIONS, compute_reward
from sessions_app.state_machine import Action, next_state
from wallet_app import services as wallet_services
from wallet_app.selectors import wallet_get_for

MAX_PROBES_PER_ACTION = 1000


@exact_money
def session_create(*, actor: policy.Actor, game_slug: str, wallet_id: int, budget: Decimal | None = None,
                   max_spins: int | None = None, client_seed: str | None = None,
                   reward_function: str = "net_payout") -> GameplaySession:
    """Create a session in `idle` for `actor`, on the game's latest version.

    Raises NotFound for an unknown game or a wallet the actor may not read; ValidationFailed for a
    wallet the actor may read but not spend from (only its owner spends)."""
    policy.require(actor, policy.Act.SESSION_CREATE, owner_id=actor.user_id)
    version = game_latest_version(slug=game_slug)
    wallet = wallet_get_for(wallet_id=wallet_id, actor=actor)
    if not policy.allows(actor, policy.Act.WALLET_SPEND, owner_id=wallet.owner_id):
        raise ValidationFailed("A session plays from its owner's own wallet.", details={"wallet": wallet_id})
    if reward_function not in REWARD_FUNCTIONS:
        raise ValidationFailed("Unknown reward function.", details={"allowed": sorted(REWARD_FUNCTIONS)})
    session = GameplaySession(owner_id=actor.user_id, game_version=version, wallet=wallet, budget=budget,
                              max_spins=max_spins, client_seed=client_seed or "", reward_function=reward_function)
    with transaction.atomic():
        SESSION_OPENING.emit(session)
        session.save(force_insert=True)
    return session


def _transition(session: GameplaySession, *, action: str, to_state: str, writes: WriteBatch, cause: str = "") -> None:
    if session.state != to_state:
        writes.insert(SessionTransition(session=session, from_state=session.state, to_state=to_state, action=action,
                                        cause=cause, request_id=get_request_id()))
        session.state = to_state


def _proof(session: GameplaySession, nonce: int) -> dict[str, Any]:
    return {"server_seed_hash": session.server_seed_hash, "client_seed": session.client_seed, "nonce": nonce,
            "server_seed": session.server_seed if session.state == SessionState.COMPLETED else None}


def _initialize(session: GameplaySession, params: dict, writes: WriteBatch) -> dict:
    client_seed = params.get("client_seed")
    if client_seed is not None:
        if not isinstance(client_seed, str) or not 1 <= len(client_seed) <= 64:
            raise ValidationFailed("client_seed must be a string of 1-64 characters.", details={"field": "client_seed"})
        session.client_seed = client_seed
    session.client_seed = session.client_seed or secrets.token_hex(16)
    session.server_seed = generate_server_seed()
    session.server_seed_hash = hash_server_seed(session.server_seed)
    return {"server_seed_hash": session.server_seed_hash, "client_seed": session.client_seed}


def _probe(session: GameplaySession, params: dict, writes: WriteBatch) -> dict:
    count = params.get("count", 1)
    if not isinstance(count, int) or isinstance(count, bool) or not 1 <= count <= MAX_PROBES_PER_ACTION:
        raise ValidationFailed(f"count must be an integer from 1 to {MAX_PROBES_PER_ACTION}.", details={"field": "count"})
    fee = session.wallet.cost_per_query * count
    balance_before = session.balance
    if fee > 0:
        entries = wallet_services.settle_play_locked(wallet=session.wallet, stake=Decimal(0), fee=fee, payout=Decimal(0),
                                                     writes=writes, fee_kind="query_fee",
                                                     reference=f"session:{session.pk}:probe", request_id=get_request_id())
        session.balance = entries[-1].balance_after
    engine = engine_for(version=session.game_version)
    # Probes draw from their own stream, so they never shift the nonces of paid spins.
    outcomes = [engine.spin(FairRNG(session.server_seed, f"{session.client_seed}:probe", session.probes + i + 1)).to_dict()
                for i in range(count)]
    session.probes += count
    session.total_fees += fee
    reward = compute_reward(session.reward_function, net=-fee, balance_before=balance_before, balance_after=session.balance)
    return {"count": count, "fee": format_amount(fee), "reward": reward, "outcomes": outcomes}


def _place_bet(session: GameplaySession, params: dict, writes: WriteBatch) -> dict:
    version = session.game_version
    try:
        amount = parse_amount(params.get("amount"), field="amount")
    except DomainError as exc:
        raise InvalidBet(exc.message, details={**exc.details, "min_bet": format_amount(version.min_bet),
                                               "max_bet": format_amount(version.max_bet)}) from exc
    limits = {"amount": format_amount(amount), "min_bet": format_amount(version.min_bet),
              "max_bet": format_amount(version.max_bet)}
    if amount < version.min_bet:
        raise InvalidBet(details=limits)
    if amount > version.max_bet:
        raise MaxBetExceeded(details=limits)
    session.bet = amount
    return {"bet": format_amount(amount)}


def _can_afford_another_spin(session: GameplaySession, balance: Decimal) -> str:
    """The reason the session cannot continue, or '' if another spin at the current bet is possible."""
    cost = session.bet + session.wallet.cost_per_spin
    if session.max_spins is not None and session.total_spins >= session.max_spins:
        return "max_spins_reached"
    if session.budget is not None and session.spent + cost > session.budget:
        return "budget_exhausted"
    if balance < cost:
        return "insufficient_balance"
    return ""


def _spin(session: GameplaySession, params: dict, writes: WriteBatch) -> dict:
    stake, fee = session.bet, session.wallet.cost_per_spin
    if session.budget is not None and session.spent + stake + fee > session.budget:
        raise BudgetExceeded(details={"budget": format_amount(session.budget), "spent": format_amount(session.spent),
                                      "requested": format_amount(stake + fee)})
    nonce = session.nonce + 1
    outcome = engine_for(version=session.game_version).spin(FairRNG(session.server_seed, session.client_seed, nonce))
    payout = multiply_money(stake, outcome.total_multiplier)
    reference = f"session:{session.pk}:spin:{nonce}"
    request_id = get_request_id()
    entries = wallet_services.settle_play_locked(wallet=session.wallet, stake=stake, fee=fee, payout=payout,
                                                 writes=writes, reference=reference, request_id=request_id)
    balance_before = entries[0].balance_after - entries[0].amount
    balance_after = entries[-1].balance_after
    session.balance = balance_after
    net = payout - stake - fee
    reward = compute_reward(session.reward_function, net=net, balance_before=balance_before, balance_after=balance_after)
    outcome_data = outcome.to_dict()
    writes.insert(new_row(SessionSpin, session=session, nonce=nonce, stake=stake, fee=fee, payout=payout,
                          multiplier=outcome_data["total_multiplier"], window=outcome_data["window"],
                          line_wins=outcome_data["line_wins"], scatter_win=outcome_data["scatter_win"],
                          reward=reward, balance_after=balance_after, request_id=request_id))
    session.nonce = nonce
    session.total_spins += 1
    session.total_wagered += stake
    session.total_fees += fee
    session.total_payout += payout
    _spins_counted_on_commit(session).add(stake=stake, payout=payout)
    result = {"symbols": outcome_data["window"], "stops": outcome_data.get("stops"), "line_wins": outcome_data["line_wins"],
              "scatter_win": outcome_data["scatter_win"], "multiplier": outcome_data["total_multiplier"],
              "stake": format_amount(stake), "fee": format_amount(fee),
              "payout": format_amount(payout) if payout > 0 else None, "balance_after": format_amount(balance_after),
              "nonce": nonce, "reward": reward, "proof": _proof(session, nonce)}
    stop_reason = _can_afford_another_spin(session, balance_after)
    if stop_reason:
        _transition(session, action=Action.SPIN, to_state=SessionState.EVALUATING, writes=writes, cause=stop_reason)
        session.end_reason = stop_reason
        result["auto_evaluated"] = stop_reason
    return result


class _SpinTally:
    """The spins of one transaction, added to the metrics once, after commit (a batch registers one hook,
    not one per spin)."""

    def __init__(self, game: str) -> None:
        self.game, self.spins, self.wagered, self.payout = game, 0, Decimal(0), Decimal(0)

    def add(self, *, stake: Decimal, payout: Decimal) -> None:
        self.spins += 1
        self.wagered += stake
        self.payout += payout

    def publish(self) -> None:
        metrics.SPINS.labels(game=self.game).inc(self.spins)
        metrics.WAGERED.labels(game=self.game).inc(float(self.wagered))
        metrics.PAYOUT.labels(game=self.game).inc(float(self.payout))


def _spins_counted_on_commit(session: GameplaySession) -> _SpinTally:
    """The tally of the session's spins in this transaction (the locked instance lives as long as it)."""
    tally = session.__dict__.get("_spin_tally")
    if tally is None:
        tally = session._spin_tally = _SpinTally(session.game_version.game.slug)
        transaction.on_commit(tally.publish)
    return tally


def _cash_out(session: GameplaySession, params: dict, writes: WriteBatch) -> dict:
    session.end_reason = session.end_reason or "cash_out"
    return {}


def _abort(session: GameplaySession, params: dict, writes: WriteBatch) -> dict:
    session.end_reason = "aborted"
    session.summary = _summary(session, writes)
    session.completed_at = timezone.now()
    return {}


_HANDLERS = {Action.INITIALIZE: _initialize, Action.PROBE: _probe, Action.PLACE_BET: _place_bet, Action.SPIN: _spin,
             Action.CASH_OUT: _cash_out, Action.ABORT: _abort}


def _summary(session: GameplaySession, writes: WriteBatch) -> dict[str, Any]:
    """The finished session's figures; SESSION_SUMMARY's handlers add theirs (rl_app: `reward_history`)."""
    rtp = ratio(session.total_payout, session.total_wagered, places=6) if session.total_wagered else None
    summary = {"spins": session.total_spins, "probes": session.probes, "wagered": format_amount(session.total_wagered),
               "fees": format_amount(session.total_fees), "payout": format_amount(session.total_payout),
               "net": format_amount(session.net), "realised_rtp": format_amount(rtp) if rtp is not None else None,
               "total_reward": session.total_reward, "end_reason": session.end_reason,
               "server_seed": session.server_seed, "server_seed_hash": session.server_seed_hash,
               "client_seed": session.client_seed}
    SESSION_SUMMARY.emit(SessionSummary(session=session, summary=summary, writes=writes))
    return summary


TRUNCATING_STOPS = {"max_spins_reached", "budget_exhausted"}


def _apply(session: GameplaySession, action: dict, policy: tuple[str, str], writes: WriteBatch) -> dict:
    """Run one action on a locked session and emit its experience step (STEP_TAKEN, whose handlers queue
    their rows on `writes`); the caller owns the transaction and queues the session's row (`_save`) once,
    after its last action."""
    kind = action.get("type")
    if not isinstance(kind, str) or kind not in _HANDLERS:
        raise ValidationFailed("Unknown action type.", details={"field": "type", "allowed": list(Action.ALL)})
    target = next_state(state=session.state, action=kind)
    from_state = session.state
    # The previous action of this transaction left the session as its next observation describes (a batch's
    # loop changes nothing in between): reused, not rebuilt.
    observation = session.__dict__.pop("_observation_now", None) or observe(
        session=session, balance=session.balance, last_multiplier=session.last_multiplier,
        last_payout=session.last_payout)
    result = _HANDLERS[kind](session, action, writes)
    if session.state == from_state:  # a handler may already have moved it (auto-evaluation)
        _transition(session, action=kind, to_state=target, writes=writes)
    if session.state == SessionState.COMPLETED and session.summary is None:
        session.summary = _summary(session, writes)
    if kind == Action.SPIN:
        session.last_multiplier, session.last_payout = result["multiplier"], Decimal(result["payout"] or 0)
    stop = result.get("auto_evaluated", "")
    next_observation = observe(session=session, balance=session.balance, last_multiplier=session.last_multiplier,
                               last_payout=session.last_payout)
    STEP_TAKEN.emit(SessionStep(
        session=session, index=session.steps, observation=observation,
        action={key: value for key, value in action.items() if key in ("type", "amount", "count", "client_seed")},
        reward=result.get("reward", 0.0),
        next_observation=next_observation,
        terminated=session.state in (SessionState.EVALUATING, SessionState.COMPLETED) and stop not in TRUNCATING_STOPS,
        truncated=stop in TRUNCATING_STOPS, info={"nonce": session.nonce, "stop": stop} if stop else {"nonce": session.nonce},
        policy_id=policy[0], policy_version=policy[1], writes=writes))
    session.steps += 1
    session.total_reward += result.get("reward", 0.0)
    session._observation_now = next_observation
    return {"action": kind, "state": session.state, **result}


def _prepare(session: GameplaySession) -> GameplaySession:
    """Attach the balance as read at lock time (spins keep it current through the transaction) and the
    values the row was read with (a save writes only the columns that changed since)."""
    session.balance = session.wallet.balance
    session.loaded_values = loaded_values(session)
    return session


# A spin changes some of these and leaves others (a loss after a loss keeps last_payout): writing them all
# whenever the nonce moves gives every spin the same statement text, which the connection then runs prepared.
_SPIN_COLUMNS = frozenset({"nonce", "steps", "total_spins", "total_wagered", "total_fees", "total_payout",
                           "total_reward", "last_multiplier", "last_payout"})


def _save(session: GameplaySession, writes: WriteBatch) -> None:
    changed = changed_fields(session, session.loaded_values)
    if "nonce" in changed:
        changed = [field.attname for field in GameplaySession._meta.concrete_fields
                   if field.attname in _SPIN_COLUMNS or field.attname in changed]
    writes.update(session, changed)


@exact_money
def session_act(*, session_id: int, actor: policy.Actor, action: dict, policy: tuple[str, str] = ("", "")) -> dict:
    """Apply one gameplay action.

    Only the session's owner may act on it (SessionNotFound for a session the actor may not read,
    Forbidden for one it may only read, e.g. staff). Locks the session (then its wallet through
    wallet_app). Raises InvalidStateTransition (409) for an
    action the state does not allow, wallet errors unchanged (INSUFFICIENT_BALANCE, DAILY_LIMIT_EXCEEDED, …);
    on any error nothing changes. A session that reaches `evaluating` is completed in a second
    transaction, so a crash in between leaves work for `recover_sessions`.
    """
    # Only known action names become label values: client input must not grow the metric's cardinality.
    label = action.get("type") if action.get("type") in Action.ALL else "invalid"
    with metrics.ACTION_LATENCY.labels(action=label).time():
        with transaction.atomic(), WriteBatch() as writes:
            session = _prepare(lock_session(session_id=session_id, actor=actor))
            result = _apply(session, action, policy, writes)
            _save(session, writes)
        if result["state"] == SessionState.EVALUATING:
            summary = session_finalize(session_id=session_id)
            if summary is not None:
                result.update(state=SessionState.COMPLETED, summary=summary)
    return result


@exact_money
def session_act_batch(*, session_id: int, actor: policy.Actor, actions: list[dict],
                      policy: tuple[str, str] = ("", ""), deadline: float | None = None) -> list[dict]:
    """Apply up to SESSION_BATCH_MAX_ACTIONS actions in order in ONE transaction: all or nothing.

    Raises BatchActionFailed carrying the failing index and the original error code, and
    BatchDeadlineExceeded (everything rolled back) when `time.monotonic()` passes `deadline` before
    the last action has run."""
    with transaction.atomic(), WriteBatch() as writes:
        session = _prepare(lock_session(session_id=session_id, actor=actor))
        results = []
        for index, action in enumerate(actions):
            if deadline is not None and time.monotonic() > deadline:
                raise BatchDeadlineExceeded(details={"completed_before_deadline": index, "actions": len(actions)})
            try:
                results.append(_apply(session, action, policy, writes))
            except DomainError as exc:
                raise BatchActionFailed(index=index, error=exc) from exc
        _save(session, writes)
    if results and results[-1]["state"] == SessionState.EVALUATING:
        summary = session_finalize(session_id=session_id)
        if summary is not None:
            results[-1].update(state=SessionState.COMPLETED, summary=summary)
    return results


FORCE_CLOSE_REASON_MAX = 150


@exact_money
def session_force_close(*, session_id: int, actor: policy.Actor, reason: str = "") -> tuple[GameplaySession, str]:
    """Staff's stop: complete an open session now, reveal its seed, and return (session, state it was in).

    Moves no money. Every spin and probe settled with the wallet in its own transaction, so a session
    holds nothing in flight: there is no stake to refund and no payout owed, and a refund here would
    pay twice. Operators and admins only (policy: not the owner's own action, which is `abort`).
    Raises SessionNotFound, Forbidden, or InvalidStateTransition (409) for a completed session. The
    caller records it in the admin trail, in its own transaction around this one."""
    if not isinstance(reason, str) or len(reason) > FORCE_CLOSE_REASON_MAX:
        raise ValidationFailed(f"reason must be a string of at most {FORCE_CLOSE_REASON_MAX} characters.",
                               details={"field": "reason"})
    with transaction.atomic(), WriteBatch() as writes:
        session = lock_session(session_id=session_id, actor=actor, action=policy.Act.SESSION_FORCE_CLOSE)
        from_state = session.state
        target = next_state(state=from_state, action=Action.FORCE_CLOSE)
        session.end_reason = "force_closed"
        session.completed_at = timezone.now()
        _transition(session, action=Action.FORCE_CLOSE, to_state=target, writes=writes,
                    cause=f"force_close by {actor.username}: {reason}"[:200])
        session.summary = _summary(session, writes)
        writes.update(session, ["state", "end_reason", "completed_at", "summary"])
    return session, from_state


@exact_money
def session_finalize(*, session_id: int, cause: str = "") -> dict | None:
    """Complete a session in `evaluating`: compute the summary, reveal the seed, move to `completed`.

    Idempotent: returns None if the session is not (or no longer) evaluating."""
    with transaction.atomic(), WriteBatch() as writes:
        session = GameplaySession.objects.select_for_update().filter(pk=session_id, state=SessionState.EVALUATING).first()
        if session is None:
            return None
        session.completed_at = timezone.now()
        _transition(session, action=Action.CASH_OUT, to_state=SessionState.COMPLETED, writes=writes,
                    cause=cause or session.end_reason)
        session.summary = _summary(session, writes)
        writes.update(session, ["state", "completed_at", "summary"])
        return session.summary


def sessions_recover() -> int:
    """Finish every session a crash left in `evaluating`. Returns how many were completed."""
    ids = list(GameplaySession.objects.filter(state=SessionState.EVALUATING).values_list("pk", flat=True))
    return sum(1 for session_id in ids if session_finalize(session_id=session_id, cause="recovered") is not None)


def sessions_owner_hooks_set(*, owner_id: int, has_hooks: bool) -> int:
    """Set `owner_has_hooks` on the owner's open sessions (a completed session records no more steps).
    Called by rl_app's hook services under the owner's row lock. Returns the number of sessions changed."""
    return (GameplaySession.objects.filter(owner_id=owner_id).exclude(state=SessionState.COMPLETED)
            .exclude(owner_has_hooks=has_hooks).update(owner_has_hooks=has_hooks))
