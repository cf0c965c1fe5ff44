"""Operators' view of the pipeline and the queue settings that keep jobs from being lost."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone

from generations import scheduling
from generations.models import Status
from tests.factories import GenerationFactory


def test_celery_is_configured_to_never_lose_a_task():
    from studio.celery import app

    conf = app.conf
    assert conf.task_acks_late is True
    assert conf.task_reject_on_worker_lost is True
    assert conf.worker_prefetch_multiplier == 1
    assert conf.broker_connection_retry_on_startup is True
    # Checklist A3: every countdown plus the hard time limit stays under half the
    # visibility timeout, so Redis never redelivers a task that is merely waiting.
    visibility = conf.broker_transport_options["visibility_timeout"]
    assert scheduling.MAX_COUNTDOWN + conf.task_time_limit < visibility / 2


@pytest.mark.django_db(transaction=True)
def test_workers_keep_their_database_connection_until_it_is_old_or_broken():
    import time

    from celery.signals import task_prerun
    from django.db import connection

    from studio.celery import app

    assert app.conf.get("CELERY_DB_REUSE_MAX")  # else Celery reconnects for every task
    connection.ensure_connection()
    kept = connection.connection
    connection.close_at = time.monotonic() + 60
    task_prerun.send(sender=None)
    assert connection.connection is kept
    connection.close_at = time.monotonic() - 1  # past CONN_MAX_AGE
    task_prerun.send(sender=None)
    assert connection.connection is None


def test_tasks_never_sleep():
    source = (Path(settings.BASE_DIR) / "generations" / "tasks.py").read_text()
    client = (Path(settings.BASE_DIR) / "studiolib" / "seedance.py").read_text()
    assert "sleep(" not in source
    assert "sleep(" not in client


def test_reconcile_lists_and_fails_stuck_generations(user, monkeypatch):
    monkeypatch.setattr(scheduling, "publish", lambda *args: None)
    stuck = GenerationFactory(
        user=user,
        prompt="stuck",
        status=Status.RUNNING,
        upstream_task_id="task_x",
        next_poll_at=timezone.now() - timedelta(hours=2),
        deadline_at=timezone.now() + timedelta(hours=1),
    )
    out = StringIO()
    call_command("reconcile_generations", stdout=out)
    assert f"stuck {stuck.pk}" in out.getvalue()
    call_command("reconcile_generations", "--fail-after", "30", stdout=out)
    stuck.refresh_from_db()
    assert stuck.status == Status.FAILED
    assert "may have been charged" in stuck.error_message
