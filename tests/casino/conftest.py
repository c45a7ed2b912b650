import json
import threading
from contextlib import contextmanager

import pytest
from django.db import connection, transaction
from django.test import Client

from games_app.casino.audit import audit_all_channels
from games_app.casino.models import CasinoChannel

ADDRESS = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"
OTHER_ADDRESS = "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359"
URL = "/api/a2a/casino"


@pytest.fixture(autouse=True)
def _casino_settings(settings):
    settings.RATELIMIT_ENABLE = False
    settings.A2A_ALLOW_ANONYMOUS = True


def envelope(action: str | None = None, **content) -> dict:
    if action is not None:
        content = {"action": action, **content}
    return {"version": "0.3.0", "from": {"name": "Anonymous"},
            "message": {"contentType": "application/json", "content": content}}


class A2A:
    """Posts envelopes the way the agent SDK does; `.last` is the raw response."""

    def __init__(self, client: Client, token: str | None = None):
        self.client = client
        self.token = token
        self.last = None

    def raw(self, body, headers: dict | None = None):
        headers = dict(headers or {})
        if self.token:
            headers.setdefault("Authorization", f"Bearer {self.token}")
        data = body if isinstance(body, (str, bytes)) else json.dumps(body)
        self.last = self.client.post(URL, data=data, content_type="application/json", headers=headers)
        return self.last

    def __call__(self, action: str, headers: dict | None = None, **content):
        response = self.raw(envelope(action, **content), headers=headers)
        body = response.json()
        assert body["version"] == "0.3.0" and body["from"] == {"name": "AgentCasino"}
        assert body["message"]["contentType"] == "application/json"
        return response.status_code, body["message"]["content"]

    def ok(self, action: str, **content) -> dict:
        status, reply = self(action, **content)
        assert status == 200, reply
        assert "error" not in reply
        return reply

    def error(self, action: str, code: str, status: int = 400, **content) -> dict:
        got_status, reply = self(action, **content)
        assert reply.get("error") is True and reply["code"] == code, reply
        assert got_status == status, (got_status, reply)
        assert set(reply) == {"error", "code", "message"}
        return reply

    def open(self, address: str = ADDRESS, agent: str = "1", casino: str = "10") -> dict:
        return self.ok("open_channel", stealthAddress=address, agentDeposit=agent, casinoDeposit=casino)


@pytest.fixture
def a2a(db) -> A2A:
    return A2A(Client())


def assert_conserved() -> None:
    for channel in CasinoChannel.objects.all():
        assert channel.agent_deposit + channel.casino_deposit == channel.agent_balance + channel.casino_balance
        assert channel.agent_balance >= 0 and channel.casino_balance >= 0
        assert channel.rounds.count() == channel.nonce
        assert sorted(channel.rounds.values_list("nonce", flat=True)) == list(range(1, channel.nonce + 1))
    assert [(channel.pk, problems) for channel, problems in audit_all_channels()] == []


class _HttpReply:
    def __init__(self, status_code: int, body: bytes, headers):
        self.status_code, self.content, self.headers = status_code, body, headers

    def json(self):
        return json.loads(self.content)


class LiveA2A(A2A):
    """The same calls as `A2A`, over real HTTP to a live server (pytest-django `live_server`)."""

    def __init__(self, base_url: str, token: str | None = None):
        import httpx

        super().__init__(client=None, token=token)
        self.http = httpx.Client(base_url=base_url, timeout=30)

    def raw(self, body, headers: dict | None = None):
        headers = {"content-type": "application/json", **(headers or {})}
        if self.token:
            headers.setdefault("Authorization", f"Bearer {self.token}")
        data = body if isinstance(body, (str, bytes)) else json.dumps(body)
        response = self.http.post(URL, content=data, headers=headers)
        self.last = _HttpReply(response.status_code, response.content, response.headers)
        return self.last

    def close(self) -> None:
        self.http.close()


@pytest.fixture
def live_a2a(live_server):
    """live_a2a(token=None) -> LiveA2A bound to the live server; closed after the test."""
    made = []

    def _make(token: str | None = None) -> LiveA2A:
        made.append(LiveA2A(live_server.url, token=token))
        return made[-1]

    yield _make
    for client in made:
        client.close()


def run_in_threads(worker, count: int, *, join_timeout: float = 180) -> list:
    """worker(i) for i in range(count), in real threads released together by a barrier; the results in order.
    Fails the test if a thread raised or hung. Each thread closes its own database connection."""
    results, errors = [None] * count, []
    barrier = threading.Barrier(count)

    def target(i):
        try:
            barrier.wait(timeout=30)
            results[i] = worker(i)
        except Exception as exc:  # reported below with the thread number
            errors.append((i, repr(exc)))
        finally:
            connection.close()

    threads = [threading.Thread(target=target, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=join_timeout)
    assert not any(thread.is_alive() for thread in threads), "a thread hung"
    assert not errors, errors
    return results


@contextmanager
def held_transaction(work, *, timeout: float = 30):
    """Run work() in a transaction of another thread (its own connection) and keep that transaction open
    while the block runs: what work() locked or wrote stays locked and uncommitted until the block ends.
    Yields what work() returned; fails the test if the thread raised or hung."""
    ready, release, outcome = threading.Event(), threading.Event(), {}

    def holder():
        try:
            with transaction.atomic():
                outcome["value"] = work()
                ready.set()
                assert release.wait(timeout=timeout)
        except Exception as exc:  # reported below
            outcome["error"] = repr(exc)
            ready.set()
        finally:
            connection.close()

    thread = threading.Thread(target=holder)
    thread.start()
    try:
        assert ready.wait(timeout=timeout) and "error" not in outcome, outcome.get("error", "work() hung")
        yield outcome["value"]
    finally:
        release.set()
        thread.join(timeout=timeout)
    assert not thread.is_alive(), "the holding thread hung"
    assert "error" not in outcome, outcome["error"]
