from decimal import Decimal

import pytest

from wallet_app import services
from wallet_app.metrics import REJECTIONS
from wallet_app.models import LedgerEntry, Wallet

pytestmark = pytest.mark.django_db
D = Decimal


def _ops(wallet_id: int, version: str = "v1") -> str:
    return f"/api/{version}/wallets/{wallet_id}/operations"


def _code(response) -> str:
    body = response.json()
    return body["error"]["code"] if "error" in body else body["code"]


def _entries(wallet) -> int:
    return LedgerEntry.objects.filter(wallet_id=wallet.pk).count()


# --- create / read ---------------------------------------------------------------------------

def test_create_agent_creates_its_own_wallet_once_per_currency(agent_client):
    response = agent_client.post("/api/v1/wallets", {}, format="json")
    assert response.status_code == 201
    body = response.json()
    assert body["owner"] == agent_client.token.owner.username and body["currency"] == "ETH"
    assert body["balance"] == "0" and body["daily_limit"] is None and body["remaining_today"] is None
    again = agent_client.post("/api/v1/wallets", {"currency": "eth"}, format="json")
    assert again.status_code == 409 and _code(again) == "WALLET_ALREADY_EXISTS"
    assert agent_client.post("/api/v1/wallets/", {"currency": "USDC"}, format="json").status_code == 201


def test_create_agent_cannot_create_for_others_or_set_limits(agent_client, make_wallet):
    make_wallet(owner_username="victim")
    response = agent_client.post("/api/v1/wallets", {"owner": "victim", "currency": "BTC"}, format="json")
    assert response.status_code == 403 and _code(response) == "FORBIDDEN"
    response = agent_client.post("/api/v1/wallets", {"daily_limit": "1000"}, format="json")
    assert response.status_code == 403
    assert not Wallet.objects.filter(owner=agent_client.token.owner).exists()


def test_create_staff_for_any_owner(operator_client, admin_client_api, make_token):
    make_token("agent", name="bot-7")
    response = operator_client.post("/api/v1/wallets", {"owner": "bot-7"}, format="json")
    assert response.status_code == 201 and response.json()["owner"] == "bot-7"
    assert operator_client.post("/api/v1/wallets", {"owner": "bot-7", "currency": "BTC", "daily_limit": "5"},
                                format="json").status_code == 403
    response = admin_client_api.post("/api/v1/wallets", {"owner": "bot-7", "currency": "BTC", "daily_limit": "5",
                                                         "cost_per_spin": "0.01"}, format="json")
    assert response.status_code == 201
    assert (response.json()["daily_limit"], response.json()["cost_per_spin"]) == ("5", "0.01")
    unknown = admin_client_api.post("/api/v1/wallets", {"owner": "nobody-here"}, format="json")
    assert unknown.status_code == 400 and _code(unknown) == "VALIDATION_ERROR"
    bad = admin_client_api.post("/api/v1/wallets", {"owner": "bot-7", "currency": "XRP", "daily_limit": 5},
                                format="json")
    assert bad.status_code == 400 and _code(bad) == "INVALID_AMOUNT"


def test_detail_shows_balance_limits_fees_and_todays_spend(agent_client, agent_wallet):
    services.set_limits(wallet_id=agent_wallet.pk, daily_limit=D(10), cost_per_spin=D("0.1"))
    services.charge_for_play(wallet_id=agent_wallet.pk, stake=D(3), fee=D("0.1"))
    body = agent_client.get(f"/api/v2/wallets/{agent_wallet.pk}").json()
    assert body["balance"] == "96.9" and body["daily_limit"] == "10" and body["spent_today"] == "3.1"
    assert body["remaining_today"] == "6.9" and body["cost_per_spin"] == "0.1" and body["frozen"] is False
    assert body["limit_resets_at"].endswith("T00:00:00Z")


def test_list_agent_sees_only_own_wallets_and_staff_filters_by_owner(agent_client, operator_client, agent_wallet,
                                                                     make_wallet):
    other = make_wallet(owner_username="someone-else")
    ids = [w["id"] for w in agent_client.get("/api/v1/wallets?owner=someone-else").json()["results"]]
    assert ids == [agent_wallet.pk]
    staff = operator_client.get("/api/v1/wallets?owner=someone-else").json()["results"]
    assert [w["id"] for w in staff] == [other.pk]
    assert {w["id"] for w in operator_client.get("/api/v1/wallets").json()["results"]} >= {agent_wallet.pk, other.pk}


@pytest.mark.parametrize("path", ["", "/ledger"])
def test_cross_owner_access_is_404(agent_client, make_wallet, path):
    other = make_wallet(owner_username="other-owner", balance="5")
    response = agent_client.get(f"/api/v1/wallets/{other.pk}{path}")
    assert response.status_code == 404 and _code(response) == "NOT_FOUND"
    unknown = agent_client.get(f"/api/v1/wallets/99999999{path}")
    assert unknown.status_code == 404 and unknown.json()["error"]["message"] == response.json()["error"]["message"]


def test_cross_owner_operation_is_404_and_writes_nothing(agent_client, make_wallet):
    other = make_wallet(owner_username="other-owner", balance="5")
    response = agent_client.post(_ops(other.pk), {"type": "withdraw", "amount": "1"}, format="json")
    assert response.status_code == 404 and _entries(other) == 1


def test_huge_wallet_id_is_404(agent_client):
    assert agent_client.get("/api/v1/wallets/999999999999999999").status_code == 404
    assert agent_client.get("/api/v1/wallets/9999999999999999999999").status_code == 404


# --- operations --------------------------------------------------------------------------------

def test_admin_deposit_returns_wallet_state_and_entry(admin_client_api, agent_wallet):
    response = admin_client_api.post(_ops(agent_wallet.pk), {"type": "deposit", "amount": "2.5",
                                                             "reference": "tx:0xfeed"}, format="json",
                                     HTTP_X_REQUEST_ID="req-dep-1")
    assert response.status_code == 200
    body = response.json()
    assert body["wallet"]["balance"] == "102.5" and body["wallet"]["owner"] == agent_wallet.owner.username
    assert body["entry"]["kind"] == "deposit" and body["entry"]["amount"] == "2.5"
    assert body["entry"]["reference"] == "tx:0xfeed" and body["entry"]["request_id"] == "req-dep-1"
    assert LedgerEntry.objects.get(pk=body["entry"]["id"]).request_id == "req-dep-1"


def test_owner_withdraws_and_operator_may_not(agent_client, operator_client, agent_wallet):
    response = agent_client.post(_ops(agent_wallet.pk), {"type": "withdraw", "amount": "40"}, format="json")
    assert response.status_code == 200 and response.json()["wallet"]["balance"] == "60"
    assert response.json()["entry"]["amount"] == "-40"
    refused = operator_client.post(_ops(agent_wallet.pk), {"type": "withdraw", "amount": "1"}, format="json")
    assert refused.status_code == 403 and _code(refused) == "FORBIDDEN"


def test_operator_may_freeze_but_not_deposit_unfreeze_or_set_limits(operator_client, agent_wallet):
    for body in ({"type": "deposit", "amount": "1"}, {"type": "set_limits", "daily_limit": "1"},
                 {"type": "unfreeze"}):
        response = operator_client.post(_ops(agent_wallet.pk), body, format="json")
        assert response.status_code == 403 and _code(response) == "FORBIDDEN", body
    response = operator_client.post(_ops(agent_wallet.pk), {"type": "freeze"}, format="json")
    assert response.status_code == 200 and response.json() == {**response.json(), "entry": None}
    assert response.json()["wallet"]["frozen"] is True
    assert _entries(agent_wallet) == 1 and Wallet.objects.get(pk=agent_wallet.pk).daily_limit is None


def test_agent_may_not_deposit_freeze_or_set_limits_on_own_wallet(agent_client, agent_wallet):
    for body in ({"type": "deposit", "amount": "1"}, {"type": "freeze"}, {"type": "unfreeze"},
                 {"type": "set_limits", "daily_limit": None}):
        assert agent_client.post(_ops(agent_wallet.pk), body, format="json").status_code == 403, body


def test_frozen_wallet_refuses_withdraw_with_422(admin_client_api, agent_client, agent_wallet):
    admin_client_api.post(_ops(agent_wallet.pk), {"type": "freeze"}, format="json")
    response = agent_client.post(_ops(agent_wallet.pk), {"type": "withdraw", "amount": "1"}, format="json")
    assert response.status_code == 422 and _code(response) == "WALLET_FROZEN"
    admin_client_api.post(_ops(agent_wallet.pk), {"type": "unfreeze"}, format="json")
    assert agent_client.post(_ops(agent_wallet.pk), {"type": "withdraw", "amount": "1"},
                             format="json").status_code == 200


def test_insufficient_balance_is_422_with_details_and_no_ledger_row(agent_client, agent_wallet):
    before = REJECTIONS.labels(code="INSUFFICIENT_BALANCE")._value.get()
    response = agent_client.post(_ops(agent_wallet.pk), {"type": "withdraw", "amount": "100.01"}, format="json")
    assert response.status_code == 422
    assert response.json()["error"]["details"] == {"balance": "100", "requested": "100.01"}
    assert _entries(agent_wallet) == 1 and Wallet.objects.get(pk=agent_wallet.pk).balance == 100
    assert REJECTIONS.labels(code="INSUFFICIENT_BALANCE")._value.get() == before + 1


@pytest.mark.parametrize("path,envelope", [("/api/v1/wallets/1", "v1"), ("/api/v2/wallets/1", "v2")])
def test_daily_limit_exceeded_renders_as_422_with_details(rf, path, envelope):
    from core.exception_handler import api_exception_handler
    from wallet_app.exceptions import DailyLimitExceeded

    details = {"limit": "1", "spent_today": "0.8", "requested": "0.3", "resets_at": "2025-03-02T00:00:00Z"}
    response = api_exception_handler(DailyLimitExceeded(details=details), {"request": rf.get(path)})
    assert response.status_code == 422
    body = response.data["error"] if envelope == "v1" else response.data
    assert body["code"] == "DAILY_LIMIT_EXCEEDED" and body["details"] == details


def test_spent_and_remaining_today_after_a_refused_charge(agent_client, agent_wallet):
    from wallet_app.exceptions import DailyLimitExceeded

    services.set_limits(wallet_id=agent_wallet.pk, daily_limit=D(1))
    services.charge_for_play(wallet_id=agent_wallet.pk, stake=D("0.8"), fee=D(0))
    with pytest.raises(DailyLimitExceeded):
        services.charge_for_play(wallet_id=agent_wallet.pk, stake=D("0.3"), fee=D(0))
    body = agent_client.get(f"/api/v2/wallets/{agent_wallet.pk}").json()
    assert body["spent_today"] == "0.8" and body["remaining_today"] == "0.2" and body["balance"] == "99.2"


def test_set_limits_by_admin_and_null_removes_the_limit(admin_client_api, agent_wallet):
    url = _ops(agent_wallet.pk, "v2")
    response = admin_client_api.post(url, {"type": "set_limits", "daily_limit": "25", "cost_per_query": "0.002"},
                                     format="json")
    assert response.status_code == 200
    assert response.json()["wallet"]["daily_limit"] == "25" and response.json()["wallet"]["cost_per_query"] == "0.002"
    response = admin_client_api.post(url, {"type": "set_limits", "cost_per_spin": "0.5"}, format="json")
    assert response.json()["wallet"]["daily_limit"] == "25"  # omitted = unchanged
    response = admin_client_api.post(url, {"type": "set_limits", "daily_limit": None}, format="json")
    assert response.json()["wallet"]["daily_limit"] is None
    empty = admin_client_api.post(url, {"type": "set_limits"}, format="json")
    assert empty.status_code == 400 and empty.json()["code"] == "VALIDATION_ERROR"
    assert _entries(agent_wallet) == 1


@pytest.mark.parametrize("amount", ["0", "-1", "-0.5", "1e5", "1E5", "NaN", "nan", "Infinity", "-Infinity", 1.5, 5,
                                    "0.0000000000000000001", "1" + "0" * 30, "", " ", None, {"value": "1"},
                                    ["1"], True, "1,5", "0x10", "+1", "١"])
def test_invalid_amounts_are_400_invalid_amount_and_change_nothing(admin_client_api, agent_wallet, amount):
    before = REJECTIONS.labels(code="INVALID_AMOUNT")._value.get()
    response = admin_client_api.post(_ops(agent_wallet.pk), {"type": "deposit", "amount": amount}, format="json")
    assert response.status_code == 400 and _code(response) == "INVALID_AMOUNT"
    assert _entries(agent_wallet) == 1 and Wallet.objects.get(pk=agent_wallet.pk).balance == 100
    assert REJECTIONS.labels(code="INVALID_AMOUNT")._value.get() == before + 1


def test_missing_amount_is_invalid_amount(admin_client_api, agent_wallet):
    response = admin_client_api.post(_ops(agent_wallet.pk), {"type": "withdraw"}, format="json")
    assert response.status_code == 400 and _code(response) == "INVALID_AMOUNT"


@pytest.mark.parametrize("limit", ["-1", "1e3", 10, "abc"])
def test_invalid_daily_limit_is_invalid_amount(admin_client_api, agent_wallet, limit):
    response = admin_client_api.post(_ops(agent_wallet.pk), {"type": "set_limits", "daily_limit": limit},
                                     format="json")
    assert response.status_code == 400 and _code(response) == "INVALID_AMOUNT"
    assert Wallet.objects.get(pk=agent_wallet.pk).daily_limit is None


@pytest.mark.parametrize("body", [{"type": "steal", "amount": "1"}, {}, {"amount": "1"}, ["deposit"],
                                  {"type": "deposit", "amount": "1", "reference": "x" * 201}])
def test_malformed_operation_is_400_validation_error(admin_client_api, agent_wallet, body):
    response = admin_client_api.post(_ops(agent_wallet.pk), body, format="json")
    assert response.status_code == 400 and _code(response) == "VALIDATION_ERROR"
    assert _entries(agent_wallet) == 1


def test_malformed_json_is_400(admin_client_api, agent_wallet):
    response = admin_client_api.post(_ops(agent_wallet.pk), "{not json", content_type="application/json")
    assert response.status_code == 400 and _code(response) == "MALFORMED_REQUEST"


def test_unauthenticated_is_401(client, agent_wallet):
    assert client.get(f"/api/v1/wallets/{agent_wallet.pk}").status_code == 401
    assert client.post(_ops(agent_wallet.pk), {"type": "freeze"}, content_type="application/json").status_code == 401


# --- idempotency -------------------------------------------------------------------------------

@pytest.mark.parametrize("client_name,body", [
    ("admin_client_api", {"type": "deposit", "amount": "7"}),
    ("agent_client", {"type": "withdraw", "amount": "7"}),
])
def test_idempotent_replay_writes_one_ledger_row(request, agent_client, agent_wallet, client_name, body):
    client = request.getfixturevalue(client_name)
    first = client.post(_ops(agent_wallet.pk), body, format="json", HTTP_IDEMPOTENCY_KEY="op-1")
    second = client.post(_ops(agent_wallet.pk), body, format="json", HTTP_IDEMPOTENCY_KEY="op-1")
    assert first.status_code == second.status_code == 200
    assert first.content == second.content and second["Idempotent-Replayed"] == "true"
    assert _entries(agent_wallet) == 2
    other = client.post(_ops(agent_wallet.pk), {**body, "amount": "8"}, format="json", HTTP_IDEMPOTENCY_KEY="op-1")
    assert other.status_code == 422 and _code(other) == "IDEMPOTENCY_KEY_REUSED"
    assert _entries(agent_wallet) == 2


def test_idempotent_replay_of_a_rejection_stays_rejected(agent_client, agent_wallet):
    body = {"type": "withdraw", "amount": "1000"}
    first = agent_client.post(_ops(agent_wallet.pk), body, format="json", HTTP_IDEMPOTENCY_KEY="big")
    services.deposit(wallet_id=agent_wallet.pk, amount=D(1000))
    second = agent_client.post(_ops(agent_wallet.pk), body, format="json", HTTP_IDEMPOTENCY_KEY="big")
    assert first.status_code == second.status_code == 422 and first.content == second.content
    assert Wallet.objects.get(pk=agent_wallet.pk).balance == 1100


def test_idempotent_wallet_create(agent_client):
    first = agent_client.post("/api/v1/wallets", {"currency": "SOL"}, format="json", HTTP_IDEMPOTENCY_KEY="mk")
    second = agent_client.post("/api/v1/wallets", {"currency": "SOL"}, format="json", HTTP_IDEMPOTENCY_KEY="mk")
    assert first.status_code == second.status_code == 201 and first.content == second.content


# --- ledger ------------------------------------------------------------------------------------

def test_ledger_is_cursor_paginated_newest_first(agent_client, agent_wallet):
    for n in range(1, 8):
        services.credit_payout(wallet_id=agent_wallet.pk, amount=D(n), reference=f"round:{n}")
    url = f"/api/v1/wallets/{agent_wallet.pk}/ledger?limit=3"
    seen, pages = [], 0
    while url and pages < 10:
        body = agent_client.get(url).json()
        seen += [(e["kind"], e["amount"]) for e in body["results"]]
        url, pages = body["next"], pages + 1
    assert pages == 3
    assert seen == [("payout", str(n)) for n in range(7, 0, -1)] + [("deposit", "100")]
    ids = [e.pk for e in LedgerEntry.objects.filter(wallet=agent_wallet).order_by("-id")]
    first = agent_client.get(f"/api/v1/wallets/{agent_wallet.pk}/ledger").json()["results"]
    assert [e["id"] for e in first] == ids


def test_ledger_list_query_count_does_not_grow_with_entries(agent_client, agent_wallet,
                                                            django_assert_max_num_queries):
    for n in range(30):
        services.charge_for_play(wallet_id=agent_wallet.pk, stake=D("0.1"), fee=D("0.01"), reference=f"s:{n}")
    agent_client.get("/api/v1/me")  # token last_used_at write happens once a minute; keep it out of the count
    with django_assert_max_num_queries(3):
        response = agent_client.get(f"/api/v1/wallets/{agent_wallet.pk}/ledger?limit=50")
    assert response.status_code == 200 and len(response.json()["results"]) == 50


def test_wallet_list_query_count_is_constant(operator_client, make_wallet, django_assert_max_num_queries):
    for n in range(10):
        wallet = make_wallet(owner_username=f"many-{n}", balance="5", daily_limit=D(3))
        services.charge_for_play(wallet_id=wallet.pk, stake=D(1), fee=D(0))
    operator_client.get("/api/v1/me")
    with django_assert_max_num_queries(3):
        response = operator_client.get("/api/v1/wallets")
    assert response.status_code == 200 and len(response.json()["results"]) == 10
