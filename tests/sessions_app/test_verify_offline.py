"""A spin verifies offline from its stops and the revealed seed (`royale verify`, no server code)."""
import json

import pytest
from typer.testing import CliRunner

from agent_royale.cli import app
from agent_royale.fairness import recompute_stops
from core.rng import FairRNG
from tests.sessions_app.conftest import TEST_GAME, act, playing_session

LENGTHS = ",".join(str(len(strip)) for strip in TEST_GAME["reels"])


def test_recompute_stops_is_the_servers_stream():
    # The README's known-answer vector, then the server's own RNG on awkward lengths (rejections).
    assert recompute_stops(server_seed="server-seed", client_seed="client-seed", nonce=7,
                           reel_lengths=[100] * 5) == [97, 6, 12, 17, 96]
    lengths = [3, 7, 1_000_003, 2**31 + 1, 64]
    rng = FairRNG("seed-x", "client-y", 42)
    assert recompute_stops(server_seed="seed-x", client_seed="client-y", nonce=42,
                           reel_lengths=lengths) == [rng.randbelow(n) for n in lengths]


def _verify(*args: str):
    return CliRunner().invoke(app, ["--output", "json", "verify", *args])


@pytest.mark.django_db
def test_a_played_spin_verifies_with_the_revealed_seed_and_a_changed_stop_does_not(agent_client, new_session):
    session_id = playing_session(agent_client, new_session, bet="1")
    spin = act(agent_client, session_id, type="spin").json()
    commitment = spin["proof"]["server_seed_hash"]
    assert spin["proof"]["server_seed"] is None and len(spin["stops"]) == len(TEST_GAME["reels"])
    assert act(agent_client, session_id, type="cash_out").status_code == 200
    revealed = agent_client.get(f"/api/v1/sessions/{session_id}").json()["fairness"]["server_seed"]
    assert revealed
    common = ["--server-seed", revealed, "--client-seed", spin["proof"]["client_seed"], "--nonce",
              str(spin["nonce"]), "--reel-lengths", LENGTHS, "--commitment", commitment]

    good = _verify(*common, "--stops", ",".join(map(str, spin["stops"])))
    assert good.exit_code == 0, good.output
    assert json.loads(good.output) == {"verified": True, "problems": [], "expected_stops": spin["stops"]}

    tampered = list(spin["stops"])
    tampered[0] = (tampered[0] + 1) % len(TEST_GAME["reels"][0])
    bad = _verify(*common, "--stops", ",".join(map(str, tampered)))
    assert bad.exit_code == 1 and "differ from the seed" in json.loads(bad.output)["problems"][0]
    wrong_seed = _verify(*common[:1], "not-the-seed", *common[2:], "--stops", ",".join(map(str, spin["stops"])))
    assert wrong_seed.exit_code == 1
    assert "does not match the commitment" in json.loads(wrong_seed.output)["problems"][0]
