"""The Django project. Loading it loads the Celery app, so the apps' tasks bind to it."""

from config.celery import app as celery_app

__all__ = ("celery_app",)
