import copy
import json

import pytest
from django.core.management import CommandError, call_command

from core.rng import FairRNG
from games_app.engine.interface import RemoteSlotEngine, spin_from_seed
from games_app.models import GameVersion
from games_app.selectors import definition_for, engine_for
from games_app.services import game_load
from tests.sessions_app.conftest import TEST_GAME

pytestmark = pytest.mark.django_db


def test_load_game_versions_only_changed_definitions(tmp_path):
    path = tmp_path / "g.json"
    path.write_text(json.dumps(TEST_GAME))
    call_command("load_game", str(path))
    call_command("load_game", str(path))
    assert GameVersion.objects.filter(game__slug="test-fruit").count() == 1
    changed = copy.deepcopy(TEST_GAME)
    changed["paytable"]["A"]["3"] = 12
    path.write_text(json.dumps(changed))
    call_command("load_game", str(path))
    assert list(GameVersion.objects.filter(game__slug="test-fruit").order_by("version").values_list("version", flat=True)) == [1, 2]


def test_load_game_names_the_bad_field(tmp_path):
    bad = copy.deepcopy(TEST_GAME)
    bad["paylines"][1] = [0, 0, 7]
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(bad))
    with pytest.raises(CommandError, match=r"paylines\[1\]"):
        call_command("load_game", str(path))
    assert not GameVersion.objects.exists()


def test_sessions_keep_their_version_when_a_game_changes(agent_client):
    first, _ = game_load(data=TEST_GAME)
    changed = copy.deepcopy(TEST_GAME)
    changed["paytable"]["B"]["3"] = 6
    second, created = game_load(data=changed)
    assert created and second.version == 2
    assert definition_for(version=first).to_dict() != definition_for(version=second).to_dict()


def test_agents_cannot_see_the_maths(agent_client, operator_client):
    game_load(data=TEST_GAME)
    public = agent_client.get("/api/v1/games/test-fruit").json()
    assert public["window"] == {"rows": 3, "reels": 3, "lines": 5, "symbols": ["A", "B", "C", "S", "W"]}
    assert not {"definition", "par_sheet", "rtp", "content_hash"} & set(public)
    listed = agent_client.get("/api/v1/games").json()
    assert [g["slug"] for g in listed] == ["test-fruit"] and "definition" not in listed[0]
    full = operator_client.get("/api/v2/games/test-fruit").json()
    assert full["definition"]["reels"] == TEST_GAME["reels"]
    assert full["par_sheet"] is not None and full["rtp"] is not None
    assert agent_client.get("/api/v1/games/nope").status_code == 404


@pytest.mark.django_db(transaction=True)
def test_remote_engine_round_trip_matches_local(live_server, make_token):
    version, _ = game_load(data=TEST_GAME)
    _, raw = make_token("agent")
    remote = RemoteSlotEngine(f"{live_server.url}/engines/test-fruit/spin", allow_private=True,
                              headers={"Authorization": f"Bearer {raw}"})
    for nonce in range(1, 6):
        remote_outcome = remote.spin(FairRNG("server-seed", "client", nonce))
        seed = FairRNG("server-seed", "client", nonce).random_bytes(32).hex()
        assert remote_outcome.to_dict()["window"] == spin_from_seed(definition_for(version=version), seed).to_dict()["window"]
        assert remote_outcome.total_multiplier == spin_from_seed(definition_for(version=version), seed).total_multiplier


def test_verify_spin_command_recomputes_a_spin(capsys):
    version, _ = game_load(data=TEST_GAME)
    call_command("verify_spin", "--server-seed", "s" * 64, "--client-seed", "c", "--nonce", "7", "--game", "test-fruit")
    printed = json.loads(capsys.readouterr().out)
    expected = engine_for(version=version).spin(FairRNG("s" * 64, "c", 7)).to_dict()
    assert printed["outcome"] == json.loads(json.dumps(expected))


def test_bet_limits_are_canonical_decimal_strings(agent_client):
    game_load(data=TEST_GAME)
    public = agent_client.get("/api/v1/games/test-fruit").json()
    assert (public["min_bet"], public["max_bet"]) == ("0.1", "10")
