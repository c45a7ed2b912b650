"""Every (state, action) pair: legal ones move as specified, illegal ones are 409 and change nothing."""
import pytest
from django.forms.models import model_to_dict

from sessions_app.models import GameplaySession, SessionState, SessionTransition
from sessions_app.state_machine import TRANSITIONS, Action, allowed_actions
from tests.sessions_app.conftest import act
from wallet_app.models import LedgerEntry

pytestmark = pytest.mark.django_db

ACTION_BODIES = {
    Action.INITIALIZE: {"type": "initialize"},
    Action.PROBE: {"type": "probe", "count": 3},
    Action.PLACE_BET: {"type": "place_bet", "amount": "1"},
    Action.SPIN: {"type": "spin"},
    Action.CASH_OUT: {"type": "cash_out"},
    Action.ABORT: {"type": "abort"},
}

# The state each legal action ends in, as the API reports it (cash_out completes via evaluating).
EXPECTED_END = {key: (SessionState.COMPLETED if target == SessionState.EVALUATING else target)
                for key, target in TRANSITIONS.items()}


def _session_in(state: str, client, new_session) -> int:
    session_id = new_session(client)
    session = GameplaySession.objects.get(pk=session_id)
    if state != SessionState.IDLE:
        # Reach the state by direct setup: the state machine itself is what is under test.
        session.server_seed = "ab" * 32
        session.server_seed_hash = "cd" * 32
        session.client_seed = "seed"
        session.bet = 1 if state in (SessionState.PLAYING, SessionState.EVALUATING) else None
    session.state = state
    session.save()
    return session_id


@pytest.mark.parametrize("state", list(SessionState.values))
@pytest.mark.parametrize("action", list(Action.ALL))
def test_state_machine_every_state_action_pair(state, action, agent_client, new_session):
    session_id = _session_in(state, agent_client, new_session)
    before = model_to_dict(GameplaySession.objects.get(pk=session_id))
    transitions_before = SessionTransition.objects.filter(session_id=session_id).count()
    ledger_before = LedgerEntry.objects.count()

    response = act(agent_client, session_id, **ACTION_BODIES[action])

    if (state, action) in TRANSITIONS:
        assert response.status_code == 200, response.content
        assert response.json()["state"] == EXPECTED_END[(state, action)]
        assert GameplaySession.objects.get(pk=session_id).state == EXPECTED_END[(state, action)]
    else:
        assert response.status_code == 409, response.content
        error = response.json()["error"]
        assert error["code"] == "INVALID_STATE_TRANSITION"
        assert error["details"] == {"state": state, "action": action, "allowed_actions": allowed_actions(state)}
        assert model_to_dict(GameplaySession.objects.get(pk=session_id)) == before
        assert SessionTransition.objects.filter(session_id=session_id).count() == transitions_before
        assert LedgerEntry.objects.count() == ledger_before


def test_transitions_are_recorded_with_request_id(agent_client, new_session):
    session_id = new_session(agent_client)
    agent_client.post(f"/api/v1/sessions/{session_id}/action", {"type": "initialize"}, format="json",
                      HTTP_X_REQUEST_ID="req-init-1")
    act(agent_client, session_id, type="place_bet", amount="1")
    act(agent_client, session_id, type="cash_out")
    rows = list(SessionTransition.objects.filter(session_id=session_id).values_list("from_state", "to_state", "action"))
    assert rows == [("idle", "initialized", "initialize"), ("initialized", "playing", "place_bet"),
                    ("playing", "evaluating", "cash_out"), ("evaluating", "completed", "cash_out")]
    assert SessionTransition.objects.filter(session_id=session_id, request_id="req-init-1").count() == 1
    detail = agent_client.get(f"/api/v1/sessions/{session_id}").json()
    assert [t["to_state"] for t in detail["transitions"]] == ["initialized", "playing", "evaluating", "completed"]
    assert detail["allowed_actions"] == []


def test_unknown_action_type_is_400(agent_client, new_session):
    session_id = new_session(agent_client)
    response = act(agent_client, session_id, type="teleport")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"


@pytest.mark.parametrize("bad_type", [["spin"], {"a": 1}, 7, None, True])
def test_non_string_action_type_is_400(agent_client, new_session, bad_type):
    session_id = new_session(agent_client)
    response = act(agent_client, session_id, type=bad_type)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"
    assert GameplaySession.objects.get(pk=session_id).state == SessionState.IDLE
