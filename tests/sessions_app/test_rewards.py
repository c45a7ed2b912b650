import math
from decimal import Decimal

import pytest

from rl_app.models import ExperienceStep
from sessions_app import rewards
from sessions_app.models import SessionSpin
from tests.sessions_app.conftest import act, playing_session


def test_net_payout_is_the_step_net():
    assert rewards.net_payout(net=Decimal("-1.5"), balance_before=Decimal(10), balance_after=Decimal("8.5")) == -1.5
    assert rewards.compute_reward("net_payout", net=Decimal("4"), balance_before=Decimal(1), balance_after=Decimal(5)) == 4.0


def test_log_wealth_is_the_log_growth_of_the_bankroll():
    assert math.isclose(rewards.log_wealth(net=Decimal(10), balance_before=Decimal(100), balance_after=Decimal(110)),
                        math.log(1.1))
    assert rewards.log_wealth(net=Decimal(0), balance_before=Decimal(5), balance_after=Decimal(5)) == 0.0
    ruin = rewards.log_wealth(net=Decimal(-5), balance_before=Decimal(5), balance_after=Decimal(0))
    assert math.isfinite(ruin) and ruin < -40  # floored, not -inf


def test_risk_adjusted_penalises_swings_quadratically():
    assert math.isclose(rewards.risk_adjusted(net=Decimal(10), balance_before=Decimal(100), balance_after=Decimal(110)),
                        0.1 - 2 * 0.01)
    assert math.isclose(rewards.risk_adjusted(net=Decimal(-10), balance_before=Decimal(100), balance_after=Decimal(90)),
                        -0.1 - 2 * 0.01)
    # A win of half the bankroll is worth nothing more than breaking even under λ = 2.
    assert math.isclose(rewards.risk_adjusted(net=Decimal(50), balance_before=Decimal(100), balance_after=Decimal(150)), 0.0)


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["net_payout", "log_wealth", "risk_adjusted"])
def test_session_records_its_reward_function_on_every_spin(agent_client, new_session, name):
    session_id = playing_session(agent_client, new_session, bet="1", amount="50", reward_function=name)
    for _ in range(4):
        assert act(agent_client, session_id, type="spin").status_code == 200
    before = Decimal("50")
    for spin in SessionSpin.objects.filter(session_id=session_id).order_by("nonce"):
        net = spin.payout - spin.stake - spin.fee
        expected = rewards.compute_reward(name, net=net, balance_before=before, balance_after=spin.balance_after)
        step = ExperienceStep.objects.get(session_id=session_id, info__nonce=spin.nonce, action__type="spin")
        assert math.isclose(spin.reward, expected, rel_tol=1e-12, abs_tol=1e-15)
        assert step.reward == spin.reward
        before = spin.balance_after
