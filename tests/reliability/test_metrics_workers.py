"""Issue 20: metrics are true across workers. gunicorn with two workers on the PostgreSQL test database;
N spins spread over both workers (two clients at once), then every scrape of /metrics must show
exactly N in royale_spins_total, also after the workers are killed and replaced."""
import json
import re
import threading

import pytest

from core.services import token_create
from games_app.services import game_load
from tests.reliability.servers import Gunicorn, http_request, server_env
from tests.sessions_app.conftest import TEST_GAME
from wallet_app import services as wallet_services

pytestmark = pytest.mark.django_db(transaction=True)

CLIENTS = 2
SPINS_PER_CLIENT = 15
SCRAPES = 6
SPINS_LINE = re.compile(r'^royale_spins_total\{game="test-fruit"\} ([0-9.e+]+)$', re.MULTILINE)


@pytest.fixture
def server():
    gunicorn = Gunicorn(env=server_env(), workers=2)
    yield gunicorn
    gunicorn.stop()


def _play(port: int, raw: str, wallet_id: int, spins: int, served: list, errors: list) -> None:
    try:
        status, body, _ = http_request(port, "POST", "/api/v1/sessions", {"game": "test-fruit", "wallet": wallet_id},
                                       token=raw)
        assert status == 201, body
        session_id = json.loads(body)["id"]
        path = f"/api/v1/sessions/{session_id}/action"
        for action in ({"type": "initialize"}, {"type": "place_bet", "amount": "1"}):
            assert http_request(port, "POST", path, action, token=raw)[0] == 200
        for _ in range(spins):
            status, body, _ = http_request(port, "POST", path, {"type": "spin"}, token=raw)
            assert status == 200, body
            served.append(1)
    except BaseException as exc:  # reported by the test thread
        errors.append(exc)


def _spins_counted(port: int) -> float:
    status, body, _ = http_request(port, "GET", "/metrics")
    assert status == 200
    match = SPINS_LINE.search(body.decode())
    return float(match.group(1)) if match else 0.0


def test_every_scrape_counts_every_workers_spins(server):
    game_load(data=TEST_GAME)
    served, errors, threads = [], [], []
    for n in range(CLIENTS):
        token, raw = token_create(name=f"metrics-{n}", role="agent", owner_username=f"metrics-{n}",
                                  rate_limit="100000/m")
        wallet = wallet_services.wallet_create(owner=token.owner)
        wallet_services.deposit(wallet_id=wallet.pk, amount=100, reference="test:fund")
        threads.append(threading.Thread(target=_play, args=(server.port, raw, wallet.pk, SPINS_PER_CLIENT,
                                                            served, errors)))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    spins = CLIENTS * SPINS_PER_CLIENT
    assert len(served) == spins
    assert [_spins_counted(server.port) for _ in range(SCRAPES)] == [spins] * SCRAPES
    server.kill_workers()  # their counts must survive them
    server.wait_workers()
    assert [_spins_counted(server.port) for _ in range(SCRAPES)] == [spins] * SCRAPES
