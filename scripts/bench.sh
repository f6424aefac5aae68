#!/usr/bin/env bash
# Run the benchmarks against a fresh PostgreSQL database and write benchmarks/RESULTS.md.
#   ./scripts/bench.sh              # small size, about a minute
#   ./scripts/bench.sh --size full  # 1M patrons and 10M loans
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/venv.sh
exec .venv/bin/python -m benchmarks.run "$@"
