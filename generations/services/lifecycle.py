"""Every state change of a generation. Each transition is a compare-and-set on the row
(``filter(pk=…, status=…).update(…)``), so a redelivered or duplicated task does nothing.

The row is the outbox: ``next_poll_at`` says when its next action (submit or poll) is due.
A worker claims that action by moving ``next_poll_at`` forward (a lease) in the same
update; a second copy of the message then finds nothing due and stops. The beat sweeper
re-sends the message for any row whose action is overdue, so a lost message, a flushed
Redis or a killed worker delays a generation but never strands it.
"""

from __future__ import annotations

import functools
import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from generations import errors, tiers
from generations.formfields import PendingReference
from generations.models import (
    OPTION_FIELDS,
    UNFINISHED,
    Event,
    Generation,
    Mode,
    Reference,
    ReferenceRole,
    Status,
)
from generations.references import build_references, delete_files, upstream_url
from generations.seedance import CreateRequest, SeedanceClient, SeedanceError
from generations.services import limits
from generations.services.timing import backoff, poll_delay

log = logging.getLogger("generations")

SEED_MAX = 2**32 - 1
# A submission's lease outlives the create call (connect + read timeout) by this margin; a
# row still "submitting" after that had its worker die mid-call.
SUBMIT_MARGIN = timedelta(seconds=30)
POLL_LEASE = timedelta(minutes=2)
SAVE_LEASE = timedelta(minutes=10)
CLAIM_TOLERANCE = timedelta(milliseconds=250)  # clock jitter between worker and DB
MAX_SAVE_ATTEMPTS = 5


@dataclass(frozen=True)
class Next:
    """What the calling task should schedule: ``action`` ("submit" | "poll") after ``delay``."""

    action: str
    delay: float


def submit_lease() -> timedelta:
    call = settings.SEEDANCE_CONNECT_TIMEOUT + settings.SEEDANCE_READ_TIMEOUT
    return timedelta(seconds=call) + SUBMIT_MARGIN


def get_client(*, pooled: bool = False) -> SeedanceClient:
    """The upstream client. The paid create call gets a fresh connection: a kept-alive
    socket that the provider closed meanwhile would fail it as "may have been accepted".
    Polls (``pooled``) share one client per process and settings and keep its connections
    open: with a thousand generations in flight, a TCP and TLS handshake per poll cost more
    than the poll, and a poll that meets a closed connection is just a missed poll."""
    timeout = (settings.SEEDANCE_CONNECT_TIMEOUT, settings.SEEDANCE_READ_TIMEOUT)
    if pooled:
        return _pooled_client(settings.SEEDANCE_BASE_URL, settings.SEEDANCE_API_KEY, timeout)
    return SeedanceClient(settings.SEEDANCE_BASE_URL, settings.SEEDANCE_API_KEY, timeout=timeout)


@functools.lru_cache(maxsize=4)
def _pooled_client(base_url: str, api_key: str, timeout: tuple[float, float]) -> SeedanceClient:
    return SeedanceClient(base_url, api_key, timeout=timeout)


# --- creation ---------------------------------------------------------------------------


def generation_create(
    *,
    user: Any,
    data: dict[str, Any],
    references: list[PendingReference] | None = None,
) -> Generation:
    """Create a queued generation with its references and enqueue its submission once the
    rows are committed. Reference files are written first; if anything fails they are
    deleted again, so there is never a row without its files or a file without its row."""
    now = timezone.now()
    references = references or []
    input_seconds = sum(
        p.duration
        for p in references
        if p.role in {ReferenceRole.VIDEO, ReferenceRole.SOURCE_VIDEO}
    )
    seed = data.get("seed")
    if seed is None or seed == -1:
        seed = secrets.randbelow(SEED_MAX)
    generation = Generation(
        user=user,
        mode=data.get("mode", "text"),
        model=data["model"],
        prompt=data["prompt"],
        duration=data["duration"],
        aspect_ratio=data["aspect_ratio"],
        generate_audio=data.get("generate_audio", False),
        seed=seed,
        watermark=data.get("watermark", False),
        camera_fixed=data.get("camera_fixed", False),
        return_last_frame=data.get("return_last_frame", False),
        group=data.get("group"),
        estimated_cost=Decimal(
            str(
                tiers.estimate_cost(
                    model=data["model"],
                    aspect_ratio=data["aspect_ratio"],
                    duration=data["duration"],
                    input_video_seconds=input_seconds,
                )
            )
        ),
        created_at=now,
        updated_at=now,
        next_poll_at=now,
        deadline_at=now + timedelta(minutes=settings.SEEDANCE_DEADLINE_MINUTES),
    )
    built = build_references(generation, references)
    try:
        with transaction.atomic():
            limits.lock_user(user)
            limits.check_limits(user=user, cost=generation.estimated_cost, now=now)
            generation.save(force_insert=True)
            Reference.objects.bulk_create(built)
            Event.objects.create(
                generation=generation, at=now, status=Status.QUEUED, message="Created"
            )
            transaction.on_commit(lambda: _enqueue(generation.pk, "submit", 0))
    except BaseException:
        delete_files([ref.file.name for ref in built])
        raise
    return generation


def generation_rerun(*, generation: Generation, same_seed: bool = True) -> Generation:
    """ "Try again" / "Run again": always a new generation, so a new paid call is explicit."""
    data = {field: getattr(generation, field) for field in ("mode", "prompt", *OPTION_FIELDS)}
    data["seed"] = generation.seed if same_seed else None
    copies = [
        PendingReference(ref.role, ref.position, copy_of=ref) for ref in generation.references.all()
    ]
    return generation_create(user=generation.user, data=data, references=copies)


def _enqueue(pk: Any, action: str, delay: float) -> None:
    from generations import tasks  # tasks import services; import here to avoid a cycle

    tasks.schedule(str(pk), action, delay)


# --- submission -------------------------------------------------------------------------


def generation_submit(pk: Any) -> Next | None:
    """Send the paid create call at most once for this generation."""
    now = timezone.now()
    queued = Generation.objects.filter(pk=pk, status=Status.QUEUED).first()
    if queued is None:
        return None
    # Built before the claim: if it fails (storage down), nothing was sent and the row is
    # still plainly queued for the sweeper, not "submitting" with an unknown outcome.
    request = build_request(queued)
    claimed = Generation.objects.filter(
        pk=pk,
        status=Status.QUEUED,
        next_poll_at__lte=now + CLAIM_TOLERANCE,
        submit_attempts__lt=settings.SEEDANCE_MAX_SUBMIT_ATTEMPTS,
    ).update(
        status=Status.SUBMITTING,
        submit_attempts=F("submit_attempts") + 1,
        next_poll_at=now + submit_lease(),
        updated_at=now,
    )
    if not claimed:
        _fail_exhausted_submit(pk)
        return None
    generation = Generation.objects.get(pk=pk)
    log.info("generation=%s submitting attempt=%s", pk, generation.submit_attempts)
    try:
        task_id = get_client().create_task(request)
    except SeedanceError as exc:
        return _after_submit_error(generation, exc)
    now = timezone.now()
    delay = poll_delay(generation, elapsed=0.0)
    with transaction.atomic():
        moved = Generation.objects.filter(pk=pk, status=Status.SUBMITTING).update(
            status=Status.RUNNING,
            upstream_task_id=task_id,
            submitted_at=now,
            next_poll_at=now + timedelta(seconds=delay),
            updated_at=now,
        )
        if not moved:
            # Cancelled while the call was in flight: keep the id so operators can find it.
            Generation.objects.filter(pk=pk).update(upstream_task_id=task_id)
            return None
        Event.objects.create(
            generation_id=pk, at=now, status=Status.RUNNING, message="Submitted to the provider"
        )
    log.info("generation=%s task=%s submitted", pk, task_id)
    return Next("poll", delay)


def build_request(generation: Generation) -> CreateRequest:
    """The upstream request for a generation, with fetchable URLs for its references."""
    urls: dict[str, list[str]] = {}
    for ref in generation.references.all():
        url = upstream_url(ref, valid_until=generation.deadline_at or timezone.now())
        urls.setdefault(ref.role, []).append(url)
    first = urls.get(ReferenceRole.FIRST_FRAME, [None])[0]
    last = urls.get(ReferenceRole.LAST_FRAME, [None])[0]
    # edit/extend are "compatibility" operation hints on the seed page; every other mode is
    # expressed by its inputs alone (sending a hint with them is a listed error).
    operation = {Mode.EDIT: "edit_video", Mode.EXTEND: "extend_video"}.get(generation.mode)
    return CreateRequest(
        image=first,
        last_image=last,
        images=tuple(urls.get(ReferenceRole.IMAGE, [])),
        videos=tuple(urls.get(ReferenceRole.VIDEO, []) + urls.get(ReferenceRole.SOURCE_VIDEO, [])),
        audios=tuple(urls.get(ReferenceRole.AUDIO, [])),
        operation=operation,
        model=generation.model,
        prompt=generation.prompt,
        duration=generation.duration,
        aspect_ratio=generation.aspect_ratio,
        seed=generation.seed,
        generate_audio=generation.generate_audio,
        watermark=generation.watermark,
        camera_fixed=generation.camera_fixed,
        return_last_frame=generation.return_last_frame,
    )


def _after_submit_error(generation: Generation, exc: SeedanceError) -> Next | None:
    pk = generation.pk
    log.warning(
        "generation=%s submit failed kind=%s status=%s code=%s",
        pk,
        exc.kind,
        exc.http_status,
        exc.code,
    )
    if exc.maybe_accepted or exc.permanent:
        _fail(pk, (Status.SUBMITTING,), errors.from_upstream_error(exc))
        return None
    if generation.submit_attempts >= settings.SEEDANCE_MAX_SUBMIT_ATTEMPTS:
        _fail(pk, (Status.SUBMITTING,), errors.from_upstream_error(exc))
        return None
    # Certainly not accepted (never connected, 429, 503): safe to send again later.
    delay = backoff(generation.submit_attempts, retry_after=exc.retry_after)
    now = timezone.now()
    with transaction.atomic():
        moved = Generation.objects.filter(pk=pk, status=Status.SUBMITTING).update(
            status=Status.QUEUED, next_poll_at=now + timedelta(seconds=delay), updated_at=now
        )
        if moved:
            Event.objects.create(
                generation_id=pk,
                at=now,
                status=Status.QUEUED,
                message=f"Provider busy; retrying in {delay:.0f} s",
            )
    return Next("submit", delay) if moved else None


def _fail_exhausted_submit(pk: Any) -> None:
    generation = Generation.objects.filter(
        pk=pk, status=Status.QUEUED, submit_attempts__gte=settings.SEEDANCE_MAX_SUBMIT_ATTEMPTS
    ).first()
    if generation:
        _fail(
            pk,
            (Status.QUEUED,),
            errors.Reason(
                "provider_unavailable",
                "The provider stayed unavailable after several tries. You were not charged.",
                "no",
            ),
        )


# --- helpers shared by polling and saving ------------------------------------------------


def _fail(pk: Any, from_statuses: tuple[str, ...], reason: errors.Reason) -> bool:
    now = timezone.now()
    with transaction.atomic():
        moved = Generation.objects.filter(pk=pk, status__in=from_statuses).update(
            status=Status.FAILED,
            error_code=reason.code,
            error_message=reason.message,
            charged=reason.charged,
            finished_at=now,
            next_poll_at=None,
            updated_at=now,
        )
        if moved:
            Event.objects.create(
                generation_id=pk, at=now, status=Status.FAILED, message=reason.message[:300]
            )
    if moved:
        log.info("generation=%s failed code=%s", pk, reason.code)
    return bool(moved)


# --- cancelling and sweeping ---------------------------------------------------------------


def generation_cancel(*, generation: Generation) -> bool:
    """Stop a generation. Unsent ones are never sent; sent ones stop being polled (the
    provider cannot cancel a running task, so it may still bill it)."""
    now = timezone.now()
    sent = generation.status != Status.QUEUED
    with transaction.atomic():
        moved = Generation.objects.filter(pk=generation.pk, status__in=UNFINISHED).update(
            status=Status.CANCELLED,
            finished_at=now,
            next_poll_at=None,
            updated_at=now,
            charged="maybe" if sent else "no",
        )
        if moved:
            message = (
                "Cancelled. The provider cannot stop a task it has started; it may still bill it."
                if sent
                else "Cancelled before it was sent. You were not charged."
            )
            Event.objects.create(
                generation_id=generation.pk, at=now, status=Status.CANCELLED, message=message
            )
    return bool(moved)


def generation_sweep() -> dict[str, int]:
    """Re-send overdue actions and end what is past its deadline. Safe to run concurrently:
    every action it triggers is claimed by compare-and-set."""
    now = timezone.now()
    counts = {"submit": 0, "poll": 0, "unknown_outcome": 0, "timed_out": 0}
    for pk, status, sent in Generation.objects.filter(
        status__in=UNFINISHED, deadline_at__lt=now
    ).values_list("pk", "status", "submitted_at"):
        if _fail(
            pk,
            (status,),
            errors.timed_out(
                settings.SEEDANCE_DEADLINE_MINUTES, was_sent=status != Status.QUEUED or bool(sent)
            ),
        ):
            counts["timed_out"] += 1
    for pk in Generation.objects.filter(status=Status.SUBMITTING, next_poll_at__lt=now).values_list(
        "pk", flat=True
    ):
        # The worker died during the create call: the provider may have the task.
        reason = errors.from_upstream_error(
            SeedanceError("worker lost", kind="dropped", maybe_accepted=True)
        )
        if _fail(pk, (Status.SUBMITTING,), reason):
            counts["unknown_outcome"] += 1
    overdue = now - timedelta(seconds=settings.SEEDANCE_SWEEP_SECONDS)
    for pk, status in Generation.objects.filter(
        status__in=(Status.QUEUED, Status.RUNNING, Status.SAVING), next_poll_at__lt=overdue
    ).values_list("pk", "status"):
        action = "submit" if status == Status.QUEUED else "poll"
        _enqueue(pk, action, 0)
        counts[action] += 1
    return counts
