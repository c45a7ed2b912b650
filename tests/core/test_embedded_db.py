"""The embedded PostgreSQL (the database when DATABASE_URL is unset): real processes on a fresh
data directory of their own, stopped at the end."""
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import psycopg
import pytest

from casino_project.embedded_db.server import Cluster, running_pid, stop

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


@pytest.fixture
def cluster():
    # Not under pytest's basetemp: other pytest runs reset /tmp/pytest-of-<user> to 0700, and as
    # root the server runs as another user that must reach its directory.
    parent = Path(tempfile.mkdtemp(prefix="royale-embedded-pg-"))
    cluster = Cluster(parent / "pg")
    yield cluster
    stop(cluster)
    shutil.rmtree(parent, ignore_errors=True)


def _env(cluster: Cluster, **extra) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in ("DATABASE_URL", "REDIS_URL")}
    return {**env, "EMBEDDED_POSTGRES_DIR": str(cluster.data_dir), "DJANGO_SETTINGS_MODULE": "casino_project.settings",
            **extra}


def _manage(cluster: Cluster, *args: str, **extra) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=_env(cluster, **extra),
                          capture_output=True, text=True, timeout=120)


def test_two_processes_starting_a_fresh_cluster_at_once_share_one_server(cluster, monkeypatch):
    monkeypatch.setenv("PGPORT", "1")  # the caller's libpq settings do not move the cluster
    code = ("import sys; from pathlib import Path; from casino_project.embedded_db.server import Cluster, ensure_running; "
            "print(ensure_running(Cluster(Path(sys.argv[1])), database='race'))")
    starters = [subprocess.Popen([sys.executable, "-c", code, str(cluster.data_dir)], cwd=ROOT, env=_env(cluster),
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    results = [(p.wait(timeout=120), p.stdout.read().strip(), p.stderr.read()) for p in starters]
    assert [code for code, _, _ in results] == [0, 0], results
    assert sorted(out for _, out, _ in results) == ["False", "True"]  # one started it, the other reused it
    with psycopg.connect(**cluster.connection_params(dbname="race")) as conn:
        assert conn.execute("SELECT current_database(), current_setting('listen_addresses')").fetchone() == ("race", "")


def test_commands_start_a_stopped_cluster_and_create_its_database(cluster):
    probe = ["shell", "-c", "from django.db import connection; connection.ensure_connection(); "
                            "print(connection.settings_dict['NAME'], connection.pg_version // 10000)"]
    first = _manage(cluster, *probe, EMBEDDED_POSTGRES_DB="first_use")
    assert first.returncode == 0, first.stderr
    assert first.stdout.splitlines()[-1].split() == ["first_use", "18"]
    pid = running_pid(cluster)
    assert pid is not None

    stopped = _manage(cluster, "embedded_db", "stop")
    assert stopped.returncode == 0 and stopped.stdout.startswith("stopped"), stopped.stderr
    assert running_pid(cluster) is None

    again = _manage(cluster, *probe, EMBEDDED_POSTGRES_DB="first_use")
    assert again.returncode == 0, again.stderr
    assert running_pid(cluster) not in (None, pid)


def test_a_database_url_that_is_not_postgresql_is_refused(cluster):
    result = _manage(cluster, "check", DATABASE_URL=f"sqlite:///{cluster.data_dir.parent / 'db.sqlite3'}")
    assert result.returncode != 0
    assert "DATABASE_URL must be a PostgreSQL URL" in result.stderr
