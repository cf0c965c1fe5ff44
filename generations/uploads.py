"""Checking uploaded reference files before anything is stored or paid for.

A file's type comes from its content (magic bytes, then a real decode), never from its
name or the browser's Content-Type. Images are decoded only as JPEG/PNG/WebP with the
decompression-bomb guard on, then re-encoded without EXIF/XMP/GPS. Video and audio are
probed with PyAV only as local temporary files, with a forced demuxer and only the
``file`` protocol, so a playlist or a hostile container cannot reach the network.
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import av
from django.core.files.uploadedfile import UploadedFile
from PIL import Image, ImageOps

MB = 1024 * 1024
LIMITS: dict[str, dict[str, Any]] = {
    "image": {
        "max_bytes": 30 * MB,
        "min_side": 300,
        "max_side": 6000,
        "min_ratio": 0.4,
        "max_ratio": 2.5,
        "help": "JPEG, PNG or WebP, up to 30 MB, each side 300–6000 px.",
    },
    "video": {
        "max_bytes": 50 * MB,
        "min_seconds": 2.0,
        "max_seconds": 15.0,
        "min_fps": 24,
        "max_fps": 60,
        "help": "MP4 or MOV, up to 50 MB, 2–15 s, 24–60 fps.",
    },
    "audio": {
        "max_bytes": 15 * MB,
        "min_seconds": 2.0,
        "max_seconds": 15.0,
        "help": "WAV or MP3, up to 15 MB, 2–15 s.",
    },
}
_IMAGE_FORMATS = {
    "JPEG": ("image/jpeg", "jpg"),
    "PNG": ("image/png", "png"),
    "WEBP": ("image/webp", "webp"),
}
# Slack in the duration checks: containers round durations to their time base.
_EPSILON = 0.05


class UploadRejected(Exception):
    """A clear sentence for the user, shown next to the form field."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class CheckedFile:
    kind: str
    content_type: str
    extension: str
    path: Path  # a temporary file the caller stores and then deletes
    size: int
    sha256: str
    width: int | None = None
    height: int | None = None
    duration: float | None = None
    has_audio: bool | None = None


def _name(uploaded: UploadedFile) -> str:
    return os.path.basename((uploaded.name or "file").replace("\\", "/"))[:100] or "file"


def _head(uploaded: UploadedFile, size: int = 64) -> bytes:
    uploaded.seek(0)
    head = uploaded.read(size)
    uploaded.seek(0)
    return head


def _describe(head: bytes) -> str:
    """What a file looks like, for the error message."""
    lowered = head.lstrip()[:32].lower()
    if not head:
        return "it is empty"
    if lowered.startswith((b"<!doctype html", b"<html", b"<head", b"<body", b"<script")):
        return "it looks like HTML"
    if lowered.startswith((b"<?xml", b"<svg")):
        return "it looks like SVG/XML"
    if head.startswith(b"#EXTM3U"):
        return "it is a playlist"
    if head.startswith(b"%PDF"):
        return "it is a PDF"
    if head.startswith(b"PK\x03\x04"):
        return "it is a ZIP archive"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "it is a GIF"
    if head.startswith(b"BM"):
        return "it is a BMP"
    if head.startswith((b"II*\x00", b"MM\x00*")):
        return "it is a TIFF"
    if head.startswith(b"RIFF") and head[8:12] == b"AVI ":
        return "it is an AVI video"
    if head.startswith(b"\x1aE\xdf\xa3"):
        return "it is a WebM/MKV video"
    if head.startswith(b"OggS"):
        return "it is an Ogg file"
    return "its content is not recognised"


def _size_check(uploaded: UploadedFile, kind: str, what: str) -> None:
    if not uploaded.size:
        raise UploadRejected(f"“{_name(uploaded)}” is empty.")
    limit = LIMITS[kind]["max_bytes"]
    if uploaded.size > limit:
        raise UploadRejected(
            f"“{_name(uploaded)}” is {uploaded.size / MB:.1f} MB; {what} can be at most "
            f"{limit // MB} MB."
        )


def _temp_copy(uploaded: UploadedFile, suffix: str) -> Path:
    handle = tempfile.NamedTemporaryFile(suffix=suffix, delete=False)  # noqa: SIM115
    try:
        with handle:
            uploaded.seek(0)
            for chunk in uploaded.chunks():
                handle.write(chunk)
    except BaseException:
        Path(handle.name).unlink(missing_ok=True)
        raise
    return Path(handle.name)


def _finish(path: Path, **fields: Any) -> CheckedFile:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(MB):
            digest.update(chunk)
    return CheckedFile(path=path, size=path.stat().st_size, sha256=digest.hexdigest(), **fields)


# --- images ---------------------------------------------------------------------------


def check_image(uploaded: UploadedFile) -> CheckedFile:
    name = _name(uploaded)
    _size_check(uploaded, "image", "an image")
    head = _head(uploaded)
    is_known = head.startswith((b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n")) or (
        head.startswith(b"RIFF") and head[8:12] == b"WEBP"
    )
    if not is_known:
        raise UploadRejected(f"“{name}” is not a JPEG, PNG or WebP image ({_describe(head)}).")
    limits = LIMITS["image"]
    uploaded.seek(0)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(uploaded, formats=list(_IMAGE_FORMATS)) as probe:
                width, height = probe.size
                image_format = probe.format
                # Sizes first: a bomb is refused before a single pixel is decoded.
                _check_dimensions(name, width, height, limits)
                if getattr(probe, "n_frames", 1) > 1:
                    raise UploadRejected(f"“{name}” is animated; use a still image.")
                probe.verify()
            uploaded.seek(0)
            with Image.open(uploaded, formats=[image_format]) as image:
                image.load()
                clean = ImageOps.exif_transpose(image)
    except UploadRejected:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise UploadRejected(f"“{name}” has too many pixels to be a safe image.") from None
    except Exception:  # Pillow raises many types for broken or hostile files
        raise UploadRejected(f"“{name}” is damaged or not a real image.") from None
    content_type, extension = _IMAGE_FORMATS[image_format]
    buffer = io.BytesIO()
    if image_format == "JPEG":
        clean.convert("RGB").save(buffer, "JPEG", quality=92)
    elif image_format == "PNG":
        clean.save(buffer, "PNG")
    else:
        clean.save(buffer, "WEBP", quality=92)
    # Re-encoded: EXIF, XMP and GPS are gone; orientation is baked in.
    handle = tempfile.NamedTemporaryFile(suffix=f".{extension}", delete=False)  # noqa: SIM115
    with handle:
        handle.write(buffer.getvalue())
    return _finish(
        Path(handle.name),
        kind="image",
        content_type=content_type,
        extension=extension,
        width=clean.width,
        height=clean.height,
    )


def _check_dimensions(name: str, width: int, height: int, limits: dict[str, Any]) -> None:
    if max(width, height) > limits["max_side"]:
        raise UploadRejected(
            f"“{name}” is {width}×{height} pixels; the largest accepted side is "
            f"{limits['max_side']} px."
        )
    if min(width, height) < limits["min_side"]:
        raise UploadRejected(
            f"“{name}” is {width}×{height} pixels; each side must be at least "
            f"{limits['min_side']} px."
        )
    ratio = width / height
    if not limits["min_ratio"] <= ratio <= limits["max_ratio"]:
        raise UploadRejected(
            f"“{name}” has a width/height ratio of {ratio:.2f}; it must be "
            f"between {limits['min_ratio']} and {limits['max_ratio']}."
        )


# --- video and audio ------------------------------------------------------------------


def _open_av(path: Path, forced_format: str) -> Any:
    return av.open(
        str(path),
        format=forced_format,
        options={"protocol_whitelist": "file", "probesize": "5000000"},
    )


def _seconds(container: Any, stream: Any) -> float:
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    if container.duration is not None:
        return container.duration / av.time_base
    raise UploadRejected("the file has no duration")


def _probe(
    uploaded: UploadedFile, name: str, suffix: str, forced: str, read: Callable[[Any], dict]
) -> tuple[Path, dict]:
    """Copy the upload to a local temporary file and read facts from it with PyAV."""
    path = _temp_copy(uploaded, suffix)
    try:
        with _open_av(path, forced) as container:
            return path, read(container)
    except UploadRejected:
        path.unlink(missing_ok=True)
        raise
    except Exception:
        path.unlink(missing_ok=True)
        raise UploadRejected(f"“{name}” is damaged or cannot be played.") from None


def _accept(path: Path, checks: list[str | None], **fields: Any) -> CheckedFile:
    """The checked file, or the first failed check's message (and no temporary file)."""
    failure = next((message for message in checks if message), None)
    if failure:
        path.unlink(missing_ok=True)
        raise UploadRejected(failure)
    return _finish(path, **fields)


def _length_problem(name: str, seconds: float, kind: str, what: str) -> str | None:
    limits = LIMITS[kind]
    if limits["min_seconds"] - _EPSILON <= seconds <= limits["max_seconds"] + _EPSILON:
        return None
    return f"“{name}” is {seconds:.1f} s long; each {what} must be 2–15 s."


def check_video(uploaded: UploadedFile) -> CheckedFile:
    name = _name(uploaded)
    _size_check(uploaded, "video", "a reference video")
    head = _head(uploaded, 12)
    if head[4:8] != b"ftyp":
        raise UploadRejected(f"“{name}” is not an MP4 or MOV video ({_describe(head)}).")

    def read(container: Any) -> dict:
        if not container.streams.video:
            raise UploadRejected(f"“{name}” has no video picture, only sound.")
        stream = container.streams.video[0]
        if next(container.decode(stream), None) is None:
            raise UploadRejected(f"“{name}” has no frames that can be played.")
        return {
            "duration": _seconds(container, stream),
            "fps": float(stream.average_rate or stream.guessed_rate or 0),
            "width": stream.codec_context.width,
            "height": stream.codec_context.height,
            "has_audio": bool(container.streams.audio),
        }

    path, facts = _probe(uploaded, name, ".mp4", "mov", read)
    limits = LIMITS["video"]
    fps = facts.pop("fps")
    fps_problem = None
    if not limits["min_fps"] - 0.5 <= fps <= limits["max_fps"] + 0.5:
        fps_problem = (
            f"“{name}” runs at {fps:.0f} frames per second; reference videos must have 24–60."
        )
    is_mov = head[8:12] == b"qt  "
    return _accept(
        path,
        [_length_problem(name, facts["duration"], "video", "reference video"), fps_problem],
        kind="video",
        content_type="video/quicktime" if is_mov else "video/mp4",
        extension="mov" if is_mov else "mp4",
        **facts,
    )


def check_audio(uploaded: UploadedFile) -> CheckedFile:
    name = _name(uploaded)
    _size_check(uploaded, "audio", "a reference audio clip")
    head = _head(uploaded, 12)
    if head.startswith(b"RIFF") and head[8:12] == b"WAVE":
        forced, content_type, extension = "wav", "audio/wav", "wav"
    elif head.startswith(b"ID3") or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0):
        forced, content_type, extension = "mp3", "audio/mpeg", "mp3"
    else:
        raise UploadRejected(f"“{name}” is not a WAV or MP3 file ({_describe(head)}).")

    def read(container: Any) -> dict:
        if not container.streams.audio:
            raise UploadRejected(f"“{name}” has no sound in it.")
        return {"duration": _seconds(container, container.streams.audio[0])}

    path, facts = _probe(uploaded, name, f".{extension}", forced, read)
    return _accept(
        path,
        [_length_problem(name, facts["duration"], "audio", "audio clip")],
        kind="audio",
        content_type=content_type,
        extension=extension,
        **facts,
    )
