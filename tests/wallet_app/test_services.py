import threading
from datetime import datetime, timezone as dt_timezone
from decimal import Decimal

import pytest
import time_machine
from django.db import DatabaseError, connection, transaction

from core.exceptions import InvalidAmount, ValidationFailed
from wallet_app import services
from wallet_app.exceptions import (DailyLimitExceeded, InsufficientBalance, WalletAlreadyExists, WalletFrozen,
                                   WalletNotFound)
from wallet_app.models import AppendOnlyError, LedgerEntry, LedgerKind, Wallet
from wallet_app.selectors import ledger_audit, wallet_spend_today

pytestmark = pytest.mark.django_db
D = Decimal


def _balance(wallet) -> Decimal:
    return Wallet.objects.get(pk=wallet.pk).balance


def _kinds(wallet) -> list[str]:
    return list(LedgerEntry.objects.filter(wallet=wallet).order_by("id").values_list("kind", flat=True))


def test_wallet_create_uses_settings_defaults(make_wallet, settings):
    settings.WALLET_DEFAULT_COST_PER_SPIN = "0.01"
    wallet = make_wallet()
    assert wallet.currency == "ETH" and wallet.balance == 0 and wallet.daily_limit is None
    assert wallet.cost_per_spin == D("0.01") and wallet.cost_per_query == 0 and not wallet.frozen


def test_wallet_create_one_per_owner_and_currency(make_wallet):
    wallet = make_wallet()
    with pytest.raises(WalletAlreadyExists) as exc:
        services.wallet_create(owner=wallet.owner, currency="eth")
    assert exc.value.details["wallet_id"] == wallet.pk
    assert services.wallet_create(owner=wallet.owner, currency="USDC").currency == "USDC"


@pytest.mark.parametrize("currency", ["E", "ETH-1", "TOOLONGCURRENCY", "1ETH"])
def test_wallet_create_rejects_bad_currency(make_wallet, currency):
    with pytest.raises(ValidationFailed):
        make_wallet(currency=currency)


def test_deposit_and_withdraw_write_balance_and_one_entry_each(make_wallet):
    wallet = make_wallet()
    entry = services.deposit(wallet_id=wallet.pk, amount=D("10.5"), reference="tx:1", request_id="req-1")
    assert (entry.kind, entry.amount, entry.balance_after, entry.reference, entry.request_id) == (
        "deposit", D("10.5"), D("10.5"), "tx:1", "req-1")
    entry = services.withdraw(wallet_id=wallet.pk, amount=D("0.5"))
    assert (entry.kind, entry.amount, entry.balance_after) == ("withdrawal", D("-0.5"), D("10"))
    assert _balance(wallet) == D("10") and _kinds(wallet) == ["deposit", "withdrawal"]


def test_withdraw_more_than_balance_raises_and_writes_nothing(make_wallet):
    wallet = make_wallet(balance="5")
    with pytest.raises(InsufficientBalance) as exc:
        services.withdraw(wallet_id=wallet.pk, amount=D("5.000000000000000001"))
    assert exc.value.details == {"balance": "5", "requested": "5.000000000000000001"}
    assert _balance(wallet) == 5 and _kinds(wallet) == ["deposit"]


def test_withdraw_does_not_count_toward_daily_limit(make_wallet):
    wallet = make_wallet(balance="50", daily_limit=D("1"))
    services.withdraw(wallet_id=wallet.pk, amount=D("20"))
    assert wallet_spend_today(wallet=Wallet.objects.get(pk=wallet.pk)) == 0


@pytest.mark.parametrize("amount", [D(0), D(-1), D("NaN"), D("Infinity"), D("-Infinity"), 1.5, "1", None, True,
                                    D("0.0000000000000000001"), D(10) ** 30])
def test_deposit_rejects_invalid_amounts(make_wallet, amount):
    wallet = make_wallet()
    with pytest.raises(InvalidAmount):
        services.deposit(wallet_id=wallet.pk, amount=amount)
    assert _kinds(wallet) == []


def test_unknown_wallet_raises_not_found():
    with pytest.raises(WalletNotFound):
        services.deposit(wallet_id=987654321, amount=D(1))


def test_check_order_frozen_before_amount_before_limit_before_balance(make_wallet):
    wallet = make_wallet(balance="1", daily_limit=D("2"))
    services.freeze(wallet_id=wallet.pk)
    with pytest.raises(WalletFrozen):
        services.charge_for_play(wallet_id=wallet.pk, stake=D(-1), fee=D(0))
    services.unfreeze(wallet_id=wallet.pk)
    with pytest.raises(InvalidAmount):
        services.charge_for_play(wallet_id=wallet.pk, stake=D(-1), fee=D(0))
    with pytest.raises(DailyLimitExceeded):
        services.charge_for_play(wallet_id=wallet.pk, stake=D(3), fee=D(0))
    with pytest.raises(InsufficientBalance):
        services.charge_for_play(wallet_id=wallet.pk, stake=D("1.5"), fee=D(0))
    assert _kinds(wallet) == ["deposit"]


def test_charge_for_play_writes_stake_and_fee_rows_and_counts_both(make_wallet):
    wallet = make_wallet(balance="10", daily_limit=D("5"))
    entries = services.charge_for_play(wallet_id=wallet.pk, stake=D("2"), fee=D("0.5"), reference="session:1")
    assert [(e.kind, e.amount, e.balance_after) for e in entries] == [
        ("stake", D(-2), D(8)), ("spin_fee", D("-0.5"), D("7.5"))]
    entries = services.charge_for_play(wallet_id=wallet.pk, stake=D(0), fee=D("0.25"), fee_kind="query_fee")
    assert [e.kind for e in entries] == ["query_fee"]
    wallet.refresh_from_db()
    assert wallet.balance == D("7.25") and wallet_spend_today(wallet=wallet) == D("2.75")
    # 2.75 spent of 5: a 2-unit stake with a 0.5 fee crosses the limit only because of the fee.
    with pytest.raises(DailyLimitExceeded) as exc:
        services.charge_for_play(wallet_id=wallet.pk, stake=D(2), fee=D("0.5"))
    assert exc.value.details["spent_today"] == "2.75" and exc.value.details["requested"] == "2.5"
    assert services.charge_for_play(wallet_id=wallet.pk, stake=D(0), fee=D(0)) == []


def test_charge_for_play_rejects_unknown_fee_kind(make_wallet):
    wallet = make_wallet(balance="1")
    with pytest.raises(ValueError):
        services.charge_for_play(wallet_id=wallet.pk, stake=D(1), fee=D(0), fee_kind="deposit")


def test_credit_payout_zero_is_none_and_payouts_do_not_reduce_spend(make_wallet):
    wallet = make_wallet(balance="10", daily_limit=D("3"))
    services.charge_for_play(wallet_id=wallet.pk, stake=D(3), fee=D(0))
    assert services.credit_payout(wallet_id=wallet.pk, amount=D(0)) is None
    entry = services.credit_payout(wallet_id=wallet.pk, amount=D(6), reference="round:7")
    assert (entry.kind, entry.balance_after) == ("payout", D(13))
    with pytest.raises(DailyLimitExceeded):
        services.charge_for_play(wallet_id=wallet.pk, stake=D("0.000000000000000001"), fee=D(0))


def test_channel_lock_is_daily_spend_and_release_works_while_frozen(make_wallet):
    wallet = make_wallet(balance="10", daily_limit=D("8"))
    services.lock_for_channel(wallet_id=wallet.pk, amount=D(6), reference="channel:0xabc")
    with pytest.raises(DailyLimitExceeded):
        services.lock_for_channel(wallet_id=wallet.pk, amount=D(3), reference="channel:0xdef")
    services.limits_update(wallet_id=wallet.pk, daily_limit=None)
    with pytest.raises(InsufficientBalance):
        services.lock_for_channel(wallet_id=wallet.pk, amount=D(5), reference="channel:0xdef")
    services.freeze(wallet_id=wallet.pk)
    with pytest.raises(WalletFrozen):
        services.lock_for_channel(wallet_id=wallet.pk, amount=D(1), reference="channel:0xdef")
    assert services.release_from_channel(wallet_id=wallet.pk, amount=D(0), reference="channel:0xabc") is None
    entry = services.release_from_channel(wallet_id=wallet.pk, amount=D("6.5"), reference="channel:0xabc")
    assert entry.kind == "channel_release" and entry.balance_after == D("10.5")
    # A release gives back money, not spend: the day's spend stays what was locked.
    assert wallet_spend_today(wallet=Wallet.objects.get(pk=wallet.pk)) == D(6)
    assert ledger_audit().ok


@pytest.mark.parametrize("call", [
    lambda pk: services.deposit(wallet_id=pk, amount=D(1)),
    lambda pk: services.withdraw(wallet_id=pk, amount=D(1)),
    lambda pk: services.charge_for_play(wallet_id=pk, stake=D(1), fee=D(0)),
    lambda pk: services.credit_payout(wallet_id=pk, amount=D(1)),
    lambda pk: services.lock_for_channel(wallet_id=pk, amount=D(1), reference="channel:0x1"),
])
def test_frozen_wallet_refuses_money_movement(make_wallet, call):
    wallet = make_wallet(balance="10")
    services.freeze(wallet_id=wallet.pk)
    with pytest.raises(WalletFrozen):
        call(wallet.pk)
    assert _balance(wallet) == 10 and _kinds(wallet) == ["deposit"]


def test_freeze_and_unfreeze_are_idempotent(make_wallet):
    wallet = make_wallet()
    assert services.freeze(wallet_id=wallet.pk).frozen and services.freeze(wallet_id=wallet.pk).frozen
    assert not services.unfreeze(wallet_id=wallet.pk).frozen and not services.unfreeze(wallet_id=wallet.pk).frozen


def test_set_limits_changes_only_what_is_given(make_wallet):
    wallet = make_wallet()
    wallet = services.set_limits(wallet_id=wallet.pk, daily_limit=D(5), cost_per_spin=D("0.1"))
    assert (wallet.daily_limit, wallet.cost_per_spin, wallet.cost_per_query) == (D(5), D("0.1"), D(0))
    wallet = services.set_limits(wallet_id=wallet.pk, daily_limit=None)
    wallet.refresh_from_db()
    assert (wallet.daily_limit, wallet.cost_per_spin) == (None, D("0.1"))
    with pytest.raises(InvalidAmount):
        services.set_limits(wallet_id=wallet.pk, daily_limit=D(-1))


def test_zero_daily_limit_blocks_all_spend(make_wallet):
    wallet = make_wallet(balance="1", daily_limit=D(0))
    with pytest.raises(DailyLimitExceeded):
        services.charge_for_play(wallet_id=wallet.pk, stake=D(0), fee=D("0.01"))


def test_daily_limit_rolls_over_at_utc_midnight(make_wallet):
    with time_machine.travel(datetime(2025, 3, 1, 23, 59, 0, tzinfo=dt_timezone.utc), tick=False):
        wallet = make_wallet(balance="100", daily_limit=D(10))
        services.charge_for_play(wallet_id=wallet.pk, stake=D(9), fee=D(1))
        with pytest.raises(DailyLimitExceeded) as exc:
            services.charge_for_play(wallet_id=wallet.pk, stake=D(1), fee=D(0))
        assert exc.value.details == {"limit": "10", "spent_today": "10", "requested": "1",
                                     "resets_at": "2025-03-02T00:00:00Z"}
    with time_machine.travel(datetime(2025, 3, 2, 0, 0, 1, tzinfo=dt_timezone.utc), tick=False):
        assert wallet_spend_today(wallet=Wallet.objects.get(pk=wallet.pk)) == 0
        services.charge_for_play(wallet_id=wallet.pk, stake=D(10), fee=D(0))
        with pytest.raises(DailyLimitExceeded):
            services.charge_for_play(wallet_id=wallet.pk, stake=D(1), fee=D(0))
    assert ledger_audit().ok


def test_daily_limit_rolls_over_at_midnight_of_the_configured_timezone(make_wallet, settings):
    settings.WALLET_DAY_TIMEZONE = "Asia/Tokyo"  # UTC+9: the day starts at 15:00 UTC
    with time_machine.travel(datetime(2025, 3, 1, 14, 59, 0, tzinfo=dt_timezone.utc), tick=False):
        wallet = make_wallet(balance="100", daily_limit=D(10))
        services.charge_for_play(wallet_id=wallet.pk, stake=D(10), fee=D(0))
        with pytest.raises(DailyLimitExceeded) as exc:
            services.charge_for_play(wallet_id=wallet.pk, stake=D(1), fee=D(0))
        assert exc.value.details["resets_at"] == "2025-03-01T15:00:00Z"
    with time_machine.travel(datetime(2025, 3, 1, 15, 0, 0, tzinfo=dt_timezone.utc), tick=False):
        services.charge_for_play(wallet_id=wallet.pk, stake=D(10), fee=D(0))
    # UTC midnight is not a boundary in Tokyo.
    with time_machine.travel(datetime(2025, 3, 2, 0, 0, 1, tzinfo=dt_timezone.utc), tick=False):
        with pytest.raises(DailyLimitExceeded):
            services.charge_for_play(wallet_id=wallet.pk, stake=D(1), fee=D(0))
    assert ledger_audit().ok


def test_spend_stays_exact_when_the_day_timezone_changes(make_wallet, settings):
    with time_machine.travel(datetime(2025, 3, 1, 20, 0, tzinfo=dt_timezone.utc), tick=False):
        wallet = make_wallet(balance="100", daily_limit=D(10))
        services.charge_for_play(wallet_id=wallet.pk, stake=D(4), fee=D(0))
        # New York's day (started 05:00 UTC) contains the 20:00 UTC spend; the counter's UTC day
        # start does not match, so the ledger is summed instead of guessing.
        settings.WALLET_DAY_TIMEZONE = "America/New_York"
        wallet.refresh_from_db()
        assert wallet_spend_today(wallet=wallet) == D(4)
        services.charge_for_play(wallet_id=wallet.pk, stake=D(6), fee=D(0))
        with pytest.raises(DailyLimitExceeded):
            services.charge_for_play(wallet_id=wallet.pk, stake=D(1), fee=D(0))
    assert ledger_audit().ok


def test_house_wallet_is_created_once(settings):
    settings.HOUSE_BANKROLL_USERNAME = "house-test"
    first, second = services.house_wallet(), services.house_wallet()
    assert first.pk == second.pk and first.owner.username == "house-test"


def test_services_nest_inside_a_callers_transaction(make_wallet):
    wallet = make_wallet(balance="10")
    with pytest.raises(RuntimeError), transaction.atomic():
        Wallet.objects.select_for_update().get(pk=wallet.pk)  # a caller's lock, e.g. session then wallet
        services.charge_for_play(wallet_id=wallet.pk, stake=D(1), fee=D(0))
        services.credit_payout(wallet_id=wallet.pk, amount=D(2))
        raise RuntimeError("caller fails after the wallet calls")
    assert _balance(wallet) == 10 and _kinds(wallet) == ["deposit"]


def test_ledger_entries_cannot_be_changed_or_deleted(make_wallet):
    wallet = make_wallet(balance="10")
    entry = LedgerEntry.objects.get(wallet=wallet)
    entry.amount = D(1000)
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()
    with pytest.raises(AppendOnlyError):
        LedgerEntry.objects.filter(pk=entry.pk).update(amount=D(1000))
    with pytest.raises(AppendOnlyError):
        LedgerEntry.objects.filter(pk=entry.pk).delete()


def test_database_refuses_ledger_updates_even_in_raw_sql(make_wallet):
    wallet = make_wallet(balance="10")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE wallet_app_ledgerentry SET amount = 1000 WHERE wallet_id = %s", [wallet.pk])
    assert LedgerEntry.objects.get(wallet=wallet).amount == 10


def test_database_refuses_a_negative_balance(make_wallet):
    wallet = make_wallet(balance="1")
    with pytest.raises(DatabaseError), transaction.atomic():
        Wallet.objects.filter(pk=wallet.pk).update(balance=D(-1))


@pytest.mark.django_db(transaction=True)
def test_concurrent_withdrawals_never_overdraw(make_wallet):
    wallet = make_wallet(balance="10")
    outcomes: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(20)

    def withdraw_one():
        try:
            start.wait(timeout=10)
            services.withdraw(wallet_id=wallet.pk, amount=D("1.5"))
            result = "ok"
        except InsufficientBalance:
            result = "insufficient"
        finally:
            connection.close()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=withdraw_one) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(outcomes) == 20
    assert outcomes.count("ok") == 6 and outcomes.count("insufficient") == 14
    assert _balance(wallet) == D(1)
    assert LedgerEntry.objects.filter(wallet=wallet, kind=LedgerKind.WITHDRAWAL).count() == 6
    assert ledger_audit().ok


@pytest.mark.django_db(transaction=True)
def test_concurrent_charges_never_exceed_the_daily_limit(make_wallet):
    wallet = make_wallet(balance="100", daily_limit=D(5))
    errors: list[Exception] = []

    def charge():
        try:
            services.charge_for_play(wallet_id=wallet.pk, stake=D(1), fee=D("0.25"))
        except DailyLimitExceeded as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=charge) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    wallet.refresh_from_db()
    assert len(errors) == 6 and wallet.spent_today == D(5) and wallet.balance == D(95)
    assert ledger_audit().ok


def test_lock_wallets_locks_in_pk_order_and_reports_missing(make_wallet):
    from wallet_app.locks import lock_wallets

    one, two = make_wallet(), make_wallet()
    with transaction.atomic():
        assert list(lock_wallets(wallet_ids=[two.pk, one.pk])) == [one.pk, two.pk]
        with pytest.raises(WalletNotFound):
            lock_wallets(wallet_ids=[one.pk, 10**12])


def test_charge_for_play_hot_path_is_a_few_queries_and_never_sums_the_ledger(make_wallet,
                                                                             django_assert_max_num_queries):
    wallet = make_wallet(balance="100", daily_limit=D(50))
    services.charge_for_play(wallet_id=wallet.pk, stake=D(1), fee=D("0.1"))
    # lock + 2 inserts + 1 update, plus the savepoint pair inside the test transaction
    with django_assert_max_num_queries(6) as captured:
        services.charge_for_play(wallet_id=wallet.pk, stake=D(1), fee=D("0.1"))
    assert not any("SUM(" in query["sql"].upper() for query in captured.captured_queries)
