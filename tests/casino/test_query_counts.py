"""Issue 17 item 3: the A2A round is lean. Counted with SAVEPOINT/RELEASE standing in for BEGIN/COMMIT
(the test runs inside a transaction), so the figures include the transaction's own two statements."""
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tests.casino.conftest import A2A, ADDRESS
from wallet_app import services as wallet_services

pytestmark = pytest.mark.django_db

COMMIT_MAX, REVEAL_MAX = 6, 7


def _statements(call) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        call()
    return [query["sql"] for query in captured.captured_queries]


@pytest.mark.parametrize("game, extra", [("slots", {}), ("coinflip", {"choice": "heads"})])
def test_a_commit_and_a_reveal_stay_within_their_statement_budgets(a2a, game, extra):
    a2a.open()
    a2a.ok("lotto_buy", stealthAddress=ADDRESS, pickedNumber=3)   # an open ticket: reservations are real
    for round_ in range(3):
        commit = _statements(lambda: a2a.ok(f"{game}_commit", stealthAddress=ADDRESS, betAmount="0.001", **extra))
        reveal = _statements(lambda: a2a.ok(f"{game}_reveal", stealthAddress=ADDRESS, agentSeed=f"q{round_}"))
    assert len(commit) <= COMMIT_MAX, "\n".join(commit)
    assert len(reveal) <= REVEAL_MAX, "\n".join(reveal)
    assert not any("COUNT(" in sql or "casino_requests" in sql or "casino_game_stats" in sql or
                   "casino_lotto_tickets" in sql for sql in commit + reveal)


def test_a_wallet_funded_commit_costs_no_more_than_an_unfunded_one(make_token):
    """The wallet's frozen flag is read with the channel row; the token lookup before the transaction is
    authentication's (it is the same for every authenticated request), so it is not counted here."""
    token, raw = make_token("agent")
    wallet = wallet_services.wallet_create(owner=token.owner)
    wallet_services.deposit(wallet_id=wallet.pk, amount=Decimal("5"), reference="test")
    wallet_services.deposit(wallet_id=wallet_services.house_wallet().pk, amount=Decimal("100"), reference="bankroll")
    funded = A2A(Client(), token=raw)
    assert funded.open(agent="1", casino="2")["funded"] is True
    for round_ in range(2):
        commit = _statements(lambda: funded.ok("slots_commit", stealthAddress=ADDRESS, betAmount="0.001"))
        reveal = _statements(lambda: funded.ok("slots_reveal", stealthAddress=ADDRESS, agentSeed=f"f{round_}"))
    commit, reveal = ([sql for sql in statements if "core_apitoken" not in sql] for statements in (commit, reveal))
    assert len(commit) <= COMMIT_MAX, "\n".join(commit)
    assert len(reveal) <= REVEAL_MAX, "\n".join(reveal)


def test_a_header_key_costs_only_its_own_lookup_and_record(a2a):
    a2a.open()
    commit = _statements(lambda: a2a("slots_commit", headers={"x-idempotency-key": "c1"}, stealthAddress=ADDRESS,
                                     betAmount="0.001"))
    reveal = _statements(lambda: a2a("slots_reveal", headers={"x-idempotency-key": "r1"}, stealthAddress=ADDRESS,
                                     agentSeed="keyed"))
    assert len(commit) <= COMMIT_MAX + 2 and len(reveal) <= REVEAL_MAX + 2, "\n".join(commit + reveal)
    assert not any("COUNT(" in sql for sql in commit + reveal)


def test_a_retried_reveal_replays_from_its_round(a2a):
    a2a.open()
    a2a.ok("coinflip_commit", stealthAddress=ADDRESS, betAmount="0.001", choice="tails")
    first = a2a.ok("coinflip_reveal", stealthAddress=ADDRESS, agentSeed="again")
    raw = a2a.last.content
    replay = _statements(lambda: a2a.ok("coinflip_reveal", stealthAddress=ADDRESS, agentSeed="again"))
    assert a2a.last.content == raw and a2a.last["Idempotent-Replayed"] == "true" and first["nonce"] == 1
    assert len(replay) <= 5
