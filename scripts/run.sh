#!/usr/bin/env bash
# Install into .venv, migrate, load the demo data and serve the site on
# http://127.0.0.1:8000 (the embedded SQLite database unless DATABASE_URL is set).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/venv.sh
.venv/bin/python manage.py migrate --noinput
.venv/bin/python manage.py seed_demo
exec .venv/bin/python manage.py runserver "${HOST:-127.0.0.1}:${PORT:-8000}"
