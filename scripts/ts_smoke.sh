#!/usr/bin/env bash
# TypeScript client smoke test, end to end and bounded in time:
#   npm ci (skipped when node_modules matches package-lock.json) → a server on 127.0.0.1:<free port>
#   over a fresh `ts_smoke` database in the embedded PostgreSQL (migrate, flush, seed_demo, an agent
#   token for the funded demo wallet, in one Python process) →
#   types generated from the v1 OpenAPI schema → tsc --strict → the smoke script (a session and
#   an A2A coinflip) → server stopped. Exit status is the smoke's.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
PY=${PYTHON:-$ROOT/.venv/bin/python}
TS=$ROOT/clients/typescript
TMP=$(mktemp -d "${TMPDIR:-/tmp}/royale-ts-smoke.XXXXXX")
SERVER_PID=""
TYPES_PID=""

cleanup() {
  if [ -n "$TYPES_PID" ]; then kill "$TYPES_PID" 2>/dev/null || true; fi
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill "$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$SERVER_PID" 2>/dev/null || true
  fi
  rm -rf "$TMP"
}
trap cleanup EXIT
step() { printf '[ts-smoke %ss] %s\n' "$SECONDS" "$*"; }

# Never the caller's DATABASE_URL: the smoke empties its database first.
unset DATABASE_URL
export EMBEDDED_POSTGRES_DB=ts_smoke
export DJANGO_ENV=development
unset REDIS_URL

step "node deps"
lock_sha=$(sha256sum "$TS/package-lock.json" | cut -d' ' -f1)
if [ "$(cat "$TS/node_modules/.royale-lock.sha" 2>/dev/null)" != "$lock_sha" ]; then
  (cd "$TS" && timeout 300 npm ci --no-audit --no-fund --loglevel=error)
  echo "$lock_sha" > "$TS/node_modules/.royale-lock.sha"
fi

step "types from the v1 schema, then tsc --strict (in the background)"
(
  timeout 60 "$PY" manage.py spectacular --api-version v1 --format openapi-json --file "$TMP/schema.json"
  cd "$TS"
  timeout 60 npx --no-install openapi-typescript "$TMP/schema.json" -o src/generated/schema.ts
  timeout 120 npx --no-install tsc --strict --noEmit -p .
) > "$TMP/types.log" 2>&1 &
TYPES_PID=$!

step "database, demo data and token"
# migrate, flush, seed_demo and create_token in one process: each manage.py run pays a Django start-up.
TOKEN=$(timeout 300 "$PY" - "$TMP/seed.log" <<'PY'
import os
import sys

import django
from django.core.management import call_command

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "casino_project.settings")
django.setup()
with open(sys.argv[1], "w") as log:
    call_command("migrate", interactive=False, verbosity=0, stdout=log)
    call_command("flush", interactive=False, verbosity=0, stdout=log)
    call_command("seed_demo", stdout=log)
    call_command("create_token", role="agent", name="ts-smoke", owner="demo-agent", stderr=log)  # the token: stdout
PY
)

if ! wait "$TYPES_PID"; then
  echo "--- type generation / tsc failed ---" >&2
  cat "$TMP/types.log" >&2
  exit 1
fi
step "types generated, tsc --strict clean"

PORT=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
step "server on 127.0.0.1:$PORT"
"$PY" manage.py runserver "127.0.0.1:$PORT" --noreload --skip-checks > "$TMP/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 300); do   # at most ~60 s
  if curl -sf --max-time 1 -o /dev/null "http://127.0.0.1:$PORT/health"; then  # curl: a Python start per poll costs more than the poll
    break
  fi
  kill -0 "$SERVER_PID" 2>/dev/null || { cat "$TMP/server.log" >&2; exit 1; }
  sleep 0.2
done

step "smoke"
if ! (cd "$TS" && ROYALE_URL="http://127.0.0.1:$PORT" ROYALE_TOKEN="$TOKEN" timeout 90 npx --no-install tsx src/smoke.ts); then
  echo "--- server log (tail) ---" >&2
  tail -n 40 "$TMP/server.log" >&2
  exit 1
fi
step "done"
