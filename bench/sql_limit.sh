#!/usr/bin/env bash
# The raw-SQL ceiling for spins: pgbench runs bench/spin_write.pgbench (the SQL writes of one spin)
# on pgb_* copies of the real tables (same columns, defaults, CHECKs, indexes and foreign keys),
# one session + wallet per client, and prints transactions (= spins) per second.
#   bench/sql_limit.sh [clients=8] [seconds=20]      BENCH_DATABASE_URL=postgres://... to change the DB
# pgbench uses its simple protocol: PostgreSQL parses and plans every statement (the API's connections run
# theirs prepared; -M prepared stops on this script with "could not determine data type of parameter").
# The copies are dropped at the end; the real tables are not written.
set -euo pipefail
cd "$(dirname "$0")/.."
DB_URL=${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/royale_load}
CLIENTS=${1:-8}
DURATION=${2:-20}
db_name=${DB_URL##*/}
admin_url=${DB_URL%/*}/postgres
if [ "$(psql "$admin_url" -Atc "SELECT 1 FROM pg_database WHERE datname = '$db_name'")" != "1" ]; then
  psql "$admin_url" -qc "CREATE DATABASE \"$db_name\""
fi
DATABASE_URL=$DB_URL LOG_LEVEL=WARNING .venv/bin/python manage.py migrate --noinput >/dev/null
DATABASE_URL=$DB_URL LOG_LEVEL=WARNING .venv/bin/python manage.py seed_demo >/dev/null

cleanup() { psql "$DB_URL" -q -c "DROP TABLE IF EXISTS pgb_step, pgb_spin, pgb_ledger, pgb_session, pgb_wallet" >/dev/null 2>&1 || true; }
trap cleanup EXIT
psql "$DB_URL" -q -v ON_ERROR_STOP=1 -v clients="$CLIENTS" <<'SQL'
SET client_min_messages = warning;
DROP TABLE IF EXISTS pgb_step, pgb_spin, pgb_ledger, pgb_session, pgb_wallet;
CREATE TABLE pgb_wallet (LIKE wallet_app_wallet INCLUDING ALL);
CREATE TABLE pgb_session (LIKE sessions_app_gameplaysession INCLUDING ALL);
CREATE TABLE pgb_ledger (LIKE wallet_app_ledgerentry INCLUDING ALL);
CREATE TABLE pgb_spin (LIKE sessions_app_sessionspin INCLUDING ALL);
CREATE TABLE pgb_step (LIKE rl_app_experiencestep INCLUDING ALL);
ALTER TABLE pgb_session ADD FOREIGN KEY (wallet_id) REFERENCES pgb_wallet (id) DEFERRABLE INITIALLY DEFERRED,
  ADD FOREIGN KEY (game_version_id) REFERENCES games_app_gameversion (id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE pgb_ledger ADD FOREIGN KEY (wallet_id) REFERENCES pgb_wallet (id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE pgb_spin ADD FOREIGN KEY (session_id) REFERENCES pgb_session (id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE pgb_step ADD FOREIGN KEY (session_id) REFERENCES pgb_session (id) DEFERRABLE INITIALLY DEFERRED;
INSERT INTO pgb_wallet (id, currency, balance, cost_per_spin, cost_per_query, frozen, spent_today, created_at, updated_at, owner_id)
  SELECT n, 'B' || n, 1000000, 0.01, 0, false, 0, now(), now(), (SELECT min(id) FROM auth_user) FROM generate_series(1, :clients) n;
INSERT INTO pgb_session (id, state, bet, reward_function, server_seed, server_seed_hash, client_seed, nonce, probes, steps,
  total_spins, total_wagered, total_fees, total_payout, total_reward, end_reason, owner_has_hooks, created_at, updated_at,
  game_version_id, owner_id, wallet_id)
  SELECT n, 'playing', 0.1, 'net_payout', repeat('a', 64), repeat('b', 64), repeat('c', 32), 0, 0, 2, 0, 0, 0, 0, 0, '',
         false, now(), now(), (SELECT min(id) FROM games_app_gameversion), (SELECT min(id) FROM auth_user), n
  FROM generate_series(1, :clients) n;
SQL
echo "pgbench: $CLIENTS clients, ${DURATION}s, bench/spin_write.pgbench on $db_name ($(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs))"
pgbench -n -c "$CLIENTS" -j "$(( CLIENTS < 2 ? 1 : 2 ))" -T "$DURATION" -f bench/spin_write.pgbench "$DB_URL" 2>&1 \
  | grep -E "number of (transactions|failed)|latency average|latency stddev|^tps|error"
echo "spins written: $(psql "$DB_URL" -Atc 'SELECT count(*) FROM pgb_spin'), ledger rows: $(psql "$DB_URL" -Atc 'SELECT count(*) FROM pgb_ledger')"
