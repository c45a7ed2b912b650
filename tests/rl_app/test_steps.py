import math
from decimal import Decimal

import pytest

from rl_app.models import ExperienceStep
from sessions_app.models import GameplaySession, SessionSpin
from tests.rl_app.conftest import act, playing_session
from wallet_app.models import LedgerEntry, Wallet

pytestmark = pytest.mark.django_db


def test_steps_recorded_with_each_action_in_order(agent_client, new_session):
    session_id = playing_session(agent_client, new_session)
    response = agent_client.post(f"/api/v1/sessions/{session_id}/action", {"type": "spin"}, format="json",
                                 HTTP_X_POLICY_ID="ppo", HTTP_X_POLICY_VERSION="7")
    assert response.status_code == 200
    steps = list(ExperienceStep.objects.filter(session_id=session_id).order_by("index"))
    assert [step.index for step in steps] == [0, 1, 2]
    assert [step.action["type"] for step in steps] == ["initialize", "place_bet", "spin"]
    spin_step = steps[2]
    assert spin_step.reward == response.json()["reward"] == SessionSpin.objects.get(session_id=session_id).reward
    assert (spin_step.policy_id, spin_step.policy_version) == ("ppo", "7")
    assert spin_step.request_id == response["X-Request-ID"]
    assert spin_step.observation == steps[1].next_observation  # consecutive steps chain
    assert spin_step.next_observation["spins"] == 1 and spin_step.observation["spins"] == 0
    assert GameplaySession.objects.get(pk=session_id).steps == 3


def test_spin_the_wallet_cannot_pay_writes_no_step(agent_client, new_session):
    session_id = playing_session(agent_client, new_session, bet="5", amount="6")
    # Drained behind the session's back, so the next spin fails inside the action's transaction.
    Wallet.objects.filter(pk=agent_client.wallet.pk).update(balance=Decimal("0"))
    LedgerEntry.objects.create(wallet_id=agent_client.wallet.pk, amount=Decimal("-6"), kind="withdrawal",
                               balance_after=Decimal("0"), reference="test-drain")
    response = act(agent_client, session_id, type="spin")
    assert response.status_code == 422 and response.json()["error"]["code"] == "INSUFFICIENT_BALANCE"
    assert ExperienceStep.objects.filter(session_id=session_id).count() == 2
    session = GameplaySession.objects.get(pk=session_id)
    assert session.steps == 2 and session.total_spins == 0 and session.total_reward == 0


def test_failed_batch_writes_no_step(agent_client, new_session):
    session_id = playing_session(agent_client, new_session)
    response = agent_client.post(f"/api/v2/sessions/{session_id}/actions",
                                 {"actions": [{"type": "spin"}, {"type": "spin"}, {"type": "place_bet", "amount": "999"}]},
                                 format="json")
    assert response.status_code == 422 and response.json()["details"]["failed_index"] == 2
    assert ExperienceStep.objects.filter(session_id=session_id).count() == 2


def test_illegal_action_writes_no_step(agent_client, new_session):
    session_id = new_session(agent_client)
    assert act(agent_client, session_id, type="spin").status_code == 409
    assert not ExperienceStep.objects.filter(session_id=session_id).exists()


def test_episode_ends_with_terminated_step_and_return_is_sum_of_rewards(agent_client, new_session):
    session_id = playing_session(agent_client, new_session, bet="0.5", max_spins=30)
    for _ in range(5):
        act(agent_client, session_id, type="spin")
    act(agent_client, session_id, type="cash_out")
    steps = list(ExperienceStep.objects.filter(session_id=session_id).order_by("index"))
    assert steps[-1].terminated and not steps[-1].truncated
    assert not any(step.terminated or step.truncated for step in steps[:-1])
    session = GameplaySession.objects.get(pk=session_id)
    assert math.isclose(session.total_reward, sum(step.reward for step in steps), abs_tol=1e-9)
    assert session.summary["reward_history"] == [step.reward for step in steps]


def test_max_spins_truncates_the_episode(agent_client, new_session):
    session_id = playing_session(agent_client, new_session, max_spins=2)
    act(agent_client, session_id, type="spin")
    act(agent_client, session_id, type="spin")
    last = ExperienceStep.objects.filter(session_id=session_id).order_by("-index").first()
    assert last.truncated and not last.terminated and last.info["stop"] == "max_spins_reached"
