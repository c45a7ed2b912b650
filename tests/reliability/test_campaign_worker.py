"""The demo's Celery setup: a real worker on kombu's filesystem transport (no broker server). A
campaign POST answers 202 with the campaign still queued (nothing ran inline) and the worker's
chunks show up as progress on GET until it completes."""
import json
import time

import pytest

from core.services import token_create
from games_app.engine import load_demo_games
from games_app.services import game_load
from tests.reliability.servers import CeleryWorker, Gunicorn, http_request, server_env

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

TARGET, CHUNK = 5_000, 1_000


def test_campaign_runs_on_a_background_worker_with_no_broker_server(tmp_path, make_wallet):
    game_load(data=load_demo_games()["fruit-low"].to_dict())
    token, raw = token_create(name="worker-operator", role="operator", owner_username="worker-operator")
    make_wallet(owner=token.owner, balance="10")
    env = server_env(CELERY_BROKER_URL="filesystem://", CELERY_BROKER_FOLDER=str(tmp_path / "broker"))
    server = Gunicorn(env=env, workers=1)
    worker = None
    try:
        status, body, _ = http_request(server.port, "POST", "/api/v1/fingerprints/campaigns", token=raw,
                                       body={"game": "fruit-low", "target_spins": TARGET, "chunk_size": CHUNK,
                                             "seed": "worker", "stop_when_exact": False})
        assert status == 202, body
        campaign = json.loads(body)
        assert (campaign["status"], campaign["spins_done"]) == ("queued", 0)
        assert len(list((tmp_path / "broker").glob("*.msg"))) == 1  # the task waits in the folder: no worker yet

        worker = CeleryWorker(env=env)
        seen, deadline = [], time.monotonic() + 180
        while time.monotonic() < deadline:
            status, body, _ = http_request(server.port, "GET", f"/api/v1/fingerprints/campaigns/{campaign['id']}",
                                           token=raw)
            assert status == 200, body
            detail = json.loads(body)
            if not seen or seen[-1] != (detail["status"], detail["spins_done"]):
                seen.append((detail["status"], detail["spins_done"]))
            if detail["status"] not in ("queued", "running"):
                break
            time.sleep(0.1)
        assert seen[-1] == ("completed", TARGET), seen
        assert detail["chunks_done"] == TARGET // CHUNK
        # Chunks commit one at a time and each re-enqueues the next: progress is visible in between.
        assert any(0 < spins < TARGET for _, spins in seen), seen
    finally:
        if worker is not None:
            worker.stop()
        server.stop()
