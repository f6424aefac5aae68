"""The project's Celery app for a test worker: Redis gives back a dead worker's task in seconds.

`celery -A tests.notices.worker_app worker` runs the very app config/celery.py
makes, with the broker's visibility timeout cut from an hour to a few seconds
(and the sweep that restores unacknowledged tasks run every second), so the
test need not wait an hour for the killed worker's batch to come back.
"""

from config.celery import app

VISIBILITY_TIMEOUT = 3

app.conf.broker_transport_options = {
    "visibility_timeout": VISIBILITY_TIMEOUT,
    "unacked_restore_interval": 1,
    "unacked_restore_throttle": 1,
}

__all__ = ["app"]
