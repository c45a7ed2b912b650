"""Issue 15 item 8: abuse is throttled. Against a production gunicorn on the PostgreSQL test database.

Failed authentication counts per client IP (REMOTE_ADDR, as the rate limiter reads it; a forwarded
header changes nothing) on /api/ and on the A2A endpoint, in one budget shared by both. /metrics, the
schema and the docs are reachable only as configured (by default: metrics from 127.0.0.1 or with the
metrics token; docs and schema with an API token).
"""
import http.client
import json

import pytest

from tests.reliability.servers import Gunicorn, Redis, a2a_envelope, http_request, server_env

pytestmark = pytest.mark.django_db(transaction=True)

REDIS_DB = 9
FAILURES_ALLOWED = 5
PROXY_HTTPS = {"X-Forwarded-Proto": "https"}  # as the local TLS-terminating proxy sends it
BAD_TOKEN = "ar_deadbeef_" + "0" * 43
METRICS_TOKEN = "scrape-secret-0123456789"


@pytest.fixture(scope="module")
def redis():
    server = Redis(db=REDIS_DB)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def production(django_db_setup, redis):
    server = Gunicorn(env=server_env(DJANGO_ENV="production", SECRET_KEY="abuse-limits-test-secret-key-0123456789",
                                     ALLOWED_HOSTS="127.0.0.1,localhost", REDIS_URL=redis.url,
                                     AUTH_FAILURE_RATE_LIMIT=f"{FAILURES_ALLOWED}/m",
                                     METRICS_BEARER_TOKEN=METRICS_TOKEN), workers=2)
    yield server
    server.stop()


@pytest.fixture
def server(production, redis):
    redis.flush()  # a fresh failure budget for every test
    return production


def _api(server, path, token=None, headers=None):
    status, raw, response_headers = http_request(server.port, "GET", path, token=token,
                                                 headers={**PROXY_HTTPS, **(headers or {})})
    return status, json.loads(raw) if raw else None, response_headers


def _a2a(server, token=None, headers=None):
    status, raw, response_headers = http_request(server.port, "POST", "/api/a2a/casino",
                                                 a2a_envelope({"action": "info"}), token=token,
                                                 headers={**PROXY_HTTPS, **(headers or {})})
    return status, json.loads(raw)["message"]["content"], response_headers


def test_failed_api_authentication_is_throttled_per_client_ip(server, make_token):
    _, good = make_token("agent")
    for _ in range(FAILURES_ALLOWED):
        status, body, _ = _api(server, "/api/v1/me", token=BAD_TOKEN)
        assert status == 401 and body["error"]["code"] == "UNAUTHENTICATED"
    status, body, headers = _api(server, "/api/v1/me", token=BAD_TOKEN)
    assert status == 429 and body["error"]["code"] == "RATE_LIMITED" and 1 <= int(headers["retry-after"]) <= 60
    # A correct guess inside the brute force is refused too (the token is not even looked at) ...
    assert _api(server, "/api/v1/me", token=good)[0] == 429
    # ... a forwarded header does not make a new client ...
    assert _api(server, "/api/v1/me", token=BAD_TOKEN, headers={"X-Forwarded-For": "203.0.113.9"})[0] == 429
    # ... and the A2A endpoint shares the budget.
    status, content, headers = _a2a(server, token=BAD_TOKEN)
    assert status == 429 and content["code"] == "RATE_LIMITED" and int(headers["retry-after"]) >= 1


def test_failed_a2a_authentication_is_throttled_per_client_ip(server):
    for _ in range(FAILURES_ALLOWED):
        status, content, _ = _a2a(server, token=BAD_TOKEN)
        assert status == 401 and content["code"] == "UNAUTHORIZED", content
    status, content, headers = _a2a(server, token=BAD_TOKEN)
    assert status == 429 and content["error"] is True and content["code"] == "RATE_LIMITED"
    assert int(headers["retry-after"]) >= 1
    status, body, _ = _api(server, "/api/v1/me", token=BAD_TOKEN)
    assert status == 429 and body["error"]["code"] == "RATE_LIMITED"


def test_successful_authentication_does_not_spend_the_failure_budget(server, make_token):
    _, good = make_token("agent")
    for _ in range(FAILURES_ALLOWED * 3):
        assert _api(server, "/api/v1/me", token=good)[0] == 200
    assert _api(server, "/api/v1/me", token=BAD_TOKEN)[0] == 401


def _from(server, source: str, path: str, token: str | None = None) -> tuple[int, bytes]:
    """GET from another loopback address (any 127/8 address is this machine, but not 127.0.0.1)."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=15, source_address=(source, 0))
    try:
        headers = {**PROXY_HTTPS, **({"Authorization": f"Bearer {token}"} if token else {})}
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def test_metrics_are_served_to_the_allow_list_or_the_metrics_token_only(server):
    status, body = _from(server, "127.0.0.1", "/metrics")
    assert status == 200 and b"royale_" in body
    status, body = _from(server, "127.0.0.2", "/metrics")
    assert status == 403 and json.loads(body)["error"]["code"] == "FORBIDDEN" and b"royale_" not in body
    assert _from(server, "127.0.0.2", "/metrics", token="not-the-metrics-token")[0] == 403
    status, body = _from(server, "127.0.0.2", "/metrics", token=METRICS_TOKEN)
    assert status == 200 and b"royale_" in body


def test_schema_and_docs_need_a_token_in_production(server, make_token):
    _, agent = make_token("agent")
    for path in ("/api/v1/schema", "/api/v2/schema", "/api/docs", "/api/redoc"):
        status, body = _from(server, "127.0.0.2", path)
        error = json.loads(body)
        assert status == 401 and error.get("error", error)["code"] == "UNAUTHENTICATED", path
        assert _from(server, "127.0.0.2", path, token=agent)[0] == 200, path
