#!/usr/bin/env bash
# Set up and run the whole test suite on PostgreSQL: the server DATABASE_URL names, else the
# project's embedded PostgreSQL (.data/pg, started on first use; no server needed). CI (CI=true)
# tests against the machine's server on 127.0.0.1:5432 and fails without it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
if [ "${CI:-}" = "true" ]; then
  if ! bash scripts/ensure_postgres.sh; then
    echo "FATAL: PostgreSQL is not reachable on 127.0.0.1:5432 and CI=true" >&2
    exit 1
  fi
  export DATABASE_URL=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/agent_royale}
elif [ -z "${DATABASE_URL:-}" ]; then
  echo "DATABASE_URL unset: testing on the embedded PostgreSQL in .data/pg" >&2
fi
unset REDIS_URL
exec .venv/bin/pytest "$@"
