#!/usr/bin/env bash
# Set up and run the whole test suite. Uses PostgreSQL when reachable (starting the local cluster
# if needed); with CI=true a missing PostgreSQL is a failure, not a fallback to SQLite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
if bash scripts/ensure_postgres.sh; then
  export DATABASE_URL=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/agent_royale}
elif [ "${CI:-}" = "true" ]; then
  echo "FATAL: PostgreSQL is not reachable on 127.0.0.1:5432 and CI=true" >&2
  exit 1
else
  echo "WARNING: PostgreSQL unreachable; running on SQLite (concurrency tests will be skipped)" >&2
fi
unset REDIS_URL
exec .venv/bin/pytest "$@"
