"""Chaos: SIGKILL gunicorn workers and the Celery worker under concurrent load, then prove that
every acknowledged (2xx) request is in the database exactly once and every invariant holds.

Load (threads of HTTP clients, real gunicorn workers, the pytest-django test database, Redis):
- spinners: v1 single spins, each with an Idempotency-Key; a dropped connection or 5xx is retried
  with the same key; some 2xx are deliberately replayed and must come back byte for byte;
- A2A players: funded-channel coinflip commit + reveal and lotto tickets, each with an
  x-idempotency-key, retried the same way;
- Celery: the test enqueues `run_due_lotto_draws` on a Redis broker (draws every 2 s), so lotto
  wins credit channels from the worker while it is being killed.

Faults: the gunicorn workers are SIGKILLed several times (the master forks new ones), the Celery
worker twice (restarted each time). A key whose request died holding its Redis idempotency lock
answers 409 IDEMPOTENCY_KEY_IN_USE until the lock expires: its outcome is unknown to the client,
so it is checked as "applied at most once" instead of "applied".
"""
import json
import random
import threading
import time
import uuid
from collections import defaultdict
from decimal import Decimal

import pytest
from django.db import connection

from core.models import IdempotencyRecord
from core.services import token_create
from games_app.apps import DEMO_GAMES_DIR
from games_app.casino.audit import audit_all_channels
from games_app.casino.models import (CasinoChannel, CasinoLottoDraw, CasinoLottoTicket, CasinoRequest,
                                     CasinoRound)
from games_app.services import game_load
from sessions_app.models import GameplaySession, SessionSpin
from sessions_app.services import session_act, session_create
from tests.reliability.servers import CeleryWorker, Gunicorn, Redis, a2a_envelope, http_request, server_env
from wallet_app import services as wallet_services
from wallet_app.models import LedgerEntry
from wallet_app.selectors import ledger_audit

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

SPINNERS = 4
PLAYERS = 2
LOAD_SECONDS = 24
GUNICORN_KILLS = 4
CELERY_KILLS = 2
REDIS_DB = 11
LOTTO_INTERVAL = 2


class Log:
    """What the clients saw, shared by the client threads."""

    def __init__(self):
        self.lock = threading.Lock()
        self.acked: dict[str, dict] = {}               # idempotency key -> first 2xx body
        self.acked_meta: dict[str, tuple] = {}          # key -> (kind, owner index)
        self.unknown: set[str] = set()                  # keys whose outcome the client never learnt
        self.server_errors: list[str] = []
        self.unexpected: list[str] = []
        self.replay_mismatches: list[str] = []
        self.dropped = 0

    def note(self, attr: str, value: str) -> None:
        with self.lock:
            getattr(self, attr).append(value[:300])


def _send(port, path, body, token, key, key_header):
    return http_request(port, "POST", path, body, token=token, headers={key_header: key}, timeout=20)


def _call(log: Log, port: int, path: str, body: dict, token: str, *, kind: str, owner: int, key_header: str,
          hard_deadline: float) -> dict | None:
    """POST until a definite answer; the same key on every retry. Returns the 2xx body or None."""
    key = uuid.uuid4().hex
    for _ in range(60):
        if time.monotonic() > hard_deadline:
            break
        try:
            status, raw, headers = _send(port, path, body, token, key, key_header)
        except (ConnectionError, OSError):
            with log.lock:
                log.dropped += 1
            time.sleep(0.05)
            continue
        if status >= 500:
            log.note("server_errors", f"{status} {path} {raw[:200]!r}")
            time.sleep(0.05)
            continue
        data = json.loads(raw)
        if kind.startswith("a2a"):
            data = data["message"]["content"]
        if 200 <= status < 300:
            with log.lock:
                log.acked[key], log.acked_meta[key] = data, (kind, owner)
            if random.random() < 0.2:  # a retry of a request that succeeded: same answer, no new effect
                try:
                    status2, raw2, _ = _send(port, path, body, token, key, key_header)
                    if status2 != status or json.loads(raw2) != json.loads(raw):
                        log.note("replay_mismatches", f"{kind} {key}: {status2} {raw2[:200]!r}")
                except (ConnectionError, OSError):
                    pass
            return data
        code = data.get("error", {}).get("code") if not kind.startswith("a2a") else data.get("code")
        if code == "IDEMPOTENCY_KEY_IN_USE":  # its first attempt died holding the lock
            break
        if code in ("PENDING_COMMIT_EXISTS", "COMMIT_NOT_FOUND", "INSUFFICIENT_BALANCE", "MAX_BET_EXCEEDED"):
            return None  # a legal business answer after an earlier unknown outcome
        log.note("unexpected", f"{status} {kind} {raw[:200]!r}")
        return None
    with log.lock:
        log.unknown.add(key)
    return None


def _spinner(log, port, token, session_id, index, deadline, hard_deadline):
    path = f"/api/v1/sessions/{session_id}/action"
    while time.monotonic() < deadline:
        _call(log, port, path, {"type": "spin"}, token, kind="spin", owner=index, key_header="Idempotency-Key",
              hard_deadline=hard_deadline)


def _player(log, port, token, address, index, deadline, hard_deadline):
    def a2a(content, kind):
        return _call(log, port, "/api/a2a/casino", a2a_envelope({"stealthAddress": address, **content}), token,
                     kind=kind, owner=index, key_header="x-idempotency-key", hard_deadline=hard_deadline)

    rounds = 0
    while time.monotonic() < deadline:
        a2a({"action": "coinflip_commit", "betAmount": "0.001", "choice": random.choice(["heads", "tails"])},
            "a2a-commit")
        a2a({"action": "coinflip_reveal", "agentSeed": uuid.uuid4().hex}, "a2a-reveal")
        rounds += 1
        if rounds % 3 == 0:
            a2a({"action": "lotto_buy", "pickedNumber": random.randint(1, 5), "ticketCount": 1}, "a2a-lotto")


@pytest.fixture
def redis_server():
    server = Redis(db=REDIS_DB)
    yield server
    server.stop()


@pytest.fixture
def chaos_env(redis_server):
    return server_env(REDIS_URL=redis_server.url, A2A_LOTTO_DRAW_INTERVAL_SECONDS=str(LOTTO_INTERVAL),
                      A2A_COMMIT_TTL_SECONDS="300")


@pytest.fixture
def gunicorn(chaos_env):
    server = Gunicorn(env=chaos_env, workers=2)
    yield server
    server.stop()


@pytest.fixture
def celery_workers(chaos_env):
    started: list[CeleryWorker] = []

    def start() -> CeleryWorker:
        worker = CeleryWorker(env=chaos_env)
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()


def _fixtures():
    version, _ = game_load(data=json.loads((DEMO_GAMES_DIR / "fruit-low.json").read_text()))
    wallet_services.deposit(wallet_id=wallet_services.house_wallet().pk, amount=Decimal("1000"), reference="chaos")
    spinners, players = [], []
    for index in range(SPINNERS):
        token, raw = token_create(name=f"chaos-spin-{index}", role="agent", owner_username=f"chaos-spin-{index}",
                                  rate_limit="100000/m")
        wallet = wallet_services.wallet_create(owner=token.owner, cost_per_spin=Decimal("0.01"))
        wallet_services.deposit(wallet_id=wallet.pk, amount=Decimal("1000"), reference="chaos")
        session = session_create(actor=token.actor, game_slug=version.game.slug, wallet_id=wallet.pk)
        session_act(session_id=session.pk, actor=token.actor, action={"type": "initialize"})
        session_act(session_id=session.pk, actor=token.actor, action={"type": "place_bet", "amount": "0.1"})
        spinners.append((token, raw, session.pk))
    for index in range(PLAYERS):
        token, raw = token_create(name=f"chaos-a2a-{index}", role="agent", owner_username=f"chaos-a2a-{index}",
                                  rate_limit="100000/m")
        wallet = wallet_services.wallet_create(owner=token.owner)
        wallet_services.deposit(wallet_id=wallet.pk, amount=Decimal("100"), reference="chaos")
        players.append((token, raw, "0x" + uuid.uuid4().hex + uuid.uuid4().hex[:8]))
    return spinners, players


def _celery_app(broker_url):
    from celery import Celery

    # set_as_current=False: otherwise this client app becomes Celery's current app for the rest of the
    # test run, and every later shared_task.delay() would go to this broker instead of running eagerly.
    return Celery("chaos-client", broker=broker_url, set_as_current=False)


def _settled() -> bool:
    return not (CasinoLottoDraw.objects.filter(status=CasinoLottoDraw.Status.OPEN, draw_time__lte=_now()).exists()
                or CasinoLottoDraw.objects.filter(status=CasinoLottoDraw.Status.DRAWN).exists())


def _now():
    from django.utils import timezone

    return timezone.now()


def test_chaos_kill_workers_keeps_every_acknowledged_effect_exactly_once(gunicorn, celery_workers, redis_server):
    spinners, players = _fixtures()
    port = gunicorn.port
    for _, raw, address in players:
        status, body, _ = http_request(port, "POST", "/api/a2a/casino", a2a_envelope(
            {"action": "open_channel", "stealthAddress": address, "agentDeposit": "10", "casinoDeposit": "10"}),
            token=raw)
        assert status == 200, body
    celery = _celery_app(redis_server.url)
    worker = celery_workers()

    log = Log()
    started = time.monotonic()
    deadline, hard_deadline = started + LOAD_SECONDS, started + LOAD_SECONDS + 15
    threads = [threading.Thread(target=_spinner, args=(log, port, raw, session_id, i, deadline, hard_deadline))
               for i, (_, raw, session_id) in enumerate(spinners)]
    threads += [threading.Thread(target=_player, args=(log, port, raw, address, i, deadline, hard_deadline))
                for i, (_, raw, address) in enumerate(players)]
    for thread in threads:
        thread.start()

    killed_gunicorn = killed_celery = 0
    gunicorn_kill_at = [started + 3 + i * (LOAD_SECONDS - 6) / GUNICORN_KILLS for i in range(GUNICORN_KILLS)]
    celery_kill_at = [started + 5, started + 14]
    while time.monotonic() < deadline:
        celery.send_task("games_app.casino.tasks.run_due_lotto_draws")
        now = time.monotonic()
        if gunicorn_kill_at and now >= gunicorn_kill_at[0]:
            gunicorn_kill_at.pop(0)
            assert gunicorn.kill_workers()
            killed_gunicorn += 1
        if celery_kill_at and now >= celery_kill_at[0]:
            celery_kill_at.pop(0)
            worker.kill()
            killed_celery += 1
            time.sleep(0.5)
            worker = celery_workers()
        time.sleep(0.3)
    for thread in threads:
        thread.join(timeout=hard_deadline - time.monotonic() + 5)
    assert not any(thread.is_alive() for thread in threads)
    gunicorn.wait_workers()

    # Let the (restarted) Celery worker finish every due draw, bounded in time.
    settle_deadline = time.monotonic() + 20
    while time.monotonic() < settle_deadline:
        celery.send_task("games_app.casino.tasks.run_due_lotto_draws")
        time.sleep(1.0)
        if _settled() and time.monotonic() > deadline + LOTTO_INTERVAL + 1:
            break
    connection.close()  # see the other processes' commits with a fresh snapshot

    assert killed_gunicorn == GUNICORN_KILLS and killed_celery == CELERY_KILLS
    assert log.server_errors == [], log.server_errors[:5]
    assert log.unexpected == [], log.unexpected[:5]
    assert log.replay_mismatches == [], log.replay_mismatches[:5]
    spins_acked = [key for key, (kind, _) in log.acked_meta.items() if kind == "spin"]
    assert len(spins_acked) > 50, f"too little load got through: {len(spins_acked)} spins"

    draws = CasinoLottoDraw.objects.exclude(status=CasinoLottoDraw.Status.OPEN).count()
    wins = CasinoRound.objects.filter(kind=CasinoRound.Kind.LOTTO_WIN).count()
    print(f"\nchaos: {len(log.acked)} acknowledged, {len(log.unknown)} unknown, {log.dropped} dropped connections, "
          f"{killed_gunicorn} gunicorn kills, {killed_celery} celery kills, {draws} draws by Celery, {wins} lotto wins")
    assert draws > 0, "the Celery worker drew nothing"
    _check_sessions(log, spinners)
    _check_channels(log, players)
    assert _settled(), "Celery left due lotto draws undrawn or unsettled"
    audit = ledger_audit()
    assert audit.ok, audit.mismatches[:5]
    assert list(audit_all_channels()) == []


def _check_sessions(log: Log, spinners) -> None:
    acked_by_owner = defaultdict(dict)
    for key, (kind, owner) in log.acked_meta.items():
        if kind == "spin":
            acked_by_owner[owner][key] = log.acked[key]
    for index, (token, _, session_id) in enumerate(spinners):
        session = GameplaySession.objects.get(pk=session_id)
        spins = {spin.nonce: spin for spin in SessionSpin.objects.filter(session_id=session_id)}
        assert sorted(spins) == list(range(1, session.nonce + 1)), "spin nonces are not gap-free"
        assert session.total_spins == session.nonce

        # Every acknowledged spin is in the database, with its ledger rows, under its own nonce.
        acked = acked_by_owner[index]
        nonces = [body["nonce"] for body in acked.values()]
        assert len(nonces) == len(set(nonces)), "two acknowledged requests got the same spin"
        for body in acked.values():
            spin = spins.get(body["nonce"])
            assert spin is not None, f"acknowledged spin {body['nonce']} of session {session_id} is missing"
            assert Decimal(body["balance_after"]) == spin.balance_after
            kinds = dict(LedgerEntry.objects.filter(reference=f"session:{session_id}:spin:{body['nonce']}")
                         .values_list("kind", "amount"))
            assert kinds.get("stake") == -spin.stake and kinds.get("spin_fee") == -spin.fee
            assert kinds.get("payout", Decimal(0)) == spin.payout

        # No request applied twice: every spin row belongs to exactly one stored idempotency key,
        # and the keys the clients never heard back about account for every spin not acknowledged.
        records = IdempotencyRecord.objects.filter(token=token, response_status=200)
        stored = {record.key: json.loads(bytes(record.response_body))["nonce"] for record in records}
        assert sorted(stored.values()) == sorted(spins), "a spin without exactly one idempotency record"
        assert set(acked) <= set(stored)
        assert set(stored) - set(acked) <= log.unknown


def _check_channels(log: Log, players) -> None:
    for index, (token, _, address) in enumerate(players):
        channel = CasinoChannel.objects.get(scope=f"user:{token.owner_id}", agent_address=address.lower())
        rounds = {r.nonce: r for r in CasinoRound.objects.filter(channel=channel)}
        assert sorted(rounds) == list(range(1, channel.nonce + 1))
        for key, (kind, owner) in log.acked_meta.items():
            if owner != index or kind not in ("a2a-reveal", "a2a-lotto"):
                continue
            body = log.acked[key]
            round_ = rounds.get(body["nonce"])
            assert round_ is not None, f"acknowledged {kind} at nonce {body['nonce']} is missing"
            assert round_.agent_balance_after == Decimal(body["agentBalance"])
            if kind == "a2a-reveal":
                assert round_.payout == Decimal(body["payout"])
            else:
                assert CasinoLottoTicket.objects.filter(channel=channel, request_id=round_.request_id).count() == 1
        # One stored request per header key: a retried key never ran twice.
        keys = list(CasinoRequest.objects.filter(channel=channel, key__startswith="h:").values_list("key", flat=True))
        assert len(keys) == len(set(keys))
        acked_keys = {"h:" + key for key, (kind, owner) in log.acked_meta.items()
                      if owner == index and kind.startswith("a2a")}
        assert acked_keys <= set(keys)
