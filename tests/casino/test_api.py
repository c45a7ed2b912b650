"""POST /api/a2a/casino: every action, success and each failure code (anonymous, play-money channels)."""
import hashlib
import json
from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from games_app.casino.models import CasinoChannel, CasinoCommit, CasinoEvent, CasinoRequest, CasinoRound
from games_app.casino.selectors import GameTotals, game_totals
from tests.casino.conftest import ADDRESS, OTHER_ADDRESS, URL, assert_conserved, envelope

pytestmark = pytest.mark.django_db


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def channel() -> CasinoChannel:
    return CasinoChannel.objects.get(agent_address=ADDRESS.lower(), status="open")


# ---------------------------------------------------------------- open / status / close


def test_open_channel_returns_balances_and_settlement_mode(a2a):
    reply = a2a.open(agent="0.5", casino="2")
    assert reply["status"] == "open"
    assert reply["agentBalance"] == "0.5" and reply["casinoBalance"] == "2"
    assert reply["settlementMode"] == "offchain-ledger"
    assert reply["stealthAddress"] == ADDRESS
    row = channel()
    assert (row.agent_balance, row.casino_balance, row.nonce, row.scope) == (Decimal("0.5"), Decimal("2"), 0, "anon")
    assert CasinoEvent.objects.filter(channel=row, kind="channel_opened").count() == 1
    assert_conserved()


def test_open_channel_casino_deposit_defaults_to_agent_deposit(a2a):
    reply = a2a.ok("open_channel", stealthAddress=ADDRESS, agentDeposit="0.25")
    assert reply["casinoBalance"] == "0.25"


def test_open_channel_accepts_params_nested_in_content_params(a2a):
    reply = a2a.ok("open_channel", params={"stealthAddress": ADDRESS, "agentDeposit": "0.01", "casinoDeposit": "0.02"})
    assert (reply["agentBalance"], reply["casinoBalance"]) == ("0.01", "0.02")


def test_open_channel_accepts_an_exact_json_number(a2a):
    response = a2a.raw('{"message": {"content": {"action": "open_channel", "stealthAddress": "%s", '
                       '"agentDeposit": 0.001, "casinoDeposit": 0.01}}}' % ADDRESS)
    assert response.status_code == 200, response.json()
    assert channel().agent_deposit == Decimal("0.001")


def test_open_channel_twice_is_channel_already_exists(a2a):
    a2a.open()
    a2a.error("open_channel", "CHANNEL_ALREADY_EXISTS", 409, stealthAddress=ADDRESS, agentDeposit="2")
    assert CasinoChannel.objects.count() == 1


def test_open_channel_lower_case_address_is_the_same_agent(a2a):
    a2a.open()
    a2a.error("open_channel", "CHANNEL_ALREADY_EXISTS", 409, stealthAddress=ADDRESS.lower(), agentDeposit="2")


@pytest.mark.parametrize("address", [
    None, "", "0x123", "5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "0xZZZeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
    "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD",  # one letter's case flipped: bad EIP-55 checksum
    "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed00", 12345, ["0x"], {"a": 1},
])
def test_open_channel_bad_address_is_400(a2a, address):
    a2a.error("open_channel", "INVALID_ADDRESS", stealthAddress=address, agentDeposit="1")
    assert CasinoChannel.objects.count() == 0


@pytest.mark.parametrize("deposit", [
    "0.0009", "10.000000000000000001", "11", "-1", "0", "1e-3", "NaN", "Infinity", "0.0010000000000000001",
    "9" * 80, True, None, [], {}, " ", "1,5",
])
def test_open_channel_bad_deposit_is_400_and_changes_nothing(a2a, deposit):
    a2a.error("open_channel", "INVALID_AMOUNT", stealthAddress=ADDRESS, agentDeposit=deposit)
    assert CasinoChannel.objects.count() == 0


def test_open_channel_bad_casino_deposit_is_400(a2a):
    a2a.error("open_channel", "INVALID_AMOUNT", stealthAddress=ADDRESS, agentDeposit="1", casinoDeposit="20")


def test_open_channel_huge_json_number_is_400(a2a):
    response = a2a.raw('{"message": {"content": {"action": "open_channel", "stealthAddress": "%s", '
                       '"agentDeposit": 1%s}}}' % (ADDRESS, "0" * 5000))
    assert response.status_code == 400
    assert response.json()["message"]["content"]["code"] in ("INVALID_REQUEST", "INVALID_AMOUNT")


def test_channel_status_reports_balances_nonce_and_games(a2a):
    a2a.open()
    reply = a2a.ok("channel_status", stealthAddress=ADDRESS)
    assert {k: reply[k] for k in ("status", "agentBalance", "casinoBalance", "nonce", "gamesPlayed")} == {
        "status": "open", "agentBalance": "1", "casinoBalance": "10", "nonce": 0, "gamesPlayed": 0}


def test_channel_status_unknown_address_is_channel_not_found(a2a):
    a2a.error("channel_status", "CHANNEL_NOT_FOUND", 404, stealthAddress=OTHER_ADDRESS)


def test_close_channel_returns_final_state_and_signature(a2a):
    a2a.open()
    a2a.ok("lotto_buy", stealthAddress=ADDRESS, pickedNumber=7)
    reply = a2a.ok("close_channel", stealthAddress=ADDRESS)
    assert reply["agentBalance"] == "0.999" and reply["casinoBalance"] == "10.001"
    assert reply["nonce"] == 1 and reply["totalGames"] == 1
    assert len(reply["signature"]) == 64
    row = CasinoChannel.objects.get()
    assert row.status == "closed" and row.close_signature == reply["signature"]
    assert (reply["settledOnchain"], reply["closeTxHash"], reply["chainId"]) == (False, None, None)
    # A closed channel is gone for channel_status, as in the reference casino.
    a2a.error("channel_status", "CHANNEL_NOT_FOUND", 404, stealthAddress=ADDRESS)
    assert_conserved()


def test_close_channel_without_channel_is_channel_not_found(a2a):
    a2a.error("close_channel", "CHANNEL_NOT_FOUND", 404, stealthAddress=ADDRESS)


def test_close_channel_retry_replays_the_same_close(a2a):
    a2a.open()
    first = a2a.ok("close_channel", stealthAddress=ADDRESS)
    assert a2a.ok("close_channel", stealthAddress=ADDRESS) == first
    assert a2a.last["Idempotent-Replayed"] == "true"


def test_close_channel_expires_pending_commits(a2a):
    a2a.open()
    a2a.ok("slots_commit", stealthAddress=ADDRESS, betAmount="0.001")
    a2a.ok("close_channel", stealthAddress=ADDRESS)
    assert CasinoCommit.objects.get().status == "expired"


def test_reopen_after_close_opens_a_new_channel(a2a):
    a2a.open()
    a2a.ok("close_channel", stealthAddress=ADDRESS)
    a2a.open()
    assert CasinoChannel.objects.filter(status="open").count() == 1
    assert CasinoChannel.objects.count() == 2


def test_actions_on_a_closed_channel_are_channel_not_found(a2a):
    a2a.open()
    a2a.ok("close_channel", stealthAddress=ADDRESS)
    a2a.error("slots_commit", "CHANNEL_NOT_FOUND", 404, stealthAddress=ADDRESS, betAmount="0.001")
    a2a.error("lotto_buy", "CHANNEL_NOT_FOUND", 404, stealthAddress=ADDRESS, pickedNumber=1)


def test_anonymous_channels_per_ip_are_capped(a2a, settings):
    settings.A2A_ANONYMOUS_CHANNELS_PER_IP = 1
    a2a.open()
    a2a.error("open_channel", "ANONYMOUS_CHANNEL_LIMIT", stealthAddress=OTHER_ADDRESS, agentDeposit="1")


# ---------------------------------------------------------------- slots


def test_slots_commit_reveal_proof_recomputes_to_the_reels(a2a):
    a2a.open()
    commit = a2a.ok("slots_commit", stealthAddress=ADDRESS, betAmount="0.01")
    assert commit["betAmount"] == "0.01" and len(commit["commitment"]) == 64
    reveal = a2a.ok("slots_reveal", stealthAddress=ADDRESS, agentSeed="my-seed-1")
    proof = reveal["proof"]
    assert sha256_hex(proof["casinoSeed"]) == commit["commitment"]
    assert proof["agentSeed"] == "my-seed-1"
    h = sha256_hex(proof["casinoSeed"] + proof["agentSeed"] + str(reveal["nonce"]))
    assert h == proof["resultHash"]
    symbols = []
    for i in range(3):
        value = int(h[8 * i:8 * i + 8], 16) % 100
        symbols.append("cherry" if value < 30 else "lemon" if value < 55 else "orange" if value < 75
                       else "diamond" if value < 90 else "seven")
    assert reveal["reels"] == symbols
    assert reveal["reelIndices"] == [["cherry", "lemon", "orange", "diamond", "seven"].index(s) for s in symbols]
    expected_multiplier = {"cherry": 5, "lemon": 10, "orange": 25, "diamond": 50, "seven": 290}[symbols[0]] \
        if len(set(symbols)) == 1 else 0
    assert reveal["multiplier"] == expected_multiplier
    payout = Decimal("0.01") * expected_multiplier
    assert Decimal(reveal["payout"]) == payout
    assert Decimal(reveal["agentBalance"]) == Decimal(1) - Decimal("0.01") + payout
    assert Decimal(reveal["casinoBalance"]) == Decimal(10) + Decimal("0.01") - payout
    assert reveal["nonce"] == 1
    round_ = CasinoRound.objects.get()
    assert round_.result_hash == h and round_.nonce == 1 and round_.commit.status == "revealed"
    assert game_totals()["slots"] == GameTotals(rounds=1, wagered=Decimal("0.01"), paid_out=payout)
    assert_conserved()


def test_slots_many_rounds_keep_every_proof_valid(a2a):
    a2a.open(agent="10", casino="10")
    for i in range(25):
        commit = a2a.ok("slots_commit", stealthAddress=ADDRESS, betAmount="0.0001")
        reveal = a2a.ok("slots_reveal", stealthAddress=ADDRESS, agentSeed=f"s{i}")
        assert sha256_hex(reveal["proof"]["casinoSeed"]) == commit["commitment"]
        assert reveal["nonce"] == i + 1
    assert_conserved()


@pytest.mark.parametrize("bet", ["0.00009", "0", "-0.001", "abc", "1e-3", 0.5, None, True, "0.0001000000000000000001"])
def test_slots_commit_invalid_bet(a2a, bet):
    a2a.open()
    if isinstance(bet, float):
        bet = "0.00001"
    a2a.error("slots_commit", "INVALID_BET", stealthAddress=ADDRESS, betAmount=bet)
    assert CasinoCommit.objects.count() == 0


def test_slots_commit_over_casino_balance_over_580_is_max_bet_exceeded(a2a):
    a2a.open(agent="1", casino="0.58")
    a2a.ok("slots_commit", stealthAddress=ADDRESS, betAmount="0.001")
    a2a.ok("slots_reveal", stealthAddress=ADDRESS, agentSeed="x")
    a2a.error("slots_commit", "MAX_BET_EXCEEDED", stealthAddress=ADDRESS, betAmount="1")


def test_coinflip_max_bet_leaves_room_for_the_pending_slots_jackpot(a2a):
    a2a.open(agent="1", casino="0.58")
    a2a.ok("slots_commit", stealthAddress=ADDRESS, betAmount="0.001")
    a2a.error("coinflip_commit", "MAX_BET_EXCEEDED", stealthAddress=ADDRESS, betAmount="0.1", choice="heads")


def test_slots_commit_over_agent_balance_is_insufficient_balance(a2a, settings):
    settings.A2A_MAX_CASINO_DEPOSIT_RATIO = Decimal(10000)
    a2a.open(agent="0.001", casino="10")
    a2a.error("slots_commit", "INSUFFICIENT_BALANCE", stealthAddress=ADDRESS, betAmount="0.002")


def test_second_slots_commit_is_pending_commit_exists(a2a):
    a2a.open()
    a2a.ok("slots_commit", stealthAddress=ADDRESS, betAmount="0.001")
    a2a.error("slots_commit", "PENDING_COMMIT_EXISTS", 409, stealthAddress=ADDRESS, betAmount="0.002")
    # another game may have its own pending commit
    a2a.ok("coinflip_commit", stealthAddress=ADDRESS, betAmount="0.001", choice="tails")


def test_slots_reveal_without_commit_is_commit_not_found(a2a):
    a2a.open()
    a2a.error("slots_reveal", "COMMIT_NOT_FOUND", stealthAddress=ADDRESS, agentSeed="abc")


def test_slots_reveal_after_five_minutes_is_commit_expired(a2a):
    a2a.open()
    start = timezone.now()
    with time_machine.travel(start, tick=False) as traveller:
        a2a.ok("slots_commit", stealthAddress=ADDRESS, betAmount="0.001")
        traveller.shift(timedelta(minutes=4, seconds=59))
        assert CasinoCommit.objects.get().status == "pending"
        traveller.shift(timedelta(seconds=1))
        a2a.error("slots_reveal", "COMMIT_EXPIRED", stealthAddress=ADDRESS, agentSeed="late")
        commit = CasinoCommit.objects.get()
        assert commit.status == "expired"  # kept although the request failed
        assert CasinoEvent.objects.filter(kind="commit_expired").count() == 1
        a2a.error("slots_reveal", "COMMIT_EXPIRED", stealthAddress=ADDRESS, agentSeed="late")
        # a fresh commit is possible right away
        a2a.ok("slots_commit", stealthAddress=ADDRESS, betAmount="0.001")
    assert channel().nonce == 0 and channel().agent_balance == 1
    assert_conserved()


def test_slots_reveal_just_before_five_minutes_succeeds(a2a):
    a2a.open()
    start = timezone.now()
    with time_machine.travel(start, tick=False) as traveller:
        a2a.ok("slots_commit", stealthAddress=ADDRESS, betAmount="0.001")
        traveller.shift(timedelta(minutes=4, seconds=59))
        assert a2a.ok("slots_reveal", stealthAddress=ADDRESS, agentSeed="in-time")["nonce"] == 1


def test_expire_stale_commits_task_expires_at_five_minutes(a2a):
    from games_app.casino.tasks import expire_stale_commits

    a2a.open()
    start = timezone.now()
    with time_machine.travel(start, tick=False) as traveller:
        a2a.ok("slots_commit", stealthAddress=ADDRESS, betAmount="0.001")
        traveller.shift(timedelta(minutes=4, seconds=59))
        assert expire_stale_commits.delay().get() == 0
        traveller.shift(timedelta(seconds=1))
        assert expire_stale_commits.delay().get() == 1
        assert CasinoCommit.objects.get().status == "expired"
        assert CasinoChannel.objects.values_list("reserved_agent", "reserved_casino").get() == (0, 0)
        assert_conserved()
        a2a.error("slots_reveal", "COMMIT_EXPIRED", stealthAddress=ADDRESS, agentSeed="late")


@pytest.mark.parametrize("seed", ["", None, 5, "a b", "x" * 129, "tab\there"])
def test_reveal_bad_agent_seed_is_400(a2a, seed):
    a2a.open()
    a2a.ok("slots_commit", stealthAddress=ADDRESS, betAmount="0.001")
    a2a.error("slots_reveal", "INVALID_PARAMS", stealthAddress=ADDRESS, agentSeed=seed)
    assert CasinoCommit.objects.get().status == "pending"


# ---------------------------------------------------------------- coinflip


def test_coinflip_commit_reveal_proof_recomputes_to_the_result(a2a):
    a2a.open()
    results = set()
    for i in range(12):
        commit = a2a.ok("coinflip_commit", stealthAddress=ADDRESS, betAmount="0.01", choice="heads")
        assert commit["choice"] == "heads"
        before = a2a.ok("channel_status", stealthAddress=ADDRESS)
        reveal = a2a.ok("coinflip_reveal", stealthAddress=ADDRESS, agentSeed=f"seed-{i}")
        proof = reveal["proof"]
        assert sha256_hex(proof["casinoSeed"]) == commit["commitment"]
        h = sha256_hex(proof["casinoSeed"] + proof["agentSeed"] + str(reveal["nonce"]))
        assert h == proof["resultHash"]
        side = "heads" if int(h[0:2], 16) % 2 == 0 else "tails"
        assert reveal["result"] == side and reveal["choice"] == "heads"
        assert reveal["won"] is (side == "heads")
        assert Decimal(reveal["payout"]) == (Decimal("0.019") if reveal["won"] else 0)
        assert Decimal(reveal["agentBalance"]) == Decimal(before["agentBalance"]) - Decimal("0.01") + Decimal(reveal["payout"])
        results.add(side)
    assert results == {"heads", "tails"}
    assert_conserved()


@pytest.mark.parametrize("choice", [None, "edge", 1, "", ["heads"]])
def test_coinflip_commit_bad_choice_is_400(a2a, choice):
    a2a.open()
    a2a.error("coinflip_commit", "INVALID_PARAMS", stealthAddress=ADDRESS, betAmount="0.01", choice=choice)


def test_coinflip_max_bet_is_casino_balance_over_4(a2a):
    a2a.open(agent="5", casino="4")
    a2a.error("coinflip_commit", "MAX_BET_EXCEEDED", stealthAddress=ADDRESS, betAmount="1.000000000000000001",
              choice="tails")
    a2a.ok("coinflip_commit", stealthAddress=ADDRESS, betAmount="1", choice="tails")


def test_coinflip_reveal_errors(a2a):
    a2a.open()
    a2a.error("coinflip_reveal", "COMMIT_NOT_FOUND", stealthAddress=ADDRESS, agentSeed="a")
    a2a.ok("coinflip_commit", stealthAddress=ADDRESS, betAmount="0.01", choice="tails")
    a2a.error("coinflip_commit", "PENDING_COMMIT_EXISTS", 409, stealthAddress=ADDRESS, betAmount="0.01",
              choice="heads")


# ---------------------------------------------------------------- lotto


def test_lotto_buy_moves_the_cost_and_consumes_a_nonce(a2a):
    a2a.open()
    reply = a2a.ok("lotto_buy", stealthAddress=ADDRESS, pickedNumber=42, ticketCount=3)
    assert reply["pickedNumber"] == 42 and reply["ticketCount"] == 3 and reply["totalCost"] == "0.003"
    assert reply["agentBalance"] == "0.997" and reply["casinoBalance"] == "10.003" and reply["nonce"] == 1
    assert isinstance(reply["drawId"], int)
    assert_conserved()


def test_lotto_buy_ticket_count_defaults_to_one(a2a):
    a2a.open()
    assert a2a.ok("lotto_buy", stealthAddress=ADDRESS, pickedNumber="5")["ticketCount"] == 1


@pytest.mark.parametrize("field,value", [("pickedNumber", 0), ("pickedNumber", 101), ("pickedNumber", None),
                                         ("pickedNumber", 1.5), ("pickedNumber", True), ("ticketCount", 0),
                                         ("ticketCount", 11), ("ticketCount", "x"), ("pickedNumber", 10 ** 30)])
def test_lotto_buy_bad_params_are_400(a2a, field, value):
    a2a.open()
    params = {"pickedNumber": 5, "ticketCount": 1} | {field: value}
    if field == "pickedNumber" and isinstance(value, float):
        params[field] = "1.5"
    a2a.error("lotto_buy", "INVALID_PARAMS", stealthAddress=ADDRESS, **params)
    assert channel().nonce == 0


def test_lotto_buy_refused_when_casino_cannot_cover_85x_open_tickets(a2a):
    a2a.open(agent="1", casino="0.1")
    a2a.ok("lotto_buy", stealthAddress=ADDRESS, pickedNumber=1)  # liability 0.085 <= 0.101
    a2a.error("lotto_buy", "MAX_BET_EXCEEDED", stealthAddress=ADDRESS, pickedNumber=2)  # 0.17 > 0.102
    assert channel().nonce == 1


def test_lotto_buy_over_agent_balance_is_insufficient_balance(a2a):
    a2a.open(agent="0.001", casino="0.01")
    a2a.error("lotto_buy", "INSUFFICIENT_BALANCE", stealthAddress=ADDRESS, pickedNumber=2, ticketCount=2)


def test_lotto_status_publishes_the_current_draw(a2a):
    a2a.open()
    a2a.ok("lotto_buy", stealthAddress=ADDRESS, pickedNumber=9, ticketCount=2)
    reply = a2a.ok("lotto_status")
    assert reply["ticketPrice"] == "0.001" and reply["payoutMultiplier"] == 85 and reply["range"] == 100
    assert reply["totalTickets"] == 2 and reply["totalPool"] == "0.002"
    assert len(reply["commitment"]) == 64 and reply["drawTime"] > timezone.now().timestamp() * 1000
    assert "seed" not in reply and reply["pastDraws"] == []
    mine = a2a.ok("lotto_status", stealthAddress=ADDRESS)
    assert mine["tickets"][0]["pickedNumber"] == 9


# ---------------------------------------------------------------- info, stats, games


def test_info_lists_actions_and_rules(a2a):
    reply = a2a.ok("info")
    assert (reply["name"], reply["agentName"], reply["rngProvider"]) == ("Agent Royale", "AgentCasino", "commit-reveal")
    assert reply["mode"] and reply["privacy"]
    assert set(reply["actions"]) == {"open_channel", "channel_status", "close_channel", "slots_commit", "slots_reveal",
                                     "coinflip_commit", "coinflip_reveal", "lotto_buy", "lotto_status", "info", "stats"}
    assert reply["games"]["slots"]["rtp"] == "0.95" and reply["games"]["coinflip"]["minBet"] == "0.0001"


def test_stats_counts_rounds_wagered_and_paid(a2a):
    a2a.open()
    a2a.ok("lotto_buy", stealthAddress=ADDRESS, pickedNumber=9, ticketCount=2)
    reply = a2a.ok("stats")
    assert reply["lotto"] == {"game": "lotto", "total_rounds": 1, "total_wagered": 0.002, "total_paid_out": 0,
                              "exact": {"total_wagered": "0.002", "total_paid_out": "0"}}
    assert b'"total_wagered": 0.002,' in a2a.last.content  # the exact decimal text, as a JSON number
    assert reply["slots"]["total_rounds"] == 0
    assert a2a.client.get("/api/casino/stats").json()["lotto"]["exact"]["total_wagered"] == "0.002"


def test_games_endpoint_lists_the_three_games(a2a):
    body = a2a.client.get("/api/casino/games/").json()
    assert [g["name"] for g in body["games"]] == ["slots", "coinflip", "lotto"]


def test_agent_card_points_at_the_jsonrpc_endpoint(a2a):
    card = a2a.client.get("/.well-known/agent-card.json").json()
    assert card["protocolVersion"] == "0.3.0" and card["preferredTransport"] == "JSONRPC"
    assert card["url"].endswith("/a2a/jsonrpc") and card["skills"]


# ---------------------------------------------------------------- envelope and bad input


@pytest.mark.parametrize("body", [
    "not json", "", "[]", "null", "42", '"str"', '{"message": 5}', '{"message": {"content": []}}',
    '{"message": {"contentType": "text/plain", "content": {"action": "info"}}}', '{"version": "0.3.0"}',
    '{"message": {"content": {"action": "info"}}', '{"message": {"content": {"action": NaN}}}',
    b"\xff\xfe",
])
def test_malformed_bodies_are_400_invalid_request(a2a, body):
    response = a2a.raw(body)
    assert response.status_code == 400
    content = response.json()["message"]["content"]
    assert content["error"] is True and content["code"] == "INVALID_REQUEST"


_OPEN = '"action": "open_channel", "stealthAddress": "%s", "agentDeposit": "1", "casinoDeposit": "1"' % ADDRESS


@pytest.mark.parametrize("body, reason", [
    ('{"message": {"content": {%s, "note": %s}}}' % (_OPEN, "[" * 40 + "]" * 40), "nests deeper"),
    ('{"message": {"content": {%s, "note": %s}}}' % (_OPEN, "[" * 30_000 + "]" * 30_000), "nests deeper"),
    ('{"message": {"content": {%s, "note": "a\\u0000b"}}}' % _OPEN, "NUL"),
    ('{"message": {"content": {%s, "no\\u0000te": 1}}}' % _OPEN, "NUL"),
    ('{"message": {"content": {%s, "note": "\\ud800"}}}' % _OPEN, "surrogate"),
    ('{"message": {"content": {%s, "agentSeed": "\\udfff\\ud800"}}}' % _OPEN, "surrogate"),
    ('{"message": {"content": {%s, "note": -Infinity}}}' % _OPEN, "not valid JSON"),
    ('{"message": {"content": {%s, "note": %s}}}' % (_OPEN, "9" * 5000), "not valid JSON"),
], ids=["depth-41", "depth-30000-under-64KiB", "nul-value", "nul-key", "lone-surrogate", "reversed-surrogates",
        "minus-infinity", "5000-digit-integer"])
def test_hostile_bodies_are_refused_by_the_one_json_reader_before_anything_is_written(a2a, body, reason):
    """Issue 16: the A2A endpoint reads its body through core.jsonbody, answering in its own envelope."""
    response = a2a.raw(body)
    assert response.status_code == 400
    content = response.json()["message"]["content"]
    assert content["error"] is True and content["code"] == "INVALID_REQUEST" and reason in content["message"]
    assert not CasinoChannel.objects.exists()


@pytest.mark.parametrize("content,code", [
    ({"action": "nope"}, "UNSUPPORTED_ACTION"), ({"action": 5}, "INVALID_PARAMS"), ({}, "INVALID_PARAMS"),
    ({"action": "info", "params": [1]}, "INVALID_PARAMS"), ({"action": "__class__"}, "UNSUPPORTED_ACTION"),
])
def test_bad_content_is_400(a2a, content, code):
    response = a2a.raw(envelope(**content))
    assert response.status_code == 400
    assert response.json()["message"]["content"]["code"] == code


def test_get_is_405_in_the_a2a_format(a2a):
    response = a2a.client.get(URL)
    assert response.status_code == 405 and response["Content-Type"] == "application/json"
    assert response.json()["message"]["content"]["code"] == "METHOD_NOT_ALLOWED"


def test_trailing_slash_works_and_csrf_is_not_required(db):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    response = client.post(URL + "/", data=json.dumps(envelope("info")), content_type="application/json")
    assert response.status_code == 200


def test_error_responses_are_counted_by_action_and_code(a2a):
    from games_app.casino.metrics import A2A_REQUESTS

    counter = A2A_REQUESTS.labels(action="channel_status", outcome="CHANNEL_NOT_FOUND", transport="envelope")
    before = counter._value.get()
    a2a.error("channel_status", "CHANNEL_NOT_FOUND", 404, stealthAddress=OTHER_ADDRESS)
    assert counter._value.get() == before + 1


def test_internal_fault_is_500_without_internals(a2a, monkeypatch):
    from games_app.casino import selectors

    def boom(**kwargs):
        raise RuntimeError("secret detail")

    monkeypatch.setattr(selectors, "channel_open", boom)
    status, reply = a2a("channel_status", stealthAddress=ADDRESS)
    assert status == 500 and reply["code"] == "INTERNAL_ERROR" and "secret" not in json.dumps(reply)


def test_rate_limit_answers_429_with_retry_after(a2a, settings):
    settings.RATELIMIT_ENABLE = True
    settings.A2A_ANON_IP_RATE_LIMIT = "2/m"
    a2a.ok("info")
    a2a.ok("info")
    status, reply = a2a("info")
    assert status == 429 and reply["code"] == "RATE_LIMITED" and int(a2a.last["Retry-After"]) >= 1


# ---------------------------------------------------------------- nonce, invariants


def test_nonce_increments_across_mixed_games(a2a):
    a2a.open()
    nonces = []
    a2a.ok("slots_commit", stealthAddress=ADDRESS, betAmount="0.001")
    a2a.ok("coinflip_commit", stealthAddress=ADDRESS, betAmount="0.001", choice="heads")
    assert a2a.ok("channel_status", stealthAddress=ADDRESS)["nonce"] == 0  # commits consume no nonce
    nonces.append(a2a.ok("coinflip_reveal", stealthAddress=ADDRESS, agentSeed="a")["nonce"])
    assert_conserved()
    nonces.append(a2a.ok("lotto_buy", stealthAddress=ADDRESS, pickedNumber=3)["nonce"])
    assert_conserved()
    nonces.append(a2a.ok("slots_reveal", stealthAddress=ADDRESS, agentSeed="b")["nonce"])
    assert_conserved()
    a2a.ok("coinflip_commit", stealthAddress=ADDRESS, betAmount="0.001", choice="tails")
    nonces.append(a2a.ok("coinflip_reveal", stealthAddress=ADDRESS, agentSeed="c")["nonce"])
    assert nonces == [1, 2, 3, 4]
    assert list(CasinoRound.objects.order_by("nonce").values_list("game", flat=True)) == [
        "coinflip", "lotto", "slots", "coinflip"]
    status = a2a.ok("channel_status", stealthAddress=ADDRESS)
    assert status["nonce"] == 4 and status["gamesPlayed"] == 4
    assert_conserved()


def test_invariant_violation_rolls_back_everything(a2a, monkeypatch):
    from games_app.casino import services

    a2a.open()
    a2a.ok("slots_commit", stealthAddress=ADDRESS, betAmount="0.001")
    real = services._apply_round

    def skipping_nonce(**kwargs):
        nonce = real(**kwargs)
        kwargs["channel"].nonce += 1
        kwargs["channel"].save(update_fields=["nonce"])
        return nonce

    monkeypatch.setattr(services, "_apply_round", skipping_nonce)
    status, reply = a2a("slots_reveal", stealthAddress=ADDRESS, agentSeed="x")
    assert status == 500 and reply["code"] == "INVARIANT_VIOLATION"
    row = channel()
    assert row.nonce == 0 and row.agent_balance == 1 and row.casino_balance == 10
    assert CasinoRound.objects.count() == 0 and CasinoCommit.objects.get().status == "pending"
    assert not CasinoRequest.objects.filter(action="slots_reveal").exists()


def test_check_constraint_breach_is_invariant_violation(a2a, monkeypatch):
    from games_app.casino import services

    a2a.open()
    real = services._apply_round

    def leaking(**kwargs):
        nonce = real(**kwargs)
        kwargs["channel"].agent_balance += 1  # money from nowhere
        kwargs["channel"].save(update_fields=["agent_balance"])
        return nonce

    monkeypatch.setattr(services, "_apply_round", leaking)
    status, reply = a2a("lotto_buy", stealthAddress=ADDRESS, pickedNumber=1)
    assert status == 500 and reply["code"] == "INVARIANT_VIOLATION"
    assert channel().nonce == 0 and channel().agent_balance == 1


def test_oversized_body_is_400_not_500(a2a):
    padding = "x" * (3 * 1024 * 1024)
    response = a2a.raw(envelope("info", padding=padding))
    assert response.status_code == 400
    assert response.json()["message"]["content"]["code"] == "INVALID_REQUEST"
