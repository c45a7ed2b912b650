"""Issue 15 item 1, reproduced over HTTP on a live server: only a session's owner spends.

On the old main an operator token spun, raised the bet and aborted an agent's session with the
agent's money (sessions_app.locks dropped the owner filter for staff). Staff may read any session
and stop one with the audited force_close, which moves no money."""
import pytest

from core.models import AdminActionLog
from sessions_app.models import GameplaySession
from tests.security.conftest import error_code, playing_session, session_snapshot

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

SPENDING_ACTIONS = [{"type": "spin"}, {"type": "place_bet", "amount": "10"}, {"type": "probe", "count": 5},
                    {"type": "cash_out"}, {"type": "abort"}, {"type": "initialize"}]


@pytest.mark.parametrize("staff", ["operator", "admin"])
def test_staff_cannot_play_an_agents_session_but_can_read_it(people, game, staff):
    session_id = playing_session(people["agent"], game)
    before = session_snapshot(session_id)
    caller = people[staff]
    for action in SPENDING_ACTIONS:
        status, body = caller.call("POST", f"/api/v1/sessions/{session_id}/action", action)
        assert (status, error_code(body)) == (403, "FORBIDDEN"), (action, body)
    status, body = caller.call("POST", f"/api/v2/sessions/{session_id}/actions",
                               {"actions": [{"type": "place_bet", "amount": "10"}, {"type": "spin"}]})
    assert (status, error_code(body)) == (403, "FORBIDDEN"), (status, body)
    assert session_snapshot(session_id) == before
    status, body = caller.call("GET", f"/api/v1/sessions/{session_id}")
    assert status == 200 and body["id"] == session_id and body["state"] == "playing"
    # The owner still plays normally afterwards.
    assert people["agent"].call("POST", f"/api/v1/sessions/{session_id}/action", {"type": "spin"})[0] == 200


def test_another_agent_gets_404_for_every_action_and_changes_nothing(people, game):
    session_id = playing_session(people["agent"], game)
    before = session_snapshot(session_id)
    for action in SPENDING_ACTIONS:
        status, body = people["other"].call("POST", f"/api/v1/sessions/{session_id}/action", action)
        assert (status, error_code(body)) == (404, "NOT_FOUND"), (action, body)
    assert people["other"].call("POST", f"/api/v2/sessions/{session_id}/actions", {"actions": [{"type": "spin"}]})[0] == 404
    assert people["other"].call("GET", f"/api/v1/sessions/{session_id}")[0] == 404
    assert session_snapshot(session_id) == before


def test_operator_force_close_completes_the_session_moves_no_money_and_is_audited(people, game):
    agent, operator = people["agent"], people["operator"]
    session_id = playing_session(agent, game)
    assert agent.call("POST", f"/api/v1/sessions/{session_id}/action", {"type": "spin"})[0] == 200
    before = session_snapshot(session_id)

    status, body = operator.call("POST", f"/api/v1/sessions/{session_id}/force_close", {"reason": "abuse report 7"})
    assert status == 200, body
    assert body["state"] == "completed" and body["transitions"][-1]["action"] == "force_close"
    after = session_snapshot(session_id)
    # No ledger entry, same balance and spend: nothing was refunded or paid.
    for key in ("balance", "spent_today", "ledger", "nonce", "spins", "total_fees"):
        assert after[key] == before[key], key
    session = GameplaySession.objects.get(pk=session_id)
    assert session.end_reason == "force_closed" and session.summary["server_seed"] == session.server_seed
    log = AdminActionLog.objects.get(action="force_close_session")
    assert log.actor_username == "sec-operator" and log.object_ids == [str(session_id)]
    assert log.details["via"] == "api" and log.details["reason"] == "abuse report 7"
    assert log.details["money_moved"] == "0" and log.details["from_state"] == "playing"

    # The owner can no longer spend on it, and closing twice is a 409 with no second log row.
    status, body = agent.call("POST", f"/api/v1/sessions/{session_id}/action", {"type": "spin"})
    assert (status, error_code(body)) == (409, "INVALID_STATE_TRANSITION")
    status, body = operator.call("POST", f"/api/v1/sessions/{session_id}/force_close", {})
    assert (status, error_code(body)) == (409, "INVALID_STATE_TRANSITION")
    assert AdminActionLog.objects.filter(action="force_close_session").count() == 1


@pytest.mark.parametrize("who, expected", [("agent", (403, "FORBIDDEN")), ("other", (404, "NOT_FOUND")),
                                           ("anonymous", (401, "UNAUTHENTICATED"))])
def test_force_close_is_staff_only(people, game, who, expected):
    session_id = playing_session(people["agent"], game)
    before = session_snapshot(session_id)
    status, body = people[who].call("POST", f"/api/v1/sessions/{session_id}/force_close", {})
    assert (status, error_code(body)) == expected
    assert session_snapshot(session_id) == before
    assert not AdminActionLog.objects.filter(action="force_close_session").exists()


def test_force_close_refuses_an_overlong_reason_and_changes_nothing(people, game):
    session_id = playing_session(people["agent"], game)
    before = session_snapshot(session_id)
    status, body = people["admin"].call("POST", f"/api/v1/sessions/{session_id}/force_close", {"reason": "x" * 151})
    assert (status, error_code(body)) == (400, "VALIDATION_ERROR")
    assert session_snapshot(session_id) == before
