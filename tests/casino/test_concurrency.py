"""Real threads against one channel (PostgreSQL row locks)."""
import time
from collections import Counter
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from games_app.casino.models import CasinoChannel, CasinoCommit, CasinoLottoTicket, CasinoRound
from games_app.casino.services import commits_expire_stale
from tests.casino.conftest import A2A, ADDRESS, assert_conserved, held_transaction, run_in_threads

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

THREADS = 32


def test_32_threads_playing_one_channel_keep_conservation_and_a_gap_free_nonce():
    A2A(Client()).open(agent="5", casino="10")

    def worker(i):
        client = A2A(Client())
        codes = []
        for step in range(3):
            if (i + step) % 3 == 0:
                status, reply = client("lotto_buy", stealthAddress=ADDRESS, pickedNumber=i % 100 + 1)
                codes.append(reply.get("code", "ok"))
            else:
                game = "slots" if (i + step) % 3 == 1 else "coinflip"
                extra = {"choice": "heads"} if game == "coinflip" else {}
                status, reply = client(f"{game}_commit", stealthAddress=ADDRESS, betAmount="0.001", **extra)
                codes.append(reply.get("code", "ok"))
                status, reply = client(f"{game}_reveal", stealthAddress=ADDRESS, agentSeed=f"t{i}-{step}")
                codes.append(reply.get("code", "ok"))
            assert status < 500, reply
        return codes

    outcomes = Counter(code for codes in run_in_threads(worker, THREADS, join_timeout=120) for code in codes)
    assert set(outcomes) <= {"ok", "PENDING_COMMIT_EXISTS", "COMMIT_NOT_FOUND"}, outcomes
    channel = CasinoChannel.objects.get()
    tickets = CasinoLottoTicket.objects.count()
    assert tickets == THREADS  # every deliberate purchase counted once
    assert channel.nonce == CasinoRound.objects.count() >= tickets
    assert channel.agent_balance + channel.casino_balance == Decimal("15")
    assert_conserved()
    call_command("audit_channels")


def test_concurrent_identical_opens_make_one_channel_and_identical_replies():
    def worker(i):
        return A2A(Client())("open_channel", stealthAddress=ADDRESS, agentDeposit="1", casinoDeposit="2")

    replies = run_in_threads(worker, 12, join_timeout=120)
    assert CasinoChannel.objects.count() == 1
    assert all(status == 200 for status, _ in replies), replies
    assert len({repr(reply) for _, reply in replies}) == 1


def test_concurrent_header_key_repeats_buy_once():
    A2A(Client()).open()

    def worker(i):
        return A2A(Client())("lotto_buy", headers={"x-idempotency-key": "once"}, stealthAddress=ADDRESS,
                             pickedNumber=9)

    replies = run_in_threads(worker, 16, join_timeout=120)
    assert CasinoLottoTicket.objects.count() == 1
    assert len({repr(reply) for _, reply in replies}) == 1
    assert_conserved()


def test_the_expiry_job_skips_a_channel_a_player_holds_and_expires_its_commit_later():
    """The job takes the channel lock before the commit's (the documented order), without waiting: a
    player's transaction on the channel decides its commit; the next run expires it and releases it."""
    A2A(Client()).open()
    A2A(Client()).ok("slots_commit", stealthAddress=ADDRESS, betAmount="0.001")
    later = timezone.now() + timedelta(hours=1)
    with held_transaction(lambda: CasinoChannel.objects.select_for_update().get()):
        started = time.monotonic()
        assert commits_expire_stale(now=later) == 0
        assert time.monotonic() - started < 5 and CasinoCommit.objects.get().status == "pending"
    assert commits_expire_stale(now=later) == 1
    assert CasinoCommit.objects.get().status == "expired"
    assert CasinoChannel.objects.values_list("reserved_agent", "reserved_casino").get() == (0, 0)
    assert_conserved()
