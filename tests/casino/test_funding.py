"""Funded channels: a bearer caller's wallet and the house bankroll back the channel."""
from decimal import Decimal

import pytest
from django.test import Client

from wallet_app import services as wallet_services
from wallet_app.models import LedgerEntry, Wallet

from games_app.casino.models import CasinoChannel
from tests.casino.conftest import A2A, ADDRESS, assert_conserved

pytestmark = pytest.mark.django_db


@pytest.fixture
def funded(make_token):
    token, raw = make_token("agent")
    wallet = wallet_services.wallet_create(owner=token.owner)
    wallet_services.deposit(wallet_id=wallet.pk, amount=Decimal("5"), reference="test")
    house = wallet_services.house_wallet()
    wallet_services.deposit(wallet_id=house.pk, amount=Decimal("100"), reference="bankroll")
    client = A2A(Client(), token=raw)
    client.wallet, client.house, client.owner = wallet, house, token.owner
    return client


def balances(client) -> tuple[Decimal, Decimal]:
    return (Wallet.objects.get(pk=client.wallet.pk).balance, Wallet.objects.get(pk=client.house.pk).balance)


def test_funded_channel_locks_wallet_money_and_releases_it_on_close(funded):
    reply = funded.open(agent="1", casino="2")
    assert reply["funded"] is True
    assert balances(funded) == (Decimal("4"), Decimal("98"))
    channel = CasinoChannel.objects.get()
    reference = f"casino-channel:{channel.pk}"
    locks = LedgerEntry.objects.filter(kind="channel_lock", reference=reference)
    assert sorted(locks.values_list("amount", flat=True)) == [Decimal("-2"), Decimal("-1")]

    for i in range(5):
        funded.ok("coinflip_commit", stealthAddress=ADDRESS, betAmount="0.1", choice="heads")
        funded.ok("coinflip_reveal", stealthAddress=ADDRESS, agentSeed=f"s{i}")
    funded.ok("lotto_buy", stealthAddress=ADDRESS, pickedNumber=3)
    total_before_close = sum(balances(funded))
    channel.refresh_from_db()
    assert total_before_close + channel.agent_balance + channel.casino_balance == Decimal("105")

    closed = funded.ok("close_channel", stealthAddress=ADDRESS)
    wallet_balance, house_balance = balances(funded)
    assert wallet_balance == Decimal("4") + Decimal(closed["agentBalance"])
    assert house_balance == Decimal("98") + Decimal(closed["casinoBalance"])
    assert wallet_balance + house_balance == Decimal("105")
    releases = LedgerEntry.objects.filter(kind="channel_release", reference=reference)
    assert sum(releases.values_list("amount", flat=True)) == Decimal("3")
    assert_conserved()


def test_funded_open_beyond_wallet_balance_is_insufficient_balance(funded):
    funded.error("open_channel", "INSUFFICIENT_BALANCE", stealthAddress=ADDRESS, agentDeposit="6")
    assert CasinoChannel.objects.count() == 0
    assert balances(funded) == (Decimal("5"), Decimal("100"))


def test_funded_open_without_a_wallet_is_insufficient_balance(make_token):
    _, raw = make_token("agent")
    A2A(Client(), token=raw).error("open_channel", "INSUFFICIENT_BALANCE", stealthAddress=ADDRESS, agentDeposit="1")
    assert CasinoChannel.objects.count() == 0


def test_funded_open_from_a_frozen_wallet_is_wallet_frozen(funded):
    wallet_services.freeze(wallet_id=funded.wallet.pk)
    funded.error("open_channel", "WALLET_FROZEN", 403, stealthAddress=ADDRESS, agentDeposit="1")
    assert CasinoChannel.objects.count() == 0 and balances(funded) == (Decimal("5"), Decimal("100"))


def test_funded_open_beyond_the_house_bankroll_fails_and_refunds_nothing_twice(funded):
    wallet_services.withdraw(wallet_id=funded.house.pk, amount=Decimal("99.5"), reference="drain")
    funded.error("open_channel", "CHANNEL_FUNDING_FAILED", stealthAddress=ADDRESS, agentDeposit="1", casinoDeposit="1")
    assert CasinoChannel.objects.count() == 0
    assert balances(funded) == (Decimal("5"), Decimal("0.5"))
    assert not LedgerEntry.objects.filter(kind="channel_lock").exists()


def test_funded_open_replay_does_not_lock_twice(funded):
    headers = {"x-idempotency-key": "open"}
    first = funded("open_channel", headers=headers, stealthAddress=ADDRESS, agentDeposit="1")
    assert funded("open_channel", headers=headers, stealthAddress=ADDRESS, agentDeposit="1") == first
    assert balances(funded) == (Decimal("4"), Decimal("99"))
