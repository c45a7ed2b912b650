"""Issue 16 "Hostile input", over HTTP on a live gunicorn and PostgreSQL: each input below answered
500 with an ordinary agent token; each is now a 4xx with the error contract, and nothing changes."""
import http.client
import json
import time
from decimal import Decimal
from urllib.parse import urlsplit

import pytest
from django.db import connection

from core.models import ApiToken
from core.services import token_create
from games_app.services import game_load
from rl_app.models import ExperienceStep, PolicyFeedback
from sessions_app.models import GameplaySession, SessionTransition
from sessions_app.services import session_act, session_create
from tests.reliability.servers import Gunicorn, http_request, server_env
from tests.sessions_app.conftest import TEST_GAME
from wallet_app import services as wallet_services
from wallet_app.models import LedgerEntry

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

NESTED = ("[" * 50_000 + "]" * 50_000).encode()
NESTED_OBJECT = ('{"a":' * 5_000 + "1" + "}" * 5_000).encode()


@pytest.fixture(scope="module")
def server(django_db_setup):
    gunicorn = Gunicorn(env=server_env(API_MAX_BODY_BYTES="1048576", API_MAX_BATCH_BODY_BYTES="524288"), workers=1)
    yield gunicorn
    gunicorn.stop()


@pytest.fixture
def agent():
    token, raw = token_create(name="hostile-agent", role="agent", owner_username="hostile-agent",
                              rate_limit="100000/m")
    version, _ = game_load(data=TEST_GAME)
    wallet = wallet_services.wallet_create(owner=token.owner)
    wallet_services.deposit(wallet_id=wallet.pk, amount=Decimal("100"), reference="hostile")
    session = session_create(actor=token.actor, game_slug=version.game.slug, wallet_id=wallet.pk)
    session_act(session_id=session.pk, actor=token.actor, action={"type": "initialize"})
    return {"raw": raw, "session": session.pk, "wallet": wallet.pk}


def _snapshot() -> tuple:
    connection.close()
    return (LedgerEntry.objects.count(), GameplaySession.objects.count(), SessionTransition.objects.count(),
            ExperienceStep.objects.count(), PolicyFeedback.objects.count(),
            list(GameplaySession.objects.order_by("pk").values_list("state", "client_seed", "steps")))


def _error_code(status: int, body: bytes, headers: dict) -> str:
    """The error contract: v1 {"error": {code, message, details, request_id}} or v2 problem+json."""
    payload = json.loads(body)
    if headers.get("content-type", "").startswith("application/problem+json"):
        assert payload["status"] == status and payload["request_id"]
        return payload["code"]
    error = payload["error"]
    assert set(error) >= {"code", "message"}, payload
    return error["code"]


def _post(server, path, raw_body: bytes, token: str):
    return http_request(server.port, "POST", path, token=token, raw_body=raw_body)


def test_deeply_nested_json_is_a_400_on_every_post(server, agent):
    before = _snapshot()
    session, wallet, raw = agent["session"], agent["wallet"], agent["raw"]
    paths = ["/api/v1/sessions", f"/api/v1/sessions/{session}/action", f"/api/v2/sessions/{session}/actions",
             "/api/v1/wallets", f"/api/v1/wallets/{wallet}/operations", "/api/v1/tokens", "/api/v1/rl/feedback",
             "/api/v1/rl/hooks", "/api/v1/fingerprints/campaigns", "/api/v1/fingerprints/match",
             f"/engines/{TEST_GAME['slug']}/spin", "/api/v2/sessions"]
    for path in paths:
        for body in (NESTED, NESTED_OBJECT):
            status, content, headers = _post(server, path, body, raw)
            assert 400 <= status < 500, (path, status, content[:300])
            _error_code(status, content, headers)
        # Where the caller may post at all, the refusal is the parser's.
        if path.startswith(("/api/v1/sessions", "/api/v2/sessions", "/engines/")):
            assert status == 400 and _error_code(status, content, headers) == "MALFORMED_REQUEST", (path, content)
    assert _snapshot() == before


@pytest.mark.parametrize("text", ["a\\u0000b", "a\\ud800b", "\\udfff", "x\\u0000"])
def test_nul_and_lone_surrogates_in_bodies_are_a_400(server, agent, text):
    before = _snapshot()
    session, raw = agent["session"], agent["raw"]
    cases = [
        (f"/api/v1/sessions/{session}/action", '{"type": "initialize", "client_seed": "%s"}' % text),
        (f"/api/v1/sessions/{session}/action", '{"type": "probe", "count": 1, "amount": "%s"}' % text),
        (f"/api/v1/sessions/{session}/action", '{"type": "probe", "count": 1, "client_seed": "%s"}' % text),
        (f"/api/v2/sessions/{session}/actions", '{"actions": [{"type": "probe", "amount": "%s"}]}' % text),
        ("/api/v1/rl/feedback", '{"session": %d, "policy_id": "p", "data": {"note": "%s"}}' % (session, text)),
        ("/api/v1/rl/feedback", '{"session": %d, "policy_id": "p", "data": {"%s": 1}}' % (session, text)),
        ("/api/v1/sessions", '{"game": "%s", "wallet": %d, "client_seed": "%s"}' % (TEST_GAME["slug"], agent["wallet"], text)),
        (f"/engines/{TEST_GAME['slug']}/spin", '{"seed": "%s"}' % text),
    ]
    for path, body in cases:
        status, content, headers = _post(server, path, body.encode(), raw)
        assert status == 400, (path, body, status, content[:300])
        _error_code(status, content, headers)
    assert _snapshot() == before


@pytest.mark.parametrize("query", ["game=a%00b", "owner=a%00b", "state=a%00", "engine=a%00", "policy=%00",
                                   "a%00=1", "game=a%ED%A0%80b", "owner=%F0%9F%92%A9%00"])
def test_nul_in_query_parameters_is_a_400_everywhere(server, agent, query):
    paths = ["/api/v1/sessions", "/api/v2/sessions", "/api/v1/wallets", "/api/v1/rl/episodes",
             "/api/v1/fingerprints/profiles", "/api/v1/rl/feedback", f"/api/v1/sessions/{agent['session']}/trace"]
    for path in paths:
        status, content, headers = http_request(server.port, "GET", f"{path}?{query}", token=agent["raw"])
        assert status < 500, (path, query, status, content[:300])
        if "%00" in query:
            assert status == 400 and _error_code(status, content, headers) == "VALIDATION_ERROR", (path, content)


@pytest.mark.parametrize("cursor", ["cD0xJyBPUiAxPTE=", "cD0tMQ==", "cD0xZTk5OQ==", "cD0%3D", "%C3%A9", "cj0xJnA9eA=="])
def test_a_forged_pagination_cursor_is_a_400(server, agent, cursor):
    for path in ["/api/v1/sessions", "/api/v1/wallets", f"/api/v1/wallets/{agent['wallet']}/ledger",
                 f"/api/v1/sessions/{agent['session']}/trace", "/api/v1/rl/episodes", "/api/v1/rl/feedback",
                 "/api/v1/fingerprints/profiles", "/api/v2/sessions"]:
        status, content, headers = http_request(server.port, "GET", f"{path}?cursor={cursor}", token=agent["raw"])
        assert status == 400 and _error_code(status, content, headers) == "VALIDATION_ERROR", (path, status, content)


def test_a_genuine_cursor_still_pages(server, agent):
    token = ApiToken.objects.get(name="hostile-agent")
    for _ in range(3):
        session_create(actor=token.actor, game_slug=TEST_GAME["slug"], wallet_id=agent["wallet"])
    status, content, _ = http_request(server.port, "GET", "/api/v1/sessions?limit=2", token=agent["raw"])
    page = json.loads(content)
    assert status == 200 and page["next"]
    following = urlsplit(page["next"])
    status, content, _ = http_request(server.port, "GET", f"{following.path}?{following.query}", token=agent["raw"])
    assert status == 200 and len(json.loads(content)["results"]) == 2


def _raw_request(port: int, method: str, path: str, headers: dict, body_chunks=None, timeout: float = 30):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.putrequest(method, path)
        for name, value in headers.items():
            conn.putheader(name, value)
        conn.endheaders()
        try:
            for chunk in body_chunks or []:
                conn.send(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered and closed before the whole body arrived: that is the point
        response = conn.getresponse()
        return response.status, response.read(), {k.lower(): v for k, v in response.getheaders()}
    finally:
        conn.close()


def test_an_oversized_body_is_a_413_before_it_is_read(server, agent):
    before = _snapshot()
    auth = {"Authorization": f"Bearer {agent['raw']}", "Content-Type": "application/json"}
    # 80 MB announced, nothing sent: the answer comes without the server waiting for (or buffering) the body.
    started = time.monotonic()
    status, content, headers = _raw_request(server.port, "POST", "/api/v1/sessions",
                                            {**auth, "Content-Length": str(80 * 1024 * 1024)})
    assert status == 413 and _error_code(status, content, headers) == "REQUEST_TOO_LARGE", content
    assert json.loads(content)["error"]["details"]["max_bytes"] == 1048576
    assert time.monotonic() - started < 10
    for path in (f"/engines/{TEST_GAME['slug']}/spin", "/admin/login/", "/api/v1/tokens"):
        status, content, headers = _raw_request(server.port, "POST", path, {**auth, "Content-Length": str(2 * 1024 * 1024)})
        assert status == 413 and _error_code(status, content, headers) == "REQUEST_TOO_LARGE", (path, content)
    # The A2A endpoint keeps its own, smaller limit, answered in its own envelope.
    status, content, _ = _raw_request(server.port, "POST", "/api/a2a/casino", {**auth, "Content-Length": str(2 * 1024 * 1024)})
    assert status == 400 and json.loads(content)["message"]["content"]["code"] == "INVALID_REQUEST", content
    # v2: problem+json, and the batch limit is its own.
    status, content, headers = _raw_request(server.port, "POST", f"/api/v2/sessions/{agent['session']}/actions",
                                            {**auth, "Content-Length": str(600 * 1024)})
    assert status == 413 and headers["content-type"].startswith("application/problem+json"), content
    assert json.loads(content)["details"]["max_bytes"] == 524288
    assert _snapshot() == before


def test_a_chunked_body_is_bounded_too(server, agent):
    before = _snapshot()
    auth = {"Authorization": f"Bearer {agent['raw']}", "Content-Type": "application/json",
            "Transfer-Encoding": "chunked"}

    def chunked(payload: bytes, size: int = 64 * 1024):
        for start in range(0, len(payload), size):
            piece = payload[start:start + size]
            yield b"%x\r\n%s\r\n" % (len(piece), piece)
        yield b"0\r\n\r\n"

    big = b'{"type": "probe", "pad": "' + b"x" * (2 * 1024 * 1024) + b'"}'
    status, content, headers = _raw_request(server.port, "POST", f"/api/v1/sessions/{agent['session']}/action",
                                            auth, chunked(big))
    assert status == 413 and _error_code(status, content, headers) == "REQUEST_TOO_LARGE", content
    assert _snapshot() == before
    # A small chunked body is read and served normally.
    status, content, _ = _raw_request(server.port, "POST", f"/api/v1/sessions/{agent['session']}/action", auth,
                                      chunked(b'{"type": "probe", "count": 2}', size=7))
    assert status == 200 and json.loads(content)["count"] == 2, content


def test_a_body_under_the_limit_is_parsed_as_usual(server, agent):
    padded = json.dumps({"type": "probe", "count": 1, "pad": "x" * (900 * 1024)}).encode()
    status, content, _ = _post(server, f"/api/v1/sessions/{agent['session']}/action", padded, agent["raw"])
    assert status == 200 and json.loads(content)["count"] == 1, content[:300]
