"""The whole role x resource x action matrix (SECURITY.md, core.policy.RULES), over HTTP on a live
server on PostgreSQL. Every cell runs on a fresh world owned by `agent`; a refused cell must change
nothing at all."""
from decimal import Decimal

import pytest

from core.models import AdminActionLog, ApiToken
from core.policy import RULES, Act
from core.services import token_create
from rl_app.models import PolicyFeedback, WebhookHook
from sessions_app.models import GameplaySession
from sessions_app.services import session_act, session_create
from tests.security.conftest import Caller, error_code, funded_wallet, session_snapshot
from wallet_app import services as wallet_services
from wallet_app.models import Wallet

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

ROLES = ("agent", "other", "operator", "admin", "anonymous")
OK, CREATED, GONE = 200, 201, 204


class World:
    """A fresh agent (one wallet per currency each) and what it owns: a funded wallet, a session (playing, or
    only initialized), a webhook, a spare token."""
    made = 0

    def __init__(self, people, game, *, session_state: str = "playing", frozen: bool = False):
        World.made += 1
        name = f"owner-{World.made}"
        token, raw = token_create(name=name, role="agent", owner_username=name, rate_limit="100000/m")
        self.agent = Caller(people["agent"].live, "agent", raw, token)
        owner = token.owner
        self.wallet = funded_wallet(owner)
        actor = token.actor
        session = session_create(actor=actor, game_slug=game.game.slug, wallet_id=self.wallet.pk)
        session_act(session_id=session.pk, actor=actor, action={"type": "initialize"})
        if session_state == "playing":
            session_act(session_id=session.pk, actor=actor, action={"type": "place_bet", "amount": "1"})
        self.session = session.pk
        self.hook = WebhookHook.objects.create(owner=owner, url="https://example.com/hook", events=["step"],
                                               secret="s" * 64).pk
        self.spare_token = token_create(name="spare", role="agent", owner=owner)[0]
        if frozen:
            wallet_services.freeze(wallet_id=self.wallet.pk)
        self.game = game.game.slug
        self.owner_name = name

    def snapshot(self) -> dict:
        wallet = Wallet.objects.get(pk=self.wallet.pk)
        hook = WebhookHook.objects.get(pk=self.hook)
        return {"session": session_snapshot(self.session), "sessions": GameplaySession.objects.count(),
                "wallet": (wallet.balance, wallet.frozen, wallet.daily_limit, wallet.cost_per_spin,
                           wallet.cost_per_query), "wallets": Wallet.objects.count(),
                "hook": (hook.secret, hook.previous_secret, hook.active),
                "tokens": ApiToken.objects.count(),
                "spare_revoked": ApiToken.objects.get(pk=self.spare_token.pk).revoked_at,
                "feedback": PolicyFeedback.objects.count(), "admin_log": AdminActionLog.objects.count()}


# name: (method, path, body, world options, expected status for agent, other, operator, admin, anonymous)
MATRIX = {
    "session.read": ("GET", "/api/v1/sessions/{session}", None, {}, (OK, 404, OK, OK, 401)),
    "session.create_from_wallet": ("POST", "/api/v1/sessions", {"game": "{game}", "wallet": "{wallet}"}, {},
                                   (CREATED, 404, 400, 400, 401)),
    "session.spin": ("POST", "/api/v1/sessions/{session}/action", {"type": "spin"}, {}, (OK, 404, 403, 403, 401)),
    "session.place_bet": ("POST", "/api/v1/sessions/{session}/action", {"type": "place_bet", "amount": "2"}, {},
                          (OK, 404, 403, 403, 401)),
    "session.probe": ("POST", "/api/v1/sessions/{session}/action", {"type": "probe", "count": 3},
                      {"session_state": "initialized"}, (OK, 404, 403, 403, 401)),
    "session.cash_out": ("POST", "/api/v1/sessions/{session}/action", {"type": "cash_out"}, {},
                         (OK, 404, 403, 403, 401)),
    "session.abort": ("POST", "/api/v1/sessions/{session}/action", {"type": "abort"}, {}, (OK, 404, 403, 403, 401)),
    "session.batch": ("POST", "/api/v2/sessions/{session}/actions", {"actions": [{"type": "spin"}] * 2}, {},
                      (OK, 404, 403, 403, 401)),
    "session.force_close": ("POST", "/api/v1/sessions/{session}/force_close", {"reason": "matrix"}, {},
                            (403, 404, OK, OK, 401)),
    "session.trace": ("GET", "/api/v1/sessions/{session}/trace", None, {}, (OK, 404, OK, OK, 401)),
    "feedback.create": ("POST", "/api/v1/rl/feedback", {"session": "{session}", "policy_id": "ppo"}, {},
                        (CREATED, 404, 403, 403, 401)),
    "wallet.read": ("GET", "/api/v1/wallets/{wallet}", None, {}, (OK, 404, OK, OK, 401)),
    "wallet.ledger": ("GET", "/api/v1/wallets/{wallet}/ledger", None, {}, (OK, 404, OK, OK, 401)),
    "wallet.withdraw": ("POST", "/api/v1/wallets/{wallet}/operations", {"type": "withdraw", "amount": "1"}, {},
                        (OK, 404, 403, OK, 401)),
    "wallet.deposit": ("POST", "/api/v1/wallets/{wallet}/operations", {"type": "deposit", "amount": "1"}, {},
                       (403, 404, 403, OK, 401)),
    "wallet.set_limits": ("POST", "/api/v1/wallets/{wallet}/operations", {"type": "set_limits", "daily_limit": "5"},
                          {}, (403, 404, 403, OK, 401)),
    "wallet.freeze": ("POST", "/api/v1/wallets/{wallet}/operations", {"type": "freeze"}, {}, (403, 404, OK, OK, 401)),
    "wallet.unfreeze": ("POST", "/api/v1/wallets/{wallet}/operations", {"type": "unfreeze"}, {"frozen": True},
                        (403, 404, 403, OK, 401)),
    "wallet.create_for_agent": ("POST", "/api/v1/wallets", {"owner": "{owner}", "currency": "USD"}, {},
                                (CREATED, 403, CREATED, CREATED, 401)),
    "webhook.read": ("GET", "/api/v1/rl/hooks/{hook}", None, {}, (OK, 404, OK, OK, 401)),
    "webhook.deliveries": ("GET", "/api/v1/rl/hooks/{hook}/deliveries", None, {}, (OK, 404, OK, OK, 401)),
    "webhook.rotate": ("POST", "/api/v1/rl/hooks/{hook}/rotate-secret", {}, {}, (OK, 404, 403, 403, 401)),
    "webhook.deactivate": ("DELETE", "/api/v1/rl/hooks/{hook}", None, {}, (GONE, 404, 403, GONE, 401)),
    "token.create": ("POST", "/api/v1/tokens", {"name": "made", "role": "agent", "owner": "{owner}"}, {},
                     (403, 403, 403, CREATED, 401)),
    "token.revoke": ("POST", "/api/v1/tokens/{spare_prefix}/revoke", None, {}, (403, 403, 403, OK, 401)),
    "campaign.list": ("GET", "/api/v1/fingerprints/campaigns", None, {}, (403, 403, OK, OK, 401)),
    "game.read": ("GET", "/api/v1/games/{game}", None, {}, (OK, OK, OK, OK, 401)),
}


def _fill(value, world: World):
    fields = {"session": world.session, "wallet": world.wallet.pk, "hook": world.hook, "game": world.game,
              "spare_prefix": world.spare_token.prefix, "owner": world.owner_name}
    if isinstance(value, str):
        if value.startswith("{") and value.endswith("}") and value[1:-1] in fields:
            return fields[value[1:-1]]  # keeps ints ints in JSON bodies
        return value.format(**fields)
    if isinstance(value, dict):
        return {key: _fill(item, world) for key, item in value.items()}
    if isinstance(value, list):
        return [_fill(item, world) for item in value]
    return value


@pytest.mark.parametrize("cell", sorted(MATRIX))
def test_matrix(people, game, cell):
    method, path, body, options, expected = MATRIX[cell]
    for role, status_expected in zip(ROLES, expected):
        world = World(people, game, **options)
        before = world.snapshot()
        caller = world.agent if role == "agent" else people[role]
        status, answer = caller.call(method, _fill(path, world), _fill(body, world))
        assert status == status_expected, (cell, role, status, answer)
        if status >= 400:
            assert error_code(answer) in {401: {"UNAUTHENTICATED"}, 403: {"FORBIDDEN"}, 404: {"NOT_FOUND"},
                                          400: {"VALIDATION_ERROR"}}[status], (cell, role, answer)
            assert world.snapshot() == before, (cell, role)
        else:
            assert world.snapshot() != before or method == "GET", (cell, role)
        if cell == "game.read":
            assert ("definition" in answer) == (role in ("operator", "admin")), (role, sorted(answer))


# Every rule of core.policy -> the cell above that walks it, or where else it is walked.
RULE_CELLS = {
    Act.SESSION_CREATE: "session.create_from_wallet", Act.SESSION_READ: "session.read",
    Act.SESSION_PLAY: "session.spin", Act.SESSION_FORCE_CLOSE: "session.force_close",
    Act.WALLET_CREATE: "wallet.create_for_agent", Act.WALLET_READ: "wallet.read",
    Act.WALLET_SPEND: "session.create_from_wallet", Act.WALLET_WITHDRAW: "wallet.withdraw",
    Act.WALLET_DEPOSIT: "wallet.deposit", Act.WALLET_SET_LIMITS: "wallet.set_limits",
    Act.WALLET_FREEZE: "wallet.freeze", Act.WALLET_UNFREEZE: "wallet.unfreeze", Act.TRACE_READ: "session.trace",
    Act.FEEDBACK_CREATE: "feedback.create", Act.FEEDBACK_READ: "tests/rl_app/test_apis.py (a scoped list)",
    Act.WEBHOOK_CREATE: "tests/rl_app/test_webhooks.py (creates for the caller only)",
    Act.WEBHOOK_READ: "webhook.read", Act.WEBHOOK_ROTATE: "webhook.rotate", Act.WEBHOOK_DEACTIVATE: "webhook.deactivate",
    Act.TOKEN_CREATE: "token.create", Act.TOKEN_REVOKE: "token.revoke", Act.GAME_READ_FULL: "game.read",
    Act.GAME_WRITE: "tests/operator_console/test_admin_pages.py (operators cannot add)",
    Act.ENGINE_SCRIPTED_DRAWS: "tests/reliability/test_outbound_guard.py",
    Act.CAMPAIGN_MANAGE: "campaign.list", Act.CONSOLE_DASHBOARD: "tests/security/test_console_roles.py",
    Act.AUDIT_RUN: "tests/security/test_console_roles.py", Act.COMMITS_EXPIRE: "tests/security/test_console_roles.py",
}


def test_every_policy_rule_is_walked():
    assert set(RULE_CELLS) == set(RULES), "a rule of core.policy is walked nowhere"
    for rule, cell in RULE_CELLS.items():
        assert cell in MATRIX or cell.startswith("tests/"), (rule, cell)
