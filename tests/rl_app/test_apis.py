import json
from datetime import datetime, timezone

import pytest
import time_machine

from rl_app.models import PolicyFeedback, WebhookHook
from tests.rl_app.conftest import act, playing_session

pytestmark = pytest.mark.django_db


def _spins(client, session_id, count, **headers):
    for _ in range(count):
        assert client.post(f"/api/v1/sessions/{session_id}/action", {"type": "spin"}, format="json",
                           **headers).status_code == 200


# --- trace ---------------------------------------------------------------------------------------

def test_trace_cursor_pagination_walks_every_step_once(agent_client, new_session):
    session_id = playing_session(agent_client, new_session, bet="0.1")
    _spins(agent_client, session_id, 5)
    indexes, url, pages = [], f"/api/v1/sessions/{session_id}/trace?limit=3", 0
    while url and pages < 10:
        body = agent_client.get(url).json()
        indexes += [step["index"] for step in body["results"]]
        url, pages = body["next"], pages + 1
    assert indexes == list(range(7)) and pages == 3
    first = agent_client.get(f"/api/v2/sessions/{session_id}/trace").json()["results"][0]
    assert set(first) >= {"observation", "action", "reward", "next_observation", "terminated", "truncated", "info",
                          "policy_id", "policy_version", "request_id", "created_at"}
    after = agent_client.get(f"/api/v1/sessions/{session_id}/trace?after=4").json()["results"]
    assert [step["index"] for step in after] == [5, 6]


def test_trace_of_another_agents_session_is_404_but_operators_see_it(agent_client, client_for, operator_client,
                                                                     new_session):
    session_id = playing_session(agent_client, new_session)
    other = client_for("agent")
    response = other.get(f"/api/v1/sessions/{session_id}/trace")
    assert response.status_code == 404 and response.json()["error"]["code"] == "NOT_FOUND"
    problem = other.get(f"/api/v2/sessions/{session_id}/trace")
    assert problem.status_code == 404 and problem["Content-Type"] == "application/problem+json"
    assert agent_client.get("/api/v1/sessions/999999999/trace").status_code == 404
    assert len(operator_client.get(f"/api/v1/sessions/{session_id}/trace/").json()["results"]) == 2


def test_trace_rejects_bad_query_and_needs_a_token(agent_client, new_session, client):
    session_id = playing_session(agent_client, new_session)
    response = agent_client.get(f"/api/v1/sessions/{session_id}/trace?after=abc")
    assert response.status_code == 400 and response.json()["error"]["code"] == "VALIDATION_ERROR"
    assert client.get(f"/api/v1/sessions/{session_id}/trace").status_code == 401


def test_trace_query_count_is_constant(agent_client, new_session, django_assert_max_num_queries):
    session_id = playing_session(agent_client, new_session, bet="0.1")
    _spins(agent_client, session_id, 20)
    with django_assert_max_num_queries(6):  # token, session, page — not one per step
        assert len(agent_client.get(f"/api/v1/sessions/{session_id}/trace").json()["results"]) == 22


# --- episodes ------------------------------------------------------------------------------------

def _episode(client, new_session, *, game=None, policy="", spins=1, cash_out=True, **fields):
    headers = {"HTTP_X_POLICY_ID": policy, "HTTP_X_POLICY_VERSION": "1"} if policy else {}
    session_id = new_session(client, **({"game": game} if game else {}), **fields)
    for action in [{"type": "initialize"}, {"type": "place_bet", "amount": "0.5"}] + [{"type": "spin"}] * spins + (
            [{"type": "cash_out"}] if cash_out else []):
        assert client.post(f"/api/v1/sessions/{session_id}/action", action, format="json", **headers).status_code == 200
    return session_id


def test_episodes_filter_by_game_policy_and_dates(agent_client, client_for, operator_client, new_session, second_game):
    with time_machine.travel(datetime(2026, 3, 1, 12, tzinfo=timezone.utc), tick=True):
        old = _episode(agent_client, new_session, policy="ppo", spins=2, amount="1000")
    with time_machine.travel(datetime(2026, 3, 5, 12, tzinfo=timezone.utc), tick=True):
        agent_client.post("/api/v1/sessions", {})  # noise: a failed create adds nothing
        session_id = agent_client.post("/api/v1/sessions", {"game": second_game.game.slug,
                                                             "wallet": agent_client.wallet.pk}, format="json").json()["id"]
        for action in [{"type": "initialize"}, {"type": "place_bet", "amount": "0.5"}, {"type": "spin"}]:
            agent_client.post(f"/api/v1/sessions/{session_id}/action", action, format="json",
                              HTTP_X_POLICY_ID="dqn", HTTP_X_POLICY_VERSION="3")
        new = session_id
    other = client_for("agent")
    foreign = _episode(other, new_session, policy="ppo")

    listed = agent_client.get("/api/v1/rl/episodes").json()["results"]
    assert [row["session"] for row in listed] == [new, old]
    by_id = {row["session"]: row for row in listed}
    assert by_id[old]["policy_id"] == "ppo" and by_id[old]["steps"] == 5 and by_id[old]["terminated"] is True
    assert by_id[old]["ended_at"] is not None and by_id[old]["truncated"] is False
    assert by_id[new]["game"] == "test-fruit-two" and by_id[new]["terminated"] is False and by_id[new]["ended_at"] is None
    assert (by_id[new]["policy_id"], by_id[new]["policy_version"], by_id[new]["steps"]) == ("dqn", "3", 3)

    def ids(client, query):
        response = client.get(f"/api/v1/rl/episodes?{query}")
        assert response.status_code == 200, response.content
        return {row["session"] for row in response.json()["results"]}

    assert ids(agent_client, "game=test-fruit-two") == {new}
    assert ids(agent_client, "policy=ppo") == {old}
    assert ids(agent_client, "since=2026-03-02") == {new}
    assert ids(agent_client, "until=2026-03-02T00:00:00Z") == {old}
    assert ids(agent_client, "since=2026-03-02&until=2026-03-04") == set()
    assert ids(operator_client, "policy=ppo") >= {old, foreign}
    assert ids(operator_client, f"owner={other.token.owner.username}") == {foreign}
    assert ids(agent_client, f"owner={other.token.owner.username}") == {new, old}  # ignored for agents


def test_episodes_reject_bad_filters(agent_client):
    for query in ("since=yesterday", "since=2026-03-05&until=2026-03-01", "game=no%20spaces"):
        response = agent_client.get(f"/api/v1/rl/episodes?{query}")
        assert response.status_code == 400 and response.json()["error"]["code"] == "VALIDATION_ERROR", query


def test_episode_list_query_count_is_constant(operator_client, agent_client, new_session,
                                              django_assert_max_num_queries):
    _episode(agent_client, new_session, amount="10")
    for _ in range(3):
        session_id = agent_client.post("/api/v1/sessions", {"game": "test-fruit", "wallet": agent_client.wallet.pk},
                                       format="json").json()["id"]
        for action in [{"type": "initialize"}, {"type": "place_bet", "amount": "0.5"}, {"type": "spin"}]:
            assert act(agent_client, session_id, **action).status_code == 200
    with django_assert_max_num_queries(4):  # token, token touch, one page query with the annotations
        assert len(operator_client.get("/api/v1/rl/episodes").json()["results"]) == 4


# --- feedback ------------------------------------------------------------------------------------

def test_feedback_is_stored_and_listed(agent_client, client_for, operator_client, new_session):
    session_id = playing_session(agent_client, new_session)
    body = {"session": session_id, "step": 1, "policy_id": "ppo", "policy_version": "7",
            "value_estimates": {"v": 0.25, "q": [0.1, -0.2]}, "data": {"note": "bet looks high", "tags": ["x"]}}
    response = agent_client.post("/api/v1/rl/feedback", body, format="json")
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["step"] == 1 and created["value_estimates"] == {"v": 0.25, "q": [0.1, -0.2]}
    assert created["request_id"] == response["X-Request-ID"]
    episode_level = agent_client.post("/api/v2/rl/feedback", {"session": session_id, "policy_id": "ppo"}, format="json")
    assert episode_level.status_code == 201 and episode_level.json()["step"] is None
    listed = agent_client.get(f"/api/v1/rl/feedback?session={session_id}").json()["results"]
    assert [row["id"] for row in listed] == [episode_level.json()["id"], created["id"]]
    assert agent_client.get("/api/v1/rl/feedback?policy=other").json()["results"] == []
    assert client_for("agent").get("/api/v1/rl/feedback").json()["results"] == []
    assert len(operator_client.get("/api/v1/rl/feedback").json()["results"]) == 2
    row = PolicyFeedback.objects.get(pk=created["id"])
    assert row.data == {"note": "bet looks high", "tags": ["x"]} and row.owner == agent_client.token.owner


@pytest.mark.parametrize("patch, code, status", [
    ({"step": 2}, "VALIDATION_ERROR", 400),  # the episode has steps 0 and 1
    ({"step": -1}, "VALIDATION_ERROR", 400),
    ({"policy_id": ""}, "VALIDATION_ERROR", 400),
    ({"policy_id": None}, "VALIDATION_ERROR", 400),
    ({"value_estimates": {"v": "high"}}, "VALIDATION_ERROR", 400),
    ({"value_estimates": {"v": True}}, "VALIDATION_ERROR", 400),
    ({"value_estimates": {"q": []}}, "VALIDATION_ERROR", 400),
    ({"value_estimates": [1, 2]}, "VALIDATION_ERROR", 400),
    ({"data": {"blob": "x" * 20_000}}, "VALIDATION_ERROR", 400),
    ({"session": "abc"}, "VALIDATION_ERROR", 400),
    ({"session": 10**30}, "VALIDATION_ERROR", 400),
    ({"session": 999_999_999}, "NOT_FOUND", 404),
])
def test_feedback_validation_errors(agent_client, new_session, patch, code, status):
    session_id = playing_session(agent_client, new_session)
    body = {"session": session_id, "policy_id": "ppo", **patch}
    response = agent_client.post("/api/v1/rl/feedback", body, format="json")
    assert response.status_code == status, response.content
    assert response.json()["error"]["code"] == code
    assert not PolicyFeedback.objects.exists()


def test_feedback_on_another_agents_session_is_404_and_malformed_json_is_400(agent_client, client_for, new_session):
    session_id = playing_session(agent_client, new_session)
    response = client_for("agent").post("/api/v1/rl/feedback", {"session": session_id, "policy_id": "x"}, format="json")
    assert response.status_code == 404
    malformed = agent_client.post("/api/v1/rl/feedback", data="{not json", content_type="application/json")
    assert malformed.status_code == 400 and malformed.json()["error"]["code"] == "MALFORMED_REQUEST"
    assert not PolicyFeedback.objects.exists()


def test_feedback_with_idempotency_key_is_stored_once(agent_client, new_session):
    session_id = playing_session(agent_client, new_session)
    body = {"session": session_id, "policy_id": "ppo"}
    first = agent_client.post("/api/v1/rl/feedback", body, format="json", HTTP_IDEMPOTENCY_KEY="fb-1")
    second = agent_client.post("/api/v1/rl/feedback", body, format="json", HTTP_IDEMPOTENCY_KEY="fb-1")
    assert first.content == second.content and PolicyFeedback.objects.count() == 1


# --- hooks (registration; deliveries are in test_webhooks.py) ------------------------------------

@pytest.mark.parametrize("url, reason", [
    ("http://127.0.0.1:8080/hook", "private_address"),
    ("http://localhost/hook", "private_address"),
    ("http://10.1.2.3/hook", "private_address"),
    ("http://192.168.0.10/hook", "private_address"),
    ("http://169.254.169.254/latest/meta-data", "private_address"),
    ("http://[::1]/hook", "private_address"),
    ("http://[::ffff:127.0.0.1]/hook", "private_address"),
    ("http://0.0.0.0/hook", "private_address"),
    ("file:///etc/passwd", "scheme"),
    ("ftp://93.184.216.34/x", "scheme"),
    ("gopher://example.com/", "scheme"),
    ("http://user:pw@93.184.216.34/hook", "credentials"),
    ("http://", "malformed"),
    ("http://host.invalid/hook", "unresolvable"),
])
def test_hook_refuses_private_and_non_http_urls(agent_client, settings, url, reason):
    settings.RL_WEBHOOKS_ALLOW_PRIVATE = False
    response = agent_client.post("/api/v1/rl/hooks", {"url": url, "events": ["step"]}, format="json")
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == "WEBHOOK_URL_REFUSED" and error["details"]["reason"] == reason
    assert error["details"]["field"] == "url"
    assert not WebhookHook.objects.exists()


def test_hook_refusal_is_a_problem_document_in_v2(agent_client, settings):
    settings.RL_WEBHOOKS_ALLOW_PRIVATE = False
    response = agent_client.post("/api/v2/rl/hooks", {"url": "http://127.0.0.1/x", "events": ["step"]}, format="json")
    assert response.status_code == 400 and response.json()["code"] == "WEBHOOK_URL_REFUSED"


def test_hook_public_ip_is_accepted_and_secret_shown_once(agent_client, client_for, settings):
    settings.RL_WEBHOOKS_ALLOW_PRIVATE = False
    response = agent_client.post("/api/v1/rl/hooks", {"url": "https://93.184.216.34/royale", "events": ["episode_end",
                                 "reward_threshold", "step"], "reward_threshold": 2.5}, format="json")
    assert response.status_code == 201, response.content
    created = response.json()
    assert len(created["secret"]) == 64 and created["events"] == ["episode_end", "reward_threshold", "step"]
    assert WebhookHook.objects.get(pk=created["id"]).secret == created["secret"]
    listed = agent_client.get("/api/v1/rl/hooks").json()["results"]
    assert [hook["id"] for hook in listed] == [created["id"]] and "secret" not in listed[0]
    assert "secret" not in agent_client.get(f"/api/v1/rl/hooks/{created['id']}").json()
    assert client_for("agent").get(f"/api/v1/rl/hooks/{created['id']}").status_code == 404
    assert client_for("agent").delete(f"/api/v1/rl/hooks/{created['id']}").status_code == 404
    assert agent_client.delete(f"/api/v1/rl/hooks/{created['id']}").status_code == 204
    assert WebhookHook.objects.get(pk=created["id"]).active is False


@pytest.mark.parametrize("body", [
    {"url": "https://93.184.216.34/", "events": []},
    {"url": "https://93.184.216.34/", "events": ["spin"]},
    {"url": "https://93.184.216.34/", "events": ["reward_threshold"]},
    {"url": "https://93.184.216.34/", "events": ["step"], "reward_threshold": 1},
    {"url": "https://93.184.216.34/", "events": "step"},
    {"events": ["step"]},
    {"url": "https://93.184.216.34/" + "a" * 2100, "events": ["step"]},
])
def test_hook_validation_errors(agent_client, body):
    response = agent_client.post("/api/v1/rl/hooks", body, format="json")
    assert response.status_code == 400 and response.json()["error"]["code"] == "VALIDATION_ERROR", response.content


def test_hook_count_is_capped(agent_client, settings):
    settings.RL_WEBHOOKS_ALLOW_PRIVATE = True
    for _ in range(20):
        assert agent_client.post("/api/v1/rl/hooks", {"url": "http://127.0.0.1:9/x", "events": ["step"]},
                                 format="json").status_code == 201
    response = agent_client.post("/api/v1/rl/hooks", {"url": "http://127.0.0.1:9/x", "events": ["step"]}, format="json")
    assert response.status_code == 422 and response.json()["error"]["code"] == "TOO_MANY_WEBHOOKS"


def test_schema_lists_the_rl_endpoints(client):
    schema = json.loads(client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").content)
    assert {"/api/v1/sessions/{session_id}/trace", "/api/v1/rl/episodes", "/api/v1/rl/feedback",
            "/api/v1/rl/hooks"} <= set(schema["paths"])
