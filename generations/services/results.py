"""Polling the provider and copying finished results into our storage.

Same rules as ``lifecycle``: claim the due action with a compare-and-set lease, do the
I/O outside any transaction, then move the row on with another compare-and-set.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files import File
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from generations import errors, media, urlguard
from generations.models import Event, Generation, Status
from generations.references import delete_files
from generations.seedance import SeedanceError, TaskStatus
from generations.services import lifecycle, stopping
from generations.services.lifecycle import (
    CLAIM_TOLERANCE,
    MAX_SAVE_ATTEMPTS,
    POLL_LEASE,
    SAVE_LEASE,
    Next,
    fail,
)
from generations.services.timing import backoff, poll_delay

log = logging.getLogger("generations")
# What a poll reads (timing included): a poll is the most frequent task there is, and the
# rest of the row is dozens of columns it never looks at.
POLL_FIELDS = (
    "id",
    "model",
    "duration",
    "status",
    "progress",
    "upstream_status",
    "upstream_task_id",
    "submitted_at",
    "poll_count",
)


def generation_refresh(pk: Any) -> Next | None:
    """One poll of a running generation, or one save attempt of a finished one."""
    now = timezone.now()
    if Generation.objects.filter(
        pk=pk, status=Status.RUNNING, next_poll_at__lte=now + CLAIM_TOLERANCE
    ).update(next_poll_at=now + POLL_LEASE, poll_count=F("poll_count") + 1):
        generation = Generation.objects.only(*POLL_FIELDS, "deadline_at").get(pk=pk)
        next_step = _poll(generation)
        # Past the deadline this poll was the last look: a clip it saw finish goes on to
        # be saved; one still running there is ended with what really happened.
        expired = generation.deadline_at is not None and generation.deadline_at < now
        return None if expired and stopping.fail_if_expired(pk) else next_step
    if Generation.objects.filter(
        pk=pk, status=Status.SAVING, next_poll_at__lte=now + CLAIM_TOLERANCE
    ).update(next_poll_at=now + SAVE_LEASE, save_attempts=F("save_attempts") + 1):
        return _save(Generation.objects.get(pk=pk))
    return None


def _poll(generation: Generation) -> Next | None:
    pk, task_id = generation.pk, generation.upstream_task_id
    try:
        task = lifecycle.get_client(pooled=True).get_task(task_id)
    except SeedanceError as exc:
        if exc.permanent:
            log.warning("generation=%s task=%s poll refused code=%s", pk, task_id, exc.code)
            fail(pk, (Status.RUNNING,), errors.from_upstream_error(exc))
            return None
        delay = backoff(generation.poll_count, retry_after=exc.retry_after)
        log.info(
            "generation=%s task=%s poll error kind=%s; next in %.1fs", pk, task_id, exc.kind, delay
        )
        return _reschedule(pk, delay)
    now = timezone.now()
    if task.status == "completed":
        if not task.video_url:
            fail(pk, (Status.RUNNING,), errors.save_failed("the provider sent no video link"))
            return None
        with transaction.atomic():
            moved = Generation.objects.filter(pk=pk, status=Status.RUNNING).update(
                status=Status.SAVING,
                progress=100,
                upstream_status=task.raw_status,
                upstream_completed_at=_finished_upstream(task, generation, now),
                result_url=task.video_url,
                result_last_frame_url=task.last_frame_url or "",
                next_poll_at=now,
                updated_at=now,
            )
            if moved:
                Event.objects.create(
                    generation_id=pk,
                    at=now,
                    status=Status.SAVING,
                    message="Finished by the provider; saving",
                )
        log.info("generation=%s task=%s completed upstream", pk, task_id)
        return Next("poll", 0) if moved else None
    if task.status in {"failed", "cancelled", "expired"}:
        log.info(
            "generation=%s task=%s ended %s code=%s", pk, task_id, task.raw_status, task.error_code
        )
        reason = (
            errors.from_task_failure(task.error_code, task.error_message)
            if task.status == "failed"
            else errors.from_task_failure(task.raw_status, f"the task was {task.raw_status}")
        )
        fail(pk, (Status.RUNNING,), reason)
        return None
    if task.status == "unknown" and generation.upstream_status != task.raw_status:
        log.warning(
            "generation=%s task=%s unknown status %r, treated as running",
            pk,
            task_id,
            task.raw_status,
        )
    elapsed = (now - (generation.submitted_at or now)).total_seconds()
    delay = poll_delay(generation, elapsed=elapsed)
    changes: dict[str, Any] = {
        "next_poll_at": now + timedelta(seconds=delay),
        "upstream_status": task.raw_status,
    }
    if task.progress != generation.progress:
        # Only a visible change bumps updated_at, which is what the live gallery diffs on.
        changes.update(progress=task.progress, updated_at=now)
    moved = Generation.objects.filter(pk=pk, status=Status.RUNNING).update(**changes)
    return Next("poll", delay) if moved else None


def _finished_upstream(task: TaskStatus, generation: Generation, now: datetime) -> datetime:
    """The provider's own finish time when it sends a plausible one, else when we saw it:
    poll timing learns from these, and our polling delay must not leak into them."""
    if task.completed_at is not None:
        reported = datetime.fromtimestamp(task.completed_at, tz=UTC)
        if (generation.submitted_at or now) - timedelta(seconds=1) <= reported <= now:
            return reported
    return now


def _reschedule(pk: Any, delay: float) -> Next | None:
    moved = Generation.objects.filter(pk=pk, status__in=(Status.RUNNING, Status.SAVING)).update(
        next_poll_at=timezone.now() + timedelta(seconds=delay)
    )
    return Next("poll", delay) if moved else None


def _save(generation: Generation) -> Next | None:
    """Copy the result into our storage, verify it, then mark the generation succeeded.

    Every temporary file is removed on every way out (a broken or refused download, a file
    that does not decode, a failed last frame, Celery's soft time limit), not only after a
    successful store.
    """
    pk = generation.pk
    if generation.save_attempts > MAX_SAVE_ATTEMPTS:
        fail(pk, (Status.SAVING,), errors.save_failed("the download kept failing"))
        return None
    fetch = {
        "policy": urlguard.UrlPolicy(
            tuple(settings.SEEDANCE_RESULT_HOSTS),
            allow_loopback=settings.SEEDANCE_RESULT_ALLOW_LOOPBACK,
        ),
        "max_bytes": settings.SEEDANCE_RESULT_MAX_BYTES,
        "deadline_seconds": settings.SEEDANCE_DOWNLOAD_SECONDS,
    }
    temp_files: list[Path] = []
    try:
        try:
            video_path, size, sha256 = media.download(generation.result_url, suffix=".mp4", **fetch)
            temp_files.append(video_path)
            info = media.probe_video(video_path)
            poster = media.poster_jpeg(video_path)
            last_frame_path = None
            if generation.return_last_frame and generation.result_last_frame_url:
                last_frame_path, _, _ = media.download(
                    generation.result_last_frame_url, suffix=".png", **fetch
                )
                temp_files.append(last_frame_path)
                media.verify_png(last_frame_path)
        except media.FetchError as exc:
            log.warning("generation=%s save attempt failed: %s", pk, exc)
            if exc.permanent:
                fail(pk, (Status.SAVING,), errors.save_failed(str(exc)))
                return None
            return _reschedule(pk, backoff(generation.save_attempts))
        except media.MediaError as exc:
            log.warning("generation=%s result is not a valid video: %s", pk, exc)
            fail(pk, (Status.SAVING,), errors.save_failed(f"the provider's file is broken ({exc})"))
            return None
        return _store(generation, video_path, last_frame_path, poster, info, size, sha256)
    finally:
        for path in temp_files:
            path.unlink(missing_ok=True)


def _store(
    generation: Generation,
    video_path: Path,
    last_frame_path: Path | None,
    poster: bytes,
    info: media.VideoInfo,
    size: int,
    sha256: str,
) -> Next | None:
    """Write the files, then record them on the row. Until the row names them they are
    this function's to delete: when writing one fails, when the database write fails, and
    when the row is no longer saving (cancelled, deleted, or saved by a redelivered copy of
    this task)."""
    pk = generation.pk
    stored: list[str] = []
    try:
        with video_path.open("rb") as handle:
            generation.video.save("video.mp4", File(handle), save=False)
        stored.append(generation.video.name)
        generation.poster.save("poster.jpg", ContentFile(poster), save=False)
        stored.append(generation.poster.name)
        if last_frame_path is not None:
            with last_frame_path.open("rb") as handle:
                generation.last_frame.save("last-frame.png", File(handle), save=False)
            stored.append(generation.last_frame.name)
        now = timezone.now()
        with transaction.atomic():
            moved = Generation.objects.filter(pk=pk, status=Status.SAVING).update(
                status=Status.SUCCEEDED,
                video=generation.video.name,
                poster=generation.poster.name,
                last_frame=generation.last_frame.name or "",
                video_bytes=size,
                video_sha256=sha256,
                video_width=info.width,
                video_height=info.height,
                video_duration=info.duration,
                video_has_audio=info.has_audio,
                result_url="",
                result_last_frame_url="",
                finished_at=now,
                next_poll_at=None,
                updated_at=now,
            )
            if moved:
                Event.objects.create(
                    generation_id=pk,
                    at=now,
                    status=Status.SUCCEEDED,
                    message="Saved to the studio's storage",
                )
    except BaseException:
        delete_files(stored)  # nothing names them; the save is retried
        raise
    if not moved:
        delete_files(stored)
        return None
    log.info("generation=%s task=%s saved bytes=%s", pk, generation.upstream_task_id, size)
    return None
