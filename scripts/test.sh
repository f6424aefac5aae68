#!/usr/bin/env bash
# Run the whole test suite: lint, formatting, types, migrations, then pytest.
# Uses SQLite unless DATABASE_URL points at PostgreSQL (as .ci/run does).
# Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/venv.sh
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy .
.venv/bin/python manage.py makemigrations --check --dry-run >/dev/null || {
  echo "Models and migrations differ: run manage.py makemigrations." >&2
  exit 1
}
.venv/bin/pytest "$@"
