"""The Celery app: work the web processes hand to a worker (`celery -A config worker`).

Its settings are the CELERY_* ones in config/settings.py. Without
CELERY_BROKER_URL tasks run eagerly, inside the request that queued them.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("config")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
