"""Writes of the A2A casino: one transaction per mutating action.

`casino_execute` is the single entry point for the seven mutating actions. Inside one
`transaction.atomic()` it locks the agent's open channel, looks up the request's idempotency key
(replaying a stored response verbatim), runs the action, checks the invariants (conservation;
nonce = old + rounds resolved) and stores the response snapshot in `casino_requests`. Any error
rolls everything back, except a reveal that finds its commit expired: that marks the commit
expired, commits, and then answers COMMIT_EXPIRED.
"""
import hashlib
import hmac
import json
import logging
import math
import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from datetime import timezone as dt_timezone
from decimal import Decimal
from typing import Any, Callable

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from core.exceptions import DomainError
from core.money import exact_money, format_amount
from core.request_context import get_request_id
from games_app.casino import locks, rules, selectors
from games_app.casino.addresses import to_checksum_address
from games_app.casino.exceptions import (AnonymousChannelLimit, BankrollShareExceeded, ChannelAlreadyExists,
                                         ChannelFundingFailed, ChannelNotFound, CommitExpired, CommitNotFound,
                                         DailyLimitExceeded, IdempotencyKeyInvalid, IdempotencyKeyReused,
                                         InsufficientBalance, InvalidSignature, InvariantViolation, MaxBetExceeded,
                                         PendingCommitExists, WalletFrozen)
from games_app.casino.inputs import MUTATING_ACTIONS, CasinoCall
from games_app.casino.models import (ANONYMOUS_SCOPE, CasinoChannel, CasinoCommit, CasinoEvent,
                                     CasinoGameStats, CasinoLottoDraw, CasinoLottoTicket, CasinoRequest, CasinoRound,
                                     Game)
from games_app.casino.signatures import action_message, open_message, verify_signature
from wallet_app import selectors as wallet_selectors
from wallet_app import services as wallet_services

logger = logging.getLogger(__name__)

ZERO = Decimal(0)
_HEADER_KEY = re.compile(r"^[\x21-\x7e][\x20-\x7e]{0,254}$")
_ATTEMPTS = 3


@dataclass(frozen=True)
class Caller:
    """Who is calling: a token owner (funded channels in scope `user:<id>`) or anonymous."""
    owner: Any = None
    client_ip: str | None = None

    @property
    def scope(self) -> str:
        return f"user:{self.owner.pk}" if self.owner is not None else ANONYMOUS_SCOPE


@dataclass
class Outcome:
    status: int
    content: dict
    replayed: bool = False


@dataclass
class _Result:
    content: dict
    channel: CasinoChannel | None
    rounds: int = 0
    replayed: bool = False


@dataclass
class _Deferred:
    """An error to answer only after the transaction commits (its side effect must stay)."""
    error: DomainError


@dataclass
class _Context:
    call: CasinoCall
    caller: Caller
    channel: CasinoChannel | None
    now: datetime
    request_id: str = field(default_factory=get_request_id)


# --------------------------------------------------------------------------------------------
# entry point


@exact_money
def casino_execute(*, call: CasinoCall, caller: Caller, header_key: str | None = None) -> Outcome:
    """Run one mutating action exactly once per idempotency key.

    Locks: the agent's open channel, then wallets (via wallet_app), then commit/draw/ticket/stats rows.
    Raises: a CasinoError subclass (nothing changed), or InvariantViolation (rolled back).
    Guarantees: conservation and the nonce chain hold at commit; a repeated key answers the stored
    content byte for byte; the same header key with other content raises IDEMPOTENCY_KEY_REUSED.
    """
    assert call.action in MUTATING_ACTIONS
    if header_key is not None and not _HEADER_KEY.match(header_key):
        raise IdempotencyKeyInvalid()
    for attempt in range(_ATTEMPTS):
        try:
            return _execute_once(call=call, caller=caller, header_key=header_key)
        except IntegrityError as exc:
            if _is_check_violation(exc):
                logger.error("casino check constraint violated", extra={"action": call.action})
                raise InvariantViolation() from None
            # A concurrent twin inserted the same open channel / request key first: run again,
            # which now finds its row (replay, or a clean CHANNEL_ALREADY_EXISTS).
            if attempt == _ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


def _is_check_violation(exc: IntegrityError) -> bool:
    return getattr(getattr(exc, "__cause__", None), "sqlstate", None) == "23514"


def _execute_once(*, call: CasinoCall, caller: Caller, header_key: str | None) -> Outcome:
    deferred: _Deferred | None = None
    with transaction.atomic():
        channel = locks.lock_open_channel(scope=caller.scope, agent_address=call.address)
        ctx = _Context(call=call, caller=caller, channel=channel, now=timezone.now())
        fingerprint = hashlib.sha256(call.canonical().encode()).hexdigest()
        if header_key is not None:
            keys, source = ["h:" + header_key], CasinoRequest.KeySource.HEADER
        else:
            keys, source = _derived_keys(ctx), CasinoRequest.KeySource.DERIVED
        for key in keys:
            record = CasinoRequest.objects.filter(scope=caller.scope, agent_address=call.address, key=key).first()
            if record is not None:
                if record.fingerprint != fingerprint:
                    raise IdempotencyKeyReused()
                return Outcome(status=record.response_status, content=json.loads(record.response_body),
                               replayed=True)
        old_nonce = channel.nonce if channel is not None else 0
        result = ACTIONS[call.action](ctx)
        if isinstance(result, _Deferred):
            deferred = result
        elif result.replayed:
            return Outcome(status=200, content=result.content, replayed=True)
        else:
            _assert_invariants(channel=result.channel, expected_nonce=old_nonce + result.rounds)
            if not keys:  # nothing to store: a commit, or a reveal (its round row is its record)
                return Outcome(status=200, content=result.content)
            CasinoRequest.objects.create(
                scope=caller.scope, agent_address=call.address, key=keys[0], key_source=source,
                action=call.action, fingerprint=fingerprint, channel=result.channel, response_status=200,
                response_body=json.dumps(result.content), request_id=ctx.request_id)
            return Outcome(status=200, content=result.content)
    raise deferred.error


def _digest(*parts: object) -> str:
    return "d:" + hashlib.sha256("|".join(str(p) for p in parts).encode()).hexdigest()


def _derived_keys(ctx: _Context) -> list[str]:
    """Keys made of the action, the address, the nonce the action would consume and its stable
    parameters, so a retry of the same request maps to the same key while a later, deliberate
    repeat (a second lotto purchase, a re-open after close) does not. The first key is the one to
    store; later ones are lookups only; none (an empty list) means nothing is replayed or stored.

    Commits get none: an identical second commit must meet the pending one (PENDING_COMMIT_EXISTS),
    as in the reference casino. Replaying the first commit's answer would hand a second client a
    commitment that the first client's reveal then settles. Only a header key replays a commit.
    Reveals get none either: the round row is the record, and `_reveal` replays from it."""
    call, channel, params = ctx.call, ctx.channel, ctx.call.params
    if call.action == "open_channel":
        closed = CasinoChannel.objects.filter(scope=ctx.caller.scope, agent_address=call.address,
                                              status=CasinoChannel.Status.CLOSED).count()
        return [_digest(call.action, f"c{closed}", params["agent_deposit"], params["casino_deposit"])]
    if call.action == "close_channel":
        target = channel or selectors.channel_latest(scope=ctx.caller.scope, agent_address=call.address)
        return [_digest(call.action, target.pk)] if target else []
    if channel is None:
        return []
    candidate = channel.nonce + 1
    if call.action in ("slots_commit", "coinflip_commit"):
        return []
    if call.action in ("slots_reveal", "coinflip_reveal"):
        return []
    if call.action == "lotto_buy":
        return [_digest(call.action, channel.pk, f"n{candidate}", params["picked_number"], params["ticket_count"])]
    raise AssertionError(call.action)


def _assert_invariants(*, channel: CasinoChannel | None, expected_nonce: int) -> None:
    """Check the locked channel as this transaction wrote it (in memory: every write to the row goes
    through this object while the lock is held; PostgreSQL's CHECKs back it up); a mismatch aborts
    the transaction (INVARIANT_VIOLATION)."""
    if channel is None:
        return
    conserved = channel.agent_deposit + channel.casino_deposit == channel.agent_balance + channel.casino_balance
    covered = (0 <= channel.reserved_agent <= channel.agent_balance
               and 0 <= channel.reserved_casino <= channel.casino_balance and channel.open_lotto_tickets >= 0)
    if not conserved or not covered or channel.nonce != expected_nonce:
        logger.error("casino invariant violated", extra={"channel_id": channel.pk, "expected_nonce": expected_nonce,
                                                         "row": {"agent_balance": str(channel.agent_balance),
                                                                 "casino_balance": str(channel.casino_balance),
                                                                 "reserved_agent": str(channel.reserved_agent),
                                                                 "reserved_casino": str(channel.reserved_casino),
                                                                 "nonce": channel.nonce}})
        raise InvariantViolation()


# --------------------------------------------------------------------------------------------
# helpers shared by the actions


def _money(value: Decimal) -> str:
    return format_amount(value)


def _event(*, kind: str, channel: CasinoChannel | None, agent_address: str = "", payload: dict | None = None,
           request_id: str = "") -> None:
    CasinoEvent.objects.create(channel=channel, agent_address=agent_address or (channel.agent_address if channel else ""),
                               kind=kind, payload=payload or {}, request_id=request_id or get_request_id())


# Parameters are bound server-side (casino_project/settings.py): PostgreSQL takes at most 65,535 per statement.
_IDS_PER_STATEMENT = 10_000
_RESERVATION_FIELDS = ["reserved_agent", "reserved_casino", "open_lotto_tickets", "updated_at"]


def _apply_round(*, channel: CasinoChannel, agent_delta: Decimal, games: int = 1) -> int:
    """Move `agent_delta` from the casino side to the agent side (negative: the other way), consume
    one nonce and write the row once, with whatever the caller changed in its reservations. Call
    while holding the channel lock; returns the new nonce."""
    channel.agent_balance += agent_delta
    channel.casino_balance -= agent_delta
    channel.nonce += 1
    channel.games_played += games
    channel.save(update_fields=["agent_balance", "casino_balance", "nonce", "games_played", *_RESERVATION_FIELDS])
    return channel.nonce


def _reserve_commit(*, channel: CasinoChannel, game: str, bet: Decimal, sign: int = 1) -> None:
    """Add (sign 1) or release (sign -1) a pending commit's reservations, in memory: the caller writes the row."""
    agent, casino = rules.commit_reservation(game=game, bet=bet)
    channel.reserved_agent += sign * agent
    channel.reserved_casino += sign * casino


def _reserve_tickets(*, channel: CasinoChannel, ticket_count: int, sign: int = 1) -> None:
    channel.open_lotto_tickets += sign * ticket_count
    channel.reserved_casino += sign * rules.lotto_liability(ticket_count)


def _require_open(ctx: _Context) -> CasinoChannel:
    if ctx.channel is None:
        raise ChannelNotFound()
    return ctx.channel


def _authorize(ctx: _Context, channel: CasinoChannel, *parameters: object) -> None:
    """On a signed channel, the write must carry the key's signature of this channel, nonce, action and
    every money-moving parameter. Call before the action writes anything."""
    if channel.signed:
        message = action_message(action=ctx.call.action, address=channel.agent_address, channel_id=channel.pk,
                                 nonce=channel.nonce, parameters=parameters)
        verify_signature(message=message, signature=ctx.call.params.get("signature"), address=channel.agent_address,
                         required=True)


def _verify_open_signature(ctx: _Context) -> bool:
    """A signed open: the key's signature over the deposits and a fresh signedAt later than that of every
    earlier signed channel of the address (any namespace), so one open signature opens one channel."""
    params, address = ctx.call.params, ctx.call.address
    if params.get("signature") is None:
        return False
    signed_at = params["signed_at"]
    skew_ms = settings.A2A_SIGNATURE_MAX_SKEW_SECONDS * 1000
    now_ms = int(ctx.now.timestamp() * 1000)
    message = open_message(address=address, agent_deposit=params["agent_deposit"],
                           casino_deposit=params["casino_deposit"], signed_at=signed_at)
    verify_signature(message=message, signature=params["signature"], address=address, required=True)
    if abs(now_ms - signed_at) > skew_ms:
        raise InvalidSignature(f"signedAt must be within {settings.A2A_SIGNATURE_MAX_SKEW_SECONDS} s of the server "
                               f"clock ({now_ms} ms now).")
    locks.lock_signed_open(agent_address=address)
    latest = selectors.latest_open_signed_at(agent_address=address)
    if latest is not None and signed_at <= latest:
        raise InvalidSignature("This open signature was already used: sign a new open with a later signedAt.")
    return True


def _expire_commit(*, commit: CasinoCommit, channel: CasinoChannel, now: datetime, reason: str) -> None:
    """Expire a pending commit and release its reservations. Call while holding its channel's lock."""
    commit.status = CasinoCommit.Status.EXPIRED
    commit.resolved_at = now
    commit.save(update_fields=["status", "resolved_at"])
    _reserve_commit(channel=channel, game=commit.game, bet=commit.bet_amount, sign=-1)
    channel.save(update_fields=_RESERVATION_FIELDS)
    _event(kind="commit_expired", channel=channel, agent_address=commit.agent_address,
           payload={"commitId": commit.pk, "game": commit.game, "reason": reason})


def close_signature(*, channel: CasinoChannel) -> str:
    """The casino's receipt for the final state: HMAC-SHA256 (server secret) over
    `close_channel:{address}:{agentBalance}:{casinoBalance}:{nonce}:{channelId}`."""
    message = (f"close_channel:{channel.agent_address}:{_money(channel.agent_balance)}:"
               f"{_money(channel.casino_balance)}:{channel.nonce}:{channel.pk}")
    return hmac.new(settings.SECRET_KEY.encode(), message.encode(), hashlib.sha256).hexdigest()


def channel_content(channel: CasinoChannel) -> dict:
    return {
        "channelId": channel.pk,
        "status": channel.status,
        "stealthAddress": to_checksum_address(channel.agent_address),
        "agentBalance": _money(channel.agent_balance),
        "casinoBalance": _money(channel.casino_balance),
        "agentDeposit": _money(channel.agent_deposit),
        "casinoDeposit": _money(channel.casino_deposit),
        "nonce": channel.nonce,
        "gamesPlayed": channel.games_played,
        "funded": channel.funded,
        "signed": channel.signed,
        # The reference casino's on-chain fields: no chain here, so always null.
        "chainId": None, "openTxHash": None, "fundTxHash": None, "onchainAgent": None,
    }


# --------------------------------------------------------------------------------------------
# channels


def _fund_channel(*, channel: CasinoChannel, owner, request_id: str) -> None:
    """Lock agentDeposit out of the caller's wallet (under its controls: frozen, daily limit,
    balance) and casinoDeposit out of the house bankroll (ledger kind channel_lock), then check the
    owner's share of the bankroll. Call while holding the (new) channel row.

    The owner's wallet lock serialises this owner's opens and the house wallet lock serialises all
    funded opens, so the share below is computed on committed, current figures."""
    wallet = wallet_selectors.wallet_for_owner(owner=owner)
    if wallet is None:
        raise InsufficientBalance(f"No {settings.WALLET_DEFAULT_CURRENCY} wallet to fund the channel from.")
    reference = f"casino-channel:{channel.pk}"
    try:
        wallet_services.lock_for_channel(wallet_id=wallet.pk, amount=channel.agent_deposit, reference=reference,
                                         request_id=request_id)
    except DomainError as exc:
        if exc.code == "INSUFFICIENT_BALANCE":
            raise InsufficientBalance("The wallet balance cannot cover agentDeposit.") from None
        if exc.code == "DAILY_LIMIT_EXCEEDED":
            raise DailyLimitExceeded(
                f"agentDeposit would exceed the wallet's daily spend limit of {exc.details.get('limit')} "
                f"(spent today {exc.details.get('spent_today')}, resets {exc.details.get('resets_at')}).",
                details=exc.details) from None
        if exc.code == "WALLET_FROZEN":
            raise WalletFrozen("The wallet is frozen: it cannot fund a channel.") from None
        raise ChannelFundingFailed(f"The wallet cannot fund the channel ({exc.code}).") from None
    house = wallet_services.house_wallet()
    try:
        entry = wallet_services.lock_for_channel(wallet_id=house.pk, amount=channel.casino_deposit,
                                                 reference=reference, request_id=request_id)
    except DomainError as exc:
        raise ChannelFundingFailed(f"The house bankroll cannot cover casinoDeposit ({exc.code}).") from None
    channel.funded, channel.agent_wallet_id, channel.house_wallet_id = True, wallet.pk, house.pk
    channel.save(update_fields=["funded", "agent_wallet_id", "house_wallet_id", "updated_at"])
    exposure = selectors.house_exposure(house_wallet_id=house.pk, owner=owner)
    bankroll = entry.balance_after + exposure.all_channels
    allowed = rules.quantize_down(bankroll * settings.A2A_MAX_OWNER_BANKROLL_SHARE)
    if exposure.owner_channels > allowed:
        raise BankrollShareExceeded(
            f"Your open channels would hold {_money(exposure.owner_channels)} of the house bankroll; "
            f"the most one owner may hold is {_money(allowed)} "
            f"({settings.A2A_MAX_OWNER_BANKROLL_SHARE} of {_money(bankroll)}).")


def _ensure_wallet_not_frozen(channel: CasinoChannel) -> None:
    """A funded channel takes no new wager once its wallet is frozen (reveals and close still settle).
    `channel` comes from `locks.lock_open_channel`, which reads the wallet's flag with the row."""
    if channel.funded and channel.agent_wallet_frozen:
        raise WalletFrozen()


def _open_channel(ctx: _Context) -> _Result:
    if ctx.channel is not None:
        raise ChannelAlreadyExists()
    caller, params = ctx.caller, ctx.call.params
    if caller.owner is None and caller.client_ip:
        open_from_ip = CasinoChannel.objects.filter(scope=ANONYMOUS_SCOPE, status=CasinoChannel.Status.OPEN,
                                                    client_ip=caller.client_ip).count()
        if open_from_ip >= settings.A2A_ANONYMOUS_CHANNELS_PER_IP:
            raise AnonymousChannelLimit()
    signed = _verify_open_signature(ctx)
    channel = CasinoChannel.objects.create(
        scope=caller.scope, agent_address=ctx.call.address, owner=caller.owner, signed=signed,
        open_signed_at=params["signed_at"] if signed else None,
        agent_deposit=params["agent_deposit"], casino_deposit=params["casino_deposit"],
        agent_balance=params["agent_deposit"], casino_balance=params["casino_deposit"],
        client_ip=caller.client_ip, request_id=ctx.request_id, opened_at=ctx.now)
    if caller.owner is not None:
        _fund_channel(channel=channel, owner=caller.owner, request_id=ctx.request_id)
    _event(kind="channel_opened", channel=channel, payload={
        "agentDeposit": _money(channel.agent_deposit), "casinoDeposit": _money(channel.casino_deposit),
        "funded": channel.funded})
    content = channel_content(channel) | {"settlementMode": "offchain-ledger"}
    return _Result(content=content, channel=channel)


def _close_channel(ctx: _Context) -> _Result:
    channel = _require_open(ctx)
    _authorize(ctx, channel)
    for commit in CasinoCommit.objects.select_for_update(of=("self",)).filter(
            channel=channel, status=CasinoCommit.Status.PENDING).order_by("pk"):
        _expire_commit(commit=commit, channel=channel, now=ctx.now, reason="channel_closed")
    if channel.funded:
        reference = f"casino-channel:{channel.pk}"
        # Agent first, then house: the same wallet order as on open.
        for wallet_id, amount in ((channel.agent_wallet_id, channel.agent_balance),
                                  (channel.house_wallet_id, channel.casino_balance)):
            if amount > 0:
                wallet_services.release_from_channel(wallet_id=wallet_id, amount=amount, reference=reference,
                                                     request_id=ctx.request_id)
    channel.status = CasinoChannel.Status.CLOSED
    channel.closed_at = ctx.now
    channel.close_signature = close_signature(channel=channel)
    channel.save(update_fields=["status", "closed_at", "close_signature", "updated_at"])
    _event(kind="channel_closed", channel=channel, payload={
        "agentBalance": _money(channel.agent_balance), "casinoBalance": _money(channel.casino_balance),
        "nonce": channel.nonce})
    content = channel_content(channel) | {"totalGames": channel.games_played, "signature": channel.close_signature,
                                          "settlementMode": "offchain-ledger", "settledOnchain": False,
                                          "closeTxHash": None, "closeBlock": None, "nextStep": None}
    return _Result(content=content, channel=channel)


# --------------------------------------------------------------------------------------------
# commit-reveal games


def _commit(ctx: _Context, game: str) -> _Result:
    channel = _require_open(ctx)
    bet = ctx.call.params["bet"]
    _authorize(ctx, channel, _money(bet), *([ctx.call.params["choice"]] if game == Game.COINFLIP else []))
    _ensure_wallet_not_frozen(channel)
    pending = locks.lock_pending_commit(channel=channel, game=game)
    if pending is not None:
        if pending.expires_at > ctx.now:
            raise PendingCommitExists()
        _expire_commit(commit=pending, channel=channel, now=ctx.now, reason="timeout")
    # The other game's pending commit and the open lotto tickets are already reserved on the row.
    limit = rules.max_bet(game=game, available_casino_balance=channel.casino_balance - channel.reserved_casino)
    if bet > limit:
        raise MaxBetExceeded(f"betAmount exceeds the maximum bet of {_money(limit)} for this channel.")
    if channel.agent_balance - channel.reserved_agent < bet:
        raise InsufficientBalance("agentBalance cannot cover betAmount.")
    casino_seed = secrets.token_hex(32)
    commit = CasinoCommit.objects.create(
        channel=channel, scope=channel.scope, agent_address=channel.agent_address, game=game,
        casino_seed=casino_seed, commitment=rules.sha256_hex(casino_seed), bet_amount=bet,
        choice=ctx.call.params.get("choice", ""), request_id=ctx.request_id, created_at=ctx.now,
        expires_at=ctx.now + timedelta(seconds=settings.A2A_COMMIT_TTL_SECONDS))
    _reserve_commit(channel=channel, game=game, bet=bet)
    channel.save(update_fields=_RESERVATION_FIELDS)
    content = {"game": game, "commitment": commit.commitment, "betAmount": _money(bet)}
    if game == Game.COINFLIP:
        content["choice"] = commit.choice
    content["expiresAt"] = int(commit.expires_at.timestamp() * 1000)
    return _Result(content=content, channel=channel)


def _reveal(ctx: _Context, game: str) -> _Result | _Deferred:
    channel = _require_open(ctx)
    agent_seed = ctx.call.params["agent_seed"]
    commit = locks.lock_pending_commit(channel=channel, game=game)
    if commit is None:
        # A reveal names its commit: with none pending, the same seed again is a retry of the last round.
        last = selectors.round_at(channel=channel, nonce=channel.nonce, game=game, agent_seed=agent_seed)
        if last is not None:
            return _Result(content=_reveal_content(last), channel=channel, replayed=True)
        latest = CasinoCommit.objects.filter(channel=channel, game=game).order_by("-created_at", "-pk").first()
        if latest is not None and latest.status == CasinoCommit.Status.EXPIRED:
            raise CommitExpired()
        raise CommitNotFound()
    _authorize(ctx, channel, commit.commitment, agent_seed)
    if ctx.now >= commit.expires_at:
        _expire_commit(commit=commit, channel=channel, now=ctx.now, reason="timeout")
        return _Deferred(CommitExpired())
    bet = commit.bet_amount
    if channel.agent_balance < bet:
        raise InsufficientBalance("agentBalance cannot cover the committed bet.")
    nonce = channel.nonce + 1
    digest = rules.result_hash(casino_seed=commit.casino_seed, agent_seed=agent_seed, nonce=nonce)
    if game == Game.SLOTS:
        outcome = rules.slots_outcome(digest)
        payout = rules.payout_for(bet, outcome.multiplier)
        result = {"reels": list(outcome.reels), "reelIndices": list(outcome.reel_indices),
                  "multiplier": outcome.multiplier}
    else:
        side = rules.coinflip_result(digest)
        won = side == commit.choice
        payout = rules.payout_for(bet, rules.COINFLIP_MULTIPLIER) if won else ZERO
        result = {"choice": commit.choice, "result": side, "won": won}
    if channel.casino_balance + bet - payout < 0:
        raise InsufficientBalance("casinoBalance cannot cover the payout.")
    _reserve_commit(channel=channel, game=game, bet=bet, sign=-1)
    _apply_round(channel=channel, agent_delta=payout - bet)
    commit.status = CasinoCommit.Status.REVEALED
    commit.resolved_at = ctx.now
    commit.save(update_fields=["status", "resolved_at"])
    played = CasinoRound.objects.create(
        channel=channel, game=game, kind=CasinoRound.Kind.PLAY, nonce=channel.nonce, bet_amount=bet, payout=payout,
        agent_balance_after=channel.agent_balance, casino_balance_after=channel.casino_balance, commit=commit,
        casino_seed=commit.casino_seed, agent_seed=agent_seed, result_hash=digest, result=result,
        request_id=ctx.request_id, created_at=ctx.now)
    return _Result(content=_reveal_content(played), channel=channel, rounds=1)


_RESULT_KEYS = {Game.SLOTS: ("reels", "reelIndices", "multiplier"), Game.COINFLIP: ("choice", "result", "won")}


def _reveal_content(played: CasinoRound) -> dict:
    """A reveal's answer, made from its round row alone, so a retry replays it byte for byte."""
    result = {key: played.result[key] for key in _RESULT_KEYS[played.game]}  # jsonb does not keep key order
    return {"game": played.game, **result, "betAmount": _money(played.bet_amount),
            "payout": _money(played.payout), "agentBalance": _money(played.agent_balance_after),
            "casinoBalance": _money(played.casino_balance_after), "nonce": played.nonce,
            "commitment": rules.sha256_hex(played.casino_seed),
            "proof": {"casinoSeed": played.casino_seed, "agentSeed": played.agent_seed,
                      "resultHash": played.result_hash}}


# --------------------------------------------------------------------------------------------
# lotto


def _next_draw_time(now: datetime) -> datetime:
    """Draws sit on epoch-aligned boundaries, so every process computes the same next draw."""
    interval = settings.A2A_LOTTO_DRAW_INTERVAL_SECONDS
    boundary = (math.floor(now.timestamp() / interval) + 1) * interval
    return datetime.fromtimestamp(boundary, tz=dt_timezone.utc)


def lotto_current_draw(*, now: datetime | None = None) -> CasinoLottoDraw:
    """The draw now selling tickets (created on first use, seed committed up front)."""
    now = now or timezone.now()
    draw = (CasinoLottoDraw.objects.filter(status=CasinoLottoDraw.Status.OPEN, draw_time__gt=now)
            .order_by("draw_time").first())
    if draw is not None:
        return draw
    draw_time = _next_draw_time(now)
    for _ in range(10):
        seed = secrets.token_hex(32)
        draw, _ = CasinoLottoDraw.objects.get_or_create(
            draw_time=draw_time, defaults={"seed": seed, "commitment": rules.sha256_hex(seed)})
        if draw.status == CasinoLottoDraw.Status.OPEN:
            return draw
        # Drawn already (a worker whose clock runs ahead): sell for the boundary after it.
        draw_time += timedelta(seconds=settings.A2A_LOTTO_DRAW_INTERVAL_SECONDS)
    raise InvariantViolation("No lotto draw is open.")


def _lotto_buy(ctx: _Context) -> _Result:
    channel = _require_open(ctx)
    picked, count = ctx.call.params["picked_number"], ctx.call.params["ticket_count"]
    _authorize(ctx, channel, picked, count)
    _ensure_wallet_not_frozen(channel)
    for _ in range(3):
        draw = locks.lock_draw(draw_id=lotto_current_draw(now=ctx.now).pk)
        if draw is not None and draw.status == CasinoLottoDraw.Status.OPEN:
            break
    else:
        raise InvariantViolation("No lotto draw is open.")
    cost = rules.LOTTO_TICKET_PRICE * count
    if channel.agent_balance - channel.reserved_agent < cost:
        raise InsufficientBalance("agentBalance cannot cover the tickets.")
    if channel.casino_balance + cost - channel.reserved_casino < rules.lotto_liability(count):
        raise MaxBetExceeded(
            f"casinoBalance cannot cover {rules.LOTTO_PAYOUT_MULTIPLIER}x all open tickets of this channel.")
    _reserve_tickets(channel=channel, ticket_count=count)
    _apply_round(channel=channel, agent_delta=-cost)
    CasinoRound.objects.create(
        channel=channel, game=Game.LOTTO, kind=CasinoRound.Kind.LOTTO_TICKET, nonce=channel.nonce, bet_amount=cost,
        payout=ZERO, agent_balance_after=channel.agent_balance, casino_balance_after=channel.casino_balance,
        result={"drawId": draw.pk, "pickedNumber": picked, "ticketCount": count}, request_id=ctx.request_id,
        created_at=ctx.now)
    ticket = CasinoLottoTicket.objects.create(
        draw=draw, channel=channel, agent_address=channel.agent_address, picked_number=picked, ticket_count=count,
        total_cost=cost, request_id=ctx.request_id, created_at=ctx.now)
    _event(kind="lotto_ticket", channel=channel, payload={"ticketId": ticket.pk, "drawId": draw.pk,
                                                         "pickedNumber": picked, "ticketCount": count})
    content = {"drawId": draw.pk, "pickedNumber": picked, "ticketCount": count, "totalCost": _money(cost),
               "agentBalance": _money(channel.agent_balance), "casinoBalance": _money(channel.casino_balance),
               "nonce": channel.nonce, "drawTime": int(draw.draw_time.timestamp() * 1000)}
    return _Result(content=content, channel=channel, rounds=1)


@exact_money
def lotto_run_due_draws(*, now: datetime | None = None, limit: int = 50) -> int:
    """Draw every due open draw (reveal its seed, fix the number), then settle every ticket still
    open in a drawn draw, one channel at a time. Safe to re-run after a crash: each step is its own
    transaction and skips what is already done. Returns the number of draws drawn."""
    now = now or timezone.now()
    drawn = 0
    due = (CasinoLottoDraw.objects.filter(status=CasinoLottoDraw.Status.OPEN, draw_time__lte=now)
           .order_by("draw_time").values_list("pk", flat=True)[:limit])
    for draw_id in list(due):
        with transaction.atomic():
            draw = locks.lock_draw(draw_id=draw_id, skip_locked=True)
            if draw is None or draw.status != CasinoLottoDraw.Status.OPEN:
                continue
            draw.winning_number = rules.lotto_winning_number(draw.seed)
            draw.status = CasinoLottoDraw.Status.DRAWN
            draw.drawn_at = now
            draw.save(update_fields=["winning_number", "status", "drawn_at"])
            _event(kind="lotto_draw", channel=None, payload={"drawId": draw.pk, "winningNumber": draw.winning_number,
                                                             "seed": draw.seed})
        drawn += 1
    for draw in CasinoLottoDraw.objects.filter(status=CasinoLottoDraw.Status.DRAWN).order_by("draw_time"):
        holders = (draw.tickets.filter(status=CasinoLottoTicket.Status.OPEN)
                   .order_by("channel_id").values_list("channel_id", flat=True).distinct())
        for channel_id in list(holders):
            lotto_settle_channel(channel_id=channel_id, draw=draw, now=now)
        if not draw.tickets.filter(status=CasinoLottoTicket.Status.OPEN).exists():
            CasinoLottoDraw.objects.filter(pk=draw.pk, status=CasinoLottoDraw.Status.DRAWN).update(
                status=CasinoLottoDraw.Status.SETTLED)
    return drawn


@exact_money
def lotto_settle_channel(*, channel_id: int, draw: CasinoLottoDraw, now: datetime | None = None) -> int:
    """Settle one channel's open tickets in a drawn draw and release their reservations: a loser is
    marked lost; a winner is credited into the channel (a round + event, nonce + 1 each), or recorded
    as unpaid when the channel has closed. Locks the channel, then its tickets. Returns how many."""
    now = now or timezone.now()
    assert draw.winning_number is not None
    with transaction.atomic():
        channel = locks.lock_channel(channel_id=channel_id)
        tickets = locks.lock_open_tickets(channel=channel, draw_id=draw.pk)
        old_nonce, rounds = channel.nonce, 0
        losers = []
        for ticket in tickets:
            _reserve_tickets(channel=channel, ticket_count=ticket.ticket_count, sign=-1)
            if ticket.picked_number != draw.winning_number:
                losers.append(ticket.pk)
                continue
            payout = rules.lotto_liability(ticket.ticket_count)
            ticket.payout, ticket.settled_at = payout, now
            if channel.status != CasinoChannel.Status.OPEN:  # an open channel can pay: the win was reserved
                ticket.status = CasinoLottoTicket.Status.WON_UNPAID
                ticket.save(update_fields=["status", "payout", "settled_at"])
                _event(kind="lotto_win_unpaid", channel=channel, request_id=ticket.request_id, payload={
                    "ticketId": ticket.pk, "drawId": draw.pk, "payout": _money(payout), "reason": "channel_closed"})
                continue
            _apply_round(channel=channel, agent_delta=payout, games=0)
            rounds += 1
            CasinoRound.objects.create(
                channel=channel, game=Game.LOTTO, kind=CasinoRound.Kind.LOTTO_WIN, nonce=channel.nonce,
                bet_amount=ZERO, payout=payout, agent_balance_after=channel.agent_balance,
                casino_balance_after=channel.casino_balance, casino_seed=draw.seed, result_hash=draw.commitment,
                result={"drawId": draw.pk, "winningNumber": draw.winning_number, "ticketId": ticket.pk,
                        "ticketCount": ticket.ticket_count}, created_at=now)
            ticket.status = CasinoLottoTicket.Status.WON_PAID
            ticket.save(update_fields=["status", "payout", "settled_at"])
            _event(kind="lotto_win", channel=channel, payload={"ticketId": ticket.pk, "drawId": draw.pk,
                                                              "payout": _money(payout), "nonce": channel.nonce})
        for start in range(0, len(losers), _IDS_PER_STATEMENT):
            CasinoLottoTicket.objects.filter(pk__in=losers[start:start + _IDS_PER_STATEMENT]).update(
                status=CasinoLottoTicket.Status.LOST, settled_at=now)
        if tickets:
            channel.save(update_fields=_RESERVATION_FIELDS)
        _assert_invariants(channel=channel, expected_nonce=old_nonce + rounds)
        return len(tickets)


@exact_money
def commits_expire_stale(*, now: datetime | None = None, batch: int = 500) -> int:
    """Mark pending commits past their reveal timeout as expired and release their reservations, one
    short transaction per channel. Skips a channel a player holds right now (that player's commit or
    reveal decides its commit), so it never waits on a player. Returns how many it expired."""
    now = now or timezone.now()
    stale = (CasinoCommit.objects.filter(status=CasinoCommit.Status.PENDING, expires_at__lte=now)
             .order_by("pk").values_list("channel_id", flat=True)[:batch])
    expired = 0
    for channel_id in sorted(set(stale)):
        with transaction.atomic():
            channel = locks.lock_channel_unless_busy(channel_id=channel_id)
            if channel is None:
                continue
            for commit in locks.lock_expired_commits(channel=channel, now=now):
                _expire_commit(commit=commit, channel=channel, now=now, reason="timeout")
                expired += 1
    return expired


# Whether every transaction of this database older than %(xid)s (an xid8 as bigint) has ended. Rounds
# come only from this database, so other databases' transactions (which hold back the cluster-wide
# snapshot xmin) do not delay a fold. Needs to see every session's backend_xid: the same role for all
# connections, or pg_read_all_stats; otherwise the answer is "not yet".
_OLDER_TRANSACTIONS_ENDED_SQL = """
SELECT NOT EXISTS (SELECT 1 FROM pg_stat_activity
                    WHERE datname = current_database() AND backend_xid IS NOT NULL
                      AND age(backend_xid) > age((%(xid)s %% 4294967296)::text::xid))
   AND (pg_has_role('pg_read_all_stats', 'USAGE')
        OR NOT EXISTS (SELECT 1 FROM pg_stat_activity
                        WHERE datname = current_database() AND backend_type = 'client backend'
                          AND usename IS DISTINCT FROM current_user))
"""


@exact_money
def game_stats_roll_up() -> int:
    """Fold settled rounds into the per-game totals (`casino_game_stats`), in one short transaction;
    returns how many rounds it folded. Readers add the rounds past the fold, so this only bounds how
    many rounds a stats read sums; no round waits on it.

    A round id is handed out before its transaction commits, so "every round up to id R" is final only
    once each transaction that may still commit one of them has ended. Each run reads the newest
    committed round id R, then takes a transaction id X of its own: every transaction holding an id
    <= R got its transaction id before X (it wrote its channel row before inserting the round, see
    `_apply_round`). A later run folds up to R once no transaction of this database older than X is
    running, and only then records the next R and X (a long transaction delays a fold, never skips one)."""
    with transaction.atomic():
        with connection.cursor() as cursor:
            # In this order: R is read before this transaction has a transaction id of its own.
            cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {CasinoRound._meta.db_table}")
            newest = cursor.fetchone()[0]
            cursor.execute("SELECT pg_current_xact_id()::text::bigint")
            own_xid = cursor.fetchone()[0]
        for game in Game.values:
            CasinoGameStats.objects.get_or_create(game=game)
        rows = list(CasinoGameStats.objects.select_for_update().order_by("game"))
        through, candidate, after = rows[0].through_round_id, rows[0].candidate_round_id, rows[0].candidate_xid
        folded = 0
        if candidate is not None and candidate > through:
            with connection.cursor() as cursor:
                cursor.execute(_OLDER_TRANSACTIONS_ENDED_SQL, {"xid": after})
                settled = cursor.fetchone()[0]
            if settled:
                totals = {row["game"]: row for row in CasinoRound.objects.filter(pk__gt=through, pk__lte=candidate)
                          .values("game").annotate(**selectors.ROUND_TOTALS).order_by()}
                for row in rows:
                    total = totals.get(row.game)
                    if total is not None:
                        row.total_rounds += total["rounds"]
                        row.total_wagered += total["wagered"]
                        row.total_paid_out += total["paid"]
                        folded += total["count"]
                through = candidate
        if candidate is None or candidate <= through:   # a candidate still waiting keeps its place
            candidate, after = newest, own_xid
        for row in rows:
            row.through_round_id, row.candidate_round_id, row.candidate_xid = through, candidate, after
            row.save()
    return folded


ACTIONS: dict[str, Callable[[_Context], _Result | _Deferred]] = {
    "open_channel": _open_channel,
    "close_channel": _close_channel,
    "slots_commit": lambda ctx: _commit(ctx, Game.SLOTS),
    "coinflip_commit": lambda ctx: _commit(ctx, Game.COINFLIP),
    "slots_reveal": lambda ctx: _reveal(ctx, Game.SLOTS),
    "coinflip_reveal": lambda ctx: _reveal(ctx, Game.COINFLIP),
    "lotto_buy": _lotto_buy,
}
