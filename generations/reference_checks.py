"""The provider's rules applied to references that are not new uploads: an earlier clip's
video or last frame reused as a reference, and the references an "Edit and run" copies.

They are judged exactly like an upload before anything is paid for: a reused clip's stored
facts first (no file read: a 1080p output is refused at once), then its stored file through
the same sandboxed decoder as an upload (fps, real frame size and duration).
"""

from __future__ import annotations

import contextlib
import logging
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from django.db.models.fields.files import FieldFile

from generations.models import Generation, Reference
from studiolib import mediarules, uploads
from studiolib.uploads import UploadRejected

log = logging.getLogger("generations")


@contextlib.contextmanager
def _local_copy(field: FieldFile, suffix: str) -> Iterator[Path]:
    """A local path to a stored file: the file itself on local storage, else a temporary
    copy that is deleted afterwards."""
    try:
        local = Path(field.path)
    except NotImplementedError:  # object storage has no local path
        local = None
    if local is not None:
        yield local
        return
    handle = tempfile.NamedTemporaryFile(suffix=suffix, delete=False)  # noqa: SIM115
    path = Path(handle.name)
    try:
        with handle, field.open("rb") as stored:
            shutil.copyfileobj(stored, handle, mediarules.MB)
        yield path
    finally:
        path.unlink(missing_ok=True)


def _raise_if(problem: str | None) -> None:
    if problem:
        raise UploadRejected(problem)


def check_reused_output(source: Generation, output_kind: str) -> float | None:
    """Refuse an earlier output that breaks a reference rule; returns a video's seconds."""
    try:
        return _check_output(source, output_kind)
    except UploadRejected:
        raise
    except Exception:  # the stored file is gone: FileNotFoundError, or S3's ClientError
        log.warning("stored output of %s unreadable", source.pk, exc_info=True)
        what = "clip's video" if output_kind == "video" else "clip's last frame"
        raise UploadRejected(f"That {what} is no longer in storage; pick another.") from None


def _check_output(source: Generation, output_kind: str) -> float | None:
    if output_kind == "video":
        subject = "This clip"
        if None not in (source.video_width, source.video_height, source.video_duration):
            _raise_if(
                mediarules.video_problem(
                    subject,
                    seconds=source.video_duration,
                    width=source.video_width,
                    height=source.video_height,
                    fps=None,
                )
            )
        _raise_if(mediarules.size_problem(subject, source.video.size, "video"))
        with _local_copy(source.video, ".mp4") as path:
            return uploads.check_stored_video(path, subject)["duration"]
    subject = "This last frame"
    _raise_if(mediarules.size_problem(subject, source.last_frame.size, "image"))
    with _local_copy(source.last_frame, ".png") as path:
        uploads.check_stored_image(path, subject)
    return None


def check_copied(reference: Reference) -> None:
    """Judge a reference copied from an earlier generation by its stored facts (it was
    decoded when it was uploaded; the rules may have tightened since)."""
    subject = f"“{reference.original_name or reference}”"
    _raise_if(mediarules.size_problem(subject, reference.size, reference.kind))
    width, height, seconds = reference.width, reference.height, reference.duration
    if reference.kind == "image" and width and height:
        _raise_if(mediarules.image_problem(subject, width, height))
    elif reference.kind == "video" and width and height and seconds is not None:
        _raise_if(
            mediarules.video_problem(subject, seconds=seconds, width=width, height=height, fps=None)
        )
    elif reference.kind == "audio" and seconds is not None:
        _raise_if(mediarules.length_problem(subject, seconds, "audio"))
