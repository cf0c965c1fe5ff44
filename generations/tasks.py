"""Thin Celery tasks: each takes an id, calls one service, and schedules what it says next.

Tasks never sleep: waiting is a countdown (seconds, far below the broker's visibility
timeout) or, for anything lost, the beat sweeper. Acks are late and a lost worker's task
is redelivered; the services' compare-and-set claims make a redelivery harmless.
"""

from __future__ import annotations

import logging

from celery import shared_task

from generations import scheduling, services

log = logging.getLogger("generations")

_PIPELINE = {"acks_late": True, "reject_on_worker_lost": True, "ignore_result": True}


@shared_task(**_PIPELINE)
def submit_generation(generation_id: str) -> None:
    _follow(generation_id, services.generation_submit(generation_id))


@shared_task(**_PIPELINE)
def poll_generation(generation_id: str) -> None:
    _follow(generation_id, services.generation_refresh(generation_id))


@shared_task(ignore_result=True)
def sweep() -> None:
    counts = services.generation_sweep()
    if any(counts.values()):
        log.info("sweep %s", counts)


def _follow(generation_id: str, next_step: services.Next | None) -> None:
    if next_step is not None:
        scheduling.publish(generation_id, next_step.action, next_step.delay)
