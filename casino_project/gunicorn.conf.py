"""gunicorn settings; every value can be overridden on the command line or by the env vars below.

    gunicorn casino_project.wsgi:application -c casino_project/gunicorn.conf.py
    GUNICORN_CERTFILE=certs/server.crt GUNICORN_KEYFILE=certs/server.key gunicorn ... -c casino_project/gunicorn.conf.py

The app keeps no state in process memory, so workers may die at any time (the master starts a
new one) and any number of instances can share one Postgres and one Redis.

Metrics: every worker writes its counters to PROMETHEUS_MULTIPROC_DIR (prometheus_client's
multiprocess mode) and /metrics sums them, so one scrape shows the whole service, dead workers'
counts included. The directory is this master's: created if missing and emptied when the master
starts (a private temporary one, removed on exit, when the variable is unset). Two masters must not
share one.
"""
import multiprocessing
import os
import shutil
import tempfile
from pathlib import Path

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# Chosen by measurement (bench/RESULTS.md, "Issue 17"): on 2 cores, 2 gthread workers per core with 2 threads
# each served v1 spins at 1.2-1.3x the rate of 1 worker per core with 4 threads (the same 8 requests in flight).
# With one process per core the host's CPU was ~80% busy at full load: while a process's threads wait on
# PostgreSQL or Redis, only one of them can run Python at a time, and a core idles. Threads overlap those waits
# without a process per request. Each thread holds one PostgreSQL connection: workers x threads per instance.
workers = int(os.environ.get("GUNICORN_WORKERS", str(2 * multiprocessing.cpu_count())))
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "gthread")
threads = int(os.environ.get("GUNICORN_THREADS", "2"))
# Seconds an idle HTTP/1.1 connection stays open for the client's next request (gthread keeps idle connections
# in its poller, not in a thread, so waiting is cheap; sync workers close after every response). An agent in a
# loop then pays no TCP set-up per request.
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "5"))
# Load the app once in the master: a worker killed by the OS or by a deploy is replaced by a fork
# in milliseconds instead of a fresh Django import. Django opens no connection at import time.
preload_app = os.environ.get("GUNICORN_PRELOAD", "true").lower() in {"1", "true", "yes", "on"}
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "15"))
# Django writes one JSON access line per request itself (core.middleware.AccessLogMiddleware).
accesslog = os.environ.get("GUNICORN_ACCESSLOG") or None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOGLEVEL", "info")
# Trust X-Forwarded-Proto only from a local TLS-terminating proxy.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")

# TLS served by gunicorn itself (a load balancer may terminate TLS instead).
certfile = os.environ.get("GUNICORN_CERTFILE") or None
keyfile = os.environ.get("GUNICORN_KEYFILE") or None


# --- Prometheus multiprocess mode ----------------------------------------------------------------
# Set before the app (and so prometheus_client) is imported: the config file is read first.
_OWNER_MARK = "ROYALE_PROMETHEUS_DIR_OWNER"


def _prepare_metrics_dir() -> None:
    if os.environ.get(_OWNER_MARK) == str(os.getpid()):
        return  # a SIGHUP re-reads this file: the running workers' files stay
    configured = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    path = Path(configured) if configured else Path(tempfile.mkdtemp(prefix="royale-prometheus-"))
    path.mkdir(parents=True, exist_ok=True)
    for stale in path.glob("*.db"):  # counts of a previous run would otherwise be added to this one
        stale.unlink()
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(path)
    os.environ[_OWNER_MARK] = str(os.getpid())
    os.environ["ROYALE_PROMETHEUS_DIR_IS_TEMPORARY"] = "" if configured else "1"


_prepare_metrics_dir()


def child_exit(server, worker):
    """A dead worker's live gauges go; its counters stay in the sum."""
    # Not at the top: prometheus_client picks its single- or multi-process values when first imported,
    # and a module imported in the master is inherited by every forked worker.
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    if os.environ.get("ROYALE_PROMETHEUS_DIR_IS_TEMPORARY"):
        shutil.rmtree(os.environ["PROMETHEUS_MULTIPROC_DIR"], ignore_errors=True)
