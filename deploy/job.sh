#!/bin/sh
# Run one scheduled job: deploy/job.sh COMMAND [ARGS...] runs manage.py COMMAND ARGS
# from the checkout this script is in, with the environment in LIBRARY_ENV_FILE
# (default /etc/library/library.env, KEY=value lines) when that file exists, so
# cron runs a job with the same settings as the web processes.
set -eu
cd "$(dirname "$0")/.."
env_file="${LIBRARY_ENV_FILE:-/etc/library/library.env}"
if [ -r "$env_file" ]; then
    set -a
    . "$env_file"
    set +a
fi
exec "${LIBRARY_PYTHON:-.venv/bin/python}" manage.py "$@"
