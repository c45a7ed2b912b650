"""How many statements a gameplay action sends to PostgreSQL (issue 17). transaction=True, so the
request's own BEGIN and COMMIT are real and counted (Django logs them as queries)."""
import threading
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import Sum
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from sessions_app.models import GameplaySession, SessionSpin
from tests.sessions_app.conftest import act, playing_session
from wallet_app import services as wallet_services
from wallet_app.models import LedgerEntry, Wallet

pytestmark = pytest.mark.django_db(transaction=True)

FEE = {"wallet_kwargs": {"cost_per_spin": Decimal("0.01")}}  # a spin then writes stake, fee (and payout) rows


def _statements(queries) -> list[str]:
    return [query["sql"] for query in queries.captured_queries]


def _batch(client, session_id: int, actions: list[dict]):
    return client.post(f"/api/v2/sessions/{session_id}/actions", {"actions": actions}, format="json")


def test_v1_spin_is_at_most_seven_statements_with_begin_and_commit(agent_client, new_session):
    session_id = playing_session(agent_client, new_session, **FEE)
    act(agent_client, session_id, type="spin")  # the process's first spin of this game version loads its engine
    with CaptureQueriesContext(connection) as queries:
        response = act(agent_client, session_id, type="spin")
    assert response.status_code == 200, response.content
    sql = _statements(queries)
    # token; BEGIN; session + wallet lock; one write of ledger rows, spin, step, wallet and session; COMMIT
    assert len(sql) <= 7, sql
    assert sql.count("BEGIN") == 1 and sql.count("COMMIT") == 1
    assert sum(statement.startswith("SELECT") for statement in sql) == 2  # token, lock: no SELECT 1, no hook lookup
    assert sum("FOR UPDATE" in statement for statement in sql) == 1


@pytest.mark.parametrize("length", [1, 40, 400])
def test_v2_batch_is_a_constant_number_of_statements(agent_client, new_session, length):
    session_id = playing_session(agent_client, new_session, amount="1000", **FEE)
    act(agent_client, session_id, type="spin")  # the engine of the version, loaded once per process
    with CaptureQueriesContext(connection) as queries:
        response = _batch(agent_client, session_id, [{"type": "spin"}] * length)
    assert response.status_code == 200, response.content
    sql = _statements(queries)
    assert len(sql) == 5, sql  # token, BEGIN, lock, one write, COMMIT — for any length
    session = GameplaySession.objects.get(pk=session_id)
    assert session.nonce == session.total_spins == length + 1 == SessionSpin.objects.filter(session_id=session_id).count()
    assert session.steps == length + 3  # initialize and place_bet, then one step per spin
    wallet = Wallet.objects.get(pk=session.wallet_id)
    assert wallet.balance == LedgerEntry.objects.filter(wallet=wallet).aggregate(total=Sum("amount"))["total"]
    assert wallet.balance == Decimal("1000") + session.net


def test_batch_that_ends_the_session_stays_within_twelve_statements(agent_client, new_session):
    session_id = playing_session(agent_client, new_session, max_spins=30, **FEE)
    act(agent_client, session_id, type="spin")
    with CaptureQueriesContext(connection) as queries:
        response = _batch(agent_client, session_id, [{"type": "spin"}] * 29)
    assert response.status_code == 200, response.content
    assert response.json()["results"][-1]["state"] == "completed"
    assert len(queries) <= 12, _statements(queries)
    session = GameplaySession.objects.get(pk=session_id)
    assert session.state == "completed" and session.summary["spins"] == 30
    assert len(session.summary["reward_history"]) == session.steps == 32
    assert list(session.transitions.values_list("to_state", flat=True)) == [
        "initialized", "playing", "evaluating", "completed"]


def test_session_and_wallet_are_locked_in_one_statement_session_first(agent_client, new_session):
    session_id = playing_session(agent_client, new_session)
    with CaptureQueriesContext(connection) as queries:
        act(agent_client, session_id, type="spin")
    [lock] = [statement for statement in _statements(queries) if "FOR UPDATE" in statement]
    assert lock.endswith('FOR UPDATE OF "sessions_app_gameplaysession", "wallet_app_wallet"')
    assert '"games_app_gameversion"."definition"' not in lock and '"par_sheet"' not in lock


def test_spins_and_wallet_first_writers_do_not_deadlock(agent_client, new_session):
    """Spins lock session then wallet; deposits and withdrawals lock the wallet alone. Run them together."""
    session_id = playing_session(agent_client, new_session, bet="0.1", amount="100", **FEE)
    wallet_id = agent_client.wallet.pk
    errors: list[BaseException] = []
    statuses: list[int] = []

    def spins():
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {agent_client.raw_token}")
        try:
            for _ in range(15):
                statuses.append(_batch(client, session_id, [{"type": "spin"}] * 3).status_code)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    def wallet_writer():
        try:
            for _ in range(15):
                wallet_services.deposit(wallet_id=wallet_id, amount=Decimal("1"), reference="test")
                wallet_services.withdraw(wallet_id=wallet_id, amount=Decimal("0.5"), reference="test")
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=spins) for _ in range(3)] + [threading.Thread(target=wallet_writer)
                                                                    for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not errors and statuses == [200] * 45, (errors, statuses)
    session = GameplaySession.objects.get(pk=session_id)
    wallet = Wallet.objects.get(pk=wallet_id)
    assert session.nonce == 135
    assert wallet.balance == LedgerEntry.objects.filter(wallet=wallet).aggregate(total=Sum("amount"))["total"]
    assert wallet.balance == Decimal("100") + session.net + 2 * 15 * Decimal("0.5")


def test_the_spin_statements_are_prepared_after_a_few_runs_on_a_connection(agent_client, new_session, settings):
    """Server-side binding with DB_PREPARE_THRESHOLD (default 5): from the threshold on, PostgreSQL runs the
    token lookup, the lock and the write of a spin as prepared statements (no parse and plan per request)."""
    assert settings.DATABASES["default"]["OPTIONS"]["server_side_binding"] is True
    threshold = settings.DATABASES["default"]["OPTIONS"]["prepare_threshold"]
    assert threshold == 5
    session_id = playing_session(agent_client, new_session, **FEE)
    for _ in range(threshold + 1):
        assert act(agent_client, session_id, type="spin").status_code == 200
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements WHERE NOT from_sql")
        prepared = [statement for (statement,) in cursor.fetchall()]
    assert any("FOR UPDATE" in statement and "sessions_app_gameplaysession" in statement for statement in prepared)
    assert any('"core_apitoken"."prefix" = $1' in statement for statement in prepared)
    assert any(statement.startswith("WITH w0 AS (INSERT INTO") for statement in prepared), prepared
    # Nothing bound client-side: the values are parameters, not literals in the statement.
    assert not any("session:" in statement for statement in prepared)
    spins = SessionSpin.objects.filter(session_id=session_id).count()
    assert spins == threshold + 1
