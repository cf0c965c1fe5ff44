"""The Celery app. Configuration lives in settings (CELERY_* names)."""

from __future__ import annotations

import os

from celery import Celery
from celery.signals import task_prerun

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "studio.settings")

app = Celery("studio")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@task_prerun.connect
def _usable_database_connection(**_: object) -> None:
    """What Django does at the start of each request: drop a connection that is broken or
    older than CONN_MAX_AGE, so a reused one never fails a task after a database restart."""
    from django.db import close_old_connections

    close_old_connections()
