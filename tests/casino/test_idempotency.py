"""Idempotency: x-idempotency-key header and derived keys, stored in casino_requests."""
import pytest

from games_app.casino.models import CasinoChannel, CasinoCommit, CasinoLottoTicket, CasinoRequest, CasinoRound
from tests.casino.conftest import ADDRESS, OTHER_ADDRESS, assert_conserved

pytestmark = pytest.mark.django_db


def test_header_key_replays_identical_content(a2a):
    key = {"x-idempotency-key": "open-1"}
    first_status, first = a2a("open_channel", headers=key, stealthAddress=ADDRESS, agentDeposit="1")
    first_bytes = a2a.last.content
    again_status, again = a2a("open_channel", headers=key, stealthAddress=ADDRESS, agentDeposit="1")
    assert (first_status, again_status) == (200, 200)
    assert again == first and a2a.last.content == first_bytes
    assert a2a.last["Idempotent-Replayed"] == "true"
    assert CasinoChannel.objects.count() == 1
    assert CasinoRequest.objects.get().key_source == "header"


def test_header_key_replays_a_reveal_after_the_state_moved_on(a2a):
    a2a.open()
    a2a.ok("slots_commit", stealthAddress=ADDRESS, betAmount="0.001")
    key = {"x-idempotency-key": "reveal-1"}
    _, first = a2a("slots_reveal", headers=key, stealthAddress=ADDRESS, agentSeed="s")
    a2a.ok("lotto_buy", stealthAddress=ADDRESS, pickedNumber=4)
    _, again = a2a("slots_reveal", headers=key, stealthAddress=ADDRESS, agentSeed="s")
    assert again == first and CasinoRound.objects.count() == 2


def test_header_key_reused_with_other_content_is_rejected(a2a):
    a2a.open()
    key = {"x-idempotency-key": "buy-1"}
    a2a("lotto_buy", headers=key, stealthAddress=ADDRESS, pickedNumber=4)
    status, reply = a2a("lotto_buy", headers=key, stealthAddress=ADDRESS, pickedNumber=5)
    assert status == 400 and reply["code"] == "IDEMPOTENCY_KEY_REUSED"
    status, reply = a2a("slots_commit", headers=key, stealthAddress=ADDRESS, betAmount="0.001")
    assert reply["code"] == "IDEMPOTENCY_KEY_REUSED"
    assert CasinoLottoTicket.objects.count() == 1 and CasinoCommit.objects.count() == 0


@pytest.mark.parametrize("key", ["", " leading-space", "x" * 256, "tab\tkey"])
def test_invalid_header_key_is_400(a2a, key):
    a2a.open()
    status, reply = a2a("lotto_buy", headers={"x-idempotency-key": key}, stealthAddress=ADDRESS, pickedNumber=4)
    assert status == 400 and reply["code"] == "IDEMPOTENCY_KEY_INVALID"
    assert CasinoLottoTicket.objects.count() == 0


def test_header_keys_are_scoped_per_agent(a2a):
    key = {"x-idempotency-key": "same"}
    a2a("open_channel", headers=key, stealthAddress=ADDRESS, agentDeposit="1")
    status, _ = a2a("open_channel", headers=key, stealthAddress=OTHER_ADDRESS, agentDeposit="1")
    assert status == 200 and CasinoChannel.objects.count() == 2


def test_two_deliberate_lotto_purchases_are_two(a2a):
    a2a.open()
    first = a2a.ok("lotto_buy", stealthAddress=ADDRESS, pickedNumber=7)
    second = a2a.ok("lotto_buy", stealthAddress=ADDRESS, pickedNumber=7)
    assert (first["nonce"], second["nonce"]) == (1, 2)
    assert CasinoLottoTicket.objects.count() == 2
    assert second["agentBalance"] == "0.998"
    assert_conserved()


def test_two_lotto_purchases_with_distinct_header_keys_are_two(a2a):
    a2a.open()
    a2a("lotto_buy", headers={"x-idempotency-key": "a"}, stealthAddress=ADDRESS, pickedNumber=7)
    a2a("lotto_buy", headers={"x-idempotency-key": "b"}, stealthAddress=ADDRESS, pickedNumber=7)
    assert CasinoLottoTicket.objects.count() == 2


def test_repeated_open_without_header_replays(a2a):
    first = a2a.open()
    assert a2a.open() == first
    assert CasinoChannel.objects.count() == 1


def test_identical_second_commit_without_header_is_pending_commit_exists(a2a):
    a2a.open()
    a2a.ok("slots_commit", stealthAddress=ADDRESS, betAmount="0.001")
    a2a.error("slots_commit", "PENDING_COMMIT_EXISTS", 409, stealthAddress=ADDRESS, betAmount="0.001")
    assert CasinoCommit.objects.count() == 1 and not CasinoRequest.objects.filter(action="slots_commit").exists()


def test_repeated_commit_with_a_header_key_replays_the_same_commitment(a2a):
    a2a.open()
    for header in ("x-idempotency-key", "Idempotency-Key"):
        first = a2a("coinflip_commit", headers={header: header}, stealthAddress=ADDRESS, betAmount="0.001",
                    choice="heads")
        assert first[0] == 200
        assert a2a("coinflip_commit", headers={header: header}, stealthAddress=ADDRESS, betAmount="0.001",
                   choice="heads") == first
        assert a2a.last["Idempotent-Replayed"] == "true"
        a2a.ok("coinflip_reveal", stealthAddress=ADDRESS, agentSeed=header)
    assert CasinoCommit.objects.count() == 2


def test_repeated_reveal_without_header_replays_the_round(a2a):
    a2a.open()
    a2a.ok("coinflip_commit", stealthAddress=ADDRESS, betAmount="0.001", choice="heads")
    first = a2a.ok("coinflip_reveal", stealthAddress=ADDRESS, agentSeed="seed")
    again = a2a.ok("coinflip_reveal", stealthAddress=ADDRESS, agentSeed="seed")
    assert again == first and a2a.last["Idempotent-Replayed"] == "true"
    assert CasinoRound.objects.count() == 1
    # another seed is no retry: there is no commit left to reveal
    a2a.error("coinflip_reveal", "COMMIT_NOT_FOUND", stealthAddress=ADDRESS, agentSeed="other")


def test_same_seed_on_a_new_commit_is_a_new_round(a2a):
    a2a.open()
    for expected_nonce in (1, 2):
        a2a.ok("coinflip_commit", stealthAddress=ADDRESS, betAmount="0.001", choice="heads")
        assert a2a.ok("coinflip_reveal", stealthAddress=ADDRESS, agentSeed="seed")["nonce"] == expected_nonce


def test_reopen_with_the_same_deposits_after_close_is_a_new_channel(a2a):
    a2a.open()
    a2a.ok("close_channel", stealthAddress=ADDRESS)
    reopened = a2a.open()
    assert reopened["status"] == "open"
    assert CasinoChannel.objects.filter(status="open").count() == 1


def test_errors_are_not_stored(a2a):
    a2a.open(agent="0.001", casino="0.01")
    a2a.error("lotto_buy", "INSUFFICIENT_BALANCE", stealthAddress=ADDRESS, pickedNumber=4, ticketCount=2)
    assert not CasinoRequest.objects.filter(action="lotto_buy").exists()
