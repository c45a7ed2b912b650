"""Wallets and their append-only ledger.

Invariants (enforced by the database where Postgres can, checked hourly by `audit_ledger`):
- `Wallet.balance` == sum of its `LedgerEntry.amount`, and never negative;
- each entry's `balance_after` == the running sum of the wallet's entries up to and including it;
- `Wallet.spent_today` == stake + fee spend recorded since `spent_day_start` (a denormalised
  counter so the daily-limit check on every spin costs no extra query).
"""
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from core.money import MoneyField, format_amount


def default_currency() -> str:
    return settings.WALLET_DEFAULT_CURRENCY


def default_cost_per_spin() -> Decimal:
    return Decimal(settings.WALLET_DEFAULT_COST_PER_SPIN)


def default_cost_per_query() -> Decimal:
    return Decimal(settings.WALLET_DEFAULT_COST_PER_QUERY)


class Wallet(models.Model):
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="wallets")
    currency = models.CharField(max_length=10, default=default_currency)
    balance = MoneyField(default=Decimal(0))
    daily_limit = MoneyField(null=True, blank=True, help_text="Max stake + fees per day; empty = no limit.")
    cost_per_spin = MoneyField(default=default_cost_per_spin)
    cost_per_query = MoneyField(default=default_cost_per_query)
    frozen = models.BooleanField(default=False)
    # Daily spend counter, maintained under the wallet row lock (see selectors.wallet_spend_today).
    spent_today = MoneyField(default=Decimal(0))
    spent_day_start = models.DateTimeField(null=True, blank=True)
    last_spend_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(balance__gte=0), name="wallet_balance_non_negative"),
            models.CheckConstraint(condition=Q(daily_limit__isnull=True) | Q(daily_limit__gte=0),
                                   name="wallet_daily_limit_non_negative"),
            models.CheckConstraint(condition=Q(cost_per_spin__gte=0) & Q(cost_per_query__gte=0),
                                   name="wallet_costs_non_negative"),
            models.CheckConstraint(condition=Q(spent_today__gte=0), name="wallet_spent_today_non_negative"),
            models.UniqueConstraint(fields=["owner", "currency"], name="wallet_one_per_owner_and_currency"),
        ]

    def __str__(self) -> str:
        # The owner by name (one query unless select_related("owner")): staff read names, not ids.
        return f"wallet {self.pk} ({self.owner.username}, {self.currency})"


class LedgerKind(models.TextChoices):
    DEPOSIT = "deposit", "Deposit"
    WITHDRAWAL = "withdrawal", "Withdrawal"
    STAKE = "stake", "Stake"
    PAYOUT = "payout", "Payout"
    SPIN_FEE = "spin_fee", "Spin fee"
    QUERY_FEE = "query_fee", "Query fee"
    CHANNEL_LOCK = "channel_lock", "Channel lock"
    CHANNEL_RELEASE = "channel_release", "Channel release"
    ADJUSTMENT = "adjustment", "Adjustment"


# Entries that count against the daily limit; their amounts are negative. A channel lock counts: the
# money is at risk in the A2A channel from the moment it is locked (issue 15), and what a close
# releases no more undoes that spend than a payout does.
SPEND_KINDS = (LedgerKind.STAKE, LedgerKind.SPIN_FEE, LedgerKind.QUERY_FEE, LedgerKind.CHANNEL_LOCK)
FEE_KINDS = (LedgerKind.SPIN_FEE, LedgerKind.QUERY_FEE)


class AppendOnlyError(Exception):
    """Raised on any attempt to change or remove a ledger entry."""


class LedgerEntryQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("Ledger entries are append-only.")

    def delete(self):
        raise AppendOnlyError("Ledger entries are append-only.")


class LedgerEntry(models.Model):
    """One balance change. Written only by wallet_app.services; never updated or deleted
    (model guard here, and a Postgres trigger added in the migration)."""

    wallet = models.ForeignKey(Wallet, on_delete=models.PROTECT, related_name="entries")
    amount = MoneyField(help_text="Signed: credits positive, debits negative.")
    kind = models.CharField(max_length=20, choices=LedgerKind.choices)
    balance_after = MoneyField()
    reference = models.CharField(max_length=200, blank=True, default="",
                                 help_text='What caused it, e.g. "session:12", "round:7", "channel:0xabc".')
    request_id = models.CharField(max_length=128, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)

    objects = LedgerEntryQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]
        verbose_name_plural = "ledger entries"
        indexes = [
            models.Index(fields=["wallet", "-id"], name="ledger_wallet_id_desc"),
            # Serves the exact daily-spend aggregate (fallback path and audit).
            models.Index(fields=["wallet", "created_at"], name="ledger_wallet_spend_created",
                         condition=Q(kind__in=[k.value for k in SPEND_KINDS])),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(balance_after__gte=0), name="ledger_balance_after_non_negative"),
            models.CheckConstraint(condition=~Q(amount=0), name="ledger_amount_non_zero"),
            models.CheckConstraint(condition=Q(kind__in=LedgerKind.values), name="ledger_kind_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {format_amount(self.amount)} on wallet {self.wallet_id}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError("Ledger entries are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("Ledger entries are append-only.")


class LedgerAudit(models.Model):
    """The outcome of one `audit_ledger` run; the newest row is what a dashboard shows."""

    started_at = models.DateTimeField()
    finished_at = models.DateTimeField()
    wallets_checked = models.PositiveIntegerField()
    entries_checked = models.PositiveBigIntegerField()
    mismatch_count = models.PositiveIntegerField()
    mismatches = models.JSONField(default=list, blank=True, help_text="The first mismatches found (capped).")

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"audit {self.pk} at {self.finished_at:%Y-%m-%d %H:%M}: {self.mismatch_count} mismatch(es)"

    @property
    def ok(self) -> bool:
        return self.mismatch_count == 0
