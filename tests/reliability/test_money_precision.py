"""Issue 15 item 4 over HTTP on a live gunicorn and PostgreSQL: money maths is exact at the full
NUMERIC(38,18) width, and amounts outside the column's range are a 400 naming the field, never a 500."""
import json
from decimal import Decimal

import pytest
from django.db import connection

from core.services import token_create
from games_app.services import game_load
from tests.reliability.servers import Gunicorn, http_request, server_env
from tests.sessions_app.conftest import TEST_GAME
from wallet_app import services as wallet_services
from wallet_app.models import LedgerEntry, Wallet
from wallet_app.selectors import ledger_audit

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

BIG = "10000000000000000000"                     # 1e19
MAX = "99999999999999999999.999999999999999999"  # the largest NUMERIC(38,18)
OVER = "100000000000000000000"                   # 1e20: one past it


@pytest.fixture(scope="module")
def server(django_db_setup):
    gunicorn = Gunicorn(env=server_env(), workers=1)
    yield gunicorn
    gunicorn.stop()


@pytest.fixture
def people():
    admin = token_create(name="precision-admin", role="admin", owner_username="precision-admin",
                         rate_limit="100000/m")[1]
    agent_token, agent = token_create(name="precision-agent", role="agent", owner_username="precision-agent",
                                      rate_limit="100000/m")
    wallet = wallet_services.wallet_create(owner=agent_token.owner)
    return admin, agent, wallet


def _operate(server, token, wallet_id, **body):
    status, raw, _ = http_request(server.port, "POST", f"/api/v1/wallets/{wallet_id}/operations", body, token=token)
    return status, json.loads(raw)


def test_a_tiny_deposit_on_a_huge_balance_is_exact_in_balance_ledger_and_audit(server, people):
    admin, agent, wallet = people
    assert _operate(server, admin, wallet.pk, type="deposit", amount=BIG)[0] == 200
    status, body = _operate(server, admin, wallet.pk, type="deposit", amount="0.000000000000000001")
    assert status == 200, body
    assert body["wallet"]["balance"] == "10000000000000000000.000000000000000001"
    assert body["entry"]["balance_after"] == "10000000000000000000.000000000000000001"
    connection.close()
    assert Wallet.objects.get(pk=wallet.pk).balance == Decimal("10000000000000000000.000000000000000001")
    assert LedgerEntry.objects.filter(wallet_id=wallet.pk).order_by("-id").first().amount == Decimal("1e-18")
    status, body = _operate(server, agent, wallet.pk, type="withdraw", amount="0.000000000000000001")
    assert status == 200 and body["wallet"]["balance"] == BIG, body
    assert ledger_audit().ok, ledger_audit().mismatches


def test_the_largest_amount_is_accepted_and_one_past_it_is_a_400_naming_the_field(server, people):
    admin, _, wallet = people
    status, body = _operate(server, admin, wallet.pk, type="deposit", amount=MAX)
    assert status == 200 and body["wallet"]["balance"] == MAX, body
    for amount in (OVER, "99999999999999999999.9999999999999999999", "1" + "0" * 40):
        status, body = _operate(server, admin, wallet.pk, type="deposit", amount=amount)
        assert status == 400 and body["error"]["details"]["field"] == "amount", (amount, body)
    # In range on its own, but the balance would leave the column: refused, nothing written.
    status, body = _operate(server, admin, wallet.pk, type="deposit", amount="0.000000000000000001")
    assert status == 400 and body["error"]["details"]["field"] == "amount", body
    connection.close()
    assert Wallet.objects.get(pk=wallet.pk).balance == Decimal(MAX)
    assert LedgerEntry.objects.filter(wallet_id=wallet.pk).count() == 1
    assert ledger_audit().ok


@pytest.mark.parametrize("field", ["daily_limit", "cost_per_spin", "cost_per_query"])
def test_limits_and_fees_above_the_column_are_a_400_naming_the_field(server, people, field):
    admin, _, wallet = people
    status, body = _operate(server, admin, wallet.pk, type="set_limits", **{field: OVER})
    assert status == 400 and body["error"]["details"]["field"] == field, body
    status, raw, _ = http_request(server.port, "POST", "/api/v1/wallets",
                                  {"owner": "precision-agent", "currency": "USD", field: OVER}, token=admin)
    assert status == 400 and json.loads(raw)["error"]["details"]["field"] == field, raw
    connection.close()
    assert not Wallet.objects.filter(currency="USD").exists()


@pytest.mark.parametrize("budget", [OVER, "1e20", MAX + "9", " 1", "1 ", "\t1"])
def test_session_budget_out_of_range_or_padded_is_a_400(server, people, budget):
    _, agent, wallet = people
    game_load(data=TEST_GAME)
    status, raw, _ = http_request(server.port, "POST", "/api/v1/sessions",
                                  {"game": TEST_GAME["slug"], "wallet": wallet.pk, "budget": budget}, token=agent)
    body = json.loads(raw)
    assert status == 400 and body["error"]["details"]["field"] == "budget", body
    connection.close()
    from sessions_app.models import GameplaySession
    assert not GameplaySession.objects.exists()


@pytest.mark.parametrize("amount", [" 1", "1 ", "1\n", "\u00a01"])
def test_amounts_with_surrounding_whitespace_are_refused(server, people, amount):
    admin, _, wallet = people
    status, body = _operate(server, admin, wallet.pk, type="deposit", amount=amount)
    assert status == 400 and body["error"]["code"] == "INVALID_AMOUNT", body
    connection.close()
    assert not LedgerEntry.objects.filter(wallet_id=wallet.pk).exists()
