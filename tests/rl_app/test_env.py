"""The Gymnasium environment of clients/python against a live test server."""
import gymnasium
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

from agent_royale import spaces as client_spaces
from agent_royale.client import ApiError, RoyaleClient
from agent_royale.env import AgentRoyaleEnv, WalletCannotPay
from rl_app import encoding
from rl_app.models import ExperienceStep
from sessions_app.models import GameplaySession


@pytest.fixture
def live_agent(live_server, make_token, game_version, funded_wallet):
    token, raw = make_token("agent", rate_limit="100000/m")
    wallet = funded_wallet(token.owner, "10000")
    return {"url": live_server.url, "token": raw, "game": game_version.game.slug, "wallet": wallet.pk, "owner": token.owner}


@pytest.mark.django_db(transaction=True)
def test_env_passes_check_env_against_the_live_server(live_agent):
    env = gymnasium.make("AgentRoyale-v0", base_url=live_agent["url"], token=live_agent["token"],
                         game=live_agent["game"], bet="0.5", max_spins=5, policy_id="check-env", policy_version="1")
    check_env(env.unwrapped)
    env.close()
    sessions = GameplaySession.objects.filter(owner=live_agent["owner"])
    assert sessions.count() >= 3 and not sessions.exclude(state="completed").exists()  # every episode closed
    assert set(ExperienceStep.objects.filter(session__owner=live_agent["owner"]).values_list("policy_id", flat=True)) == {
        "check-env"}


@pytest.mark.django_db(transaction=True)
def test_env_episode_matches_the_server_trace(live_agent):
    env = AgentRoyaleEnv(base_url=live_agent["url"], token=live_agent["token"], game=live_agent["game"],
                         bet_levels=("0.5", "1"), max_spins=4, reward_function="log_wealth")
    assert env.action_space.n == 3  # spin at 0.5, spin at 1, cash out
    observation, info = env.reset(seed=7)
    assert observation in env.observation_space and observation[1] == 0.5 and observation[10 + 3] == 1.0  # playing
    total, done, steps = 0.0, False, 0
    for action in [0, 1, 1, 0, 0, 0]:
        if done:
            break
        observation, reward, terminated, truncated, step_info = env.step(action)
        total, done, steps = total + reward, terminated or truncated, steps + 1
    assert done and truncated and not terminated and steps == 4  # max_spins truncates
    session = GameplaySession.objects.get(pk=info["session_id"])
    assert session.total_spins == 4 and session.reward_function == "log_wealth"
    assert total == pytest.approx(session.total_reward)
    assert [step.action["type"] for step in session.steps_recorded.order_by("index")] == [
        "initialize", "place_bet", "spin", "place_bet", "spin", "spin", "place_bet", "spin"]
    with pytest.raises(RuntimeError):
        env.step(0)
    env.close()


@pytest.mark.django_db(transaction=True)
def test_random_agent_example_prints_the_mean_return(live_agent, capsys):
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "clients/python/examples/random_agent.py"
    spec = importlib.util.spec_from_file_location("random_agent", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    mean = module.main(["--base-url", live_agent["url"], "--token", live_agent["token"], "--game", live_agent["game"],
                        "-n", "3", "--max-spins", "5", "--bet", "0.2", "--seed", "1"])
    assert f"episodes=3 mean_return={mean:.6f}" in capsys.readouterr().out
    assert GameplaySession.objects.filter(owner=live_agent["owner"], state="completed").count() == 3


@pytest.mark.django_db(transaction=True)
def test_env_refuses_a_wallet_that_cannot_pay_instead_of_zero_reward_episodes(live_agent, make_wallet):
    from wallet_app import services as wallet_services

    def env(**kwargs):
        return AgentRoyaleEnv(base_url=live_agent["url"], token=live_agent["token"], game=live_agent["game"],
                              max_spins=3, **kwargs)

    poor = make_wallet(owner=live_agent["owner"], currency="USDC", balance="0.3")
    with pytest.raises(ValueError, match="wallet=ID or currency="):  # two wallets now: which one pays?
        env().reset()
    with pytest.raises(WalletCannotPay, match="less than one spin"):
        env(currency="usdc", bet="0.5").reset()
    with pytest.raises(ValueError, match="holds USDC, not ETH"):
        env(wallet=poor.pk, currency="ETH").reset()
    wallet_services.freeze(wallet_id=live_agent["wallet"])
    with pytest.raises(WalletCannotPay, match="frozen"):
        env(wallet=live_agent["wallet"]).reset()
    assert not GameplaySession.objects.filter(owner=live_agent["owner"]).exists()  # refused before any session
    playing = env(currency="USDC", bet="0.2")
    playing.reset()
    _, reward, terminated, truncated, info = playing.step(0)
    assert info["session_id"] and GameplaySession.objects.get(pk=info["session_id"]).wallet_id == poor.pk
    playing.close()


@pytest.mark.django_db(transaction=True)
def test_client_surfaces_structured_errors(live_agent):
    with RoyaleClient(live_agent["url"], live_agent["token"]) as client:
        with pytest.raises(ApiError) as error:
            client.session(999_999_999)
        assert (error.value.status, error.value.code) == (404, "NOT_FOUND") and error.value.request_id
        with pytest.raises(ApiError) as batch_error:
            session = client.create_session(game=live_agent["game"], wallet=live_agent["wallet"])
            client.act_batch(session["id"], [{"type": "spin"}])
        assert batch_error.value.code == "INVALID_STATE_TRANSITION"  # v2 problem+json parsed too


@pytest.mark.parametrize("observation", [
    {"v": 1, "state": "idle", "balance": "10", "bet": None, "spins": 0, "spent": "0", "budget_left": None,
     "spins_left": None, "last_multiplier": None, "last_payout": None},
    {"v": 1, "state": "playing", "balance": "9.75", "bet": "0.25", "spins": 3, "spent": "0.75", "budget_left": "4.25",
     "spins_left": 7, "last_multiplier": "2.5", "last_payout": "0.625"},
])
def test_client_and_server_observation_vectors_agree(observation):
    client_vector = client_spaces.observation_vector(observation)
    assert client_vector.dtype == np.float32 and client_vector.shape == (encoding.OBSERVATION_VECTOR_SIZE,)
    assert client_vector.tolist() == pytest.approx(encoding.observation_vector(observation))
    assert client_spaces.STATES == encoding.STATES


def test_client_observation_space_is_the_exported_one():
    from rl_app.export import minari_spaces

    assert client_spaces.observation_space() == minari_spaces()[0]
