"""Writes of wallets and the ledger.

Every money function runs in `transaction.atomic()` (a savepoint when the caller already holds a
session or channel lock), locks the wallet row, then checks in this fixed order: frozen, amount
valid, daily limit, balance. A refused operation raises before anything is written; an accepted
one writes the new balance and one LedgerEntry per change in the same transaction.
"""
import re
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.db import WriteBatch, new_row
from core.exceptions import DomainError, InvalidAmount, ValidationFailed
from core.money import MONEY_DECIMAL_PLACES, exact_money, format_amount, in_column_range
from core.request_context import get_request_id
from wallet_app import metrics
from wallet_app.exceptions import DailyLimitExceeded, InsufficientBalance, WalletAlreadyExists, WalletFrozen
from wallet_app.locks import lock_wallet
from wallet_app.models import FEE_KINDS, LedgerAudit, LedgerEntry, LedgerKind, Wallet
from wallet_app.selectors import ledger_audit, spend_day_bounds, wallet_spend_today

ZERO = Decimal(0)
_CURRENCY = re.compile(r"^[A-Z][A-Z0-9]{1,9}$")
UNCHANGED = object()  # sentinel: "leave this setting as it is"


def _reject(exc: DomainError) -> DomainError:
    metrics.REJECTIONS.labels(code=exc.code).inc()
    return exc


def _checked_amount(value, *, field: str = "amount", allow_zero: bool = False) -> Decimal:
    """Validate an amount given in code (the wire form is parsed by core.money.parse_amount)."""
    if isinstance(value, bool) or not isinstance(value, (Decimal, int)):
        raise _reject(InvalidAmount(f"{field} must be a Decimal.", details={"field": field}))
    amount = value if type(value) is Decimal else Decimal(value)  # a Decimal is immutable: no copy needed
    if not amount.is_finite():
        raise _reject(InvalidAmount(f"{field} must be finite.", details={"field": field}))
    if amount < 0 or (amount == 0 and not allow_zero):
        raise _reject(InvalidAmount(f"{field} must be greater than zero.", details={"field": field,
                                                                                   "value": str(amount)}))
    if not in_column_range(amount):
        raise _reject(InvalidAmount(f"{field} is too large or has more than {MONEY_DECIMAL_PLACES} decimals.",
                                    details={"field": field, "value": str(amount)}))
    return amount


def _ensure_not_frozen(wallet: Wallet) -> None:
    if wallet.frozen:
        raise _reject(WalletFrozen(details={"wallet_id": wallet.pk}))


def _ensure_within_daily_limit(wallet: Wallet, *, spent: Decimal, requested: Decimal, now: datetime) -> None:
    if wallet.daily_limit is not None and spent + requested > wallet.daily_limit:
        _, resets_at = spend_day_bounds(now=now)
        raise _reject(DailyLimitExceeded(details={
            "limit": format_amount(wallet.daily_limit), "spent_today": format_amount(spent),
            "requested": format_amount(requested), "resets_at": resets_at.isoformat().replace("+00:00", "Z")}))


def _ensure_balance(wallet: Wallet, *, requested: Decimal) -> None:
    if wallet.balance < requested:
        raise _reject(InsufficientBalance(details={"balance": format_amount(wallet.balance),
                                                   "requested": format_amount(requested)}))


def _record_spend(wallet: Wallet, *, spent: Decimal, amount: Decimal, now: datetime) -> None:
    wallet.spent_today = spent + amount
    wallet.spent_day_start, _ = spend_day_bounds(now=now)
    wallet.last_spend_at = now


def _entry(wallet: Wallet, *, amount: Decimal, kind: str, reference: str, request_id: str,
           now: datetime) -> LedgerEntry:
    """Apply one signed change to a locked wallet (in memory) and build its ledger row, unsaved.
    Raises InvalidAmount when the new balance would not fit NUMERIC(38,18)."""
    balance = wallet.balance + amount
    if not in_column_range(balance):
        raise _reject(InvalidAmount("The amount would take the balance beyond the largest supported value.",
                                    details={"field": "amount", "balance": format_amount(wallet.balance),
                                             "value": format_amount(abs(amount))}))
    wallet.balance = balance
    return new_row(LedgerEntry, wallet=wallet, amount=amount, kind=kind, balance_after=wallet.balance,
                   reference=reference, request_id=request_id or get_request_id(), created_at=now)


def _post(wallet: Wallet, *, amount: Decimal, kind: str, reference: str, request_id: str,
          now: datetime) -> LedgerEntry:
    """Apply one signed change to a locked wallet (in memory) and append its ledger row."""
    entry = _entry(wallet, amount=amount, kind=kind, reference=reference, request_id=request_id, now=now)
    entry.save()
    return entry


def _save_balance(wallet: Wallet, *extra: str) -> None:
    wallet.save(update_fields=["balance", "updated_at", *extra])


@exact_money
def wallet_create(*, owner, currency: str | None = None, daily_limit: Decimal | None = None,
                  cost_per_spin: Decimal | None = None, cost_per_query: Decimal | None = None) -> Wallet:
    """Create an empty wallet for `owner`. Fees default to the settings; no limit by default.
    Raises ValidationFailed (bad currency), InvalidAmount (bad limit/fee), WalletAlreadyExists
    (one wallet per owner and currency, guarded by a unique constraint)."""
    currency = (currency or settings.WALLET_DEFAULT_CURRENCY).upper()
    if not _CURRENCY.match(currency):
        raise ValidationFailed("currency must be 2-10 letters/digits, e.g. ETH.", details={"field": "currency"})
    fields: dict = {"owner": owner, "currency": currency}
    if daily_limit is not None:
        fields["daily_limit"] = _checked_amount(daily_limit, field="daily_limit", allow_zero=True)
    if cost_per_spin is not None:
        fields["cost_per_spin"] = _checked_amount(cost_per_spin, field="cost_per_spin", allow_zero=True)
    if cost_per_query is not None:
        fields["cost_per_query"] = _checked_amount(cost_per_query, field="cost_per_query", allow_zero=True)
    try:
        with transaction.atomic():
            return Wallet.objects.create(**fields)
    except IntegrityError as exc:
        existing = Wallet.objects.filter(owner=owner, currency=currency).values_list("pk", flat=True).first()
        if existing is None:
            raise
        raise WalletAlreadyExists(details={"wallet_id": existing, "currency": currency}) from exc


@exact_money
def deposit(*, wallet_id: int, amount: Decimal, reference: str = "", request_id: str = "") -> LedgerEntry:
    """Credit `amount` (kind deposit). Locks the wallet; raises WalletNotFound, WalletFrozen, InvalidAmount."""
    with transaction.atomic():
        wallet = lock_wallet(wallet_id=wallet_id)
        _ensure_not_frozen(wallet)
        amount = _checked_amount(amount)
        entry = _post(wallet, amount=amount, kind=LedgerKind.DEPOSIT, reference=reference, request_id=request_id,
                      now=timezone.now())
        _save_balance(wallet)
        return entry


@exact_money
def withdraw(*, wallet_id: int, amount: Decimal, reference: str = "", request_id: str = "") -> LedgerEntry:
    """Debit `amount` (kind withdrawal); withdrawals do not count toward the daily limit.
    Locks the wallet; raises WalletNotFound, WalletFrozen, InvalidAmount, InsufficientBalance."""
    with transaction.atomic():
        wallet = lock_wallet(wallet_id=wallet_id)
        _ensure_not_frozen(wallet)
        amount = _checked_amount(amount)
        _ensure_balance(wallet, requested=amount)
        entry = _post(wallet, amount=-amount, kind=LedgerKind.WITHDRAWAL, reference=reference,
                      request_id=request_id, now=timezone.now())
        _save_balance(wallet)
        return entry


@exact_money
def settle_play_locked(*, wallet: Wallet, stake: Decimal, fee: Decimal, payout: Decimal, writes: WriteBatch,
                       fee_kind: str = LedgerKind.SPIN_FEE, reference: str = "", request_id: str = "") -> list[LedgerEntry]:
    """A play's money movement on a wallet the caller has ALREADY locked in this transaction (a session
    action locks its session and wallet in one statement): debit stake and fee, credit the payout.

    Same checks and order as charge_for_play (frozen, amounts, daily limit and balance on stake + fee; the
    payout is not spend); on a refusal it raises before touching the wallet or queueing anything. Otherwise
    it applies the changes to `wallet` in memory and queues one ledger row per non-zero change and the
    wallet's new balance on `writes`, which the caller flushes before commit. Called N times on the same
    wallet it checks each play against the balance and spend the previous ones left, and the wallet row
    is still written once."""
    if fee_kind not in FEE_KINDS:
        raise ValueError(f"fee_kind must be one of {', '.join(FEE_KINDS)}")
    _ensure_not_frozen(wallet)
    stake = _checked_amount(stake, field="stake", allow_zero=True)
    fee = _checked_amount(fee, field="fee", allow_zero=True)
    payout = _checked_amount(payout, field="payout", allow_zero=True)
    changes = [(value, kind) for value, kind in ((-stake, LedgerKind.STAKE), (-fee, fee_kind),
                                                 (payout, LedgerKind.PAYOUT)) if value != 0]
    if not changes:
        return []
    now = timezone.now()
    fields = ["balance"]
    total = stake + fee
    if total > 0:
        # Exact without a query: any earlier spend of this transaction moved the wallet's counter to today
        # (_record_spend), so the ledger fallback in wallet_spend_today can only run before anything is queued.
        spent = wallet_spend_today(wallet=wallet, now=now)
        _ensure_within_daily_limit(wallet, spent=spent, requested=total, now=now)
        _ensure_balance(wallet, requested=total)
        _record_spend(wallet, spent=spent, amount=total, now=now)
        fields += ["spent_today", "spent_day_start", "last_spend_at"]
    entries = [_entry(wallet, amount=value, kind=kind, reference=reference, request_id=request_id, now=now)
               for value, kind in changes]
    writes.insert(*entries)
    writes.update(wallet, fields)
    return entries


@exact_money
def _settle_play(*, wallet_id: int, stake: Decimal, fee: Decimal, fee_kind: str, payout: Decimal, reference: str,
                 request_id: str) -> list[LedgerEntry]:
    with transaction.atomic(), WriteBatch() as writes:
        return settle_play_locked(wallet=lock_wallet(wallet_id=wallet_id), stake=stake, fee=fee, payout=payout,
                                  writes=writes, fee_kind=fee_kind, reference=reference, request_id=request_id)


def charge_for_play(*, wallet_id: int, stake: Decimal, fee: Decimal, fee_kind: str = LedgerKind.SPIN_FEE,
                    reference: str = "", request_id: str = "") -> list[LedgerEntry]:
    """Debit a stake (kind stake) and a fee (kind `fee_kind`: spin_fee or query_fee), all or nothing.
    Either may be zero (no row for it). Both count toward the daily limit. Locks the wallet;
    raises WalletNotFound, WalletFrozen, InvalidAmount, DailyLimitExceeded, InsufficientBalance."""
    return _settle_play(wallet_id=wallet_id, stake=stake, fee=fee, fee_kind=fee_kind, payout=Decimal(0),
                        reference=reference, request_id=request_id)


def settle_spin(*, wallet_id: int, stake: Decimal, fee: Decimal, payout: Decimal, fee_kind: str = LedgerKind.SPIN_FEE,
                reference: str = "", request_id: str = "") -> list[LedgerEntry]:
    """A spin's whole money movement under one wallet lock: debit stake and fee, credit the payout.

    Same checks and order as charge_for_play (the daily limit and balance apply to stake + fee only;
    the payout is not spend), then one row per non-zero change and the wallet, written in one statement.
    Raises WalletNotFound, WalletFrozen, InvalidAmount, DailyLimitExceeded, InsufficientBalance; nothing is
    written on a refusal. A caller that already holds the wallet lock uses settle_play_locked."""
    return _settle_play(wallet_id=wallet_id, stake=stake, fee=fee, fee_kind=fee_kind, payout=payout,
                        reference=reference, request_id=request_id)


@exact_money
def credit_payout(*, wallet_id: int, amount: Decimal, reference: str = "", request_id: str = "") -> LedgerEntry | None:
    """Credit a win (kind payout); zero returns None and writes nothing. Payouts do not reduce the
    day's spend. Locks the wallet; raises WalletNotFound, WalletFrozen, InvalidAmount."""
    with transaction.atomic():
        wallet = lock_wallet(wallet_id=wallet_id)
        _ensure_not_frozen(wallet)
        amount = _checked_amount(amount, allow_zero=True)
        if amount == 0:
            return None
        entry = _post(wallet, amount=amount, kind=LedgerKind.PAYOUT, reference=reference, request_id=request_id,
                      now=timezone.now())
        _save_balance(wallet)
        return entry


@exact_money
def lock_for_channel(*, wallet_id: int, amount: Decimal, reference: str, request_id: str = "") -> LedgerEntry:
    """Move `amount` out of the wallet into an A2A channel (kind channel_lock). It counts as daily
    spend: the money is at risk from now on. Locks the wallet; raises WalletNotFound, WalletFrozen,
    InvalidAmount, DailyLimitExceeded, InsufficientBalance."""
    with transaction.atomic():
        wallet = lock_wallet(wallet_id=wallet_id)
        _ensure_not_frozen(wallet)
        amount = _checked_amount(amount)
        now = timezone.now()
        spent = wallet_spend_today(wallet=wallet, now=now)
        _ensure_within_daily_limit(wallet, spent=spent, requested=amount, now=now)
        _ensure_balance(wallet, requested=amount)
        _record_spend(wallet, spent=spent, amount=amount, now=now)
        entry = _post(wallet, amount=-amount, kind=LedgerKind.CHANNEL_LOCK, reference=reference,
                      request_id=request_id, now=now)
        _save_balance(wallet, "spent_today", "spent_day_start", "last_spend_at")
        return entry


@exact_money
def release_from_channel(*, wallet_id: int, amount: Decimal, reference: str,
                         request_id: str = "") -> LedgerEntry | None:
    """Return a channel's remaining funds (kind channel_release); zero returns None. Allowed while
    frozen, so closing a channel never strands funds. Locks the wallet; raises WalletNotFound,
    InvalidAmount."""
    with transaction.atomic():
        wallet = lock_wallet(wallet_id=wallet_id)
        amount = _checked_amount(amount, allow_zero=True)
        if amount == 0:
            return None
        entry = _post(wallet, amount=amount, kind=LedgerKind.CHANNEL_RELEASE, reference=reference,
                      request_id=request_id, now=timezone.now())
        _save_balance(wallet)
        return entry


@exact_money
def limits_update(*, wallet_id: int, daily_limit=UNCHANGED, cost_per_spin=UNCHANGED,
                  cost_per_query=UNCHANGED) -> Wallet:
    """Change only the settings passed (daily_limit=None removes the limit). Allowed while frozen.
    Locks the wallet; raises WalletNotFound, InvalidAmount. A lower limit applies from the next charge."""
    with transaction.atomic():
        wallet = lock_wallet(wallet_id=wallet_id)
        changed = []
        if daily_limit is not UNCHANGED:
            wallet.daily_limit = (None if daily_limit is None
                                  else _checked_amount(daily_limit, field="daily_limit", allow_zero=True))
            changed.append("daily_limit")
        for name, value in (("cost_per_spin", cost_per_spin), ("cost_per_query", cost_per_query)):
            if value is not UNCHANGED and value is not None:
                setattr(wallet, name, _checked_amount(value, field=name, allow_zero=True))
                changed.append(name)
        if changed:
            wallet.save(update_fields=[*changed, "updated_at"])
        return wallet


def set_limits(*, wallet_id: int, daily_limit: Decimal | None, cost_per_spin: Decimal | None = None,
               cost_per_query: Decimal | None = None) -> Wallet:
    """Set the daily limit (None = no limit) and, when given, the per-spin/per-query fees."""
    return limits_update(wallet_id=wallet_id, daily_limit=daily_limit,
                         cost_per_spin=UNCHANGED if cost_per_spin is None else cost_per_spin,
                         cost_per_query=UNCHANGED if cost_per_query is None else cost_per_query)


def _set_frozen(*, wallet_id: int, frozen: bool) -> Wallet:
    with transaction.atomic():
        wallet = lock_wallet(wallet_id=wallet_id)
        if wallet.frozen != frozen:
            wallet.frozen = frozen
            wallet.save(update_fields=["frozen", "updated_at"])
        return wallet


def freeze(*, wallet_id: int) -> Wallet:
    """Stop all money movement except channel releases. Idempotent. Locks the wallet, so it
    waits for any charge in flight and takes effect for every later one."""
    return _set_frozen(wallet_id=wallet_id, frozen=True)


def unfreeze(*, wallet_id: int) -> Wallet:
    """Undo freeze. Idempotent. Locks the wallet."""
    return _set_frozen(wallet_id=wallet_id, frozen=False)


def house_wallet() -> Wallet:
    """The casino bankroll: the default-currency wallet of settings.HOUSE_BANKROLL_USERNAME,
    created on first use. Race-safe: unique username and (owner, currency) make a concurrent
    creator fail its insert and read the winner's row. Not locked; pass its id to a service."""
    user, _ = get_user_model().objects.get_or_create(username=settings.HOUSE_BANKROLL_USERNAME)
    wallet, _ = Wallet.objects.get_or_create(owner=user, currency=settings.WALLET_DEFAULT_CURRENCY.upper())
    return wallet


def ledger_audit_run() -> LedgerAudit:
    """Run the ledger audit (read-only, no locks), store its outcome as a LedgerAudit row for
    dashboards and set the mismatch gauge."""
    started_at = timezone.now()
    result = ledger_audit()
    metrics.AUDIT_MISMATCHES.set(result.mismatch_count)
    return LedgerAudit.objects.create(started_at=started_at, finished_at=timezone.now(),
                                      wallets_checked=result.wallets_checked,
                                      entries_checked=result.entries_checked,
                                      mismatch_count=result.mismatch_count, mismatches=result.mismatches)


DEMO_AGENT_USERNAME = "demo-agent"
DEMO_AGENT_FUNDS = Decimal("100")
DEMO_OPERATOR_USERNAME = "demo-operator"  # its wallet pays for probing campaigns (fees, if configured)
DEMO_OPERATOR_FUNDS = Decimal("10")
HOUSE_FUNDS = Decimal("1000")
SEED_REFERENCE = "seed:demo"


def _demo_wallet(username: str, currency: str) -> Wallet:
    owner, _ = get_user_model().objects.get_or_create(username=username)
    return (Wallet.objects.filter(owner=owner, currency=currency).order_by("pk").first()
            or wallet_create(owner=owner, currency=currency))


def demo_wallets_seed(*, write: Callable[[str], object]) -> None:
    """demo-agent gets a 100 ETH wallet, demo-operator 10 ETH and the house a 1000 ETH bankroll (in
    WALLET_DEFAULT_CURRENCY, ETH by default); `write` is told each funding. Safe to re-run: a wallet is
    funded only once (its row is locked while that is checked, so two concurrent seeds fund it once)."""
    currency = settings.WALLET_DEFAULT_CURRENCY.upper()
    with transaction.atomic():
        funded = [(_demo_wallet(username, currency), amount) for username, amount in (
            (DEMO_AGENT_USERNAME, DEMO_AGENT_FUNDS), (DEMO_OPERATOR_USERNAME, DEMO_OPERATOR_FUNDS))]
        for wallet, amount in (*funded, (house_wallet(), HOUSE_FUNDS)):
            lock_wallet(wallet_id=wallet.pk)
            if LedgerEntry.objects.filter(wallet_id=wallet.pk, reference=SEED_REFERENCE).exists():
                continue
            deposit(wallet_id=wallet.pk, amount=amount, reference=SEED_REFERENCE)
            write(f"Funded wallet {wallet.pk} ({wallet.owner.username}) with {amount} {currency}.")
