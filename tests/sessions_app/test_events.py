"""sessions_app's in-transaction events: rl_app is subscribed, and a failing handler rolls the action back."""
import pytest

from rl_app.models import ExperienceStep
from rl_app.services import (experience_step_on_session_step, reward_history_on_session_summary,
                             webhook_flag_on_session_opening)
from sessions_app.events import SESSION_OPENING, SESSION_SUMMARY, STEP_TAKEN
from sessions_app.models import GameplaySession, SessionSpin
from tests.sessions_app.conftest import act, playing_session


def test_rl_app_subscribes_to_the_session_events():
    assert experience_step_on_session_step in STEP_TAKEN.handlers
    assert webhook_flag_on_session_opening in SESSION_OPENING.handlers
    assert reward_history_on_session_summary in SESSION_SUMMARY.handlers


@pytest.mark.django_db
def test_a_failing_step_handler_rolls_the_whole_action_back(agent_client, new_session):
    session_id = playing_session(agent_client, new_session, bet="1")
    before = GameplaySession.objects.get(pk=session_id)
    steps_before = ExperienceStep.objects.filter(session_id=session_id).count()

    def failing(step) -> None:
        raise RuntimeError("subscriber failed")

    STEP_TAKEN.subscribe(failing)
    agent_client.raise_request_exception = False
    try:
        response = act(agent_client, session_id, type="spin")
    finally:
        STEP_TAKEN.unsubscribe(failing)
    assert response.status_code == 500
    after = GameplaySession.objects.get(pk=session_id)
    assert (after.nonce, after.steps, after.wallet.balance) == (before.nonce, before.steps, before.wallet.balance)
    assert not SessionSpin.objects.filter(session_id=session_id).exists()
    assert ExperienceStep.objects.filter(session_id=session_id).count() == steps_before
