"""HTTP load benchmark: real gunicorn workers on PostgreSQL + Redis, N concurrent clients.

    .venv/bin/python bench/load.py                      # 8 clients, 20 s per scenario, all scenarios
    .venv/bin/python bench/load.py --clients 32 --seconds 10 --scenarios spin,batch
    .venv/bin/python bench/load.py --scenarios batch --batch-size 1000 --worker-class gthread --threads 4
    .venv/bin/python bench/load.py --code-root /path/to/other/checkout   # serve another checkout's code

What it does (everything on 127.0.0.1, every loop bounded by --seconds):
1. creates the database (default royale_load), migrates it and runs seed_demo;
2. creates one agent token per client (rate limit raised so the bench measures the API, not the
   limiter), a funded wallet (cost_per_spin 0.01, so every spin writes stake + fee ledger rows),
   and a funded A2A channel;
3. starts gunicorn (gunicorn.conf.py's defaults, or --workers, --worker-class, --threads) with
   REDIS_URL pointing at a Redis DB number, so the per-token rate limit and the idempotency locks
   live in the shared cache as in production; then, over HTTP, a playing session per client for v1
   single spins and one for v2 batches (so the same script drives checkouts whose services differ);
4. runs each scenario with --clients threads, one token each: every client first makes its
   setup, then all wait at a barrier and the clock starts; each loops until --seconds have passed:
   `spin` (v1 single spin), `batch` (v2, --batch-size spins per request), `coinflip` and `slots`
   (A2A commit + reveal);
5. prints throughput, p50/p95/p99 latency per action and the error count (every non-2xx answer,
   refused or reset connection, and a client thread that died, counts), closes the channels, stops
   gunicorn and runs audit_ledger + audit_channels.

The client threads share the 2 cores with gunicorn and Postgres; a client costs ~0.2 ms of CPU
per request, which is part of what the figures include.
"""
import argparse
import http.client
import json
import os
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections import defaultdict
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
SCENARIOS = ("spin", "batch", "coinflip", "slots")
GAME = "fruit-low"
BET = "0.1"
A2A_BET = "0.001"


# --------------------------------------------------------------------------------------------
# setup


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def ensure_database(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin_url = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is None:
            conn.execute(f'CREATE DATABASE "{name}"')


def manage(env: dict, code_root: Path, *args: str) -> None:
    subprocess.run([PYTHON, "manage.py", *args], cwd=code_root, env=env, check=True, stdout=subprocess.DEVNULL,
                   timeout=300)


def create_fixtures(clients: int) -> list[dict]:
    """Per client: its own agent token and a funded wallet (in-process ORM; sessions come over HTTP)."""
    import django

    django.setup()
    from core.services import token_create
    from wallet_app import services as wallet_services

    run = secrets.token_hex(3)
    fixtures = []
    for index in range(clients):
        name = f"bench-{run}-{index}"
        token, raw = token_create(name=name, role="agent", owner_username=name, rate_limit="1000000/m")
        wallet = wallet_services.wallet_create(owner=token.owner, cost_per_spin=Decimal("0.01"))
        wallet_services.deposit(wallet_id=wallet.pk, amount=Decimal("1000000"), reference="bench")
        fixtures.append({"raw": raw, "wallet": wallet.pk, "address": "0x" + secrets.token_hex(20)})
    from django.db import connection

    connection.close()
    return fixtures


def playing_session(port: int, fx: dict) -> int:
    status, raw = request(port, "POST", "/api/v1/sessions", {"game": GAME, "wallet": fx["wallet"]}, fx["raw"])
    if status != 201:
        raise SystemExit(f"session create failed: {status} {raw[:300]!r}")
    session_id = json.loads(raw)["id"]
    for action in ({"type": "initialize"}, {"type": "place_bet", "amount": BET}):
        status, raw = request(port, "POST", f"/api/v1/sessions/{session_id}/action", action, fx["raw"])
        if status != 200:
            raise SystemExit(f"{action['type']} failed: {status} {raw[:300]!r}")
    return session_id


def start_gunicorn(*, port: int, env: dict, workers: int | None, worker_class: str | None, threads: int | None,
                   code_root: Path,
                   log_path: Path) -> subprocess.Popen:
    log = open(log_path, "ab")
    options = [f"--{name}={value}" for name, value in (("workers", workers), ("worker-class", worker_class),
                                                       ("threads", threads)) if value is not None]
    process = subprocess.Popen(
        [str(Path(PYTHON).with_name("gunicorn")), "casino_project.wsgi:application", "--bind", f"127.0.0.1:{port}",
         *options, "--config", "casino_project/gunicorn.conf.py"],
        cwd=code_root, env=env, stdout=log, stderr=log, start_new_session=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"gunicorn exited early; see {log_path}")
        try:
            status, _ = request(port, "GET", "/health/ready")
            if status == 200:
                return process
        except OSError:
            pass
        time.sleep(0.2)
    stop(process)
    raise SystemExit(f"gunicorn did not become ready; see {log_path}")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)


# --------------------------------------------------------------------------------------------
# client


def request(port: int, method: str, path: str, body: dict | None = None, token: str | None = None,
            timeout: float = 30) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def a2a(port: int, token: str, content: dict) -> tuple[int, dict]:
    status, raw = request(port, "POST", "/api/a2a/casino", {
        "version": "0.3.0", "from": {"name": "bench"},
        "message": {"contentType": "application/json", "content": content}}, token=token)
    return status, json.loads(raw)["message"]["content"]


class Recorder:
    def __init__(self):
        self.lock = threading.Lock()
        self.latencies: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, int] = defaultdict(int)
        self.samples: dict[str, list[str]] = defaultdict(list)

    def died(self, action: str, exc: BaseException) -> None:
        with self.lock:
            self.errors[f"{action}: client died"] += 1
            self.latencies.setdefault(f"{action}: client died", [])
            self.samples[f"{action}: client died"].append(repr(exc)[:200])

    def timed(self, action: str, call):
        started = time.perf_counter()
        try:
            status, payload = call()
        except Exception as exc:  # a refused or reset connection is an error, not a crash of the bench
            status, payload = 0, repr(exc)
        elapsed = time.perf_counter() - started
        with self.lock:
            self.latencies[action].append(elapsed)
            if not 200 <= status < 300:
                self.errors[action] += 1
                if len(self.samples[action]) < 3:
                    self.samples[action].append(f"{status} {str(payload)[:200]}")
        return status, payload


def run_scenario(name: str, *, port: int, fixtures: list[dict], seconds: float,
                 batch_size: int) -> tuple[Recorder, float]:
    recorder = Recorder()
    clock: dict[str, float] = {}

    def start_clock() -> None:
        clock.update(deadline=time.monotonic() + seconds, started=time.perf_counter())

    # The clock starts when the last client has made its setup and reached the barrier.
    start = threading.Barrier(len(fixtures) + 1, action=start_clock)

    def spin(fx):
        path = f"/api/v1/sessions/{fx['spin_session']}/action"
        start.wait()
        while time.monotonic() < clock["deadline"]:
            recorder.timed("spin (v1)", lambda: request(port, "POST", path, {"type": "spin"}, fx["raw"]))

    def batch(fx):
        path = f"/api/v2/sessions/{fx['batch_session']}/actions"
        body = {"actions": [{"type": "spin"}] * batch_size}
        start.wait()
        while time.monotonic() < clock["deadline"]:
            recorder.timed(f"batch of {batch_size} (v2)", lambda: request(port, "POST", path, body, fx["raw"]))

    def game(kind: str):
        def play(fx):
            commit = {"action": f"{kind}_commit", "stealthAddress": fx["address"], "betAmount": A2A_BET}
            if kind == "coinflip":
                commit["choice"] = "heads"
            start.wait()
            while time.monotonic() < clock["deadline"]:
                status, _ = recorder.timed(f"{kind}_commit", lambda: a2a(port, fx["raw"], commit))
                if status != 200:
                    continue
                reveal = {"action": f"{kind}_reveal", "stealthAddress": fx["address"], "agentSeed": secrets.token_hex(8)}
                recorder.timed(f"{kind}_reveal", lambda: a2a(port, fx["raw"], reveal))
        return play

    target = {"spin": spin, "batch": batch, "coinflip": game("coinflip"), "slots": game("slots")}[name]

    def client(fx):
        try:
            target(fx)
        except BaseException as exc:  # noqa: BLE001 - a dead client is an error in the report, not a silent gap
            recorder.died(name, exc)
            start.abort()

    threads = [threading.Thread(target=client, args=(fx,), daemon=True) for fx in fixtures]
    for thread in threads:
        thread.start()
    try:
        start.wait(timeout=120)
    except threading.BrokenBarrierError:
        start_clock()
    for thread in threads:
        thread.join(timeout=seconds + 120)
    if any(thread.is_alive() for thread in threads):
        recorder.died(name, TimeoutError("a client was still running 120 s after the deadline"))
    return recorder, time.perf_counter() - clock["started"]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def report(name: str, recorder: Recorder, elapsed: float, batch_size: int) -> list[dict]:
    rows = []
    for action, values in recorder.latencies.items():
        ms = [v * 1000 for v in values] or [0.0]
        row = {"scenario": name, "action": action, "requests": len(values), "rps": len(values) / elapsed,
               "p50": percentile(ms, 50), "p95": percentile(ms, 95), "p99": percentile(ms, 99),
               "mean": statistics.fmean(ms), "errors": recorder.errors.get(action, 0)}
        if action.startswith("batch"):
            row["spins_per_s"] = (len(values) - row["errors"]) * batch_size / elapsed
        rows.append(row)
        for sample in recorder.samples.get(action, []):
            print(f"  error sample [{action}]: {sample}")
    return rows


def print_table(rows: list[dict]) -> None:
    print(f"\n{'action':<22}{'requests':>9}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'errors':>8}")
    for row in rows:
        extra = f"   ({row['spins_per_s']:.0f} spins/s)" if "spins_per_s" in row else ""
        print(f"{row['action']:<22}{row['requests']:>9}{row['rps']:>9.1f}{row['p50']:>9.1f}{row['p95']:>9.1f}"
              f"{row['p99']:>9.1f}{row['errors']:>8}{extra}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=20, help="duration of each scenario")
    parser.add_argument("--scenarios", default=",".join(SCENARIOS))
    parser.add_argument("--workers", type=int, help="default: gunicorn.conf.py's (one per core)")
    parser.add_argument("--worker-class", choices=("sync", "gthread"), help="default: gunicorn.conf.py's (gthread)")
    parser.add_argument("--threads", type=int, help="threads per gthread worker (default: gunicorn.conf.py's, 4)")
    parser.add_argument("--batch-size", type=int, default=100, help="spins per v2 batch request (1-1000)")
    parser.add_argument("--code-root", type=Path, default=ROOT,
                        help="the checkout whose code gunicorn serves and migrates (default: this one)")
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL",
                                                                 "postgres://postgres@127.0.0.1:5432/royale_load"))
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13"))
    parser.add_argument("--log-level", default="INFO", help="server LOG_LEVEL (INFO writes one access line per request)")
    parser.add_argument("--json", help="also write the rows to this file")
    args = parser.parse_args()
    scenarios = [s for s in args.scenarios.split(",") if s]
    unknown = set(scenarios) - set(SCENARIOS)
    if unknown:
        parser.error(f"unknown scenarios: {', '.join(sorted(unknown))}")
    if not 1 <= args.clients <= 256 or not 0 < args.seconds <= 600:
        parser.error("--clients must be 1-256 and --seconds 0-600")
    if not 1 <= args.batch_size <= 1000 or not 1 <= (args.threads or 1) <= 64 or not 1 <= (args.workers or 1) <= 32:
        parser.error("--batch-size must be 1-1000, --threads 1-64, --workers 1-32")
    code_root = args.code_root.resolve()

    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "casino_project.settings", "DATABASE_URL": args.database_url,
           "REDIS_URL": args.redis_url, "DEBUG": "false", "LOG_LEVEL": args.log_level,
           "A2A_ANONYMOUS_CHANNELS_PER_IP": "100000", "PYTHONPATH": str(code_root)}
    os.environ.update({k: env[k] for k in ("DJANGO_SETTINGS_MODULE", "DATABASE_URL", "REDIS_URL", "DEBUG")})
    os.environ["LOG_LEVEL"] = "WARNING"
    sys.path.insert(0, str(code_root))
    os.chdir(code_root)  # Celery's loader puts the working directory first on sys.path when Django starts
    server_kind = (f"gunicorn --workers {args.workers or 'default'} --worker-class {args.worker_class or 'default'} "
                   f"--threads {args.threads or 'default'}")
    print(f"machine: {os.cpu_count()} cores, {cpu_model()}, load average {os.getloadavg()[0]:.1f}; code {code_root}; "
          f"database {urlsplit(args.database_url).path[1:]}, {server_kind}, {args.clients} clients, "
          f"{args.seconds:g} s per scenario", flush=True)
    ensure_database(args.database_url)
    manage(env, code_root, "migrate", "--noinput")
    manage(env, code_root, "seed_demo")
    fixtures = create_fixtures(args.clients)

    port = free_port()
    log_path = Path("/tmp") / f"bench-gunicorn-{port}.log"
    server = start_gunicorn(port=port, env=env, workers=args.workers, worker_class=args.worker_class,
                            threads=args.threads, code_root=code_root, log_path=log_path)
    rows = []
    try:
        for fx in fixtures:
            fx["spin_session"], fx["batch_session"] = playing_session(port, fx), playing_session(port, fx)
        if {"coinflip", "slots"} & set(scenarios):
            for fx in fixtures:
                status, content = a2a(port, fx["raw"], {"action": "open_channel", "stealthAddress": fx["address"],
                                                        "agentDeposit": "10", "casinoDeposit": "10"})
                if status != 200:
                    raise SystemExit(f"open_channel failed: {status} {content}")
        for name in scenarios:
            # A short warm-up so the first requests' imports and connections are not measured.
            run_scenario(name, port=port, fixtures=fixtures, seconds=min(2.0, args.seconds / 5),
                         batch_size=args.batch_size)
            recorder, elapsed = run_scenario(name, port=port, fixtures=fixtures, seconds=args.seconds,
                                             batch_size=args.batch_size)
            rows += report(name, recorder, elapsed, args.batch_size)
        if {"coinflip", "slots"} & set(scenarios):
            for fx in fixtures:
                a2a(port, fx["raw"], {"action": "close_channel", "stealthAddress": fx["address"]})
    finally:
        stop(server)
    print_table(rows)
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2))
    for command in ("audit_ledger", "audit_channels"):
        result = subprocess.run([PYTHON, "manage.py", command], cwd=code_root, env={**env, "LOG_LEVEL": "WARNING"},
                                capture_output=True, text=True, timeout=600)
        print(f"{command}: {'OK' if result.returncode == 0 else 'FAILED'} {result.stdout.strip()[-200:]}"
              f"{result.stderr.strip()[-400:]}")


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown CPU"


if __name__ == "__main__":
    main()
