"""Thin Celery tasks: each takes an id and calls one service."""

from __future__ import annotations

from celery import shared_task

from webhooks import services


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def send_delivery(delivery_id: str) -> None:
    delay = services.deliver(delivery_id=delivery_id)
    if delay is not None:
        services.publish(delivery_id, delay)


@shared_task(ignore_result=True)
def sweep() -> None:
    services.sweep()
