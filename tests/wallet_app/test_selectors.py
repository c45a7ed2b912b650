from decimal import Decimal

import pytest

from wallet_app import services
from wallet_app.exceptions import DailyLimitExceeded, InsufficientBalance, WalletFrozen
from wallet_app.selectors import wallet_payment_capacity

pytestmark = pytest.mark.django_db
D = Decimal


def test_payment_capacity_answers_as_the_charge_would(make_wallet):
    """The look before work agrees with charge_for_play: frozen, then daily limit, then balance."""
    wallet = make_wallet(balance="10", daily_limit=D("4"))
    services.charge_for_play(wallet_id=wallet.pk, stake=D(0), fee=D("1.5"), fee_kind="query_fee")
    capacity = wallet_payment_capacity(wallet_id=wallet.pk)
    assert capacity.balance == D("8.5") and capacity.remaining_today == D("2.5")
    assert capacity.refusal(amount=D("2.5")) is None
    assert isinstance(capacity.refusal(amount=D("2.6")), DailyLimitExceeded)
    with pytest.raises(DailyLimitExceeded):  # the charge itself agrees
        services.charge_for_play(wallet_id=wallet.pk, stake=D(0), fee=D("2.6"), fee_kind="query_fee")
    assert capacity.units_payable(unit_cost=D("0.3")) == 8      # 2.5 // 0.3, the daily limit binds
    services.freeze(wallet_id=wallet.pk)
    frozen = wallet_payment_capacity(wallet_id=wallet.pk)
    assert isinstance(frozen.refusal(amount=D("0.01")), WalletFrozen) and frozen.units_payable(unit_cost=D(1)) == 0


def test_payment_capacity_without_daily_limit_is_the_balance(make_wallet):
    wallet = make_wallet(balance="1")
    capacity = wallet_payment_capacity(wallet_id=wallet.pk)
    assert capacity.remaining_today is None and capacity.units_payable(unit_cost=D("0.3")) == 3
    assert isinstance(capacity.refusal(amount=D("1.01")), InsufficientBalance) and capacity.refusal(amount=D(1)) is None
    assert wallet_payment_capacity(wallet_id=wallet.pk + 10_000) is None
