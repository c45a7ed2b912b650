"""Reads of wallets and the ledger. Nothing here locks or writes."""
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta, timezone as dt_timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Exists, F, OuterRef, Q, QuerySet, Sum, Window
from django.db.models.functions import Coalesce
from django.utils import timezone

from core import policy
from core.exceptions import DomainError
from core.money import MoneyField, exact_money, format_amount
from wallet_app.exceptions import DailyLimitExceeded, InsufficientBalance, WalletFrozen, WalletNotFound
from wallet_app.models import SPEND_KINDS, LedgerAudit, LedgerEntry, Wallet

ZERO = Decimal(0)


def spend_day_bounds(*, now: datetime | None = None) -> tuple[datetime, datetime]:
    """(start, end) of the spend day containing `now`, as UTC instants. The day is the calendar
    day in settings.WALLET_DAY_TIMEZONE, so it can be 23 or 25 hours long across DST changes."""
    global _last_day
    now = now or timezone.now()
    zone_name = settings.WALLET_DAY_TIMEZONE
    zone, start, end = _last_day
    # The day's UTC interval decides membership exactly, DST included.
    if zone == zone_name and now.tzinfo is not None and start <= now < end:
        return start, end
    tz = ZoneInfo(zone_name)
    local_day = now.astimezone(tz).date()
    start = datetime.combine(local_day, time.min, tzinfo=tz).astimezone(dt_timezone.utc)
    end = datetime.combine(local_day + timedelta(days=1), time.min, tzinfo=tz).astimezone(dt_timezone.utc)
    _last_day = (zone_name, start, end)
    return start, end


# The last day spend_day_bounds worked out (a spin asks twice, a batch of N spins 2N times, all in one day).
_last_day: tuple[str, datetime, datetime] = ("", datetime.min.replace(tzinfo=dt_timezone.utc),
                                             datetime.min.replace(tzinfo=dt_timezone.utc))


def _ledger_spend_since(*, wallet_id: int, since: datetime) -> Decimal:
    total = LedgerEntry.objects.filter(wallet_id=wallet_id, kind__in=SPEND_KINDS, created_at__gte=since).aggregate(
        total=Coalesce(Sum("amount"), ZERO, output_field=MoneyField()))["total"]
    return -total


def wallet_spend_today(*, wallet: Wallet, now: datetime | None = None) -> Decimal:
    """Stakes + fees since the start of the current spend day; exact, and usually query-free.

    The wallet's counter covers every spend entry since `spent_day_start`. If that is today's
    start it is the answer; if the last spend happened before today's start, nothing was spent
    today. Only when neither holds (WALLET_DAY_TIMEZONE changed, or clocks moved back) do we sum
    the ledger — one indexed aggregate."""
    start, _ = spend_day_bounds(now=now)
    if wallet.spent_day_start == start:
        return wallet.spent_today
    if wallet.last_spend_at is None or wallet.last_spend_at < start:
        return ZERO
    return _ledger_spend_since(wallet_id=wallet.pk, since=start)


@dataclass(frozen=True)
class DailyLimitState:
    spent_today: Decimal
    remaining_today: Decimal | None
    limit_resets_at: datetime


@exact_money
def wallet_daily_state(*, wallet: Wallet, now: datetime | None = None) -> DailyLimitState:
    now = now or timezone.now()
    spent = wallet_spend_today(wallet=wallet, now=now)
    _, resets_at = spend_day_bounds(now=now)
    remaining = None if wallet.daily_limit is None else max(wallet.daily_limit - spent, ZERO)
    return DailyLimitState(spent_today=spent, remaining_today=remaining, limit_resets_at=resets_at)


@dataclass(frozen=True)
class PaymentCapacity:
    """What a wallet could pay right now, read without a lock: a look before work that costs
    money (so a wallet that cannot pay does not make anyone work). The charge under the wallet
    lock stays the authoritative check."""

    wallet_id: int
    frozen: bool
    balance: Decimal
    remaining_today: Decimal | None   # None: no daily limit

    def refusal(self, *, amount: Decimal) -> DomainError | None:
        """The error the charge of ``amount`` would raise (frozen, then daily limit, then
        balance, as ``charge_for_play`` checks them), or None when it would pass."""
        if self.frozen:
            return WalletFrozen(details={"wallet_id": self.wallet_id})
        if self.remaining_today is not None and amount > self.remaining_today:
            return DailyLimitExceeded(details={"requested": str(amount)})
        if self.balance < amount:
            return InsufficientBalance(details={"requested": str(amount)})
        return None

    @exact_money
    def units_payable(self, *, unit_cost: Decimal) -> int:
        """How many charges of ``unit_cost`` (> 0) fit in the balance and the daily limit."""
        if self.frozen:
            return 0
        headroom = self.balance if self.remaining_today is None else min(self.balance, self.remaining_today)
        return max(0, int(headroom // unit_cost))


def wallet_payment_capacity(*, wallet_id: int, now: datetime | None = None) -> PaymentCapacity | None:
    """The wallet's :class:`PaymentCapacity` from one read of its row; None if it does not exist."""
    wallet = Wallet.objects.filter(pk=wallet_id).first()
    if wallet is None:
        return None
    state = wallet_daily_state(wallet=wallet, now=now)
    return PaymentCapacity(wallet_id=wallet.pk, frozen=wallet.frozen, balance=wallet.balance,
                           remaining_today=state.remaining_today)


def wallet_get_for(*, wallet_id: int, actor: policy.Actor) -> Wallet:
    """The wallet as `actor` may read it: agents only their own (another owner's id answers
    WalletNotFound, so ids do not leak); operators and admins any."""
    wallet = wallet_list_for(actor=actor).filter(pk=wallet_id).first()
    if wallet is None:
        raise WalletNotFound(details={"wallet_id": wallet_id})
    return wallet


def wallet_list_for(*, actor: policy.Actor, owner_username: str | None = None) -> QuerySet[Wallet]:
    """Agents: their own wallets. Staff: every wallet, optionally of one owner."""
    wallets = policy.scope(actor, policy.Act.WALLET_READ, Wallet.objects.select_related("owner"))
    if owner_username and policy.allows_any(actor, policy.Act.WALLET_READ):
        wallets = wallets.filter(owner__username=owner_username)
    return wallets


def ledger_for(*, wallet: Wallet) -> QuerySet[LedgerEntry]:
    """The wallet's entries, newest first (served by the (wallet, -id) index)."""
    return LedgerEntry.objects.filter(wallet_id=wallet.pk).order_by("-id")


def ledger_audit_latest() -> LedgerAudit | None:
    return LedgerAudit.objects.order_by("-id").first()


@dataclass
class AuditResult:
    wallets_checked: int = 0
    entries_checked: int = 0
    mismatch_count: int = 0
    mismatches: list[dict] = field(default_factory=list)  # the first `max_reported` of them
    max_reported: int = 100

    @property
    def ok(self) -> bool:
        return self.mismatch_count == 0

    def add(self, **mismatch) -> None:
        self.mismatch_count += 1
        if len(self.mismatches) < self.max_reported:
            self.mismatches.append(mismatch)


def ledger_audit(*, max_reported: int = 100) -> AuditResult:
    """Check every wallet: balance == sum of entries, spend counter == spend since its day start,
    and every entry's balance_after == the running sum up to it. Each check is one statement,
    so it sees one consistent snapshot even while money moves."""
    result = AuditResult(max_reported=max_reported)
    spend = Q(entries__kind__in=SPEND_KINDS, entries__created_at__gte=F("spent_day_start"))
    wallets = Wallet.objects.annotate(
        ledger_sum=Coalesce(Sum("entries__amount"), ZERO, output_field=MoneyField()),
        ledger_spend=Coalesce(-Sum("entries__amount", filter=spend), ZERO, output_field=MoneyField()),
    ).values_list("pk", "balance", "ledger_sum", "spent_today", "ledger_spend").order_by("pk")
    for pk, balance, ledger_sum, spent_today, ledger_spend in wallets.iterator(chunk_size=2000):
        result.wallets_checked += 1
        if balance != ledger_sum:
            result.add(wallet_id=pk, check="balance", expected=format_amount(ledger_sum), actual=format_amount(balance))
        if spent_today != ledger_spend:
            result.add(wallet_id=pk, check="spent_today", expected=format_amount(ledger_spend),
                       actual=format_amount(spent_today))

    result.entries_checked = LedgerEntry.objects.count()
    running = Window(Sum("amount"), partition_by=[F("wallet_id")], order_by=F("id").asc())
    broken = (LedgerEntry.objects.annotate(running=running).filter(~Q(balance_after=F("running")))
              .order_by("wallet_id", "id").values_list("wallet_id", "id", "running", "balance_after"))
    for wallet_id, entry_id, expected, actual in broken.iterator(chunk_size=2000):
        result.add(wallet_id=wallet_id, entry_id=entry_id, check="balance_after",
                   expected=format_amount(expected), actual=format_amount(actual))
    return result


def wallet_for_owner(*, owner, currency: str | None = None) -> Wallet | None:
    """The owner's wallet in `currency` (default WALLET_DEFAULT_CURRENCY), or None. Not locked."""
    currency = (currency or settings.WALLET_DEFAULT_CURRENCY).upper()
    return Wallet.objects.filter(owner=owner, currency=currency).order_by("pk").first()


def wallet_frozen_exists(*, wallet_id: OuterRef | int) -> Exists:
    """`wallet_is_frozen` as an expression, to annotate another app's row read (`wallet_id` an OuterRef)."""
    return Exists(Wallet.objects.filter(pk=wallet_id, frozen=True))


def wallet_is_frozen(*, wallet_id: int) -> bool:
    """Whether the wallet is frozen now (a plain read: a freeze committing later applies to later reads)."""
    return Wallet.objects.filter(pk=wallet_id, frozen=True).exists()
