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
3. starts gunicorn (gunicorn.conf.py's defaults, or --workers, --worker-class, --threads; --server uwsgi,
   uwsgi-router or granian: that server, installed by hand, with the same workers and threads) with
   REDIS_URL pointing at a Redis DB number, so the per-token rate limit and the idempotency locks
   live in the shared cache as in production; then, over HTTP, a playing session per client for v1
   single spins and one for v2 batches (so the same script drives checkouts whose services differ);
4. runs each scenario with --clients client processes (forked, so they do not share one interpreter
   lock), one token and one kept-alive HTTP/1.1 connection each (--no-keep-alive: a connection per
   request); all wait at a barrier, then the clock starts; each loops until --seconds have passed:
   `spin` (v1 single spin), `batch` (v2, --batch-size spins per request), `coinflip` and `slots`
   (A2A commit + reveal);
5. prints throughput, p50/p95/p99 latency per action and the error count (every non-2xx answer,
   refused or reset connection, and a client thread that died, counts), closes the channels, stops
   gunicorn and runs audit_ledger + audit_channels.

The clients share the cores with gunicorn and Postgres; what they cost is part of what the figures
include (with kept-alive connections, ~0.1 ms of CPU per request and no TCP set-up or teardown).
"""
import argparse
import http.client
import json
import multiprocessing
import os
import queue
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


def server_command(*, server: str, port: int, workers: int | None, worker_class: str | None,
                   threads: int | None) -> list[str]:
    """The command line of the WSGI server under test (same worker and thread counts for every kind)."""
    bin_dir = Path(PYTHON).parent
    if server == "gunicorn":
        options = [f"--{name}={value}" for name, value in (("workers", workers), ("worker-class", worker_class),
                                                           ("threads", threads)) if value is not None]
        return [str(bin_dir / "gunicorn"), "casino_project.wsgi:application", "--bind", f"127.0.0.1:{port}",
                *options, "--config", "casino_project/gunicorn.conf.py"]
    # Not requirements: installed by hand for a comparison (pip install pyuwsgi==2.0.30.post1 granian==2.8.7).
    if not (bin_dir / server.split("-")[0]).exists():
        raise SystemExit(f"{server} is not installed in {bin_dir}")
    workers, threads = workers or 2 * os.cpu_count(), threads or 2
    # uWSGI's own HTTP router process in front of the workers (keep-alive handled in C, off the workers).
    if server == "uwsgi-router":
        return [str(bin_dir / "uwsgi"), "--http", f"127.0.0.1:{port}", "--http-keepalive", "--module",
                "casino_project.wsgi:application", "--master", "--processes", str(workers), "--threads", str(threads),
                "--need-app", "--die-on-term", "--disable-logging", "--listen", "128"]
    # --http11-socket: each worker thread parses HTTP itself, but keeps a kept-alive connection to itself until
    # the socket timeout (4 s), so more clients than threads wait: measured, not a production option.
    if server == "uwsgi":
        return [str(bin_dir / "uwsgi"), "--http11-socket", f"127.0.0.1:{port}", "--module",
                "casino_project.wsgi:application", "--master", "--processes", str(workers), "--threads", str(threads),
                "--need-app", "--die-on-term", "--disable-logging", "--so-keepalive", "--listen", "128"]
    return [str(bin_dir / "granian"), "--interface", "wsgi", "--host", "127.0.0.1", "--port", str(port),
            "--workers", str(workers), "--blocking-threads", str(threads), "--no-ws", "--log-level", "warning",
            "casino_project.wsgi:application"]


def start_server(*, server: str, port: int, env: dict, workers: int | None, worker_class: str | None,
                 threads: int | None, code_root: Path, log_path: Path) -> subprocess.Popen:
    log = open(log_path, "ab")
    process = subprocess.Popen(
        server_command(server=server, port=port, workers=workers, worker_class=worker_class, threads=threads),
        cwd=code_root, env=env, stdout=log, stderr=log, start_new_session=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{server} exited early; see {log_path}")
        try:
            status, _ = request(port, "GET", "/health/ready")
            if status == 200:
                return process
        except OSError:
            pass
        time.sleep(0.2)
    stop(process)
    raise SystemExit(f"{server} did not become ready; see {log_path}")


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


class Connection:
    """One client's HTTP/1.1 connection, kept alive across its requests as an SDK's session would be
    (reopened after the server closes it; a request that fails is an error, never retried: a spin is not
    idempotent).

    A minimal client on a plain socket: it writes the request in one send and reads a response framed by
    Content-Length (what the server sends; anything else is an error). http.client parses every response's
    headers with the email package, which made the clients a noticeable share of the host's CPU."""

    def __init__(self, port: int, keep_alive: bool, timeout: float = 30):
        self.port, self.keep_alive, self.timeout = port, keep_alive, timeout
        self.sock: socket.socket | None = None
        self.buffer = b""

    def request(self, method: str, path: str, body: bytes | None, token: str) -> tuple[int, bytes]:
        body = body or b""
        head = (f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\nContent-Type: application/json\r\n"
                f"Authorization: Bearer {token}\r\nContent-Length: {len(body)}\r\n"
                f"{'' if self.keep_alive else 'Connection: close' + chr(13) + chr(10)}\r\n")
        try:
            if self.sock is None:
                self.sock = socket.create_connection(("127.0.0.1", self.port), timeout=self.timeout)
                self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                self.buffer = b""
            self.sock.sendall(head.encode() + body)
            status, headers, payload = self._read_response()
        except Exception:
            self.close()
            raise
        if not self.keep_alive or headers.get(b"connection", b"").lower() == b"close":
            self.close()
        return status, payload

    def _read_response(self) -> tuple[int, dict[bytes, bytes], bytes]:
        while b"\r\n\r\n" not in self.buffer:
            self._receive()
        head, _, self.buffer = self.buffer.partition(b"\r\n\r\n")
        status_line, *header_lines = head.split(b"\r\n")
        status = int(status_line.split(b" ", 2)[1])
        headers = {}
        for line in header_lines:
            name, _, value = line.partition(b":")
            headers[name.strip().lower()] = value.strip()
        if b"content-length" not in headers:
            raise ConnectionError(f"a response without Content-Length ({status}): not supported by this client")
        length = int(headers[b"content-length"])
        while len(self.buffer) < length:
            self._receive()
        payload, self.buffer = self.buffer[:length], self.buffer[length:]
        return status, headers, payload

    def _receive(self) -> None:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("the server closed the connection")
        self.buffer += chunk

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
            self.sock = None


class Recorder:
    """One client's latencies, errors and error samples; merged across clients by the parent."""

    def __init__(self):
        self.latencies: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, int] = defaultdict(int)
        self.samples: dict[str, list[str]] = defaultdict(list)

    def died(self, action: str, exc: BaseException) -> None:
        self.errors[f"{action}: client died"] += 1
        self.latencies.setdefault(f"{action}: client died", [])
        self.samples[f"{action}: client died"].append(repr(exc)[:200])

    def timed(self, action: str, call):
        started = time.perf_counter()
        try:
            status, payload = call()
        except Exception as exc:  # a refused or reset connection is an error, not a crash of the bench
            status, payload = 0, repr(exc)
        self.latencies[action].append(time.perf_counter() - started)
        if not 200 <= status < 300:
            self.errors[action] += 1
            if len(self.samples[action]) < 3:
                self.samples[action].append(f"{status} {str(payload)[:200]}")
        return status, payload

    def merge(self, other: "Recorder") -> None:
        for action, values in other.latencies.items():
            self.latencies[action].extend(values)
        for action, count in other.errors.items():
            self.errors[action] += count
        for action, samples in other.samples.items():
            self.samples[action].extend(samples[:3 - len(self.samples[action])])


def _client_loop(name: str, fx: dict, *, port: int, seconds: float, batch_size: int, keep_alive: bool) -> Recorder:
    """What one client does in a scenario once the clock has started: requests until `seconds` have passed."""
    recorder = Recorder()
    connection = Connection(port, keep_alive)
    deadline = time.monotonic() + seconds
    try:
        if name == "spin":
            path, body = f"/api/v1/sessions/{fx['spin_session']}/action", json.dumps({"type": "spin"}).encode()
            while time.monotonic() < deadline:
                recorder.timed("spin (v1)", lambda: connection.request("POST", path, body, fx["raw"]))
        elif name == "batch":
            path = f"/api/v2/sessions/{fx['batch_session']}/actions"
            body = json.dumps({"actions": [{"type": "spin"}] * batch_size}).encode()
            while time.monotonic() < deadline:
                recorder.timed(f"batch of {batch_size} (v2)", lambda: connection.request("POST", path, body, fx["raw"]))
        else:
            commit = {"action": f"{name}_commit", "stealthAddress": fx["address"], "betAmount": A2A_BET}
            if name == "coinflip":
                commit["choice"] = "heads"

            def a2a_call(content: dict) -> tuple[int, dict]:
                status, raw = connection.request("POST", "/api/a2a/casino", json.dumps({
                    "version": "0.3.0", "from": {"name": "bench"},
                    "message": {"contentType": "application/json", "content": content}}).encode(), fx["raw"])
                return status, json.loads(raw)["message"]["content"]

            while time.monotonic() < deadline:
                status, _ = recorder.timed(f"{name}_commit", lambda: a2a_call(commit))
                if status != 200:
                    continue
                reveal = {"action": f"{name}_reveal", "stealthAddress": fx["address"], "agentSeed": secrets.token_hex(8)}
                recorder.timed(f"{name}_reveal", lambda: a2a_call(reveal))
    finally:
        connection.close()
    return recorder


def _client_process(name: str, fx: dict, ready, results, options: dict) -> None:
    recorder = Recorder()
    try:
        ready.wait(timeout=120)  # every client set up: the clock starts for all at once
        recorder = _client_loop(name, fx, **options)
    except BaseException as exc:  # noqa: BLE001 - a dead client is an error in the report, not a silent gap
        recorder.died(name, exc)
    results.put((dict(recorder.latencies), dict(recorder.errors), dict(recorder.samples)))


def run_scenario(name: str, *, port: int, fixtures: list[dict], seconds: float, batch_size: int,
                 keep_alive: bool = True) -> tuple[Recorder, float]:
    """Each client is its own process (forked: no shared interpreter lock with the others or with this one)
    on its own connection. The clock starts when every client is ready and stops when the last one is done."""
    context = multiprocessing.get_context("fork")
    ready = context.Barrier(len(fixtures) + 1)
    results = context.Queue()
    options = {"port": port, "seconds": seconds, "batch_size": batch_size, "keep_alive": keep_alive}
    processes = [context.Process(target=_client_process, args=(name, fx, ready, results, options), daemon=True)
                 for fx in fixtures]
    for process in processes:
        process.start()
    recorder = Recorder()
    try:
        ready.wait(timeout=120)
    except threading.BrokenBarrierError:
        recorder.died(name, TimeoutError("the clients were not ready within 120 s"))
    started = time.perf_counter()
    for _ in processes:
        try:
            latencies, errors, samples = results.get(timeout=seconds + 120)
        except queue.Empty:
            recorder.died(name, TimeoutError("a client was still running 120 s after the deadline"))
            break
        part = Recorder()
        part.latencies.update(latencies), part.errors.update(errors), part.samples.update(samples)
        recorder.merge(part)
    elapsed = time.perf_counter() - started
    for process in processes:
        process.join(timeout=10)
        if process.is_alive():
            process.kill()
    return recorder, elapsed


class CpuMeter:
    """CPU seconds spent during a scenario by the server (gunicorn master and workers), the PostgreSQL backends
    of the benchmark database, and the client processes (reaped children of this process), read from /proc."""

    def __init__(self, server_pid: int, database_url: str):
        self.server_pid, self.database_url = server_pid, database_url

    @staticmethod
    def _seconds(pids: list[int]) -> float:
        ticks = 0
        for pid in pids:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
            except OSError:
                continue  # exited
            ticks += int(fields[11]) + int(fields[12])  # utime, stime
        return ticks / os.sysconf("SC_CLK_TCK")

    def _server_pids(self) -> list[int]:
        try:
            children = Path(f"/proc/{self.server_pid}/task/{self.server_pid}/children").read_text().split()
        except OSError:
            children = []
        return [self.server_pid, *map(int, children)]

    def _database_pids(self) -> list[int]:
        import psycopg

        with psycopg.connect(self.database_url, autocommit=True) as conn:
            return [pid for (pid,) in conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
                                                   " AND pid <> pg_backend_pid()")]

    def snapshot(self) -> dict[str, float]:
        times = os.times()
        return {"server": self._seconds(self._server_pids()), "postgres": self._seconds(self._database_pids()),
                "clients": times.children_user + times.children_system}

    @staticmethod
    def per_request(before: dict[str, float], after: dict[str, float], requests: int) -> str:
        return ", ".join(f"{part} {(after[part] - before[part]) * 1000 / max(requests, 1):.2f}" for part in before)


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
    parser.add_argument("--server", choices=("gunicorn", "uwsgi", "uwsgi-router", "granian"), default="gunicorn",
                        help="the WSGI server under test (uwsgi and granian: same --workers and --threads)")
    parser.add_argument("--workers", type=int, help="default: gunicorn.conf.py's (two per core)")
    parser.add_argument("--worker-class", choices=("sync", "gthread"), help="default: gunicorn.conf.py's (gthread)")
    parser.add_argument("--threads", type=int, help="threads per gthread worker (default: gunicorn.conf.py's, 2)")
    parser.add_argument("--batch-size", type=int, default=100, help="spins per v2 batch request (1-1000)")
    parser.add_argument("--code-root", type=Path, default=ROOT,
                        help="the checkout whose code gunicorn serves and migrates (default: this one)")
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL",
                                                                 "postgres://postgres@127.0.0.1:5432/royale_load"))
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13"))
    parser.add_argument("--log-level", default="INFO", help="server LOG_LEVEL (INFO writes one access line per request)")
    parser.add_argument("--json", help="also write the rows to this file")
    parser.add_argument("--no-keep-alive", action="store_true",
                        help="a new TCP connection per request (default: one kept-alive connection per client)")
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
    server_kind = (f"{args.server} --workers {args.workers or 'default'} --worker-class {args.worker_class or 'default'} "
                   f"--threads {args.threads or 'default'}")
    print(f"machine: {os.cpu_count()} cores, {cpu_model()}, load average {os.getloadavg()[0]:.1f}; code {code_root}; "
          f"database {urlsplit(args.database_url).path[1:]}, {server_kind}, {args.clients} clients, "
          f"{args.seconds:g} s per scenario, {'a connection per request' if args.no_keep_alive else 'kept-alive connections'}",
          flush=True)
    ensure_database(args.database_url)
    manage(env, code_root, "migrate", "--noinput")
    manage(env, code_root, "seed_demo")
    fixtures = create_fixtures(args.clients)

    port = free_port()
    log_path = Path("/tmp") / f"bench-{args.server}-{port}.log"
    server = start_server(server=args.server, port=port, env=env, workers=args.workers, worker_class=args.worker_class,
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
                         batch_size=args.batch_size, keep_alive=not args.no_keep_alive)
            meter = CpuMeter(server.pid, args.database_url)
            before = meter.snapshot()
            recorder, elapsed = run_scenario(name, port=port, fixtures=fixtures, seconds=args.seconds,
                                             batch_size=args.batch_size, keep_alive=not args.no_keep_alive)
            after = meter.snapshot()
            rows += report(name, recorder, elapsed, args.batch_size)
            requests = sum(len(values) for values in recorder.latencies.values())
            print(f"{name}: CPU ms per request: {CpuMeter.per_request(before, after, requests)}; "
                  f"load average {os.getloadavg()[0]:.1f}", flush=True)
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
