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

from billing import services as billing
from generations.models import Event, Generation, Status
from generations.references import delete_files
from generations.services import lifecycle, stopping
from generations.services.lifecycle import (
    CLAIM_TOLERANCE,
    MAX_SAVE_ATTEMPTS,
    POLL_LEASE,
    SAVE_LEASE,
    Next,
    fail,
)
from generations.services.settlement import settled_fields
from generations.services.timing import backoff, poll_delay
from studiolib import errors, media, urlguard
from studiolib.seedance import SeedanceError, TaskStatus

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
    "upstream_problem",
    "upstream_problem_since",
    "poll_failures",
)
# How many "completed" answers without a video link are asked again before that counts as
# a failure: relays sometimes send the status before the link (docs/provider.md).
MAX_EMPTY_COMPLETIONS = 4


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
        # The task was sent: no answer to a poll is a verdict on it. Keep asking until the
        # deadline, and say what is wrong (docs/provider.md, "Refused polls").
        log.warning(
            "generation=%s task=%s poll failed problem=%s status=%s code=%s kind=%s",
            pk,
            task_id,
            errors.poll_problem(exc),
            exc.http_status,
            exc.code,
            exc.kind,
        )
        return _poll_problem(generation, errors.poll_problem(exc), retry_after=exc.retry_after)
    now = timezone.now()
    if task.status == "completed":
        if not task.video_url:
            return _completed_without_url(generation)
        with transaction.atomic():
            moved = Generation.objects.filter(pk=pk, status=Status.RUNNING).update(
                status=Status.SAVING,
                progress=100,
                upstream_status=task.raw_status,
                upstream_completed_at=_finished_upstream(task, generation, now),
                result_url=task.video_url,
                result_last_frame_url=task.last_frame_url or "",
                usage_tokens=task.usage_tokens,
                next_poll_at=now,
                updated_at=now,
                **_NO_PROBLEM,
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
    if task.progress != generation.progress or generation.upstream_problem:
        # Only a visible change bumps updated_at, which is what the live gallery diffs on.
        changes.update(progress=task.progress, updated_at=now, **_NO_PROBLEM)
    moved = Generation.objects.filter(pk=pk, status=Status.RUNNING).update(**changes)
    return Next("poll", delay) if moved else None


_NO_PROBLEM = {"upstream_problem": "", "upstream_problem_since": None, "poll_failures": 0}


def _poll_problem(
    generation: Generation, problem: str, *, retry_after: float | None = None
) -> Next | None:
    """Note what is wrong (and since when) on the row and ask again after a capped backoff.
    The row changes visibly only when the problem does, so the card says it at once."""
    now = timezone.now()
    same = generation.upstream_problem == problem
    failures = generation.poll_failures + 1 if same else 1
    delay = backoff(failures, retry_after=retry_after)
    changes: dict[str, Any] = {
        "next_poll_at": now + timedelta(seconds=delay),
        "poll_failures": min(failures, 10_000),
    }
    if not same:
        changes.update(upstream_problem=problem, updated_at=now)
        if not generation.upstream_problem_since:
            changes["upstream_problem_since"] = now
    moved = Generation.objects.filter(pk=generation.pk, status=Status.RUNNING).update(**changes)
    return Next("poll", delay) if moved else None


def _completed_without_url(generation: Generation) -> Next | None:
    """A "completed" without a link is asked again a few times before it is a failure."""
    pk = generation.pk
    seen = generation.poll_failures if generation.upstream_problem == "no_url" else 0
    log.warning("generation=%s completed without a video link (%s before)", pk, seen)
    if seen + 1 >= MAX_EMPTY_COMPLETIONS:
        fail(
            pk,
            (Status.RUNNING,),
            errors.save_failed("the provider said it finished but never sent a video link"),
        )
        return None
    return _poll_problem(generation, "no_url")


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
            last_frame_path = _last_frame(generation, fetch)
            if last_frame_path is not None:
                temp_files.append(last_frame_path)
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


def _last_frame(generation: Generation, fetch: dict[str, Any]) -> Path | None:
    """The last frame is best effort: a failing link must not cost the paid video."""
    if not (generation.return_last_frame and generation.result_last_frame_url):
        return None
    path = None
    try:
        path, _, _ = media.download(generation.result_last_frame_url, suffix=".png", **fetch)
        media.verify_png(path)
    except (media.FetchError, media.MediaError) as exc:
        log.warning("generation=%s last frame not saved: %s", generation.pk, exc)
        if path is not None:
            path.unlink(missing_ok=True)
        return None
    return path


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
        settled = settled_fields(
            generation,
            info,
            last_frame_missing=generation.return_last_frame and last_frame_path is None,
        )
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
                **settled,
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
                billing.settle(generation_id=pk, cost=settled["settled_cost"])
                lifecycle.notify(pk, "generation.succeeded")
    except BaseException:
        delete_files(stored)  # nothing names them; the save is retried
        raise
    if not moved:
        # Cancelled meanwhile, or another worker saved it first: leave no orphan files.
        delete_files(stored)
        return None
    log.info("generation=%s task=%s saved bytes=%s", pk, generation.upstream_task_id, size)
    return None
