"""Thin Celery tasks: ``render`` runs on the ``exports`` queue (CELERY_TASK_ROUTES), so
only the exporter worker takes it; ``sweep`` runs from beat on the default queue."""

from __future__ import annotations

import logging

from celery import shared_task
from celery.signals import worker_ready

from exports import rendering, services

log = logging.getLogger("exports")


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def render(export_id: str) -> None:
    rendering.export_render(export_id)


@shared_task(ignore_result=True)
def sweep() -> None:
    counts = services.export_sweep()
    if any(counts.values()):
        log.info("export sweep %s", counts)


@worker_ready.connect
def _remove_stale_render_folders(**_: object) -> None:
    """A worker starting after a crash clears the render folders the crash left."""
    if removed := rendering.remove_stale_folders():
        log.info("removed %d stale render folders", removed)
