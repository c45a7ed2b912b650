"""A live gunicorn on the test database, and the people who attack through it.

Module scope: the server outlives each test's flush (tests here are transactional, so the rows they
make are committed and the server sees them)."""
import json
from decimal import Decimal

import pytest

from core.services import token_create
from games_app.services import game_load
from sessions_app.models import GameplaySession
from tests.reliability.servers import Gunicorn, http_request, server_env
from tests.sessions_app.conftest import TEST_GAME
from wallet_app import services as wallet_services
from wallet_app.models import LedgerEntry, Wallet


@pytest.fixture(scope="module")
def live(django_db_setup):
    server = Gunicorn(env=server_env(RATELIMIT_ENABLE="false"), workers=1)
    try:
        yield server
    finally:
        server.stop()


class Caller:
    """One role's HTTP client on the live server (raw token or anonymous)."""

    def __init__(self, live, name: str, raw: str | None, token=None):
        self.live, self.name, self.raw, self.token = live, name, raw, token

    def call(self, method: str, path: str, body=None) -> tuple[int, dict]:
        status, content, _ = http_request(self.live.port, method, path, body, token=self.raw)
        try:
            data = json.loads(content) if content else {}
        except ValueError:
            data = {"raw": content[:200].decode(errors="replace")}
        return status, data


def error_code(body: dict) -> str | None:
    """The stable error code: v1 wraps it in `error`, v2 answers problem+json with it at the top."""
    return (body.get("error") or {}).get("code") or body.get("code")


@pytest.fixture
def people(live, transactional_db):
    """agent (owns everything below), other (another agent), operator, admin, anonymous."""
    made = {}
    for role, name in (("agent", "agent"), ("agent", "other"), ("operator", "operator"), ("admin", "admin")):
        token, raw = token_create(name=name, role=role, owner_username=f"sec-{name}", rate_limit="100000/m")
        made[name] = Caller(live, name, raw, token)
    made["anonymous"] = Caller(live, "anonymous", None)
    return made


@pytest.fixture
def game(transactional_db):
    version, _ = game_load(data=TEST_GAME)
    return version


def funded_wallet(owner, amount: str = "100") -> Wallet:
    wallet = wallet_services.wallet_create(owner=owner)
    wallet_services.deposit(wallet_id=wallet.pk, amount=Decimal(amount), reference="test:fund")
    return wallet


def playing_session(caller: Caller, game, bet: str = "1") -> int:
    """A session of `caller`'s, initialized and with a bet placed, made over HTTP."""
    wallet = funded_wallet(caller.token.owner)
    status, body = caller.call("POST", "/api/v1/sessions", {"game": game.game.slug, "wallet": wallet.pk})
    assert status == 201, body
    session_id = body["id"]
    assert caller.call("POST", f"/api/v1/sessions/{session_id}/action", {"type": "initialize"})[0] == 200
    assert caller.call("POST", f"/api/v1/sessions/{session_id}/action", {"type": "place_bet", "amount": bet})[0] == 200
    return session_id


def session_snapshot(session_id: int) -> dict:
    """Everything a refused action must leave as it was: the session row, its children, its wallet."""
    session = GameplaySession.objects.get(pk=session_id)
    wallet = Wallet.objects.get(pk=session.wallet_id)
    return {"state": session.state, "bet": session.bet, "nonce": session.nonce, "probes": session.probes,
            "steps": session.steps, "end_reason": session.end_reason, "total_fees": session.total_fees,
            "transitions": session.transitions.count(), "spins": session.spins.count(),
            "balance": wallet.balance, "spent_today": wallet.spent_today,
            "ledger": LedgerEntry.objects.filter(wallet_id=wallet.pk).count()}
