"""The rate limit on the real shared Redis: one round trip per request, one budget across processes.
Keys get a unique prefix, so parallel test runs on the same Redis do not meet; skipped without Redis."""
import socket
import uuid

import pytest
import redis
from django.core.cache.backends.redis import RedisCache
from django.test import RequestFactory
from rest_framework.exceptions import AuthenticationFailed, Throttled

from core import ratelimit
from core.auth import authenticate_request

REDIS_URL = "redis://127.0.0.1:6379/12"


def _redis_up() -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", 6379)) == 0


pytestmark = pytest.mark.skipif(not _redis_up(), reason="no Redis on 127.0.0.1:6379")


def _process_cache(prefix: str) -> RedisCache:
    """What one API process has: its own client and connection pool on the shared Redis."""
    return RedisCache(REDIS_URL, {"KEY_PREFIX": prefix})


@pytest.fixture
def prefix():
    prefix = f"test-rl-{uuid.uuid4().hex}"
    yield prefix
    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(f"{prefix}*"):
        client.delete(key)


def _consume(cache, monkeypatch, *, rate="3/m"):
    monkeypatch.setattr(ratelimit, "caches", {"default": cache})
    request = RequestFactory().get("/api/v1/me", REMOTE_ADDR="10.1.2.3")
    return ratelimit.consume(request, scope="test", key="ip", rate=rate)


def test_two_processes_share_one_budget(prefix, monkeypatch):
    first, second = _process_cache(prefix), _process_cache(prefix)
    waits = [_consume(cache, monkeypatch) for cache in (first, second, first, second)]
    assert waits[:3] == [None, None, None]
    assert 1 <= waits[3] <= 60


def _count_round_trips(monkeypatch) -> list:
    sent = []
    original = redis.connection.AbstractConnection.send_packed_command

    def counting(self, command, check_health=True):
        sent.append(command)
        return original(self, command, check_health)

    monkeypatch.setattr(redis.connection.AbstractConnection, "send_packed_command", counting)
    return sent


def test_a_request_costs_one_round_trip_and_the_counter_expires_with_its_window(prefix, monkeypatch):
    cache = _process_cache(prefix)
    _consume(cache, monkeypatch)  # connect
    sent = _count_round_trips(monkeypatch)
    assert _consume(cache, monkeypatch) is None
    assert len(sent) == 1  # INCR and EXPIREAT pipelined
    client = redis.Redis.from_url(REDIS_URL)
    [key] = list(client.scan_iter(f"{prefix}*"))
    assert int(client.get(key)) == 2 and 0 < client.ttl(key) <= 61


@pytest.mark.django_db
def test_a_token_is_rate_limited_and_failure_checked_in_one_round_trip(prefix, monkeypatch, make_token, settings):
    settings.AUTH_FAILURE_RATE_LIMIT = "2/m"
    monkeypatch.setattr(ratelimit, "caches", {"default": _process_cache(prefix)})
    _, raw = make_token("agent")
    request = RequestFactory().get("/api/v1/me", REMOTE_ADDR="10.1.2.4", HTTP_AUTHORIZATION=f"Bearer {raw}")
    authenticate_request(request, rate_scope="test", token_rate=lambda token: "3/m")  # connect
    sent = _count_round_trips(monkeypatch)
    token, wait = authenticate_request(request, rate_scope="test", token_rate=lambda token: "3/m")
    assert token is not None and wait is None and len(sent) == 1  # INCR, EXPIREAT and the failures' GET
    assert authenticate_request(request, rate_scope="test", token_rate=lambda token: "3/m")[1] is None
    assert 1 <= authenticate_request(request, rate_scope="test", token_rate=lambda token: "3/m")[1] <= 60
    bad = RequestFactory().get("/api/v1/me", REMOTE_ADDR="10.1.2.4", HTTP_AUTHORIZATION=f"Bearer {raw[:-1]}{'y' if raw.endswith('x') else 'x'}")
    for _ in range(2):
        with pytest.raises(AuthenticationFailed):
            authenticate_request(bad, rate_scope="test", token_rate=lambda token: "3/m")
    with pytest.raises(Throttled):  # the correct token too, once the address has used up its failures
        authenticate_request(request, rate_scope="test", token_rate=lambda token: "100/m")
