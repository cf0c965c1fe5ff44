"""The studio's Celery app with one probe for the fleet benchmark: just before each
upstream poll runs, how late it starts against the time it was scheduled for (one line per
poll: the time it started and its lateness, in seconds)."""

from __future__ import annotations

import os
import time
from datetime import datetime
from typing import Any

from celery.signals import task_prerun

from studio.celery import app

__all__ = ["app"]


@task_prerun.connect
def record_lateness(task: Any = None, **_: Any) -> None:
    # The ETA is when the studio asked for the poll to run (its countdown from the row's
    # next_poll_at); reading it costs nothing, unlike a query per poll.
    if task is None or task.name != "generations.tasks.poll_generation" or not task.request.eta:
        return
    now = time.time()
    late = now - datetime.fromisoformat(task.request.eta).timestamp()
    with open(f"{os.environ['BENCH_LATENESS_LOG']}.{os.getpid()}", "a") as log:
        log.write(f"{now:.3f} {late:.3f}\n")
