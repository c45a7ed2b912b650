"""Issue 15 item 7: the server never reaches where it must not (SSRF through campaign engines and webhooks).

Attacks over HTTP against pytest-django's live server (a real server thread on the PostgreSQL test
database). It runs in this process, so a test can stand in for DNS (`socket.getaddrinfo`) and for the
network beyond this machine (a socket that refuses the one fake public address, so nothing leaves).
A canary HTTP server on 127.0.0.1 records every request that reaches it: the guard holds when it
records none.
"""
import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest

from tests.reliability.servers import Gunicorn, http_request, server_env
from tests.sessions_app.conftest import TEST_GAME

pytestmark = pytest.mark.django_db(transaction=True)

FAKE_PUBLIC = "93.184.215.14"  # global unicast; the patched socket refuses it, so no packet leaves


class Canary:
    """An HTTP server on loopback that answers like a remote engine and records who reached it."""

    def __init__(self):
        self.requests: list[dict] = []
        canary = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                canary.requests.append({"path": self.path, "host": self.headers.get("Host"), "body": body})
                payload = json.dumps({"window": [["A"]], "line_wins": [], "scatter_win": "0",
                                      "total_multiplier": "0"}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST  # a followed 303 arrives as a GET

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def canary():
    server = Canary()
    yield server
    server.stop()


@pytest.fixture
def no_egress(monkeypatch):
    """Sockets in this process refuse FAKE_PUBLIC (as a host that drops us would) and record every
    address they connect to."""
    connected: list[tuple] = []
    real_socket = socket.socket

    class GuardedSocket(real_socket):
        def connect(self, address):
            connected.append(tuple(address[:2]))
            if address[0] == FAKE_PUBLIC:
                raise ConnectionRefusedError(111, "refused by the test")
            return super().connect(address)

    monkeypatch.setattr(socket, "socket", GuardedSocket)
    return connected


@pytest.fixture
def rebinding_dns(monkeypatch, no_egress):
    """`rebind.test` answers FAKE_PUBLIC for the first `public_answers` lookups, then 127.0.0.1: a
    rebinding attacker's DNS with a zero TTL."""
    real_getaddrinfo = socket.getaddrinfo
    state = {"lookups": 0, "public_answers": 1}

    def getaddrinfo(host, port, *args, **kwargs):
        if host != "rebind.test":
            return real_getaddrinfo(host, port, *args, **kwargs)
        state["lookups"] += 1
        address = FAKE_PUBLIC if state["lookups"] <= state["public_answers"] else "127.0.0.1"
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, int(port or 80)))]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return state


@pytest.fixture
def operator(make_token, make_wallet) -> str:
    """An operator's raw token; campaigns charge the operator's own wallet."""
    token, raw = make_token("operator")
    make_wallet(owner=token.owner, balance="10")
    return raw


def _port(live_server) -> int:
    return urlsplit(live_server.url).port


def _call(live_server, method, path, body=None, token=None):
    status, raw, headers = http_request(_port(live_server), method, path, body, token=token)
    return status, (json.loads(raw) if raw else None)


REFUSED_HOSTS = ["127.0.0.1", "localhost", "[::1]", "[::ffff:127.0.0.1]", "[::ffff:7f00:1]", "[2002:7f00:1::]",
                 "[64:ff9b::7f00:1]", "0.0.0.0", "10.0.0.1", "169.254.169.254", "[fe80::1]"]


@pytest.mark.parametrize("host", REFUSED_HOSTS)
def test_a_campaign_cannot_point_its_engine_at_loopback_private_or_mapped_addresses(live_server, operator,
                                                                                    canary, host):
    url = f"http://{host}:{canary.port}/spin"
    status, body = _call(live_server, "POST", "/api/v1/fingerprints/campaigns",
                         {"remote_url": url, "target_spins": 5}, token=operator)
    assert status == 400, body
    assert body["error"]["code"] == "VALIDATION_ERROR" and body["error"]["details"]["field"] == "remote_url"
    assert body["error"]["details"]["reason"] in {"private_address", "malformed"}
    assert canary.requests == []


def test_rebinding_cannot_steer_a_campaign_engine_to_loopback(live_server, operator, canary, rebinding_dns,
                                                              no_egress):
    status, body = _call(live_server, "POST", "/api/v1/fingerprints/campaigns",
                         {"remote_url": f"http://rebind.test:{canary.port}/spin", "target_spins": 5}, token=operator)
    assert status == 202, body  # checked once: the name was public then
    status, campaign = _call(live_server, "GET", f"/api/v1/fingerprints/campaigns/{body['id']}", token=operator)
    assert campaign["status"] == "paused" and campaign["status_reason"] == "ENGINE_UNAVAILABLE"
    assert campaign["error"] == "remote engine refused: private_address"
    assert canary.requests == [] and ("127.0.0.1", canary.port) not in no_egress


def test_rebinding_cannot_steer_a_webhook_to_loopback(live_server, make_token, make_wallet, canary, rebinding_dns,
                                                      no_egress):
    """Registration and the delivery's own check each see the public answer; the connect must not look
    the name up a third time (on today's main it did, and reached the canary)."""
    rebinding_dns["public_answers"] = 2
    from games_app.services import game_load

    game_load(data=TEST_GAME)
    token, raw = make_token("agent")
    wallet = make_wallet(owner=token.owner, balance="100")
    status, hook = _call(live_server, "POST", "/api/v1/rl/hooks",
                         {"url": f"http://rebind.test:{canary.port}/hook", "events": ["step"]}, token=raw)
    assert status == 201, hook
    status, session = _call(live_server, "POST", "/api/v1/sessions", {"game": "test-fruit", "wallet": wallet.pk},
                            token=raw)
    assert status == 201, session
    for action in ({"type": "initialize"}, {"type": "place_bet", "amount": "1"}, {"type": "spin"}):
        status, body = _call(live_server, "POST", f"/api/v1/sessions/{session['id']}/action", action, token=raw)
        assert status == 200, body
    status, deliveries = _call(live_server, "GET", f"/api/v1/rl/hooks/{hook['id']}/deliveries", token=raw)
    assert status == 200 and deliveries["results"], deliveries
    assert all(d["status"] != "succeeded" for d in deliveries["results"])
    assert canary.requests == [] and ("127.0.0.1", canary.port) not in no_egress


def test_connection_failures_read_the_same_whatever_is_behind_the_port(live_server, operator, settings):
    """In development (loopback allowed) an operator can point engines at local ports: the recorded error
    must not tell a closed port from an open one that is not an engine (no port scanning)."""
    settings.REMOTE_ENGINE_ALLOW_PRIVATE = True
    listener = socket.create_server(("127.0.0.1", 0))  # accepts, then closes without a word
    closed = socket.create_server(("127.0.0.1", 0))
    closed_port = closed.getsockname()[1]
    closed.close()
    stop = threading.Event()

    def drop_connections():
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
                conn.close()
            except OSError:
                continue

    thread = threading.Thread(target=drop_connections, daemon=True)
    thread.start()
    errors = []
    try:
        for port in (closed_port, listener.getsockname()[1]):
            status, body = _call(live_server, "POST", "/api/v1/fingerprints/campaigns",
                                 {"remote_url": f"http://127.0.0.1:{port}/spin", "target_spins": 5}, token=operator)
            assert status == 202, body
            _, campaign = _call(live_server, "GET", f"/api/v1/fingerprints/campaigns/{body['id']}", token=operator)
            errors.append((campaign["status_reason"], campaign["error"]))
    finally:
        stop.set()
        thread.join(timeout=5)
        listener.close()
    assert errors[0] == errors[1] == ("ENGINE_UNAVAILABLE", "remote engine unreachable: the target could not be reached")


def test_redirects_are_not_followed(live_server, operator, settings, canary):
    settings.REMOTE_ENGINE_ALLOW_PRIVATE = True
    redirector = ThreadingHTTPServer(("127.0.0.1", 0), _redirect_handler(f"http://127.0.0.1:{canary.port}/spin"))
    thread = threading.Thread(target=redirector.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        status, body = _call(live_server, "POST", "/api/v1/fingerprints/campaigns",
                             {"remote_url": f"http://127.0.0.1:{redirector.server_address[1]}/spin",
                              "target_spins": 5}, token=operator)
        assert status == 202, body
        _, campaign = _call(live_server, "GET", f"/api/v1/fingerprints/campaigns/{body['id']}", token=operator)
    finally:
        redirector.shutdown()
        redirector.server_close()
    assert campaign["error"] == "remote engine answered HTTP 303"
    assert canary.requests == []


def _redirect_handler(location: str):
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            self.send_response(303)
            self.send_header("Location", location)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    return Handler


# --- the reference engine in production ---------------------------------------------------------
PROXY_HTTPS = {"X-Forwarded-Proto": "https"}  # as the local TLS-terminating proxy sends it


@pytest.fixture(scope="module")
def production_engine(django_db_setup):
    server = Gunicorn(env=server_env(DJANGO_ENV="production", SECRET_KEY="outbound-guard-test-secret-key-0123456789",
                                     ALLOWED_HOSTS="127.0.0.1,localhost", REMOTE_ENGINE_RATE_LIMIT="5/m"), workers=1)
    yield server
    server.stop()


def _spin(server, body, token=None):
    status, raw, headers = http_request(server.port, "POST", "/engines/test-fruit/spin", body, token=token,
                                        headers=PROXY_HTTPS)
    return status, json.loads(raw), headers


def test_the_reference_engine_in_production_wants_a_token_has_a_budget_and_no_scripted_draws(production_engine,
                                                                                             make_token):
    """On today's main 160 anonymous scripted spins read a staff-only reel strip out of this endpoint."""
    from games_app.services import game_load

    game_load(data=TEST_GAME)
    status, body, headers = _spin(production_engine, {"draws": [0, 0, 0]})
    assert status == 401 and body["error"]["code"] == "UNAUTHENTICATED" and "window" not in body
    assert headers["www-authenticate"].startswith("Bearer")
    assert _spin(production_engine, {"seed": "ab" * 32})[0] == 401
    _, staff = make_token("operator")
    status, body, _ = _spin(production_engine, {"draws": [0, 0, 0]}, token=staff)
    assert status == 400 and body["error"]["code"] == "SCRIPTED_DRAWS_DISABLED" and "draw_ranges" not in body
    _, agent = make_token("agent")
    statuses = [_spin(production_engine, {"seed": "ab" * 32}, token=agent)[0] for _ in range(5)]
    assert statuses == [200] * 5  # REMOTE_ENGINE_RATE_LIMIT=5/m, per token
    status, body, headers = _spin(production_engine, {"seed": "cd" * 32}, token=agent)
    assert status == 429 and body["error"]["code"] == "RATE_LIMITED" and int(headers["retry-after"]) >= 1
