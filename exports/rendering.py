"""One export's render, run by the ``exports`` worker: claim, copy the original into a
temporary folder, render with bounded time and memory, sign (C2PA), store, finish.

The claim is the row's ``attempts``: every later write (progress, done, failed) is a
compare-and-set on status and that number, so a render the sweeper has given to another
worker can neither overwrite the new one nor leave files behind.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

import av
from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.utils import timezone

from brandkits import finish
from brandkits.services import delete_files, kit_for
from exports import names
from exports.models import Export, ExportStatus
from exports.services import claim
from studiolib.finishing import captions, presets, provenance, render
from studiolib.finishing.errors import FinishingError

log = logging.getLogger("exports")
PROGRESS_EVERY = 0.5  # seconds between progress writes
REASONS = {
    "timeout": "The render took longer than the studio allows ({seconds:g} s).",
    "memory": "The render ran out of memory.",
    "failed": "The render failed while encoding the video.",
}


class LostClaim(Exception):
    """The sweeper gave this export to another render (or it was deleted)."""


class Heartbeat:
    """ffmpeg's progress, written at most every PROGRESS_EVERY seconds; each write extends
    the claim's lease, and finding the claim gone stops the render."""

    def __init__(self, export: Export) -> None:
        self.export = export
        self.last = 0.0

    def __call__(self, fraction: float) -> None:
        now = time.monotonic()
        if now - self.last < PROGRESS_EVERY:
            return
        self.last = now
        stamp = timezone.now()
        if not Export.objects.filter(
            pk=self.export.pk, status=ExportStatus.RENDERING, attempts=self.export.attempts
        ).update(
            progress=min(99, int(fraction * 100)),
            heartbeat_at=stamp,
            lease_until=stamp + timedelta(seconds=settings.EXPORT_LEASE_SECONDS),
        ):
            raise LostClaim


def export_render(export_id: str) -> str | None:
    """Render a queued export; returns its final status, or None when it was not ours."""
    export = claim(export_id)
    if export is None:
        return None
    try:
        return produce(export)
    except LostClaim:
        log.info("export=%s claim lost; another render has it", export_id)
        return None
    except render.RenderError as exc:
        message = REASONS[exc.reason].format(seconds=settings.EXPORT_RENDER_TIMEOUT)
        log.warning("export=%s render %s: %s", export_id, exc.reason, exc.detail[-500:])
        return fail(export, message)
    except FinishingError as exc:
        return fail(export, exc.message)
    except Exception:
        log.exception("export=%s failed", export_id)
        return fail(export, "The render failed unexpectedly; request the export again.")


def _mine(export: Export):
    return Export.objects.filter(
        pk=export.pk, status=ExportStatus.RENDERING, attempts=export.attempts
    )


def fail(export: Export, message: str) -> str | None:
    if _mine(export).update(
        status=ExportStatus.FAILED, error=message[:300], finished_at=timezone.now()
    ):
        return ExportStatus.FAILED
    return None


def probe(path: Path) -> tuple[int, int, float]:
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        return stream.width, stream.height, container.duration / av.time_base


def produce(export: Export) -> str | None:
    generation = export.generation
    kit = kit_for(export.workspace_id)
    preset = presets.get(export.preset)
    stem = names.stem(export, kit)
    with tempfile.TemporaryDirectory(prefix="export-") as folder:
        work = Path(folder)
        source = work / "original.mp4"
        with generation.video.open("rb") as original, source.open("wb") as copy:
            shutil.copyfileobj(original, copy, 1024 * 1024)
        font_path, family = finish.font(kit, work)
        cues = [captions.Cue(**cue) for cue in export.captions]
        ass = None
        if cues:
            ass = work / "captions.ass"
            captions.write_ass(cues, ass, preset=preset, style=finish.caption_style(kit, family))
            captions.write_srt(cues, work / "captions.srt")
            captions.write_vtt(cues, work / "captions.vtt")
        spec = finish.spec(
            kit,
            preset=preset,
            fit=export.fit,
            folder=work,
            choices=finish.Choices(export.use_logo, export.use_end_card, export.use_ai_label),
            font_path=font_path,
            captions_ass=ass,
        )
        out = work / "export.mp4"
        render.render(
            source,
            out,
            spec,
            timeout=settings.EXPORT_RENDER_TIMEOUT,
            memory_mb=settings.EXPORT_RENDER_MEMORY_MB,
            progress=Heartbeat(export),
        )
        source_sha = provenance.sha256_file(source)
        try:
            sha = provenance.embed_manifest(
                export=out, original=source, title=f"{stem}.mp4", ai_generated=True
            )
            signed = True
        except Exception:  # c2pa raises its own types; the export is still usable unsigned
            log.exception("export=%s C2PA signing failed; stored without a manifest", export.pk)
            sha, signed = provenance.sha256_file(out), False
        width, height, duration = probe(out)
        stored = _store(export, work, out, bool(cues))
        done = _mine(export).update(
            status=ExportStatus.DONE,
            progress=100,
            file=stored[0],
            srt=stored[1] if cues else "",
            vtt=stored[2] if cues else "",
            sha256=sha,
            source_sha256=source_sha,
            c2pa=signed,
            width=width,
            height=height,
            duration=duration,
            bytes=out.stat().st_size,
            finished_at=timezone.now(),
            lease_until=None,
        )
        if not done:  # deleted meanwhile, or the sweeper gave it to another render
            delete_files(stored)
            return None
    return ExportStatus.DONE


def remove_stale_folders(older_than: float | None = None) -> int:
    """Delete render folders a killed worker left in the temporary directory (a SIGKILL
    skips every ``finally``). Only folders older than twice the render timeout: another
    worker on this machine may be rendering in a newer one."""
    age = older_than if older_than is not None else 2 * settings.EXPORT_RENDER_TIMEOUT + 60
    cutoff = time.time() - age
    removed = 0
    for pattern in ("export-*", "finish-*"):
        for folder in Path(tempfile.gettempdir()).glob(pattern):
            try:
                if folder.is_dir() and folder.stat().st_mtime < cutoff:
                    shutil.rmtree(folder, ignore_errors=True)
                    removed += 1
            except OSError:
                continue
    return removed


def _store(export: Export, work: Path, out: Path, with_captions: bool) -> list[str]:
    prefix = f"workspaces/{export.workspace_id}/exports/{export.pk}/{uuid.uuid4().hex}"
    files = [(out, "export.mp4")]
    if with_captions:
        files += [(work / "captions.srt", "captions.srt"), (work / "captions.vtt", "captions.vtt")]
    stored: list[str] = []
    try:
        for path, name in files:
            with path.open("rb") as handle:
                stored.append(default_storage.save(f"{prefix}-{name}", File(handle)))
    except BaseException:
        delete_files(stored)
        raise
    return stored
