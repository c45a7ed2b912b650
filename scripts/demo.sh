#!/usr/bin/env bash
# The service with demo data on http://127.0.0.1:8000 (DEMO_ADDR=host:port for another address),
# a Celery worker in the background and, without DATABASE_URL, the embedded PostgreSQL: no database
# or broker server to install (the worker's broker is a folder, .data/celery; Redis if REDIS_URL is
# set). Prints the demo's console logins and API tokens on every run.
set -euo pipefail
cd "$(dirname "$0")/.."
ADDR=${DEMO_ADDR:-127.0.0.1:8000}
HOST=${ADDR%:*}
PORT=${ADDR##*:}
PY=.venv/bin/python
step() { printf '\n[demo %ss] %s\n' "$SECONDS" "$*"; }

port_free() {
  python3 - "$HOST" "$PORT" <<'PY'
import socket, sys
with socket.socket() as s:
    try:
        s.bind((sys.argv[1], int(sys.argv[2])))
    except OSError:
        sys.exit(1)
PY
}
if ! port_free; then
  echo "Port $PORT on $HOST is busy (another demo still running?). Use another one, e.g.:" >&2
  echo "  DEMO_ADDR=$HOST:$((PORT + 1)) ./scripts/demo.sh" >&2
  exit 1
fi

step "Python environment: .venv with the pinned requirements (the first run downloads them: a few minutes)"
bash scripts/setup.sh

if [ -n "${DATABASE_URL:-}" ]; then
  step "Database: DATABASE_URL"
else
  step "Database: embedded PostgreSQL in .data/pg (created and started on first use, then reused)"
fi
"$PY" manage.py migrate --noinput

step "Demo data"
"$PY" manage.py seed_demo --credentials-file .data/demo-credentials.json
# The same, as shell variables for the README's examples: `source .data/demo.env`.
"$PY" - "http://$ADDR" <<'PY'
import json, os, shlex, sys
credentials = json.load(open(".data/demo-credentials.json"))
tokens = credentials["tokens"]
values = {"ROYALE_URL": sys.argv[1], "ROYALE_TOKEN": tokens["demo-agent"], "AGENT_TOKEN": tokens["demo-agent"],
          "OPERATOR_TOKEN": tokens["demo-operator"], "ADMIN_TOKEN": tokens["demo-admin"]}
fd = os.open(".data/demo.env", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
with os.fdopen(fd, "w") as env:
    env.writelines(f"export {name}={shlex.quote(value)}\n" for name, value in values.items())
print("Shell variables for the README examples (ROYALE_URL, ROYALE_TOKEN=agent, AGENT_/OPERATOR_/ADMIN_TOKEN):"
      "\n  source .data/demo.env")
PY

if [ -n "${REDIS_URL:-}" ]; then
  export CELERY_BROKER_URL=${CELERY_BROKER_URL:-$REDIS_URL}
else
  export CELERY_BROKER_URL=${CELERY_BROKER_URL:-filesystem://}
fi
step "Celery worker (+ beat) in the background on ${CELERY_BROKER_URL%%://*}://, log in .data/celery-worker.log"
mkdir -p .data
.venv/bin/celery -A casino_project worker --beat --schedule .data/celerybeat-schedule --concurrency 1 \
  --without-gossip --without-mingle --without-heartbeat --loglevel INFO > .data/celery-worker.log 2>&1 &
WORKER_PID=$!
trap 'kill "$WORKER_PID" 2>/dev/null || true; wait "$WORKER_PID" 2>/dev/null || true' EXIT

step "Serving on http://$ADDR/ (Ctrl-C stops the server and the worker; the embedded PostgreSQL keeps running:
  .venv/bin/python manage.py embedded_db stop)
  API docs  http://$ADDR/api/docs/      console  http://$ADDR/admin/      dashboard  http://$ADDR/admin/console/"
"$PY" manage.py runserver "$ADDR"
