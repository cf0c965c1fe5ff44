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
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from billing import services as billing
from generations import scheduling
from generations.formfields import PendingReference
from generations.models import (
    TERMINAL,
    Event,
    Generation,
    Mode,
    Reference,
    ReferenceRole,
    Status,
)
from generations.references import build_references, delete_files, upstream_url
from generations.services import limits, versions
from generations.services.timing import backoff, poll_delay
from studiolib import errors, tiers
from studiolib.seedance import CreateRequest, SeedanceClient, SeedanceError
from webhooks import services as webhooks
from workspaces.models import Project
from workspaces.services import default_project, personal_workspace

log = logging.getLogger("generations")

SEED_MAX = 2**32 - 1
# A submission's lease outlives the create call (connect + read timeout) by this margin; a
# row still "submitting" after that had its worker die mid-call.
SUBMIT_MARGIN = timedelta(seconds=30)
POLL_LEASE = timedelta(minutes=2)
SAVE_LEASE = timedelta(minutes=10)
CLAIM_TOLERANCE = timedelta(milliseconds=250)  # clock jitter between worker and DB
MAX_SAVE_ATTEMPTS = 5
# A row that never reached "submitting": no create call was ever sent for it, so it is the
# only kind that may be told "You were not charged".
NEVER_SENT = {"status": Status.QUEUED, "submit_attempts": 0}
# Why a generation ended while its create call was in flight. If the call then returns a
# task id, the provider has the task and bills it: the submission takes the row back.
CANCELLED_WHILE_SENDING = "cancelled_while_sending"
ENDED_WHILE_SENDING = (CANCELLED_WHILE_SENDING, "unknown_outcome")


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
    workspace: Any = None,
    project: Project | None = None,
    checked_as_set: bool = False,
    version_of: Generation | None = None,
) -> Generation:
    """Create a queued generation with its references and enqueue its submission once the
    rows are committed. Reference files are written first; if anything fails they are
    deleted again, so there is never a row without its files or a file without its row.

    ``workspace`` defaults to the user's personal one and ``project`` to the workspace's
    default project; the caller has checked through ``workspaces.access`` that the user
    may generate there. The member's limits and the workspace and project budgets are
    checked and the clip entered in the spend ledger in the same transaction, unless the
    caller ("Make all formats", a campaign batch) did that for all its clips at once
    (``checked_as_set``).

    ``version_of`` (a clip of the same workspace) makes this the next version in its
    stack; otherwise the clip starts a stack of its own as v1.
    """
    now = timezone.now()
    references = references or []
    if project is None:
        workspace = workspace if workspace is not None else personal_workspace(user)
        project = default_project(workspace)
    if workspace is not None and project.workspace_id != getattr(workspace, "pk", workspace):
        raise ValueError("The project belongs to another workspace.")
    if project.archived_at is not None:
        raise limits.LimitExceeded(
            f"The project {project.name} is archived: choose another project, or ask an admin "
            "to restore it."
        )
    seed = data.get("seed")
    if seed is None or seed == -1:
        seed = secrets.randbelow(SEED_MAX)
    generation = Generation(
        user=user,
        workspace_id=project.workspace_id,
        project=project,
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
        estimated_cost=estimate(data=data, references=references),
        created_at=now,
        updated_at=now,
        next_poll_at=now,
        deadline_at=now + timedelta(minutes=settings.SEEDANCE_DEADLINE_MINUTES),
    )
    built = build_references(generation, references)
    try:
        with transaction.atomic():
            if not checked_as_set:
                limits.lock_user(user)
                limits.check_limits(user=user, cost=generation.estimated_cost, now=now)
            if version_of is not None:
                if version_of.workspace_id != generation.workspace_id:
                    raise ValueError("A version belongs to the workspace of its stack.")
                generation.stack = version_of.stack_key
                generation.version = versions.next_version(stack=generation.stack)
            else:
                generation.stack = generation.pk
            generation.save(force_insert=True)
            Reference.objects.bulk_create(built)
            Event.objects.create(
                generation=generation, at=now, status=Status.QUEUED, message="Created"
            )
            if not checked_as_set:
                # Last: it locks the workspace row until the commit, and every member's
                # submission to the workspace waits for that lock, so it is held only
                # for the budget check and the ledger's daily sums.
                billing.check_and_record(
                    workspace_id=project.workspace_id,
                    project_id=project.pk,
                    user=user,
                    entries=[(generation.pk, generation.model, generation.estimated_cost)],
                    now=now,
                )
            scheduling.schedule_on_commit(generation.pk, "submit")
    except BaseException:
        delete_files([ref.file.name for ref in built])
        raise
    return generation


def estimate(*, data: dict[str, Any], references: list[PendingReference]) -> Decimal:
    """The estimated cost of one generation of ``data`` with these references."""
    input_seconds = sum(
        p.duration
        for p in references
        if p.role in {ReferenceRole.VIDEO, ReferenceRole.SOURCE_VIDEO}
    )
    return Decimal(
        str(
            tiers.estimate_cost(
                model=data["model"],
                aspect_ratio=data["aspect_ratio"],
                duration=data["duration"],
                input_video_seconds=input_seconds,
            )
        )
    )


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
    # Logged before anything else can fail: if the write below never happens (the database
    # is down, the worker dies), this line is how an operator finds the paid task.
    log.info("generation=%s task=%s created upstream", pk, task_id)
    now = timezone.now()
    delay = poll_delay(generation, elapsed=0.0)
    running = {
        "status": Status.RUNNING,
        "upstream_task_id": task_id,
        "submitted_at": now,
        "next_poll_at": now + timedelta(seconds=delay),
        "updated_at": now,
    }
    with transaction.atomic():
        moved = Generation.objects.filter(pk=pk, status=Status.SUBMITTING).update(**running)
        message = "Submitted to the provider"
        if not moved:
            # Ended while the call was in flight (a cancel, or the sweeper giving up on the
            # call): the provider has the task and bills it, so the studio keeps the clip.
            moved = Generation.objects.filter(
                pk=pk,
                status__in=TERMINAL,
                error_code__in=ENDED_WHILE_SENDING,
                upstream_task_id="",
            ).update(**running, finished_at=None, error_code="", error_message="", charged="")
            message = (
                "The provider accepted it after all and may bill it, so the studio keeps the clip"
            )
        if not moved:
            return None  # deleted meanwhile; the log line above names the task
        Event.objects.create(generation_id=pk, at=now, status=Status.RUNNING, message=message)
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
        fail(pk, (Status.SUBMITTING,), errors.from_upstream_error(exc))
        return None
    if generation.submit_attempts >= settings.SEEDANCE_MAX_SUBMIT_ATTEMPTS:
        fail(pk, (Status.SUBMITTING,), errors.from_upstream_error(exc))
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
        fail(
            pk,
            (Status.QUEUED,),
            errors.Reason(
                "provider_unavailable",
                "The provider stayed unavailable after several tries (it refused each one "
                "as busy or could not be reached). It was not sent again. You may have been "
                "charged.",
                "maybe",
            ),
        )


# --- helpers shared by polling and saving ------------------------------------------------


def fail(pk: Any, from_statuses: tuple[str, ...], reason: errors.Reason) -> bool:
    """Fail the generation if it is in one of ``from_statuses``. A "not charged" reason is
    written only to a row that never reached ``submitting`` (checked in the same
    compare-and-set); any other row gets the reason's "may have been charged" form."""
    now = timezone.now()
    with transaction.atomic():
        moved = 0
        if reason.charged == "no" and Status.QUEUED in from_statuses:
            moved = Generation.objects.filter(pk=pk, **NEVER_SENT).update(**_failed(reason, now))
        if not moved:
            reason = errors.as_sent(reason)
            moved = Generation.objects.filter(pk=pk, status__in=from_statuses).update(
                **_failed(reason, now)
            )
        if moved:
            Event.objects.create(
                generation_id=pk, at=now, status=Status.FAILED, message=reason.message[:300]
            )
            if reason.charged == "no":
                billing.settle(generation_id=pk, cost=Decimal(0))
            notify(pk, "generation.failed")
    if moved:
        log.info("generation=%s failed code=%s", pk, reason.code)
    return bool(moved)


def notify(pk: Any, event: str) -> None:
    """Tell the workspace's webhooks, inside the transaction that moved the row: the
    deliveries commit with the change and are sent once it has."""
    row = (
        Generation.objects.filter(pk=pk)
        .values("workspace_id", "project_id", "prompt", "status", "error_code", "error_message")
        .first()
    )
    if row is None:
        return
    url = settings.STUDIO_PUBLIC_URL.rstrip("/") + reverse("generations:detail", args=[pk])
    data = {"generation_id": str(pk), **row, "url": url, "prompt": row["prompt"][:500]}
    data["workspace_id"], data["project_id"] = str(row["workspace_id"]), str(row["project_id"])
    webhooks.emit(workspace_id=row["workspace_id"], event=event, data=data)


def _failed(reason: errors.Reason, now: datetime) -> dict[str, Any]:
    return {
        "status": Status.FAILED,
        "error_code": reason.code,
        "error_message": reason.message,
        "charged": reason.charged,
        "finished_at": now,
        "next_poll_at": None,
        "updated_at": now,
    }
