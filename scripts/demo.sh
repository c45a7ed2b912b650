#!/usr/bin/env bash
# Set up and run the service with demo data: SQLite, eager Celery, no other servers needed.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export DATABASE_URL=${DATABASE_URL:-sqlite:///$(pwd)/demo.sqlite3}
unset REDIS_URL
.venv/bin/python manage.py migrate --noinput
.venv/bin/python manage.py seed_demo
exec .venv/bin/python manage.py runserver "${DEMO_ADDR:-127.0.0.1:8000}"
