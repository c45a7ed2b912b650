"""Deliveries through a real local HTTP receiver. transaction=True: deliveries start from on_commit, as in
production (Celery runs eagerly in tests, with retries executed immediately)."""
import json

import pytest
from django.db import transaction

from rl_app.models import DeliveryStatus, ExperienceStep, WebhookDelivery
from rl_app.services import experience_step_record
from rl_app.tasks import MAX_RETRIES
from sessions_app.models import GameplaySession
from tests.rl_app.conftest import act, playing_session, verify_signature

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _allow_local_receiver(settings):
    settings.RL_WEBHOOKS_ALLOW_PRIVATE = True


@pytest.fixture(autouse=True)
def _eager_retries():
    """Eager Celery re-runs a retried task at once (countdown ignored) only when errors do not propagate, which
    is how a worker behaves; the project default propagates so other tasks' errors surface in tests."""
    from casino_project.celery import app

    # The Django namespace key is the one Celery reads here (setting task_eager_propagates has no effect).
    previous = app.conf.task_eager_propagates
    app.conf["CELERY_TASK_EAGER_PROPAGATES"] = False
    yield
    app.conf["CELERY_TASK_EAGER_PROPAGATES"] = previous


def _register(client, url, events, **extra) -> dict:
    response = client.post("/api/v1/rl/hooks", {"url": url, "events": events, **extra}, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def test_step_and_episode_end_deliveries_are_signed(agent_client, new_session, receiver):
    with receiver() as server:
        hook = _register(agent_client, server.url, ["step", "episode_end"])
        session_id = playing_session(agent_client, new_session)
        assert act(agent_client, session_id, type="spin").status_code == 200
        assert act(agent_client, session_id, type="cash_out").status_code == 200
    events = [(request["json"]["event"], request["json"]["data"].get("index")) for request in server.requests]
    assert events == [("step", 0), ("step", 1), ("step", 2), ("step", 3), ("episode_end", None)]
    for request in server.requests:
        headers = request["headers"]
        assert verify_signature(hook["secret"], request["body"], headers["X-Royale-Signature"])
        assert not verify_signature("wrong-secret", request["body"], headers["X-Royale-Signature"])
        assert headers["X-Royale-Event"] == request["json"]["event"]
        assert headers["X-Royale-Delivery"] == str(request["json"]["id"])
    end = server.requests[-1]["json"]["data"]
    steps = list(ExperienceStep.objects.filter(session_id=session_id).order_by("index"))
    assert end["session"] == session_id and end["steps"] == 4 and end["terminated"] is True
    assert end["total_reward"] == pytest.approx(sum(step.reward for step in steps))
    assert server.requests[2]["json"]["data"]["reward"] == steps[2].reward
    deliveries = WebhookDelivery.objects.filter(hook_id=hook["id"])
    assert deliveries.count() == 5
    assert set(deliveries.values_list("status", "attempts", "response_code")) == {(DeliveryStatus.SUCCEEDED, 1, 200)}
    log = agent_client.get(f"/api/v1/rl/hooks/{hook['id']}/deliveries").json()["results"]
    assert len(log) == 5 and log[0]["event"] == "episode_end"


def test_failing_receiver_is_retried_until_it_answers(agent_client, new_session, receiver):
    with receiver(statuses=[500, 200]) as server:
        hook = _register(agent_client, server.url, ["episode_end"])
        session_id = playing_session(agent_client, new_session)
        response = act(agent_client, session_id, type="cash_out")
        assert response.status_code == 200
    assert len(server.requests) == 2 and server.requests[0]["body"] == server.requests[1]["body"]
    delivery = WebhookDelivery.objects.get(hook_id=hook["id"])
    assert (delivery.status, delivery.attempts, delivery.response_code) == (DeliveryStatus.SUCCEEDED, 2, 200)
    assert "HTTP 500" in delivery.last_error and delivery.delivered_at is not None


def test_delivery_gives_up_after_bounded_retries_without_failing_the_action(agent_client, new_session, receiver):
    with receiver(statuses=[503] * 20) as server:
        hook = _register(agent_client, server.url, ["episode_end"])
        session_id = playing_session(agent_client, new_session)
        assert act(agent_client, session_id, type="abort").status_code == 200
    delivery = WebhookDelivery.objects.get(hook_id=hook["id"])
    assert (delivery.status, delivery.attempts, delivery.response_code) == (DeliveryStatus.FAILED, MAX_RETRIES + 1, 503)
    assert len(server.requests) == MAX_RETRIES + 1
    assert GameplaySession.objects.get(pk=session_id).state == "completed"


def test_client_error_is_not_retried_and_unreachable_receiver_is(agent_client, new_session, receiver):
    with receiver(statuses=[410]) as server:
        gone = _register(agent_client, server.url, ["episode_end"])
        dead = _register(agent_client, "http://127.0.0.1:9/closed-port", ["episode_end"])
        session_id = playing_session(agent_client, new_session)
        assert act(agent_client, session_id, type="abort").status_code == 200
    assert WebhookDelivery.objects.get(hook_id=gone["id"]).attempts == 1
    unreachable = WebhookDelivery.objects.get(hook_id=dead["id"])
    assert unreachable.status == DeliveryStatus.FAILED and unreachable.attempts == MAX_RETRIES + 1
    assert unreachable.response_code is None and unreachable.last_error


def test_delivery_refuses_a_private_target_when_the_flag_is_off(agent_client, new_session, receiver, settings):
    with receiver() as server:
        hook = _register(agent_client, server.url, ["episode_end"])
        settings.RL_WEBHOOKS_ALLOW_PRIVATE = False  # e.g. DNS now points somewhere internal
        session_id = playing_session(agent_client, new_session)
        assert act(agent_client, session_id, type="abort").status_code == 200
    assert server.requests == []
    delivery = WebhookDelivery.objects.get(hook_id=hook["id"])
    assert delivery.status == DeliveryStatus.FAILED and delivery.last_error == "refused: private_address"


def test_reward_threshold_fires_when_the_return_rises_to_it(agent_client, new_session, receiver):
    with receiver() as server:
        _register(agent_client, server.url, ["reward_threshold"], reward_threshold=1.0)
        session_id = new_session(agent_client)
        session = GameplaySession.objects.get(pk=session_id)
        for index, reward in enumerate([0.5, 0.7, -1.0, 0.2, 2.0]):
            with transaction.atomic():
                experience_step_record(session=session, index=index, observation={}, action={"type": "spin"},
                                       reward=reward, next_observation={}, terminated=False, truncated=False, info={})
    fired = [request["json"]["data"] for request in server.requests]
    assert [(row["index"], round(row["episode_return"], 9)) for row in fired] == [(1, 1.2), (4, 2.4)]
    assert all(row["threshold"] == 1.0 for row in fired)


def test_rolled_back_step_and_inactive_hook_deliver_nothing(agent_client, new_session, receiver):
    with receiver() as server:
        hook = _register(agent_client, server.url, ["step"])
        session_id = new_session(agent_client)
        assert act(agent_client, session_id, type="spin").status_code == 409  # illegal: rolled back
        assert agent_client.delete(f"/api/v1/rl/hooks/{hook['id']}").status_code == 204
        assert act(agent_client, session_id, type="initialize").status_code == 200
    assert server.requests == [] and not WebhookDelivery.objects.exists()


def test_steps_of_a_rolled_back_batch_never_deliver_and_a_reused_index_delivers_once(agent_client, new_session,
                                                                                     receiver):
    with receiver() as server:
        hook = _register(agent_client, server.url, ["step"])
        session_id = playing_session(agent_client, new_session)
        before = set(WebhookDelivery.objects.filter(hook_id=hook["id"]).values_list("payload__data__index", flat=True))
        failed = agent_client.post(f"/api/v2/sessions/{session_id}/actions",
                                   {"actions": [{"type": "spin"}, {"type": "spin"}, {"type": "initialize"}]},
                                   format="json")
        assert failed.status_code == 409  # the whole batch rolled back, its two steps with it
        assert act(agent_client, session_id, type="spin").status_code == 200  # reuses the first rolled-back index
    indexes = [index for index in WebhookDelivery.objects.filter(hook_id=hook["id"])
               .values_list("payload__data__index", flat=True) if index not in before]
    assert indexes == [max(before) + 1]


def test_payload_is_the_signed_json_body(agent_client, new_session, receiver):
    with receiver() as server:
        hook = _register(agent_client, server.url, ["step"])
        session_id = new_session(agent_client)
        act(agent_client, session_id, type="initialize")
    body = server.requests[0]["body"]
    delivery = WebhookDelivery.objects.get(hook_id=hook["id"])
    assert json.loads(body) == delivery.payload and delivery.payload["data"]["action"] == {"type": "initialize"}


def test_batch_steps_are_delivered_and_looked_up_once(agent_client, new_session, receiver):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with receiver() as server:
        _register(agent_client, server.url, ["step"])
        session_id = playing_session(agent_client, new_session)
        with CaptureQueriesContext(connection) as queries:
            response = agent_client.post(f"/api/v2/sessions/{session_id}/actions",
                                         {"actions": [{"type": "spin"}] * 20}, format="json")
        assert response.status_code == 200
    hook_lookups = [q for q in queries.captured_queries if 'FROM "rl_app_webhookhook"' in q["sql"]]
    step_lookups = [q for q in queries.captured_queries if 'FROM "rl_app_experiencestep"' in q["sql"]]
    # one hook query and one step query for the whole batch, not one per step
    assert len(hook_lookups) == 1 and len(step_lookups) == 1
    assert [r["json"]["data"]["index"] for r in server.requests[-20:]] == list(range(2, 22))


def test_batch_of_an_owner_without_hooks_costs_no_lookup(agent_client, new_session):
    session_id = playing_session(agent_client, new_session)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        response = agent_client.post(f"/api/v2/sessions/{session_id}/actions",
                                     {"actions": [{"type": "spin"}] * 50}, format="json")
    assert response.status_code == 200
    assert sum('FROM "rl_app_webhookhook"' in q["sql"] for q in queries.captured_queries) == 0


def _flag(session_id: int) -> bool:
    return GameplaySession.objects.get(pk=session_id).owner_has_hooks


def test_a_hook_created_after_the_session_still_receives_its_steps(agent_client, new_session, receiver):
    session_id = playing_session(agent_client, new_session)
    assert _flag(session_id) is False
    with receiver() as server:
        _register(agent_client, server.url, ["step"])
        assert _flag(session_id) is True
        assert act(agent_client, session_id, type="spin").status_code == 200
    assert [request["json"]["data"]["index"] for request in server.requests] == [2]


def test_the_flag_follows_the_owners_active_hooks(agent_client, client_for, new_session, receiver):
    def another_session() -> int:  # same owner, same wallet
        response = agent_client.post("/api/v1/sessions", {"game": game, "wallet": agent_client.wallet.pk}, format="json")
        assert response.status_code == 201, response.content
        return response.json()["id"]

    open_id = playing_session(agent_client, new_session)
    game = GameplaySession.objects.select_related("game_version__game").get(pk=open_id).game_version.game.slug
    done_id = another_session()
    other_id = new_session(client_for("agent"))
    assert act(agent_client, done_id, type="abort").status_code == 200
    with receiver() as server:
        first, second = _register(agent_client, server.url, ["step"]), _register(agent_client, server.url, ["step"])
    assert (_flag(open_id), _flag(done_id), _flag(other_id)) == (True, False, False)  # completed: never steps again
    assert _flag(another_session()) is True  # created while a hook is active
    assert agent_client.delete(f"/api/v1/rl/hooks/{first['id']}").status_code == 204
    assert _flag(open_id) is True  # one hook left
    assert agent_client.delete(f"/api/v1/rl/hooks/{second['id']}").status_code == 204
    assert _flag(open_id) is False
