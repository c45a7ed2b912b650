"""A small but complete world: at least three rows in every table the admin shows, made through
the apps' own services (and the A2A endpoint) wherever a service exists."""
from datetime import timedelta
from decimal import Decimal

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.test import Client
from django.utils import timezone

from core.models import IdempotencyRecord
from core.services import admin_action_record
from games_app.casino.services import lotto_current_draw
from games_app.services import game_load
from operator_console.services import operator_login_upsert
from sessions_app.services import session_act, session_create
from tests.casino.conftest import A2A
from tests.sessions_app.conftest import TEST_GAME
from wallet_app import services as wallet_services

ADDRESSES = ["0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
             "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB"]
ROWS = 3


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Console logins have passwords; the production hasher is deliberately slow.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def console_settings(settings):
    settings.RATELIMIT_ENABLE = False
    settings.A2A_ALLOW_ANONYMOUS = True
    return settings


@pytest.fixture
def superuser(db):
    return get_user_model().objects.create_superuser("root", "root@example.com", "root-pw-123")


@pytest.fixture
def operator_user(db):
    user, _ = operator_login_upsert(username="olivia", role="operator", password="operator-pw-123")
    return user


@pytest.fixture
def operator_console_client(operator_user):
    client = Client()
    client.force_login(operator_user)
    return client


@pytest.fixture
def root_client(superuser):
    client = Client()
    client.force_login(superuser)
    return client


class World:
    def __init__(self):
        self.sessions: list[int] = []
        self.wallets: list = []
        self.tokens: list = []


def _play_sessions(world: World, make_token, version) -> None:
    for n in range(ROWS):
        token, raw = make_token("agent", name=f"player-{n}")
        world.tokens.append((token, raw))
        wallet = wallet_services.wallet_create(owner=token.owner)
        wallet_services.deposit(wallet_id=wallet.pk, amount=Decimal("50"), reference="test:fund")
        world.wallets.append(wallet)
        session = session_create(actor=token.actor, game_slug=version.game.slug, wallet_id=wallet.pk)
        world.sessions.append(session.pk)
        session_act(session_id=session.pk, actor=token.actor, action={"type": "initialize"})
        session_act(session_id=session.pk, actor=token.actor, action={"type": "place_bet", "amount": "0.5"})
        for _ in range(2):
            session_act(session_id=session.pk, actor=token.actor, action={"type": "spin"})


def _play_a2a(world: World) -> None:
    token, raw = world.tokens[0]
    a2a = A2A(Client(), token=raw)
    a2a.open(ADDRESSES[0], agent="2", casino="5")
    for i in range(ROWS):
        a2a.ok("slots_commit", stealthAddress=ADDRESSES[0], betAmount="0.001")
        a2a.ok("slots_reveal", stealthAddress=ADDRESSES[0], agentSeed=f"seed-{i}")
        a2a.ok("lotto_buy", stealthAddress=ADDRESSES[0], pickedNumber=i + 1)
    a2a.ok("coinflip_commit", stealthAddress=ADDRESSES[0], betAmount="0.001", choice="heads")
    anonymous = A2A(Client())
    for address in ADDRESSES[1:]:
        anonymous.open(address, agent="1", casino="2")
        anonymous.ok("coinflip_commit", stealthAddress=address, betAmount="0.001", choice="tails")
        anonymous.ok("coinflip_reveal", stealthAddress=address, agentSeed="x")
    anonymous.ok("close_channel", stealthAddress=ADDRESSES[2])


def _rl_rows(world: World) -> None:
    if not apps.is_installed("rl_app"):
        return
    from rl_app.models import PolicyFeedback, WebhookDelivery, WebhookHook

    for n, session_id in enumerate(world.sessions):
        token = world.tokens[n][0]
        PolicyFeedback.objects.create(owner=token.owner, session_id=session_id, policy_id="ppo", policy_version="1")
        hook = WebhookHook.objects.create(owner=token.owner, url=f"http://127.0.0.1:9/hook/{n}", events=["step"],
                                          secret="s")
        WebhookDelivery.objects.create(hook=hook, event="step", session_id=session_id, step_index=0,
                                       payload={"n": n}, status="failed" if n == 0 else "succeeded", attempts=1)


def _fingerprint_rows(version) -> None:
    if not apps.is_installed("fingerprint_app"):
        return
    from fingerprint_app.services import campaign_create

    for _ in range(ROWS):
        campaign_create(game_version=version, target_spins=1000, enqueue=False)


@pytest.fixture
def world(console_settings, make_token, superuser, operator_user) -> World:
    world = World()
    version, _ = game_load(data=TEST_GAME)
    game_load(data={**TEST_GAME, "slug": "test-fruit-2", "name": "Test Fruit 2"})
    game_load(data={**TEST_GAME, "slug": "test-fruit-3", "name": "Test Fruit 3"})
    house = wallet_services.house_wallet()
    wallet_services.deposit(wallet_id=house.pk, amount=Decimal("1000"), reference="test:house")
    _play_sessions(world, make_token, version)
    _play_a2a(world)
    for n, (token, _raw) in enumerate(world.tokens):
        IdempotencyRecord.objects.create(token=token, key=f"key-{n}", request_fingerprint="f" * 64,
                                         response_status=200, response_body=b"{}",
                                         response_content_type="application/json")
    for _ in range(ROWS):
        wallet_services.ledger_audit_run()
        admin_action_record(actor=superuser, action="test", objects=world.wallets)
    _rl_rows(world)
    _fingerprint_rows(version)
    Group.objects.get_or_create(name="auditors")
    interval = timedelta(seconds=console_settings.A2A_LOTTO_DRAW_INTERVAL_SECONDS)
    for n in range(1, ROWS):
        lotto_current_draw(now=timezone.now() + n * interval)
    return world
