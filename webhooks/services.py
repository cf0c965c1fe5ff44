"""Webhook endpoints (admins manage them) and deliveries (emitted, sent, retried).

``emit`` is the public API other apps call: it writes one delivery per endpoint of the
workspace that chose the event, inside the caller's transaction, and publishes the sends
once that transaction commits. ``deliver`` makes one attempt with compare-and-set claims,
so a redelivered task or the sweeper can never send one attempt twice at once.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from celery import current_app
from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from kombu.exceptions import OperationalError

from webhooks import payloads, sending
from webhooks.models import EVENTS, TEST_EVENT, Delivery, DeliveryStatus, Endpoint
from workspaces.services import audit

log = logging.getLogger("webhooks")
MAX_ENDPOINTS = 20
# A send holds its claim this long (timeouts and redirects included) before the sweeper
# may publish it again.
SEND_LEASE = timedelta(seconds=120)
# A countdown fires at or after its time; this only absorbs clock skew between hosts.
CLAIM_TOLERANCE = timedelta(milliseconds=100)
MAX_COUNTDOWN = 300.0  # far below the broker's visibility timeout, as for generations


class WebhookError(Exception):
    """A change the rules refuse; the message is for the admin."""


def publish(delivery_id: str, delay: float) -> None:
    """Publish a send. A broker outage is logged: the row is due, the sweeper sends it."""
    countdown = max(0.0, min(delay, MAX_COUNTDOWN))
    try:
        current_app.send_task(
            "webhooks.tasks.send_delivery", args=(delivery_id,), countdown=countdown
        )
    except OperationalError:
        log.warning("delivery=%s broker unavailable; the sweeper will retry", delivery_id)


def endpoint_create(
    *, workspace: Any, actor: Any, url: str, events: list[str], fmt: str
) -> Endpoint:
    """A new endpoint with a fresh secret (the caller shows it once)."""
    with transaction.atomic():
        if Endpoint.objects.filter(workspace=workspace).count() >= MAX_ENDPOINTS:
            raise WebhookError(f"A workspace can have at most {MAX_ENDPOINTS} webhooks.")
        endpoint = Endpoint.objects.create(
            workspace=workspace,
            url=url,
            events=sorted(set(events) & set(EVENTS)),
            format=fmt,
            secret=sending.new_secret(),
            created_by=actor,
        )
        audit(workspace=workspace, actor=actor, action="webhook.create", summary=f"Added {url}")
    return endpoint


def endpoint_delete(*, endpoint: Endpoint, actor: Any) -> None:
    with transaction.atomic():
        if Endpoint.objects.filter(pk=endpoint.pk).delete()[0]:
            audit(
                workspace=endpoint.workspace_id,
                actor=actor,
                action="webhook.delete",
                summary=f"Removed {endpoint.url}",
            )


def emit(*, workspace_id: Any, event: str, data: dict[str, Any]) -> list[Delivery]:
    """Record a delivery of ``event`` for every endpoint of the workspace that chose it;
    the sends are published when the current transaction commits (at once outside one)."""
    endpoints = [e for e in Endpoint.objects.filter(workspace_id=workspace_id) if e.wants(event)]
    return _record(endpoints, event, data)


def send_test(*, endpoint: Endpoint, actor: Any) -> Delivery:
    data = {"endpoint_id": str(endpoint.pk), "sent_by": getattr(actor, "username", "")}
    return _record([endpoint], TEST_EVENT, data)[0]


def _record(endpoints: list[Endpoint], event: str, data: dict[str, Any]) -> list[Delivery]:
    if not endpoints:
        return []
    now = timezone.now()
    rows = Delivery.objects.bulk_create(
        Delivery(
            endpoint=endpoint,
            event=event,
            body=payloads.body(fmt=endpoint.format, event=event, data=data, at=now),
            next_attempt_at=now,
            created_at=now,
        )
        for endpoint in endpoints
    )
    ids = [str(row.pk) for row in rows]
    transaction.on_commit(lambda: [publish(pk, 0) for pk in ids])
    return rows


def backoff(attempt: int) -> float:
    """Seconds before attempt ``attempt + 1``: doubling from the base, capped."""
    base = settings.WEBHOOK_RETRY_SECONDS
    return min(base * 2 ** (attempt - 1), MAX_COUNTDOWN)


def deliver(*, delivery_id: Any) -> float | None:
    """One attempt. Returns the delay before the next one, or None when there is none to
    schedule (delivered, failed for good, not due, or claimed by another worker)."""
    now = timezone.now()
    row = Delivery.objects.select_related("endpoint").filter(pk=delivery_id).first()
    if row is None or row.status not in (DeliveryStatus.PENDING, DeliveryStatus.SENDING):
        return None
    if row.next_attempt_at and row.next_attempt_at > now + CLAIM_TOLERANCE:
        # Early: a redelivered task or a sweep raced the countdown. Only a pending row
        # gets a new publish; a sending one belongs to the worker holding its claim.
        if row.status == DeliveryStatus.PENDING:
            return (row.next_attempt_at - now).total_seconds()
        return None
    attempt = row.attempts + 1
    claimed = Delivery.objects.filter(
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now + CLAIM_TOLERANCE),
        pk=row.pk,
        status=row.status,
        attempts=row.attempts,
    ).update(
        status=DeliveryStatus.SENDING, attempts=F("attempts") + 1, next_attempt_at=now + SEND_LEASE
    )
    if not claimed:
        return None
    outcome = sending.send(
        url=row.endpoint.url, secret=row.endpoint.secret, message_id=row.message_id, body=row.body
    )
    return _record_outcome(row, attempt, outcome)


def _record_outcome(row: Delivery, attempt: int, outcome: sending.Outcome) -> float | None:
    now = timezone.now()
    done = {"response_code": outcome.status_code, "last_error": outcome.error[:300]}
    mine = Delivery.objects.filter(pk=row.pk, status=DeliveryStatus.SENDING, attempts=attempt)
    if outcome.ok:
        mine.update(status=DeliveryStatus.SUCCEEDED, next_attempt_at=None, finished_at=now, **done)
        return None
    if outcome.final or attempt >= settings.WEBHOOK_MAX_ATTEMPTS:
        mine.update(status=DeliveryStatus.FAILED, next_attempt_at=None, finished_at=now, **done)
        log.info(
            "delivery=%s failed for good after %s attempts: %s", row.pk, attempt, outcome.error
        )
        return None
    delay = backoff(attempt)
    moved = mine.update(
        status=DeliveryStatus.PENDING, next_attempt_at=now + timedelta(seconds=delay), **done
    )
    return delay if moved else None


def sweep() -> int:
    """Publish every delivery that is due (a lost publish, a worker lost mid-send)."""
    due = Delivery.objects.filter(
        status__in=(DeliveryStatus.PENDING, DeliveryStatus.SENDING),
        next_attempt_at__lte=timezone.now(),
    ).values_list("pk", flat=True)[:500]
    ids = [str(pk) for pk in due]
    for pk in ids:
        publish(pk, 0)
    return len(ids)
