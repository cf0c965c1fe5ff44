"""The one way services publish work to the queue, by task name.

Services never import ``generations.tasks`` (the tasks import the services), and tests
replace ``publish`` here instead of reaching into a service module.
"""

from __future__ import annotations

import logging
from typing import Any

from celery import current_app
from django.conf import settings
from django.db import transaction
from kombu.exceptions import OperationalError

log = logging.getLogger("generations")

# Far below REDIS_VISIBILITY_TIMEOUT (checklist A3): a countdown is never redelivered early.
MAX_COUNTDOWN = 300.0
TASKS = {
    "submit": "generations.tasks.submit_generation",
    "poll": "generations.tasks.poll_generation",
}


def publish(generation_id: str, action: str, delay: float) -> None:
    """Publish the next action. A broker outage is logged, not raised: the row already says
    the action is due, and the sweeper publishes it again once the broker is back."""
    countdown = max(0.0, min(delay, MAX_COUNTDOWN))
    try:
        current_app.send_task(
            TASKS[action],
            args=(generation_id,),
            countdown=countdown,
            expires=countdown + settings.SEEDANCE_SWEEP_SECONDS * 4 + 60,
        )
    except OperationalError:
        log.warning("generation=%s broker unavailable; the sweeper will retry", generation_id)


def schedule(pk: Any, action: str, delay: float = 0) -> None:
    """Publish ``action`` ("submit" | "poll") for a generation now."""
    publish(str(pk), action, delay)


def schedule_on_commit(pk: Any, action: str, delay: float = 0) -> None:
    """Publish once the current transaction commits, so a worker never sees a missing row."""
    transaction.on_commit(lambda: publish(str(pk), action, delay))


def publish_task(name: str, *args: Any, countdown: float = 0, expires: float | None = None) -> bool:
    """Publish any task by its name (the queue comes from CELERY_TASK_ROUTES); False when
    the broker is down, which the caller's sweeper recovers from like ``publish``."""
    countdown = max(0.0, min(countdown, MAX_COUNTDOWN))
    try:
        current_app.send_task(name, args=args, countdown=countdown, expires=expires)
    except OperationalError:
        log.warning("task=%s args=%s broker unavailable; its sweeper will retry", name, args)
        return False
    return True


def publish_task_on_commit(name: str, *args: Any, countdown: float = 0) -> None:
    """``publish_task`` once the current transaction commits."""
    transaction.on_commit(lambda: publish_task(name, *args, countdown=countdown))
