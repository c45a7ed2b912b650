#!/usr/bin/env bash
# Set up and run the service with demo data. Without DATABASE_URL it runs on the project's embedded
# PostgreSQL (.data/pg, started on first use and reused): no database server to install.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
unset REDIS_URL
.venv/bin/python manage.py migrate --noinput
.venv/bin/python manage.py seed_demo
exec .venv/bin/python manage.py runserver "${DEMO_ADDR:-127.0.0.1:8000}"
