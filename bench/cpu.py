"""In-process CPU per request: the WSGI application called directly (no HTTP server, no client threads).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/royale_cpu .venv/bin/python bench/cpu.py [--rounds 300]
    .venv/bin/python bench/cpu.py --compare /path/to/other/checkout [--runs 4]   # A/B/A/B, ratios

Prints, for each request kind, the mean CPU time of this process per request (`time.process_time`:
Python, Django, DRF, psycopg — not PostgreSQL's own CPU) and the wall time beside it:

* `bare view`: GET /health, a plain Django view behind the whole middleware stack (the floor);
* `GET /me`: a DRF view with token authentication and the rate limit;
* `v1 spin`: POST /api/v1/sessions/{id}/action {"type": "spin"};
* `v2 batch N`: POST /api/v2/sessions/{id}/actions with N spins, per request and per spin;
* `A2A round`: POST /api/a2a/casino slots_commit then slots_reveal on a wallet-funded channel (two
  requests: the figure is per round).

The host is shared and noisy, so compare code as ratios within one run: `--compare DIR` runs this
script from this checkout (B) and from DIR (A) alternately, A/B/A/B, each on its own database, and
prints the per-run figures and the median B/A ratio per kind.
"""
import argparse
import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
KINDS = ("bare view", "GET /me", "v1 spin", "v2 batch", "A2A round")


def measure(rounds: int, batch: int, profile: str | None = None, tracing: list[float] | None = None,
            runs: int = 2) -> dict:
    sys.path.insert(0, os.environ.get("BENCH_CODE_ROOT", str(ROOT)))  # --compare runs this file on another checkout
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "casino_project.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ.setdefault("DEBUG", "false")
    os.environ.setdefault("RATELIMIT_ENABLE", "true")
    # As under gunicorn (gunicorn.conf.py): metrics in prometheus_client's multiprocess mode, where every counter
    # and histogram update is also written to a shared file, so the figures include what that costs.
    os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", tempfile.mkdtemp(prefix="cpu-prometheus-"))
    import django

    django.setup()
    from django.core.management import call_command
    from django.core.wsgi import get_wsgi_application

    from core.services import token_create
    from games_app.apps import DEMO_GAMES_DIR
    from wallet_app import services as wallet_services

    call_command("migrate", verbosity=0)
    call_command("load_game", str(DEMO_GAMES_DIR / "fruit-low.json"), verbosity=0)
    token, raw = token_create(name=f"cpu-{time.time_ns()}", role="agent", rate_limit="100000000/m")
    wallet = wallet_services.wallet_create(owner=token.owner, cost_per_spin=Decimal("0.01"))
    wallet_services.deposit(wallet_id=wallet.pk, amount=Decimal("10000000"))
    wallet_services.deposit(wallet_id=wallet_services.house_wallet().pk, amount=Decimal("10000000"))
    application = get_wsgi_application()

    def call(method: str, path: str, body: dict | None = None, expect: str = "200") -> bytes:
        data = json.dumps(body).encode() if body is not None else b""
        environ = {"REQUEST_METHOD": method, "PATH_INFO": path, "QUERY_STRING": "", "SERVER_NAME": "127.0.0.1",
                   "SERVER_PORT": "80", "REMOTE_ADDR": "127.0.0.1", "HTTP_HOST": "127.0.0.1",
                   "HTTP_AUTHORIZATION": f"Bearer {raw}", "CONTENT_TYPE": "application/json",
                   "CONTENT_LENGTH": str(len(data)), "wsgi.input": io.BytesIO(data), "wsgi.url_scheme": "http",
                   "wsgi.errors": sys.stderr, "wsgi.version": (1, 0), "wsgi.multithread": False,
                   "wsgi.multiprocess": True, "wsgi.run_once": False, "SERVER_PROTOCOL": "HTTP/1.1"}
        status = []
        body_out = b"".join(application(environ, lambda s, h, *a: status.append(s)))
        if not status[0].startswith(expect):
            raise SystemExit(f"{method} {path}: {status[0]} {body_out[:300]!r}")
        return body_out

    # The session over the API, so the same script drives checkouts whose service signatures differ.
    session_id = json.loads(call("POST", "/api/v1/sessions", {"game": "fruit-low", "wallet": wallet.pk}, "201"))["id"]
    call("POST", f"/api/v1/sessions/{session_id}/action", {"type": "initialize"})
    call("POST", f"/api/v1/sessions/{session_id}/action", {"type": "place_bet", "amount": "0.1"})

    address, seeds = "0x" + os.urandom(20).hex(), iter(range(10 ** 9))

    def a2a(content: dict) -> bytes:
        return call("POST", "/api/a2a/casino", {"version": "0.3.0", "message": {
            "contentType": "application/json", "content": {"stealthAddress": address, **content}}})

    def a2a_round() -> None:
        a2a({"action": "slots_commit", "betAmount": "0.0001"})
        a2a({"action": "slots_reveal", "agentSeed": f"cpu-{next(seeds)}"})

    a2a({"action": "open_channel", "agentDeposit": "10", "casinoDeposit": "10"})

    requests = {
        "bare view": lambda: call("GET", "/health"),
        "GET /me": lambda: call("GET", "/api/v1/me"),
        "v1 spin": lambda: call("POST", f"/api/v1/sessions/{session_id}/action", {"type": "spin"}),
        "v2 batch": lambda: call("POST", f"/api/v2/sessions/{session_id}/actions", {"actions": [{"type": "spin"}] * batch}),
        "A2A round": a2a_round,
    }
    figures = {}
    for kind, run in requests.items():
        count = max(rounds // batch, 5) if kind == "v2 batch" else rounds
        for _ in range(min(20, count)):  # warm-up: imports, the engine cache, the connection
            run()
        if kind == profile:
            import cProfile
            import pstats

            profiler = cProfile.Profile(time.process_time)
            profiler.runcall(lambda: [run() for _ in range(count)])
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(60)
            pstats.Stats(profiler).sort_stats("tottime").print_stats(40)
            if os.environ.get("BENCH_PROFILE_OUT"):  # for pstats/snakeviz: the whole profile, not the top 60
                profiler.dump_stats(os.environ["BENCH_PROFILE_OUT"])
        cpu, wall = time.process_time(), time.perf_counter()
        for _ in range(count):
            run()
        figures[kind] = {"cpu_ms": (time.process_time() - cpu) * 1000 / count,
                         "wall_ms": (time.perf_counter() - wall) * 1000 / count}
    figures["v2 batch"]["per_spin_cpu_ms"] = figures["v2 batch"]["cpu_ms"] / batch
    figures["v2 batch"]["per_spin_wall_ms"] = figures["v2 batch"]["wall_ms"] / batch
    if tracing:
        measure_tracing(requests, rounds=rounds, ratios=tracing, runs=runs)
    return figures


def measure_tracing(requests: dict, *, rounds: int, ratios: list[float], runs: int) -> None:
    """CPU per request with tracing off and on at each sampling ratio, alternating in this one process every
    20 requests (off, r1, r2, ..., off, r1, ...), so the host's noise hits every variant alike. "On" is the production
    set-up (core.tracing.tracer_provider: batch export over OTLP/HTTP) exporting to a closed port: spans are
    built, sampled and queued, and the export fails in the background thread, whose CPU is counted too."""
    import logging

    from core.tracing import tracer_provider, use_tracer_provider

    logging.getLogger("opentelemetry").setLevel(logging.CRITICAL)  # the failing export's tracebacks
    variants = {"off": None} | {f"on {ratio:g}": tracer_provider(endpoint="http://127.0.0.1:9", service_name="bench-cpu",
                                                                 sample_ratio=ratio) for ratio in ratios}
    kinds = ("bare view", "GET /me", "v1 spin")
    block = 20  # requests per variant in turn: the host's noise drifts slower than one turn of the variants
    cpu_ms: dict[tuple[str, str], list[float]] = {}
    try:
        for _ in range(runs):
            for kind in kinds:
                spent = dict.fromkeys(variants, 0.0)
                for _ in range(max(rounds // block, 1)):
                    for label, provider in variants.items():
                        use_tracer_provider(provider)
                        started = time.process_time()
                        for _ in range(block):
                            requests[kind]()
                        spent[label] += time.process_time() - started
                for label in variants:
                    cpu_ms.setdefault((label, kind), []).append(spent[label] * 1000 / (max(rounds // block, 1) * block))
    finally:
        use_tracer_provider(None)
    print(f"\ntracing: CPU ms per request, median of {runs} runs, variants alternating every {block} requests (+% against off)")
    print(f"{'request':<16}" + "".join(f"{label:>16}" for label in variants))
    for kind in kinds:
        off = statistics.median(cpu_ms[("off", kind)])
        cells = [f"{off:>16.2f}"] + [f"{statistics.median(cpu_ms[(label, kind)]):>8.2f} ({statistics.median(cpu_ms[(label, kind)]) / off - 1:+.0%})"
                                     .rjust(16) for label in list(variants)[1:]]
        print(f"{kind:<16}" + "".join(cells))


def print_figures(figures: dict, batch: int) -> None:
    print(f"{'request':<16}{'CPU ms':>9}{'wall ms':>9}")
    for kind in KINDS:
        label = f"v2 batch {batch}" if kind == "v2 batch" else kind
        print(f"{label:<16}{figures[kind]['cpu_ms']:>9.2f}{figures[kind]['wall_ms']:>9.2f}")
    print(f"{'  per spin':<16}{figures['v2 batch']['per_spin_cpu_ms']:>9.3f}{figures['v2 batch']['per_spin_wall_ms']:>9.3f}")


def compare(other: Path, runs: int, rounds: int, batch: int, database_url: str) -> None:
    results: dict[str, list[dict]] = {"A": [], "B": []}
    trees = {"A": other.resolve(), "B": ROOT}
    for run in range(runs):
        for label in ("A", "B"):
            env = {**os.environ, "DATABASE_URL": f"{database_url}_{label.lower()}", "BENCH_CODE_ROOT": str(trees[label])}
            _ensure_database(env["DATABASE_URL"])
            output = subprocess.run([sys.executable, str(ROOT / "bench" / "cpu.py"), "--rounds", str(rounds),
                                     "--batch", str(batch), "--json-only"], cwd=trees[label], env={
                                         **env, "PYTHONPATH": str(trees[label])},
                                    capture_output=True, text=True, timeout=1800)
            if output.returncode != 0:
                raise SystemExit(f"{label} failed:\n{output.stderr[-2000:]}")
            figures = json.loads(output.stdout.strip().splitlines()[-1])
            results[label].append(figures)
            print(f"run {run + 1} {label}: " + ", ".join(f"{kind} {figures[kind]['cpu_ms']:.2f}" for kind in KINDS)
                  + f" ms CPU (batch per spin {figures['v2 batch']['per_spin_cpu_ms']:.3f})", flush=True)
    print(f"\nA = {trees['A']}, B = {trees['B']}; median of {runs} runs each, CPU ms per request")
    print(f"{'request':<16}{'A':>9}{'B':>9}{'B/A':>8}")
    for kind in KINDS:
        a = statistics.median(figures[kind]["cpu_ms"] for figures in results["A"])
        b = statistics.median(figures[kind]["cpu_ms"] for figures in results["B"])
        ratios = [rb[kind]["cpu_ms"] / ra[kind]["cpu_ms"] for ra, rb in zip(results["A"], results["B"])]
        print(f"{kind:<16}{a:>9.2f}{b:>9.2f}{statistics.median(ratios):>8.2f}")


def _ensure_database(url: str) -> None:
    import psycopg
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    with psycopg.connect(urlunsplit(parts._replace(path="/postgres")), autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (parts.path[1:],)).fetchone() is None:
            conn.execute(f'CREATE DATABASE "{parts.path[1:]}"')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=300, help="requests per kind (batches: rounds / batch, ≥ 5)")
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--compare", type=Path, help="another checkout to compare with, A/B/A/B")
    parser.add_argument("--runs", type=int, default=4)
    parser.add_argument("--profile", choices=KINDS, help="also print a cProfile (CPU time) of this request kind")
    parser.add_argument("--tracing", type=float, nargs="+", metavar="RATIO",
                        help="also measure tracing off against on at these sampling ratios (e.g. 0.05 1), --runs times")
    parser.add_argument("--json-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if not 1 <= args.rounds <= 100_000 or not 1 <= args.batch <= 1000 or not 1 <= args.runs <= 20:
        parser.error("--rounds 1-100000, --batch 1-1000, --runs 1-20")
    if args.compare:
        compare(args.compare, args.runs, args.rounds, args.batch,
                os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/royale_cpu"))
        return
    if "DATABASE_URL" not in os.environ:
        os.environ["DATABASE_URL"] = "postgres://postgres@127.0.0.1:5432/royale_cpu"
        _ensure_database(os.environ["DATABASE_URL"])
    figures = measure(args.rounds, args.batch, args.profile, args.tracing, args.runs)
    if args.json_only:
        print(json.dumps(figures))
    else:
        print(f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")
        print_figures(figures, args.batch)


if __name__ == "__main__":
    main()
