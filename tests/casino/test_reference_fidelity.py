"""Issue 16, A2A fidelity with the reference casino, over real HTTP (live server, PostgreSQL)."""
import hashlib
from collections import Counter

import pytest
from django.core.management import call_command

from games_app.casino.models import CasinoChannel, CasinoCommit, CasinoRound
from tests.casino.conftest import ADDRESS, OTHER_ADDRESS, LiveA2A, assert_conserved, run_in_threads
from tests.reliability.servers import Gunicorn, server_env

pytestmark = pytest.mark.django_db(transaction=True)

CLIENTS = 32


def test_an_identical_second_commit_is_refused_not_replayed(live_a2a):
    client = live_a2a()
    client.open()
    first = client.ok("coinflip_commit", stealthAddress=ADDRESS, betAmount="0.01", choice="heads")
    client.error("coinflip_commit", "PENDING_COMMIT_EXISTS", 409, stealthAddress=ADDRESS, betAmount="0.01",
                 choice="heads")
    assert "Idempotent-Replayed" not in client.last.headers
    reveal = client.ok("coinflip_reveal", stealthAddress=ADDRESS, agentSeed="mine")
    assert hashlib.sha256(reveal["proof"]["casinoSeed"].encode()).hexdigest() == first["commitment"]
    # An explicit key still makes a commit safe to retry.
    keyed = client("slots_commit", headers={"x-idempotency-key": "retry-me"}, stealthAddress=ADDRESS,
                   betAmount="0.001")
    assert client("slots_commit", headers={"x-idempotency-key": "retry-me"}, stealthAddress=ADDRESS,
                  betAmount="0.001") == keyed
    assert client.last.headers["Idempotent-Replayed"] == "true"
    assert CasinoCommit.objects.count() == 2


@pytest.fixture
def gunicorn():
    """Two gunicorn workers on the test database (Django's live server resets connections past a
    backlog of 5, and 32 clients connect at once)."""
    server = Gunicorn(env=server_env(RATELIMIT_ENABLE="false", A2A_ALLOW_ANONYMOUS="true"), workers=2)
    yield f"http://127.0.0.1:{server.port}"
    server.stop()


def test_32_concurrent_clients_each_settle_the_commitment_they_were_given(gunicorn):
    # The attack on today's main: identical commits were replayed, so two clients held one commitment and
    # 112 of 113 acknowledged reveals settled a commitment other than the one their client was given.
    LiveA2A(gunicorn).open(agent="5", casino="10")

    def play(i):
        client = LiveA2A(gunicorn)
        try:
            settled, commitments, codes = [], [], Counter()
            for step in range(3):
                status, commit = client("slots_commit", stealthAddress=ADDRESS, betAmount="0.001")
                codes[commit.get("code", "ok")] += 1
                if status != 200:
                    continue
                commitments.append(commit["commitment"])
                status, reveal = client("slots_reveal", stealthAddress=ADDRESS, agentSeed=f"client{i}-{step}")
                codes["reveal:" + reveal.get("code", "ok")] += 1
                if status == 200:
                    settled.append((commit["commitment"], reveal["proof"]["casinoSeed"], reveal["commitment"]))
            return settled, commitments, codes
        finally:
            client.close()

    results = run_in_threads(play, CLIENTS)
    codes = sum((codes for _, _, codes in results), Counter())
    assert set(codes) <= {"ok", "PENDING_COMMIT_EXISTS", "reveal:ok"}, codes
    given = [commitment for _, commitments, _ in results for commitment in commitments]
    assert len(given) == len(set(given)), "two clients were handed the same commitment"
    settled = [row for rows, _, _ in results for row in rows]
    assert settled and len(settled) == codes["reveal:ok"] == codes["ok"]
    for commitment, casino_seed, answered in settled:
        assert hashlib.sha256(casino_seed.encode()).hexdigest() == commitment == answered
    assert CasinoRound.objects.count() == len(settled) == CasinoChannel.objects.get().nonce
    assert_conserved()
    call_command("audit_channels")


def test_channel_status_of_a_closed_channel_is_channel_not_found(live_a2a):
    client = live_a2a()
    opened = client.open()
    assert client.ok("channel_status", stealthAddress=ADDRESS)["channelId"] == opened["channelId"]
    client.ok("close_channel", stealthAddress=ADDRESS)
    client.error("channel_status", "CHANNEL_NOT_FOUND", 404, stealthAddress=ADDRESS)


def test_lotto_buy_the_casino_balance_cannot_cover_is_max_bet_exceeded(live_a2a):
    client = live_a2a()
    client.open(agent="1", casino="0.05")        # 85 x 0.001 = 0.085 > 0.051
    client.error("lotto_buy", "MAX_BET_EXCEEDED", stealthAddress=ADDRESS, pickedNumber=5)
    assert CasinoChannel.objects.get().nonce == 0


def test_info_stats_and_channels_carry_the_reference_fields(live_a2a):
    client = live_a2a()
    info = client.ok("info")
    assert info["name"] == "Agent Royale"
    assert {"mode", "rngProvider", "privacy", "actions"} <= set(info)
    opened = client.open()
    for field in ("chainId", "openTxHash", "fundTxHash", "onchainAgent"):
        assert field in opened and opened[field] is None
    client.ok("coinflip_commit", stealthAddress=ADDRESS, betAmount="0.25", choice="heads")
    reveal = client.ok("coinflip_reveal", stealthAddress=ADDRESS, agentSeed="stats")
    closed = client.ok("close_channel", stealthAddress=ADDRESS)
    assert closed["settledOnchain"] is False and closed["closeTxHash"] is None and closed["nextStep"] is None
    stats = client.ok("stats")
    row = stats["coinflip"]
    assert row["game"] == "coinflip" and row["total_rounds"] == 1
    assert isinstance(row["total_wagered"], float) and row["total_wagered"] == 0.25
    assert row["exact"] == {"total_wagered": "0.25", "total_paid_out": reveal["payout"]}


def test_picked_number_in_unicode_digits_is_a_structured_400(live_a2a):
    client = live_a2a()
    client.open()
    for picked in ("²", "٣", "１", "1²"):
        client.error("lotto_buy", "INVALID_PARAMS", stealthAddress=ADDRESS, pickedNumber=picked)
        client.error("lotto_buy", "INVALID_PARAMS", stealthAddress=ADDRESS, pickedNumber=5, ticketCount=picked)
    assert CasinoChannel.objects.get().nonce == 0
    client.ok("lotto_buy", stealthAddress=ADDRESS, pickedNumber="42", ticketCount="2")


def test_the_default_anonymous_limit_lets_one_sdk_session_play_at_full_speed(live_a2a, settings):
    settings.RATELIMIT_ENABLE = True
    client = live_a2a()
    client.open()
    for round_ in range(40):                     # 81 requests in well under a minute: no 429
        client.ok("coinflip_commit", stealthAddress=ADDRESS, betAmount="0.001", choice="tails")
        client.ok("coinflip_reveal", stealthAddress=ADDRESS, agentSeed=f"fast-{round_}")
    assert CasinoChannel.objects.get().nonce == 40


def test_anonymous_play_is_limited_per_channel_as_well_as_per_ip(live_a2a, settings):
    settings.RATELIMIT_ENABLE = True
    settings.A2A_ANON_CHANNEL_RATE_LIMIT = "4/m"
    settings.A2A_ANON_IP_RATE_LIMIT = "12/m"
    client = live_a2a()
    client.open()                                                   # IP 1, channel 1
    for _ in range(3):
        client.ok("channel_status", stealthAddress=ADDRESS)          # IP 2-4, channel 2-4
    status, reply = client("channel_status", stealthAddress=ADDRESS)  # IP 5, channel over
    assert status == 429 and reply["code"] == "RATE_LIMITED" and int(client.last.headers["Retry-After"]) >= 1
    client("coinflip_commit", stealthAddress=ADDRESS, betAmount="0.001", choice="tails")    # IP 6
    assert client.last.status_code == 429 and not CasinoCommit.objects.exists()
    client.open(OTHER_ADDRESS)        # IP 7: another channel from the same IP is not held back
    statuses = [client("info")[0] for _ in range(6)]                # IP 8-13: channel-less actions
    assert statuses == [200] * 5 + [429]                            # the per-IP budget still applies
