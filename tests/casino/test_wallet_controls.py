"""Issue 15 items 2 and 3 over real HTTP (live server, PostgreSQL): wallet-funded channels live
under the wallet's controls, and the house's exposure is bounded."""
import threading
from collections import Counter
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection

from games_app.casino.models import CasinoChannel
from tests.casino.conftest import ADDRESS, OTHER_ADDRESS
from wallet_app import services as wallet_services
from wallet_app.models import LedgerEntry, Wallet
from wallet_app.selectors import ledger_audit, wallet_spend_today

pytestmark = pytest.mark.django_db(transaction=True)


def _address(i: int) -> str:
    return "0x" + f"{i + 1:040x}"


@pytest.fixture
def bankroll():
    house = wallet_services.house_wallet()
    wallet_services.deposit(wallet_id=house.pk, amount=Decimal("100"), reference="bankroll")
    return house


@pytest.fixture
def player(make_token, live_a2a, bankroll):
    """player(balance="10", **wallet kwargs) -> a LiveA2A with `.wallet` and `.owner`."""

    def _make(balance: str = "10", **wallet_kwargs):
        token, raw = make_token("agent")
        wallet = wallet_services.wallet_create(owner=token.owner, **wallet_kwargs)
        wallet_services.deposit(wallet_id=wallet.pk, amount=Decimal(balance), reference="test")
        client = live_a2a(raw)
        client.wallet, client.owner = wallet, token.owner
        return client

    return _make


def _balance(wallet) -> Decimal:
    return Wallet.objects.get(pk=wallet.pk).balance


def _audits_clean() -> None:
    assert ledger_audit().ok, ledger_audit().mismatches
    call_command("audit_channels")


# --- item 2: the wallet's controls ----------------------------------------------------------------


def test_a_spent_daily_limit_opens_no_channel(player):
    # The attack: remaining_today 0 still opened a 5 ETH channel and wagered 6 ETH.
    agent = player(balance="10", daily_limit=Decimal("0"))
    agent.error("open_channel", "DAILY_LIMIT_EXCEEDED", stealthAddress=ADDRESS, agentDeposit="5", casinoDeposit="5")
    assert not CasinoChannel.objects.exists()
    assert _balance(agent.wallet) == 10
    assert not LedgerEntry.objects.filter(kind="channel_lock").exists()


def test_opening_counts_the_deposit_against_the_daily_limit(player):
    agent = player(balance="10", daily_limit=Decimal("5"))
    agent.open(ADDRESS, agent="3", casino="3")
    assert wallet_spend_today(wallet=Wallet.objects.get(pk=agent.wallet.pk)) == 3
    agent.error("open_channel", "DAILY_LIMIT_EXCEEDED", stealthAddress=OTHER_ADDRESS, agentDeposit="2.5")
    assert CasinoChannel.objects.count() == 1 and _balance(agent.wallet) == 7
    agent.open(OTHER_ADDRESS, agent="2", casino="2")        # exactly the limit is allowed
    # Closing gives the money back, not the day's allowance.
    agent.ok("close_channel", stealthAddress=ADDRESS)
    assert _balance(agent.wallet) == 8
    agent.error("open_channel", "DAILY_LIMIT_EXCEEDED", stealthAddress=ADDRESS, agentDeposit="0.001",
                casinoDeposit="0.001")
    _audits_clean()


def test_a_frozen_wallet_opens_no_channel(player):
    agent = player()
    wallet_services.freeze(wallet_id=agent.wallet.pk)
    agent.error("open_channel", "WALLET_FROZEN", 403, stealthAddress=ADDRESS, agentDeposit="1")
    assert not CasinoChannel.objects.exists() and _balance(agent.wallet) == 10


def test_freezing_stops_new_wagers_but_a_pending_reveal_and_close_still_settle(player):
    agent = player()
    agent.open(ADDRESS, agent="1", casino="10")
    commit = agent.ok("slots_commit", stealthAddress=ADDRESS, betAmount="0.01")
    wallet_services.freeze(wallet_id=agent.wallet.pk)

    agent.error("coinflip_commit", "WALLET_FROZEN", 403, stealthAddress=ADDRESS, betAmount="0.01", choice="heads")
    agent.error("lotto_buy", "WALLET_FROZEN", 403, stealthAddress=ADDRESS, pickedNumber=7)
    reveal = agent.ok("slots_reveal", stealthAddress=ADDRESS, agentSeed="settles-anyway")
    assert reveal["commitment"] == commit["commitment"] and reveal["nonce"] == 1
    agent.error("slots_commit", "WALLET_FROZEN", 403, stealthAddress=ADDRESS, betAmount="0.01")
    closed = agent.ok("close_channel", stealthAddress=ADDRESS)
    assert _balance(agent.wallet) == 9 + Decimal(closed["agentBalance"])
    channel = CasinoChannel.objects.get()
    assert channel.status == "closed" and channel.nonce == 1
    _audits_clean()


def test_a2a_rounds_charge_no_per_spin_or_per_query_fee(player):
    """The README promises wallet fees for session spins and probes only: a channel's balance
    moves by bet and payout alone, exactly as the reference casino's SDK verifies it."""
    agent = player(cost_per_spin=Decimal("0.5"), cost_per_query=Decimal("0.25"))
    agent.open(ADDRESS, agent="1", casino="10")
    agent.ok("coinflip_commit", stealthAddress=ADDRESS, betAmount="0.01", choice="tails")
    agent.ok("coinflip_reveal", stealthAddress=ADDRESS, agentSeed="no-fee")
    agent.ok("channel_status", stealthAddress=ADDRESS)
    assert _balance(agent.wallet) == 9
    assert not LedgerEntry.objects.filter(kind__in=["spin_fee", "query_fee"]).exists()


# --- item 3: the house's exposure -----------------------------------------------------------------


def test_casino_deposit_is_bounded_by_a_multiple_of_the_agent_deposit(player, live_a2a, settings):
    assert settings.A2A_MAX_CASINO_DEPOSIT_RATIO == 10
    agent = player()
    agent.error("open_channel", "DEPOSIT_RATIO_EXCEEDED", stealthAddress=ADDRESS, agentDeposit="0.001",
                casinoDeposit="10")
    anonymous = live_a2a()
    anonymous.error("open_channel", "DEPOSIT_RATIO_EXCEEDED", stealthAddress=ADDRESS, agentDeposit="0.5",
                    casinoDeposit="5.000000000000000001")
    assert not CasinoChannel.objects.exists()
    assert _balance(wallet_services.house_wallet()) == 100
    agent.open(ADDRESS, agent="0.1", casino="1")            # exactly 10x is allowed
    anonymous.open(ADDRESS, agent="0.5", casino="5")


def test_one_owner_cannot_lock_more_than_its_share_of_the_bankroll(player, settings):
    # The attack: 99 channels of 0.001 locked 990 ETH of the house; everyone else then got
    # CHANNEL_FUNDING_FAILED. Here 16 concurrent opens of 1 ETH each against a 100 ETH bankroll.
    assert settings.A2A_MAX_OWNER_BANKROLL_SHARE == Decimal("0.1")
    attacker = player(balance="10")
    replies, errors = [None] * 16, []
    barrier = threading.Barrier(16)

    def open_one(i):
        try:
            barrier.wait(timeout=30)
            client = type(attacker)(str(attacker.http.base_url), token=attacker.token)
            try:
                replies[i] = client("open_channel", stealthAddress=_address(i), agentDeposit="0.1", casinoDeposit="1")
            finally:
                client.close()
        except Exception as exc:  # reported below
            errors.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=open_one, args=(i,)) for i in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    outcomes = Counter(reply.get("code", "ok") for _, reply in replies)
    assert outcomes == {"ok": 10, "BANKROLL_SHARE_EXCEEDED": 6}, outcomes
    locked = sum(CasinoChannel.objects.filter(owner=attacker.owner, status="open")
                 .values_list("casino_balance", flat=True))
    assert locked == 10
    assert _balance(wallet_services.house_wallet()) == 90
    assert _balance(attacker.wallet) == 9

    # Another owner still gets a channel.
    other = player(balance="5")
    assert other.open(ADDRESS, agent="0.5", casino="5")["funded"] is True
    # Closing frees the attacker's share again.
    attacker.ok("close_channel", stealthAddress=_address(next(i for i, (s, _) in enumerate(replies) if s == 200)))
    attacker.open(_address(99), agent="0.1", casino="1")
    _audits_clean()
