"""Horizontal scale: two independent gunicorn instances share one Postgres and one Redis.

Clients spread over both instances, even on the same session, so row locks have to serialize
writers across processes; the per-token rate limit lives in Redis, so it is one budget whatever
instance a request lands on.
"""
import json
import threading
import time
from decimal import Decimal

import pytest
from django.db import connection

from core.services import token_create
from games_app.apps import DEMO_GAMES_DIR
from games_app.casino.audit import audit_all_channels
from games_app.services import game_load
from sessions_app.models import GameplaySession, SessionSpin
from sessions_app.services import session_act, session_create
from tests.reliability.servers import Gunicorn, Redis, a2a_envelope, http_request, server_env
from wallet_app import services as wallet_services
from wallet_app.selectors import ledger_audit

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

REDIS_DB = 12
SESSIONS = 3
THREADS_PER_SESSION = 2   # one client per instance on every session
SECONDS = 8


@pytest.fixture(scope="module")
def instances(django_db_setup):
    # Module scope: the servers outlive each test's flush; they only need the test database to exist.
    redis = Redis(db=REDIS_DB)
    env = server_env(REDIS_URL=redis.url)
    servers = []
    try:
        servers.append(Gunicorn(env=env, workers=1))
        servers.append(Gunicorn(env=env, workers=1))
        yield servers
    finally:
        for server in servers:
            server.stop()
        redis.stop()


def _agent(name: str, rate_limit: str = "100000/m"):
    token, raw = token_create(name=name, role="agent", owner_username=name, rate_limit=rate_limit)
    return token, raw


def test_horizontal_rate_limit_is_shared_across_instances(instances):
    _, raw = _agent("horizontal-limited", rate_limit="10/h")
    statuses = [http_request(instances[i % 2].port, "GET", "/api/v1/me", token=raw)[0] for i in range(10)]
    assert statuses == [200] * 10  # five on each instance: neither alone is at its limit
    for server in instances:
        status, body, headers = http_request(server.port, "GET", "/api/v1/me", token=raw)
        assert status == 429 and json.loads(body)["error"]["code"] == "RATE_LIMITED"
        assert int(headers["retry-after"]) >= 1


def test_horizontal_a2a_rate_limit_is_shared_across_instances(instances):
    _, raw = _agent("horizontal-a2a", rate_limit="4/h")
    info = a2a_envelope({"action": "info"})
    statuses = [http_request(instances[i % 2].port, "POST", "/api/a2a/casino", info, token=raw)[0] for i in range(6)]
    assert statuses == [200] * 4 + [429] * 2


def test_horizontal_spins_across_instances_keep_invariants(instances):
    version, _ = game_load(data=json.loads((DEMO_GAMES_DIR / "fruit-low.json").read_text()))
    sessions = []
    for index in range(SESSIONS):
        token, raw = _agent(f"horizontal-{index}")
        wallet = wallet_services.wallet_create(owner=token.owner, cost_per_spin=Decimal("0.01"))
        wallet_services.deposit(wallet_id=wallet.pk, amount=Decimal("1000"), reference="horizontal")
        session = session_create(actor=token.actor, game_slug=version.game.slug, wallet_id=wallet.pk)
        session_act(session_id=session.pk, actor=token.actor, action={"type": "initialize"})
        session_act(session_id=session.pk, actor=token.actor, action={"type": "place_bet", "amount": "0.1"})
        sessions.append((raw, session.pk))

    results: list[tuple[int, int, int | None]] = []   # (session, status, nonce)
    lock = threading.Lock()
    deadline = time.monotonic() + SECONDS

    def client(raw: str, session_id: int, port: int) -> None:
        for _ in range(2000):
            if time.monotonic() > deadline:
                return
            status, body, _ = http_request(port, "POST", f"/api/v1/sessions/{session_id}/action", {"type": "spin"},
                                           token=raw)
            with lock:
                results.append((session_id, status, json.loads(body).get("nonce") if status == 200 else None))

    threads = [threading.Thread(target=client, args=(raw, session_id, instances[n % 2].port))
               for raw, session_id in sessions for n in range(THREADS_PER_SESSION)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=SECONDS + 30)
    assert not any(thread.is_alive() for thread in threads)
    connection.close()

    assert results and all(status == 200 for _, status, _ in results), {s for _, s, _ in results}
    for _, session_id in sessions:
        acknowledged = sorted(nonce for sid, _, nonce in results if sid == session_id)
        session = GameplaySession.objects.get(pk=session_id)
        stored = sorted(SessionSpin.objects.filter(session_id=session_id).values_list("nonce", flat=True))
        # Both instances served the session, every 2xx is one spin, and nonces are gap-free.
        assert acknowledged == stored == list(range(1, session.nonce + 1))
    assert ledger_audit().ok
    assert list(audit_all_channels()) == []


def test_horizontal_a2a_channel_played_through_both_instances(instances):
    token, raw = _agent("horizontal-player")
    wallet = wallet_services.wallet_create(owner=token.owner)
    wallet_services.deposit(wallet_id=wallet.pk, amount=Decimal("5"), reference="horizontal")
    wallet_services.deposit(wallet_id=wallet_services.house_wallet().pk, amount=Decimal("10"), reference="horizontal")
    address = "0x" + "ab" * 20
    first, second = instances

    def a2a(server, content):
        status, body, _ = http_request(server.port, "POST", "/api/a2a/casino",
                                       a2a_envelope({"stealthAddress": address, **content}), token=raw)
        return status, json.loads(body)["message"]["content"]

    assert a2a(first, {"action": "open_channel", "agentDeposit": "1", "casinoDeposit": "1"})[0] == 200
    for round_ in range(5):
        commit_on, reveal_on = (first, second) if round_ % 2 == 0 else (second, first)
        status, content = a2a(commit_on, {"action": "slots_commit", "betAmount": "0.001"})
        assert status == 200, content
        status, content = a2a(reveal_on, {"action": "slots_reveal", "agentSeed": f"seed-{round_}"})
        assert status == 200 and content["nonce"] == round_ + 1, content
    status, content = a2a(second, {"action": "close_channel"})
    assert status == 200 and content["status"] == "closed"
    connection.close()
    assert list(audit_all_channels()) == []
    assert ledger_audit().ok
