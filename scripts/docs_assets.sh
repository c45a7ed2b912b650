#!/usr/bin/env bash
# Regenerate docs/cli-transcript.md and the console screenshots in docs/img from a throwaway demo
# server: a fresh PostgreSQL database (royale_docs), seed_demo, some play through the `royale` CLI
# and the Python client, a campaign, then scripts/screenshots.py (headless Chromium) on the same
# database. Needs Debian's chromium (apt-get install -y chromium). Not part of CI.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
PY=${PYTHON:-$ROOT/.venv/bin/python}
ROYALE=${ROYALE:-$ROOT/.venv/bin/royale}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/royale-docs.XXXXXX")
SERVER_PID=""
cleanup() {
  if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  rm -rf "$TMP"
}
trap cleanup EXIT

DOCS_DB=${DOCS_DB:-royale_docs}
psql -q -h 127.0.0.1 -U postgres -d postgres -c "DROP DATABASE IF EXISTS $DOCS_DB" -c "CREATE DATABASE $DOCS_DB"
export DATABASE_URL="postgres://postgres@127.0.0.1:5432/$DOCS_DB" DJANGO_ENV=development RATELIMIT_ENABLE=false COLUMNS=110
unset REDIS_URL
"$PY" manage.py migrate --noinput -v 0
"$PY" manage.py seed_demo > /dev/null
AGENT=$("$PY" manage.py create_token --role agent --name docs-agent --owner demo-agent 2>/dev/null)
ADMIN=$("$PY" manage.py create_token --role admin --name docs-admin 2>/dev/null)
export OPS_PASSWORD="docs-only-$(date +%s)"
"$PY" manage.py operator_login olivia --role operator --password-env OPS_PASSWORD 2>/dev/null

PORT=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$PY" manage.py runserver "127.0.0.1:$PORT" --noreload --skip-checks > "$TMP/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 100); do
  "$PY" -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$PORT/health', timeout=1)" 2>/dev/null && break
  sleep 0.2
done
export ROYALE_URL="http://127.0.0.1:$PORT" ROYALE_TOKEN="$AGENT"
WALLET=$("$ROYALE" -o json wallet show | "$PY" -c 'import json, sys; print(json.load(sys.stdin)["results"][0]["id"])')
"$ROYALE" --token "$ADMIN" wallet deposit "$WALLET" 900 --reference docs > /dev/null

# Volume for the house-edge chart: batched spins on every demo game, and A2A rounds.
"$PY" - "$WALLET" <<'PYEOF'
import sys
from agent_royale.client import RoyaleClient

wallet = int(sys.argv[1])
with RoyaleClient(timeout=300) as client:
    for game, spins in (("classic-medium", 1500), ("dragon-high", 1500), ("fruit-low", 1500)):
        session = client.create_session(game=game, wallet=wallet)
        client.act(session["id"], {"type": "initialize"})
        client.act(session["id"], {"type": "place_bet", "amount": "0.2"})
        for start in range(0, spins, 500):
            client.act_batch(session["id"], [{"type": "spin"}] * 500)
        if game != "fruit-low":
            client.act(session["id"], {"type": "cash_out"})
PYEOF
for i in $(seq 1 3); do
  address="0x$(printf '%040x' "$i")"
  "$ROYALE" a2a open_channel "{\"stealthAddress\": \"$address\", \"agentDeposit\": \"5\", \"casinoDeposit\": \"8\"}" > /dev/null
  for n in $(seq 1 15); do
    "$ROYALE" a2a coinflip_commit "{\"stealthAddress\": \"$address\", \"betAmount\": \"0.25\", \"choice\": \"heads\"}" > /dev/null || break
    "$ROYALE" a2a coinflip_reveal "{\"stealthAddress\": \"$address\", \"agentSeed\": \"s$n\"}" > /dev/null || true
  done
  [ "$i" = 3 ] || "$ROYALE" a2a close_channel "{\"stealthAddress\": \"$address\"}" > /dev/null
done

# The transcript: what an agent sees, verbatim.
T="$ROOT/docs/cli-transcript.md"
run() {
  local line="royale" arg
  for arg in "$@"; do
    case "$arg" in *[\ \"{}]*) line+=" '$arg'" ;; *) line+=" $arg" ;; esac
  done
  printf '$ %s\n' "$line" >> "$T.body"
  set +e
  "$ROYALE" "$@" >> "$T.body" 2>&1
  printf '(exit %s)\n\n' "$?" >> "$T.body"
  set -e
}
: > "$T.body"
run games
run wallet show "$WALLET"
SESSION=$("$ROYALE" -o json sessions create --game fruit-low --wallet "$WALLET" --max-spins 50 | "$PY" -c 'import json, sys; print(json.load(sys.stdin)["id"])')
printf '$ royale sessions create --game fruit-low --wallet %s --max-spins 50\n(created session %s; shown below)\n\n' "$WALLET" "$SESSION" >> "$T.body"
run sessions act "$SESSION" initialize --client-seed docs
run sessions act "$SESSION" place_bet --amount 0.5
run spin --session "$SESSION" --n 20
run -o json spin --session "$SESSION" --n 5
run sessions show "$SESSION"
run wallet withdraw "$WALLET" 100000
run sessions act "$SESSION" initialize
run a2a open_channel '{"stealthAddress": "0x00000000000000000000000000000000000000aa", "agentDeposit": "2", "casinoDeposit": "8"}'
run a2a coinflip_commit '{"stealthAddress": "0x00000000000000000000000000000000000000aa", "betAmount": "0.5", "choice": "tails"}'
run a2a coinflip_reveal '{"stealthAddress": "0x00000000000000000000000000000000000000aa", "agentSeed": "docs"}'
run a2a close_channel '{"stealthAddress": "0x00000000000000000000000000000000000000aa"}'
run a2a coinflip_reveal '{"stealthAddress": "0x00000000000000000000000000000000000000aa", "agentSeed": "late"}'
run fingerprints
# Campaigns and matching need an operator/admin token whose owner has a wallet to charge queries to.
"$PY" manage.py shell -c "
from core.models import ApiToken
from wallet_app.services import wallet_create
wallet_create(owner=ApiToken.objects.get(name='docs-admin').owner)"
mv "$T.body" "$T.main"; : > "$T.body"
ROYALE_TOKEN=$ADMIN run campaigns start --game fruit-low --spins 20000 --chunk-size 2000 --seed docs --wait
CAMPAIGN=$("$ROYALE" --token "$ADMIN" -o json campaigns list --limit 1 | "$PY" -c 'import json, sys; print(json.load(sys.stdin)["results"][0]["id"])')
ROYALE_TOKEN=$ADMIN run campaigns list --limit 3
ROYALE_TOKEN=$ADMIN run campaigns status "$CAMPAIGN"
ROYALE_TOKEN=$ADMIN run match --campaign "$CAMPAIGN"
run campaigns list
(cd "$TMP" && run export traces --out traces.jsonl --game fruit-low && run -o json export traces --out traces.jsonl --game fruit-low)
mv "$T.body" "$T.ops"; mv "$T.main" "$T.body"
{
  echo "# \`royale\` CLI session transcript"
  echo
  echo "Generated by \`scripts/docs_assets.sh\` against a fresh demo server (\`seed_demo\`), with"
  echo "\`ROYALE_URL\` and \`ROYALE_TOKEN\` (the demo agent's token) set. Exit codes are shown after each command;"
  echo "the progress bar of \`royale spin\` is drawn on stderr while it runs."
  echo
  echo '```console'
  sed -e 's/\x1b\[[0-9;?]*[A-Za-z]//g' "$T.body"
  echo '```'
  echo
  echo "Campaigns and matching with an admin (or operator) token whose owner has a wallet; exports with the"
  echo "agent token. The progress bars are drawn on stderr while the commands run (their final state is shown)."
  echo
  echo '```console'
  sed -e 's/\x1b\[[0-9;?]*[A-Za-z]//g' "$T.ops"
  echo '```'
} > "$T"
rm -f "$T.body" "$T.ops"

# The screenshots (audits included) of what this run played, by headless Chromium.
"$PY" scripts/screenshots.py --skip-play
echo "wrote docs/cli-transcript.md and docs/img/*.png"
