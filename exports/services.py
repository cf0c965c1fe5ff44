"""Requesting exports and recovering lost renders. ``request_export`` and ``request_many``
are the public API (campaigns call ``request_many`` to apply the brand kit to a batch); the
render itself is ``exports.rendering.export_render``.

An export is a download of the clip in another form, so it follows the download rules:
only a finished clip with a stored video, and never one the project's approval gate holds
back.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import asdict
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from brandkits.finish import Choices
from brandkits.services import kit_for
from exports.models import Export, ExportStatus
from generations import gate, scheduling
from generations.models import Generation, Status
from studiolib.finishing import captions as captionlib
from studiolib.finishing import presets
from studiolib.finishing.errors import FinishingError

log = logging.getLogger("exports")
RENDER_TASK = "exports.tasks.render"


class ExportRefused(FinishingError):
    """The export cannot be made; ``field`` names the form field the message belongs to
    (``""`` for the request as a whole)."""


def clip_seconds(generation: Generation) -> float:
    return float(generation.video_duration or generation.duration)


def check_clip(generation: Generation) -> None:
    if generation.status != Status.SUCCEEDED or not generation.video:
        raise ExportRefused("", "Only a finished clip with a stored video can be exported.")
    if gate.blocked(generation):
        raise ExportRefused("", gate.MESSAGE.format(project=generation.project.name))


def queued_grace() -> timedelta:
    return timedelta(seconds=settings.EXPORT_QUEUED_SECONDS)


def request_export(
    *,
    actor: Any,
    generation: Generation,
    preset: str,
    fit: str = "pad",
    captions: list[captionlib.Cue] | None = None,
    options: Choices | None = None,
) -> Export:
    """Queue one export of ``generation`` (the caller has checked the actor may generate in
    its workspace). ``captions`` are cues already parsed (``captions.parse_file`` or
    ``from_text``); they are checked against this clip's length. Raises ExportRefused."""
    check_clip(generation)
    chosen = presets.get(preset)
    presets.check_fit(fit)
    cues = captionlib.validate(captions, clip_seconds=clip_seconds(generation)) if captions else []
    kit = kit_for(generation.workspace_id)
    options = options or Choices()
    with transaction.atomic():
        number = Export.objects.filter(generation=generation).count() + 1
        export = Export.objects.create(
            workspace_id=generation.workspace_id,
            generation=generation,
            requested_by=actor,
            number=number,
            preset=chosen.key,
            fit=fit,
            captions=[asdict(cue) for cue in cues],
            use_logo=options.logo and kit.has_logo,
            use_end_card=options.end_card and kit.has_end_card,
            use_ai_label=options.ai_label and kit.has_ai_label,
            lease_until=timezone.now() + queued_grace(),
        )
        scheduling.publish_task_on_commit(RENDER_TASK, str(export.pk))
    return export


def request_many(
    *,
    actor: Any,
    generations: Iterable[Generation],
    preset: str,
    fit: str = "pad",
    captions: list[captionlib.Cue] | None = None,
    options: Choices | None = None,
) -> tuple[list[Export], list[tuple[Generation, str]]]:
    """One export per clip with the same settings: (queued exports, [(clip, why refused)]).
    A refused clip (unfinished, gated, captions longer than it) does not stop the others."""
    made: list[Export] = []
    refused: list[tuple[Generation, str]] = []
    for generation in generations:
        try:
            made.append(
                request_export(
                    actor=actor,
                    generation=generation,
                    preset=preset,
                    fit=fit,
                    captions=captions,
                    options=options,
                )
            )
        except FinishingError as exc:
            refused.append((generation, exc.message))
    return made, refused


def export_sweep() -> dict[str, int]:
    """Recover what a lost worker or a flushed broker left behind: a render past its lease
    goes back to the queue (failed once it has had EXPORT_MAX_ATTEMPTS claims); a queued
    export no worker took is published again."""
    now = timezone.now()
    counts = {"requeued": 0, "failed": 0, "republished": 0}
    lease = queued_grace()
    for export in Export.objects.filter(status=ExportStatus.RENDERING, lease_until__lt=now):
        stale = Export.objects.filter(
            pk=export.pk, status=ExportStatus.RENDERING, attempts=export.attempts
        )
        if export.attempts >= settings.EXPORT_MAX_ATTEMPTS:
            if stale.update(
                status=ExportStatus.FAILED,
                finished_at=now,
                error=(
                    f"The render stopped {export.attempts} times before finishing; "
                    "request the export again."
                )[:300],
            ):
                counts["failed"] += 1
        elif stale.update(status=ExportStatus.QUEUED, progress=0, lease_until=now + lease):
            counts["requeued"] += 1
            scheduling.publish_task(RENDER_TASK, str(export.pk))
    for export in Export.objects.filter(status=ExportStatus.QUEUED, lease_until__lt=now):
        if Export.objects.filter(
            pk=export.pk, status=ExportStatus.QUEUED, lease_until=export.lease_until
        ).update(lease_until=now + lease):
            counts["republished"] += 1
            scheduling.publish_task(RENDER_TASK, str(export.pk))
    return counts


def claim(export_id: Any) -> Export | None:
    """queued → rendering for one worker; None when another has it or it is finished."""
    now = timezone.now()
    lease = timedelta(seconds=settings.EXPORT_LEASE_SECONDS)
    if not Export.objects.filter(pk=export_id, status=ExportStatus.QUEUED).update(
        status=ExportStatus.RENDERING,
        attempts=F("attempts") + 1,
        started_at=now,
        heartbeat_at=now,
        lease_until=now + lease,
        progress=0,
        error="",
    ):
        return None
    return (
        Export.objects.select_related("generation", "generation__project")
        .filter(pk=export_id)
        .first()
    )
