#!/usr/bin/env bash
# Create .venv and install the pinned requirements (idempotent, quick when already done).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3.11}
command -v "$PYTHON" >/dev/null 2>&1 || PYTHON=python3
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
stamp=.venv/.requirements.sha
want=$(cat requirements.txt requirements-dev.txt | sha256sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "Installing the pinned requirements into .venv (first time: a few minutes)..." >&2
  .venv/bin/python -m pip install --quiet --upgrade pip
  # One line per package, so a long first install shows where it is.
  .venv/bin/python -m pip install --progress-bar off -r requirements-dev.txt | { grep -E '^(Collecting|Installing|Successfully)' >&2 || true; }
  echo "$want" > "$stamp"
fi
