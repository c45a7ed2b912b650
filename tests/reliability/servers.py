"""Real processes for reliability tests: gunicorn, Celery and Redis on 127.0.0.1, each stopped by
the fixture that started it. Servers use the pytest-django test database (they read
DATABASE_URL built from `settings.DATABASES["default"]`), so a test that starts one must use
`django_db(transaction=True)`: its rows have to be committed for another process to see them.
"""
import http.client
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_url(db: dict) -> str:
    """A DATABASE_URL for a Django database settings dict (a socket directory goes in ?host=)."""
    auth = quote(db.get("USER") or "postgres", safe="")
    if db.get("PASSWORD"):
        auth += ":" + quote(db["PASSWORD"], safe="")
    host, port = db.get("HOST") or "127.0.0.1", db.get("PORT") or 5432
    if host.startswith("/"):
        return f"postgres://{auth}@/{quote(db['NAME'], safe='')}?host={quote(host, safe='')}&port={port}"
    return f"postgres://{auth}@{host}:{port}/{quote(db['NAME'], safe='')}"


def shared_database_url() -> str:
    """The URL of the database this test runs on (pytest-django's test_<name> database)."""
    return database_url(settings.DATABASES["default"])


def _port_open(host: str, port: int) -> bool:
    try:
        socket.create_connection((host, port), timeout=1).close()
        return True
    except OSError:
        return False


def server_env(*, database_url: str | None = None, **extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("PYTEST", "GUNICORN_"))}
    env.update({"DJANGO_SETTINGS_MODULE": "casino_project.settings",
                "DATABASE_URL": database_url or shared_database_url(),
                "DEBUG": "false", "LOG_LEVEL": "WARNING", "PYTHONPATH": str(ROOT), "DJANGO_ENV": "development"})
    env.pop("REDIS_URL", None)
    env.update(extra)
    return env


class Redis:
    """Redis on 127.0.0.1: the local one on 6379 if it answers (one DB number per test, flushed),
    else a private redis-server on a free port."""

    def __init__(self, db: int):
        self.db, self.process, self.port = db, None, 6379
        if not _port_open("127.0.0.1", 6379):
            if not (BIN / "redis-server").exists() and not _which("redis-server"):
                pytest.skip("no Redis on 127.0.0.1:6379 and no redis-server binary")
            self.port = free_port()
            self.process = subprocess.Popen([_which("redis-server"), "--bind", "127.0.0.1", "--port", str(self.port),
                                             "--save", "", "--appendonly", "no"], stdout=subprocess.DEVNULL,
                                            stderr=subprocess.DEVNULL, start_new_session=True)
            _wait(lambda: _port_open("127.0.0.1", self.port), 10, "redis-server did not start")
        self.flush()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/{self.db}"

    def flush(self) -> None:
        import redis

        redis.Redis.from_url(self.url).flushdb()

    def stop(self) -> None:
        try:
            self.flush()
        except Exception:  # the data is throwaway; a failed flush must not hide the test's outcome
            pass
        if self.process is not None:
            _terminate(self.process)


def _which(name: str) -> str | None:
    return shutil.which(name)


def _wait(predicate, seconds: float, message: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(message)


def _kill(process: subprocess.Popen) -> None:
    """SIGKILL the process's group (started with start_new_session) and reap it. For servers a test is
    done with: their graceful shutdowns took 4-7 s each here (gunicorn's workers and Celery's prefork
    child exit slowly), for nothing a test looks at."""
    if process.poll() is None:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    process.wait(timeout=10)


def _terminate(process: subprocess.Popen, timeout: float = 10) -> None:
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)
    except ProcessLookupError:
        pass


def children_of(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name may contain spaces and parentheses: the ppid is the 2nd field after the last ')'.
        fields = stat.rsplit(")", 1)[1].split()
        if fields[0] != "Z" and int(fields[1]) == pid:
            found.append(int(entry.name))
    return found


class Gunicorn:
    """`gunicorn casino_project.wsgi` with the project config, in its own process group."""

    def __init__(self, *, env: dict[str, str], workers: int = 2, certfile: str | None = None,
                 keyfile: str | None = None, port: int | None = None):
        self.port = port or free_port()
        self.scheme = "https" if certfile else "http"
        # Its own metrics directory, removed by stop(): the config's private one is only removed by a
        # graceful exit, which stop() skips.
        self.metrics_dir = None
        if "PROMETHEUS_MULTIPROC_DIR" not in env:
            self.metrics_dir = tempfile.mkdtemp(prefix=f"royale-prometheus-{self.port}-")
            env = {**env, "PROMETHEUS_MULTIPROC_DIR": self.metrics_dir}
        self.log = tempfile.NamedTemporaryFile(prefix=f"gunicorn-{self.port}-", suffix=".log", delete=False)
        command = [str(BIN / "gunicorn"), "casino_project.wsgi:application", "-c", "casino_project/gunicorn.conf.py",
                   "--bind", f"127.0.0.1:{self.port}", "--workers", str(workers), "--timeout", "20"]
        if certfile:
            command += ["--certfile", certfile, "--keyfile", keyfile]
        self.process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=self.log, stderr=self.log,
                                        start_new_session=True)
        self.workers = workers
        try:
            _wait(self._ready, 40, f"gunicorn on {self.port} did not become ready:\n{self.log_text()}")
        except BaseException:
            self.stop()
            raise

    def _ready(self) -> bool:
        if self.process.poll() is not None:
            raise AssertionError(f"gunicorn exited with {self.process.returncode}:\n{self.log_text()}")
        try:
            return http_request(self.port, "GET", "/health", scheme=self.scheme, insecure=True)[0] == 200 \
                and len(self.worker_pids()) == self.workers
        except OSError:
            return False

    def worker_pids(self) -> list[int]:
        return children_of(self.process.pid)

    def kill_workers(self) -> list[int]:
        """SIGKILL every worker (mid-request, no cleanup); the master forks replacements."""
        pids = self.worker_pids()
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        return pids

    def wait_workers(self, seconds: float = 20) -> None:
        _wait(lambda: len(self.worker_pids()) == self.workers, seconds, "gunicorn did not respawn its workers")

    def log_text(self) -> str:
        try:
            return Path(self.log.name).read_text()[-4000:]
        except OSError:
            return ""

    def stop(self) -> None:
        _kill(self.process)
        self.log.close()
        try:
            os.unlink(self.log.name)
        except OSError:
            pass
        if self.metrics_dir is not None:
            shutil.rmtree(self.metrics_dir, ignore_errors=True)


class CeleryWorker:
    """`celery -A casino_project worker` (one prefork child) on a Redis broker."""

    def __init__(self, *, env: dict[str, str]):
        self.log = tempfile.NamedTemporaryFile(prefix="celery-", suffix=".log", delete=False)
        self.process = subprocess.Popen(
            [str(BIN / "celery"), "-A", "casino_project", "worker", "--concurrency", "1", "--pool", "prefork",
             "--without-gossip", "--without-mingle", "--without-heartbeat", "--loglevel", "WARNING"],
            cwd=ROOT, env=env, stdout=self.log, stderr=self.log, start_new_session=True)

    def kill(self) -> None:
        """SIGKILL the whole worker (main process and its pool child): a crash, not a shutdown."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        _kill(self.process)
        self.log.close()
        try:
            os.unlink(self.log.name)
        except OSError:
            pass


def http_request(port: int, method: str, path: str, body=None, *, token: str | None = None,
                 headers: dict[str, str] | None = None, scheme: str = "http", cafile: str | None = None,
                 insecure: bool = False, timeout: float = 15, raw_body: bytes | None = None) -> tuple[int, bytes, dict]:
    """One request on a fresh connection. Returns (status, body, lower-cased headers); raises OSError
    (incl. http.client errors, which are OSError or HTTPException) when the server drops the connection."""
    if scheme == "https":
        context = ssl.create_default_context(cafile=cafile)
        if insecure:
            context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
        conn = http.client.HTTPSConnection("127.0.0.1", port, timeout=timeout, context=context)
    else:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        sent = {"Content-Type": "application/json", **(headers or {})}
        if token:
            sent["Authorization"] = f"Bearer {token}"
        payload = raw_body if raw_body is not None else (json.dumps(body).encode() if body is not None else None)
        conn.request(method, path, body=payload, headers=sent)
        response = conn.getresponse()
        return response.status, response.read(), {k.lower(): v for k, v in response.getheaders()}
    except http.client.HTTPException as exc:
        raise ConnectionError(repr(exc)) from exc
    finally:
        conn.close()


def a2a_envelope(content: dict) -> dict:
    return {"version": "0.3.0", "from": {"name": "reliability-test"},
            "message": {"contentType": "application/json", "content": content}}
