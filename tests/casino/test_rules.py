from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from games_app.casino import rules
from games_app.casino.addresses import keccak256, normalize_address, to_checksum_address
from games_app.casino.models import CasinoChannel, CasinoCommit


def test_keccak256_matches_known_vectors():
    assert keccak256(b"").hex() == "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"
    assert keccak256(b"abc").hex() == "4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45"
    assert len(keccak256(b"x" * 300)) == 32  # more than one 136-byte block


@pytest.mark.parametrize("address", ["0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
                                     "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
                                     "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
                                     "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb"])
def test_eip55_checksums(address):
    assert to_checksum_address(address.lower()) == address
    assert normalize_address(address) == normalize_address(address.lower()) == address.lower()
    assert normalize_address("0x" + address[2:].upper()) == address.lower()
    i = max(k for k, ch in enumerate(address) if ch.isalpha() and k > 1)
    flipped = address[:i] + address[i].swapcase() + address[i + 1:]
    assert normalize_address(flipped) is None


def test_slots_rtp_is_95_percent():
    probabilities = {}
    low = 0
    for symbol, limit in zip(rules.SLOTS_SYMBOLS, rules.SLOTS_THRESHOLDS):
        probabilities[symbol] = Decimal(limit - low) / 100
        low = limit
    rtp = sum(p ** 3 * rules.SLOTS_MULTIPLIERS[s] for s, p in probabilities.items())
    assert rtp == Decimal("0.95")


def test_slots_outcome_and_coinflip_follow_the_hash():
    h = "00000000" + "0000001d" + "00000063" + "ff" * 20  # 0, 29, 99
    outcome = rules.slots_outcome(h)
    assert outcome.reels == ("cherry", "cherry", "seven") and outcome.multiplier == 0
    assert rules.slots_outcome("00000009" * 3 + "0" * 40).multiplier == 5
    assert rules.coinflip_result("02" + "0" * 62) == "heads" and rules.coinflip_result("03" + "0" * 62) == "tails"


def test_max_bet_rounds_down():
    assert rules.max_bet(game="slots", available_casino_balance=Decimal("1")) == Decimal("0.001724137931034482")
    assert rules.max_bet(game="coinflip", available_casino_balance=Decimal("-1")) == 0


def _channel(**kwargs) -> CasinoChannel:
    fields = dict(scope="anon", agent_address="0x" + "a" * 40, agent_deposit=1, casino_deposit=1, agent_balance=1,
                  casino_balance=1) | kwargs
    return CasinoChannel.objects.create(**fields)


@pytest.mark.django_db
@pytest.mark.parametrize("fields", [{"agent_balance": -1, "casino_balance": 3}, {"agent_balance": 2},
                                    {"agent_deposit": 0, "agent_balance": 0}])
def test_db_checks_refuse_negative_balances_and_broken_conservation(fields):
    with pytest.raises(IntegrityError), transaction.atomic():
        _channel(**fields)


@pytest.mark.django_db
def test_db_allows_one_pending_commit_per_agent_and_game():
    channel = _channel()
    fields = dict(channel=channel, scope="anon", agent_address=channel.agent_address, game="slots",
                  casino_seed="s", commitment="c", bet_amount=1, expires_at=timezone.now())
    CasinoCommit.objects.create(**fields)
    CasinoCommit.objects.create(**fields | {"status": "expired"})
    CasinoCommit.objects.create(**fields | {"game": "coinflip"})
    with pytest.raises(IntegrityError), transaction.atomic():
        CasinoCommit.objects.create(**fields)
    with pytest.raises(IntegrityError), transaction.atomic():
        _channel()  # a second open channel for the same agent
