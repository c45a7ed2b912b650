"""Targeted probes through the HTTP contract: the reference remote engine accepts scripted draws."""
import json

import pytest

from games_app.engine.definition import GameDefinition
from games_app.engine.interface import LocalSlotEngine, RemoteSlotEngine, ScriptedDraws
from games_app.engine.par_sheet import compute_par_sheet
from fingerprint_app.recovery import recover_model
from fingerprint_app.recovery.targeted import complete_with_targeted_probes
from tests.fingerprint_app.recovery_kit import sample_observations


@pytest.fixture(autouse=True)
def _scripted_draws_on(settings):
    """Off by default (they read the reel strips out); a deployment that offers targeted probes enables them."""
    settings.REMOTE_ENGINE_SCRIPTED_DRAWS = True


@pytest.fixture
def classic(load_definition, demo_definitions):
    load_definition(demo_definitions["classic-medium"])
    return demo_definitions["classic-medium"]


@pytest.fixture
def operator_raw(make_token):
    return make_token("operator")[1]


@pytest.fixture
def client(client, operator_raw):
    client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {operator_raw}"
    return client


def _engine(live_server, operator_raw):
    return RemoteSlotEngine(f"{live_server.url}/engines/classic-medium/spin", allow_private=True,
                            headers={"Authorization": f"Bearer {operator_raw}"})


def _post(client, body, slug="classic-medium"):
    return client.post(f"/engines/{slug}/spin", data=json.dumps(body), content_type="application/json")


@pytest.mark.django_db
def test_reference_engine_plays_scripted_draws_like_the_local_engine(client, classic):
    response = _post(client, {"draws": [3, 70, 0, 11, 2**32 - 1]})
    assert response.status_code == 200
    body = response.json()
    local = ScriptedDraws([3, 70, 0, 11, 2**32 - 1])
    expected = LocalSlotEngine(classic).spin(local)
    assert body["window"] == expected.window and body["total_multiplier"] == expected.to_dict()["total_multiplier"]
    assert body["draw_ranges"] == local.calls == [len(strip) for strip in classic.reels]
    zeros = _post(client, {"draws": []}).json()  # a short script pads with 0, like ScriptedDraws
    assert zeros["window"] == LocalSlotEngine(classic).spin(ScriptedDraws([0] * 5)).window


@pytest.mark.django_db
@pytest.mark.parametrize("draws", [[-1], [2**32], [True], ["1"], [1.5], list(range(65)), "0,1", None])
def test_reference_engine_refuses_bad_draws(client, classic, draws):
    response = _post(client, {"draws": draws})
    assert response.status_code == 400 and response.json()["error"]["code"] == "VALIDATION_ERROR"


@pytest.mark.django_db
def test_scripted_draws_can_be_switched_off_and_unknown_engines_are_404(client, classic, settings):
    assert _post(client, {"draws": [1]}, slug="nope").status_code == 404
    settings.REMOTE_ENGINE_SCRIPTED_DRAWS = False
    response = _post(client, {"draws": [1]})
    assert response.status_code == 400 and response.json()["error"]["code"] == "SCRIPTED_DRAWS_DISABLED"
    assert _post(client, {"seed": "ab" * 32}).status_code == 200  # seeded play is unaffected


@pytest.fixture(scope="module")
def uniform(demo_definitions):
    observations = sample_observations(demo_definitions["classic-medium"], 5_000, 7)
    return observations, recover_model(observations=observations)


@pytest.mark.django_db(transaction=True)
def test_targeted_probes_finish_the_model_over_http(live_server, classic, uniform, operator_raw):
    observations, before = uniform
    engine = _engine(live_server, operator_raw)
    outcome = complete_with_targeted_probes(observations=observations, engine=engine, result=before)
    assert outcome.steerable and outcome.result.status == "exact", outcome.result.notes
    assert outcome.result.rtp == compute_par_sheet(classic).rtp
    assert compute_par_sheet(GameDefinition.from_dict(outcome.result.definition)).rtp == compute_par_sheet(classic).rtp


@pytest.mark.django_db(transaction=True)
def test_a_remote_engine_without_scripted_draws_stays_partial(live_server, classic, uniform, settings, operator_raw):
    settings.REMOTE_ENGINE_SCRIPTED_DRAWS = False
    observations, before = uniform
    engine = _engine(live_server, operator_raw)
    outcome = complete_with_targeted_probes(observations=observations, engine=engine, result=before)
    assert not outcome.steerable and outcome.spins == 0 and outcome.result.status == "partial"
    assert any("refused scripted draws" in note and "HTTP 400" in note for note in outcome.result.notes)


@pytest.mark.django_db
def test_scripted_draws_are_for_operators_and_every_call_needs_a_token(classic, make_token):
    from django.test import Client

    anonymous = Client()
    assert _post(anonymous, {"seed": "ab" * 32}).status_code == 401
    bad = Client(HTTP_AUTHORIZATION="Bearer nope")
    assert _post(bad, {"seed": "ab" * 32}).json()["error"]["code"] == "UNAUTHENTICATED"
    agent = Client(HTTP_AUTHORIZATION=f"Bearer {make_token('agent')[1]}")
    response = _post(agent, {"draws": [1]})
    assert response.status_code == 403 and "draw_ranges" not in response.json()
    assert _post(agent, {"seed": "ab" * 32}).status_code == 200
