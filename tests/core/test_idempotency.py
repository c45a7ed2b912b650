import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from core.models import ApiToken, IdempotencyRecord
from core.services import idempotency_records_purge
from core.tasks import purge_expired_idempotency_keys

pytestmark = pytest.mark.django_db


def test_replay_returns_identical_bytes_and_executes_once(admin_client_api):
    body = {"name": "bot-idem", "role": "agent"}
    first = admin_client_api.post("/api/v1/tokens", body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    second = admin_client_api.post("/api/v1/tokens", body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == second.status_code == 201
    assert first.content == second.content
    assert second["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert ApiToken.objects.filter(name="bot-idem").count() == 1


def test_same_key_different_body_is_422(admin_client_api):
    admin_client_api.post("/api/v1/tokens", {"name": "a"}, format="json", HTTP_IDEMPOTENCY_KEY="k-2")
    response = admin_client_api.post("/api/v1/tokens", {"name": "b"}, format="json", HTTP_IDEMPOTENCY_KEY="k-2")
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "IDEMPOTENCY_KEY_REUSED"
    assert not ApiToken.objects.filter(name="b").exists()


def test_key_is_scoped_to_the_token(client_for):
    one, two = client_for("admin"), client_for("admin")
    a = one.post("/api/v1/tokens", {"name": "x1"}, format="json", HTTP_IDEMPOTENCY_KEY="shared")
    b = two.post("/api/v1/tokens", {"name": "x1"}, format="json", HTTP_IDEMPOTENCY_KEY="shared")
    assert a.status_code == b.status_code == 201
    assert a.json()["prefix"] != b.json()["prefix"]


@pytest.mark.parametrize("key", ["", " leading-space", "x" * 256, "tab\there", "ünïcode"])
def test_invalid_key_is_400_and_changes_nothing(admin_client_api, key):
    before = ApiToken.objects.count()
    response = admin_client_api.post("/api/v1/tokens", {"name": "bad-key"}, format="json", HTTP_IDEMPOTENCY_KEY=key)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "IDEMPOTENCY_KEY_INVALID"
    assert ApiToken.objects.count() == before


def test_error_responses_are_replayed_too(admin_client_api):
    first = admin_client_api.post("/api/v1/tokens/abcdef99/revoke", HTTP_IDEMPOTENCY_KEY="k-404")
    second = admin_client_api.post("/api/v1/tokens/abcdef99/revoke", HTTP_IDEMPOTENCY_KEY="k-404")
    assert first.status_code == second.status_code == 404
    assert first.content == second.content and second["Idempotent-Replayed"] == "true"


@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_with_one_key_execute_once(client_for, monkeypatch):
    client = client_for("admin")
    import core.apis

    real_create = core.apis.token_create
    entered = threading.Event()

    def slow_create(**kwargs):
        entered.set()
        # Hold the first execution open so the others arrive while it is still running.
        threading.Event().wait(0.5)
        return real_create(**kwargs)

    monkeypatch.setattr(core.apis, "token_create", slow_create)
    results: list[int] = []
    lock = threading.Lock()

    def call():
        try:
            response = client.post("/api/v1/tokens", {"name": "racer"}, format="json", HTTP_IDEMPOTENCY_KEY="race")
            with lock:
                results.append(response.status_code)
        finally:
            connection.close()

    first = threading.Thread(target=call)
    first.start()
    assert entered.wait(5)
    others = [threading.Thread(target=call) for _ in range(7)]
    for thread in others:
        thread.start()
    for thread in [first, *others]:
        thread.join(10)
    assert sorted(results).count(201) == 1, results
    assert sorted(results).count(409) == 7, results
    assert ApiToken.objects.filter(name="racer").count() == 1
    # Once finished, a retry replays.
    replay = client.post("/api/v1/tokens", {"name": "racer"}, format="json", HTTP_IDEMPOTENCY_KEY="race")
    assert replay.status_code == 201 and replay["Idempotent-Replayed"] == "true"


def test_expired_keys_are_purged(admin_client_api):
    admin_client_api.post("/api/v1/tokens", {"name": "old"}, format="json", HTTP_IDEMPOTENCY_KEY="old")
    admin_client_api.post("/api/v1/tokens", {"name": "new"}, format="json", HTTP_IDEMPOTENCY_KEY="new")
    IdempotencyRecord.objects.filter(key="old").update(created_at=timezone.now() - timedelta(hours=25))
    assert purge_expired_idempotency_keys.delay().get() == 1
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["new"]
    assert idempotency_records_purge(ttl=timedelta(hours=24)) == 0


@pytest.mark.django_db(transaction=True)
def test_a_dead_holder_does_not_block_the_key(client_for):
    """The in-use lock dies with the connection holding it: no timeout to wait out after a killed worker."""
    import psycopg

    from core.idempotency import _KeyLock

    client = client_for("admin")
    params = connection.get_connection_params()
    other = psycopg.connect(**{k: v for k, v in params.items() if k in {"dbname", "user", "host", "port", "password"}},
                            autocommit=False)
    try:
        with other.cursor() as cursor:  # a worker mid-request on this key
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_KeyLock(token_id=client.token.pk, key="k-dead").lock_id])
        busy = client.post("/api/v1/tokens", {"name": "after-crash"}, format="json", HTTP_IDEMPOTENCY_KEY="k-dead")
        assert busy.status_code == 409 and busy.json()["error"]["code"] == "IDEMPOTENCY_KEY_IN_USE"
    finally:
        other.close()  # the worker dies: its transaction and its lock go with it
    done = client.post("/api/v1/tokens", {"name": "after-crash"}, format="json", HTTP_IDEMPOTENCY_KEY="k-dead")
    assert done.status_code == 201
    assert ApiToken.objects.filter(name="after-crash").count() == 1
