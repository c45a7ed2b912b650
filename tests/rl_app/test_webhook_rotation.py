"""Rotating a webhook's signing secret: a grace period signs with both secrets, bad input changes nothing,
concurrent rotations chain, and replays of the same Idempotency-Key do not rotate twice."""
import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from rl_app.models import WebhookHook
from tests.rl_app.conftest import act, playing_session, verify_signature

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _allow_local_receiver(settings):
    settings.RL_WEBHOOKS_ALLOW_PRIVATE = True


def _register(client, url) -> dict:
    response = client.post("/api/v1/rl/hooks", {"url": url, "events": ["step"]}, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def _rotate(client, hook_id, **body):
    return client.post(f"/api/v1/rl/hooks/{hook_id}/rotate-secret", body, format="json")


def test_rotation_with_grace_signs_with_both_secrets_until_it_expires(agent_client, new_session, receiver):
    with receiver() as server:
        hook = _register(agent_client, server.url)
        response = _rotate(agent_client, hook["id"], grace_seconds=3600)
        assert response.status_code == 200, response.content
        rotated = response.json()
        assert rotated["secret"] != hook["secret"] and len(rotated["secret"]) == 64
        assert rotated["previous_secret_expires_at"] is not None
        session_id = playing_session(agent_client, new_session)
        WebhookHook.objects.filter(pk=hook["id"]).update(previous_secret_expires_at=timezone.now() - timedelta(seconds=1))
        assert act(agent_client, session_id, type="spin").status_code == 200
    during, after = server.requests[0], server.requests[-1]
    assert verify_signature(rotated["secret"], during["body"], during["headers"]["X-Royale-Signature"])
    assert verify_signature(hook["secret"], during["body"], during["headers"]["X-Royale-Signature-Previous"])
    assert not verify_signature(hook["secret"], during["body"], during["headers"]["X-Royale-Signature"])
    assert verify_signature(rotated["secret"], after["body"], after["headers"]["X-Royale-Signature"])
    assert "X-Royale-Signature-Previous" not in after["headers"]
    shown = agent_client.get(f"/api/v1/rl/hooks/{hook['id']}").json()
    assert "secret" not in shown and rotated["secret"] not in str(agent_client.get("/api/v1/rl/hooks").content)


def test_rotation_without_grace_retires_the_old_secret_at_once(agent_client, new_session, receiver):
    with receiver() as server:
        hook = _register(agent_client, server.url)
        rotated = _rotate(agent_client, hook["id"]).json()
        assert rotated["previous_secret_expires_at"] is None
        playing_session(agent_client, new_session)
    request = server.requests[0]
    assert verify_signature(rotated["secret"], request["body"], request["headers"]["X-Royale-Signature"])
    assert "X-Royale-Signature-Previous" not in request["headers"]


@pytest.mark.parametrize("body", [{"grace_seconds": -1}, {"grace_seconds": 7 * 24 * 3600 + 1},
                                  {"grace_seconds": "soon"}, {"grace_seconds": 1.5}, {"grace_seconds": 10 ** 30}])
def test_bad_grace_is_a_400_and_changes_nothing(agent_client, body):
    hook = _register(agent_client, "http://127.0.0.1:9/hook")
    response = _rotate(agent_client, hook["id"], **body)
    assert response.status_code == 400 and response.json()["error"]["code"] == "VALIDATION_ERROR"
    assert WebhookHook.objects.get(pk=hook["id"]).secret == hook["secret"]


def test_malformed_json_another_agents_hook_and_unknown_hooks(agent_client, client_for):
    hook = _register(agent_client, "http://127.0.0.1:9/hook")
    bad = agent_client.post(f"/api/v1/rl/hooks/{hook['id']}/rotate-secret", "{not json",
                            content_type="application/json")
    assert bad.status_code == 400
    other = client_for("agent")
    assert _rotate(other, hook["id"]).status_code == 404
    assert _rotate(agent_client, 999_999_999).status_code == 404
    assert WebhookHook.objects.get(pk=hook["id"]).secret == hook["secret"]


def test_a_replayed_idempotency_key_does_not_rotate_twice(agent_client):
    hook = _register(agent_client, "http://127.0.0.1:9/hook")
    url = f"/api/v1/rl/hooks/{hook['id']}/rotate-secret"
    first = agent_client.post(url, {"grace_seconds": 60}, format="json", HTTP_IDEMPOTENCY_KEY="rotate-1")
    again = agent_client.post(url, {"grace_seconds": 60}, format="json", HTTP_IDEMPOTENCY_KEY="rotate-1")
    assert first.status_code == again.status_code == 200 and again["Idempotent-Replayed"] == "true"
    assert first.json()["secret"] == again.json()["secret"]
    stored = WebhookHook.objects.get(pk=hook["id"])
    assert stored.secret == first.json()["secret"] and stored.previous_secret == hook["secret"]


def test_concurrent_rotations_chain_without_losing_a_secret(agent_client):
    hook = _register(agent_client, "http://127.0.0.1:9/hook")
    results, errors = [], []
    barrier = threading.Barrier(2)

    def rotate():
        try:
            barrier.wait(timeout=10)
            response = _rotate(agent_client, hook["id"], grace_seconds=600)
            results.append((response.status_code, response.json().get("secret")))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=rotate) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors and [code for code, _ in results] == [200, 200]
    stored = WebhookHook.objects.get(pk=hook["id"])
    secrets = {secret for _, secret in results}
    assert len(secrets) == 2 and stored.secret in secrets
    # the survivor's previous secret is the other rotation's secret: no rotation was lost
    assert stored.previous_secret == (secrets - {stored.secret}).pop()
