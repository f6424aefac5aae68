#!/usr/bin/env bash
# Run the whole test suite: lint, formatting, types, the apps' import layers (import-linter),
# migrations, then pytest.
# Uses SQLite unless DATABASE_URL points at PostgreSQL (as .ci/run does).
# Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/venv.sh
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy .
.venv/bin/lint-imports --no-cache >/dev/null || .venv/bin/lint-imports --no-cache
.venv/bin/python manage.py makemigrations --check --dry-run >/dev/null || {
  echo "Models and migrations differ: run manage.py makemigrations." >&2
  exit 1
}
.venv/bin/pytest "$@"
