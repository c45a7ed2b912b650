import threading
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import Sum
from rest_framework.test import APIClient

from core.rng import FairRNG, hash_server_seed
from games_app.selectors import engine_for
from sessions_app.models import GameplaySession, SessionSpin, SessionState
from sessions_app.services import sessions_recover
from tests.sessions_app.conftest import act, playing_session
from wallet_app.models import LedgerEntry, Wallet

pytestmark = pytest.mark.django_db


def _ledger_sum(wallet_id: int, *kinds: str) -> Decimal:
    queryset = LedgerEntry.objects.filter(wallet_id=wallet_id)
    if kinds:
        queryset = queryset.filter(kind__in=kinds)
    return queryset.aggregate(total=Sum("amount"))["total"] or Decimal(0)


def test_spin_accounting_agrees_after_1000_spins(agent_client, new_session):
    session_id = playing_session(agent_client, new_session, bet="0.1", amount="1000",
                                 wallet_kwargs={"cost_per_spin": Decimal("0.01")})
    payouts = Decimal(0)
    for _ in range(10):
        response = agent_client.post(f"/api/v2/sessions/{session_id}/actions",
                                     {"actions": [{"type": "spin"}] * 100}, format="json")
        assert response.status_code == 200, response.content
        for result in response.json()["results"]:
            payouts += Decimal(result["payout"] or "0")
    session = GameplaySession.objects.get(pk=session_id)
    wallet = Wallet.objects.get(pk=agent_client.wallet.pk)
    assert session.total_spins == session.nonce == 1000
    assert session.total_wagered == Decimal("100") == -_ledger_sum(wallet.pk, "stake")
    assert session.total_fees == Decimal("10") == -_ledger_sum(wallet.pk, "spin_fee")
    assert session.total_payout == payouts == _ledger_sum(wallet.pk, "payout")
    assert wallet.balance == Decimal("1000") + session.net == _ledger_sum(wallet.pk)
    assert list(SessionSpin.objects.filter(session_id=session_id).values_list("nonce", flat=True)) == list(range(1, 1001))


def test_spin_returns_verifiable_outcome(agent_client, new_session):
    session_id = playing_session(agent_client, new_session)
    result = act(agent_client, session_id, type="spin").json()
    assert result["nonce"] == 1 and result["stake"] == "1"
    assert set(result) >= {"symbols", "line_wins", "payout", "balance_after", "reward", "proof"}
    session = GameplaySession.objects.select_related("game_version").get(pk=session_id)
    assert result["proof"]["server_seed_hash"] == hash_server_seed(session.server_seed)
    assert result["proof"]["server_seed"] is None  # revealed only when the session ends
    outcome = engine_for(version=session.game_version).spin(FairRNG(session.server_seed, session.client_seed, 1))
    assert result["symbols"] == outcome.to_dict()["window"]
    summary = act(agent_client, session_id, type="cash_out").json()["summary"]
    assert summary["server_seed"] == session.server_seed and summary["spins"] == 1


def test_spin_replay_with_idempotency_key_charges_once(agent_client, new_session):
    session_id = playing_session(agent_client, new_session)
    url = f"/api/v1/sessions/{session_id}/action"
    first = agent_client.post(url, {"type": "spin"}, format="json", HTTP_IDEMPOTENCY_KEY="spin-1")
    second = agent_client.post(url, {"type": "spin"}, format="json", HTTP_IDEMPOTENCY_KEY="spin-1")
    assert first.status_code == second.status_code == 200
    assert first.content == second.content and second["Idempotent-Replayed"] == "true"
    assert GameplaySession.objects.get(pk=session_id).nonce == 1
    assert LedgerEntry.objects.filter(wallet_id=agent_client.wallet.pk, kind="stake").count() == 1
    third = agent_client.post(url, {"type": "spin"}, format="json")
    assert third.json()["nonce"] == 2


def test_spin_the_wallet_cannot_pay_changes_nothing(agent_client, new_session):
    session_id = playing_session(agent_client, new_session, bet="5", amount="6")
    Wallet.objects.filter(pk=agent_client.wallet.pk).update(balance=Decimal("0"))  # drained behind the session's back
    LedgerEntry.objects.create(wallet_id=agent_client.wallet.pk, amount=Decimal("-6"), kind="withdrawal",
                               balance_after=Decimal("0"), reference="test-drain")
    ledger_before = LedgerEntry.objects.count()
    response = act(agent_client, session_id, type="spin")
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "INSUFFICIENT_BALANCE"
    session = GameplaySession.objects.get(pk=session_id)
    assert session.nonce == 0 and session.state == SessionState.PLAYING
    assert LedgerEntry.objects.count() == ledger_before


def test_bet_limits_are_enforced(agent_client, new_session):
    session_id = new_session(agent_client)
    act(agent_client, session_id, type="initialize")
    low = act(agent_client, session_id, type="place_bet", amount="0.01")
    high = act(agent_client, session_id, type="place_bet", amount="11")
    garbage = act(agent_client, session_id, type="place_bet", amount="1e3")
    number = act(agent_client, session_id, type="place_bet", amount=1)
    assert low.json()["error"]["code"] == "INVALID_BET"
    assert high.json()["error"]["code"] == "MAX_BET_EXCEEDED"
    assert garbage.json()["error"]["code"] == "INVALID_BET" and number.json()["error"]["code"] == "INVALID_BET"
    assert GameplaySession.objects.get(pk=session_id).state == SessionState.INITIALIZED


def test_max_spins_moves_to_evaluating_and_completes(agent_client, new_session):
    session_id = playing_session(agent_client, new_session, max_spins=3)
    results = [act(agent_client, session_id, type="spin").json() for _ in range(3)]
    assert "auto_evaluated" not in results[1]
    assert results[2]["auto_evaluated"] == "max_spins_reached"
    assert results[2]["state"] == SessionState.COMPLETED and results[2]["summary"]["spins"] == 3
    assert act(agent_client, session_id, type="spin").status_code == 409


def test_budget_exhaustion_stops_the_session(agent_client, new_session):
    session_id = playing_session(agent_client, new_session, bet="1", budget="2.5")
    first, second = (act(agent_client, session_id, type="spin").json() for _ in range(2))
    assert "auto_evaluated" not in first
    assert second["auto_evaluated"] == "budget_exhausted"
    assert GameplaySession.objects.get(pk=session_id).total_wagered == Decimal(2)


def test_probe_charges_query_fee_and_never_pays(agent_client, new_session):
    session_id = new_session(agent_client, wallet_kwargs={"cost_per_query": Decimal("0.001")})
    act(agent_client, session_id, type="initialize")
    response = act(agent_client, session_id, type="probe", count=50)
    assert response.status_code == 200 and len(response.json()["outcomes"]) == 50
    assert _ledger_sum(agent_client.wallet.pk, "query_fee") == Decimal("-0.05")
    assert _ledger_sum(agent_client.wallet.pk, "payout") == 0
    assert act(agent_client, session_id, type="probe", count=1001).status_code == 400
    assert act(agent_client, session_id, type="probe", count="5").status_code == 400


def test_cross_agent_access_is_404(client_for, new_session):
    owner, stranger = client_for("agent"), client_for("agent")
    session_id = new_session(owner)
    assert stranger.get(f"/api/v1/sessions/{session_id}").status_code == 404
    response = act(stranger, session_id, type="initialize")
    assert response.status_code == 404 and response.json()["error"]["code"] == "NOT_FOUND"
    # another agent's wallet cannot back a session either
    response = stranger.post("/api/v1/sessions", {"game": "test-fruit", "wallet": owner.wallet.pk}, format="json")
    assert response.status_code == 404
    assert GameplaySession.objects.get(pk=session_id).state == SessionState.IDLE


def test_operator_lists_all_sessions_agent_only_own(client_for, operator_client, new_session):
    one, two = client_for("agent"), client_for("agent")
    new_session(one), new_session(two)
    assert len(one.get("/api/v1/sessions").json()["results"]) == 1
    assert len(operator_client.get("/api/v1/sessions").json()["results"]) == 2
    filtered = operator_client.get(f"/api/v1/sessions?owner={one.token.owner.username}").json()["results"]
    assert [s["owner"] for s in filtered] == [one.token.owner.username]


def test_batch_is_all_or_nothing_with_failing_index(agent_client, new_session):
    session_id = playing_session(agent_client, new_session)
    response = agent_client.post(f"/api/v2/sessions/{session_id}/actions",
                                 {"actions": [{"type": "spin"}, {"type": "spin"}, {"type": "initialize"}]}, format="json")
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "INVALID_STATE_TRANSITION" and body["details"]["failed_index"] == 2
    assert GameplaySession.objects.get(pk=session_id).nonce == 0
    assert not LedgerEntry.objects.filter(wallet_id=agent_client.wallet.pk, kind="stake").exists()
    assert agent_client.post(f"/api/v1/sessions/{session_id}/actions", {"actions": [{"type": "spin"}]},
                             format="json").status_code == 404


def test_recovery_completes_an_evaluating_session(agent_client, new_session):
    session_id = playing_session(agent_client, new_session)
    act(agent_client, session_id, type="spin")
    GameplaySession.objects.filter(pk=session_id).update(state=SessionState.EVALUATING)  # crash between the steps
    call_command("recover_sessions")
    session = GameplaySession.objects.get(pk=session_id)
    assert session.state == SessionState.COMPLETED and session.summary["spins"] == 1
    assert session.transitions.last().cause == "recovered"
    assert sessions_recover() == 0


@pytest.mark.django_db(transaction=True)
def test_concurrent_spins_keep_nonces_gap_free(agent_client, new_session):
    session_id = playing_session(agent_client, new_session, bet="0.1", amount="1000")
    statuses: list[int] = []
    lock = threading.Lock()

    def spin_many():
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {agent_client.raw_token}")
        try:
            for _ in range(5):
                code = act(client, session_id, type="spin").status_code
                with lock:
                    statuses.append(code)
        finally:
            connection.close()

    threads = [threading.Thread(target=spin_many) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert statuses.count(200) == 80, statuses
    session = GameplaySession.objects.get(pk=session_id)
    assert session.nonce == session.total_spins == 80
    assert sorted(SessionSpin.objects.filter(session_id=session_id).values_list("nonce", flat=True)) == list(range(1, 81))
    wallet = Wallet.objects.get(pk=agent_client.wallet.pk)
    assert wallet.balance == _ledger_sum(wallet.pk) == Decimal("1000") + session.net
    assert -_ledger_sum(wallet.pk, "stake") == Decimal("8")


def test_refused_spin_with_idempotency_key_is_stored_and_replayed(agent_client, new_session):
    session_id = playing_session(agent_client, new_session, bet="5", amount="6")
    Wallet.objects.filter(pk=agent_client.wallet.pk).update(frozen=True)
    url = f"/api/v1/sessions/{session_id}/action"
    first = agent_client.post(url, {"type": "spin"}, format="json", HTTP_IDEMPOTENCY_KEY="frozen-spin")
    second = agent_client.post(url, {"type": "spin"}, format="json", HTTP_IDEMPOTENCY_KEY="frozen-spin")
    assert first.status_code == second.status_code == 422
    assert first.json()["error"]["code"] == "WALLET_FROZEN" and first.content == second.content
    assert second["Idempotent-Replayed"] == "true"
    assert GameplaySession.objects.get(pk=session_id).nonce == 0
    assert not LedgerEntry.objects.filter(wallet_id=agent_client.wallet.pk, kind="stake").exists()
