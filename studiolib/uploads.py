"""Checking uploaded reference files before anything is stored or paid for.

A file's type comes from its content (magic bytes here, then a real decode), never from its
name or the browser's Content-Type. Nothing untrusted is decoded in this process: the file
is copied to a local temporary file and ``studiolib.sandbox`` runs the decoder in a child
with a timeout and a memory cap (``studiolib.mediaprobe`` holds what the child does).
Images are decoded only as JPEG/PNG/WebP, or as BMP/TIFF/HEIC/GIF and converted to PNG,
then re-encoded without EXIF/XMP/GPS. Audio that marketers commonly hold (M4A/AAC, Ogg,
FLAC) is converted to WAV; the provider takes only WAV and MP3. Converted files meet the
same caps as any other.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile

from studiolib import sandbox
from studiolib.mediarules import LIMITS, MB, WHAT, size_problem

__all__ = [
    "LIMITS",
    "MB",
    "CheckedFile",
    "UploadRejected",
    "check_audio",
    "check_image",
    "check_video",
    "display_name",
]

_IMAGE_TYPES = {"JPEG": ("image/jpeg", "jpg"), "PNG": ("image/png", "png")}
_IMAGE_TYPES["WEBP"] = ("image/webp", "webp")
_HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1"}


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
    converted_from: str = ""  # e.g. "M4A" when the upload was converted to ``extension``


def display_name(uploaded: UploadedFile) -> str:
    """The upload's file name without any path, short enough for a message."""
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


def _size_check(uploaded: UploadedFile, kind: str) -> None:
    problem = size_problem(f"“{display_name(uploaded)}”", uploaded.size or 0, kind)
    if problem:
        raise UploadRejected(problem)


def _temp_path(suffix: str) -> Path:
    handle = tempfile.NamedTemporaryFile(suffix=suffix, delete=False)  # noqa: SIM115
    handle.close()
    return Path(handle.name)


def _temp_copy(uploaded: UploadedFile, suffix: str) -> Path:
    path = _temp_path(suffix)
    try:
        with path.open("wb") as handle:
            uploaded.seek(0)
            for chunk in uploaded.chunks():
                handle.write(chunk)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return path


def _finish(path: Path, **fields: Any) -> CheckedFile:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(MB):
            digest.update(chunk)
    return CheckedFile(path=path, size=path.stat().st_size, sha256=digest.hexdigest(), **fields)


def examine(kind: str, path: Path, subject: str, **job: Any) -> dict[str, Any]:
    """Facts about a local file from the sandboxed decoder, or ``UploadRejected``.

    ``subject`` names the file in messages (e.g. "“logo.bmp”" or "This clip").
    """
    timeout = settings.UPLOAD_PROBE_SECONDS
    try:
        answer = sandbox.run(
            {"kind": kind, "path": str(path), "subject": subject, **job},
            timeout=timeout,
            memory_mb=settings.UPLOAD_PROBE_MEMORY_MB,
            max_output_bytes=LIMITS[kind]["max_bytes"],
        )
    except sandbox.SandboxError as exc:
        if exc.reason == "timeout":
            raise UploadRejected(
                f"{subject} took too long to check (over {timeout:g} s); it may be damaged "
                "or built to stall the decoder."
            ) from None
        if exc.reason == "memory":
            raise UploadRejected(f"{subject} needs too much memory to decode safely.") from None
        if exc.reason == "too_big":
            raise UploadRejected(
                f"{subject} would be over {LIMITS[kind]['max_bytes'] // MB} MB once converted; "
                f"{WHAT[kind]} can be at most {LIMITS[kind]['max_bytes'] // MB} MB."
            ) from None
        raise UploadRejected(_damaged(kind, subject)) from None
    if "rejected" in answer:
        raise UploadRejected(answer["rejected"])
    if "facts" not in answer:
        raise UploadRejected(_damaged(kind, subject))
    return answer["facts"]


def _damaged(kind: str, subject: str) -> str:
    return (
        f"{subject} is damaged or not a real image."
        if kind == "image"
        else (f"{subject} is damaged or cannot be played.")
    )


def _checked(
    kind: str, uploaded: UploadedFile, suffix: str, out_suffix: str | None, **job: Any
) -> tuple[Path, dict[str, Any]]:
    """Copy the upload to a temporary file and examine it. Returns the file to keep (the
    copy, or the converted/re-encoded output) and the facts; leaves no other file behind."""
    source = _temp_copy(uploaded, suffix)
    out = _temp_path(out_suffix) if out_suffix else None
    try:
        facts = examine(
            kind, source, f"“{display_name(uploaded)}”", out=str(out) if out else None, **job
        )
    except BaseException:
        if out is not None:
            out.unlink(missing_ok=True)
        source.unlink(missing_ok=True)
        raise
    if out is None:
        return source, facts
    source.unlink(missing_ok=True)
    problem = size_problem(f"“{display_name(uploaded)}” once converted", out.stat().st_size, kind)
    if problem:
        out.unlink(missing_ok=True)
        raise UploadRejected(problem)
    return out, facts


# --- images ---------------------------------------------------------------------------


def _image_type(head: bytes) -> str | None:
    """The format the head of a file announces; ``None`` for anything not accepted."""
    if head.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return "WEBP"
    if head.startswith(b"BM"):
        return "BMP"
    if head.startswith((b"II*\x00", b"MM\x00*")):
        return "TIFF"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "GIF"
    if head[4:8] == b"ftyp" and head[8:12] in _HEIF_BRANDS:
        return "HEIC"
    return None


def check_image(uploaded: UploadedFile) -> CheckedFile:
    name = display_name(uploaded)
    _size_check(uploaded, "image")
    head = _head(uploaded)
    announced = _image_type(head)
    if announced is None:
        raise UploadRejected(
            f"“{name}” is not a JPEG, PNG or WebP image, nor a BMP, TIFF, HEIC or GIF to "
            f"convert ({_describe(head)})."
        )
    passes = announced in _IMAGE_TYPES
    out_extension = _IMAGE_TYPES[announced][1] if passes else "png"
    path, facts = _checked(
        "image", uploaded, f".{announced.lower()}", f".{out_extension}", convert=not passes
    )
    content_type, extension = _IMAGE_TYPES[facts["saved_as"]]
    return _finish(
        path,
        kind="image",
        content_type=content_type,
        extension=extension,
        width=facts["width"],
        height=facts["height"],
        converted_from="" if passes else announced,
    )


def check_stored_image(path: Path, subject: str) -> dict[str, Any]:
    """Width and height of an image already in storage (e.g. an earlier clip's last frame),
    judged by the same rules as an upload. Nothing is written."""
    return examine("image", path, subject, out=None, convert=False)


# --- video and audio ------------------------------------------------------------------


def check_video(uploaded: UploadedFile) -> CheckedFile:
    name = display_name(uploaded)
    _size_check(uploaded, "video")
    head = _head(uploaded)
    if head[4:8] != b"ftyp":
        raise UploadRejected(f"“{name}” is not an MP4 or MOV video ({_describe(head)}).")
    path, facts = _checked("video", uploaded, ".mp4", None, demuxer="mov")
    facts.pop("fps")
    is_mov = head[8:12] == b"qt  "
    return _finish(
        path,
        kind="video",
        content_type="video/quicktime" if is_mov else "video/mp4",
        extension="mov" if is_mov else "mp4",
        **facts,
    )


def check_stored_video(path: Path, subject: str) -> dict[str, Any]:
    """Duration, fps and frame size of a video already in storage (an earlier clip reused
    as a reference), judged by the same rules as an upload."""
    return examine("video", path, subject, demuxer="mov")


def _audio_type(head: bytes) -> tuple[str, str] | None:
    """(label, demuxer) of the audio format the head announces."""
    if head.startswith(b"RIFF") and head[8:12] == b"WAVE":
        return "WAV", "wav"
    # ADTS (AAC) before MP3: both start with a frame sync, but ADTS has layer bits 00,
    # which MPEG audio reserves.
    if len(head) > 1 and head[0] == 0xFF and head[1] & 0xF6 == 0xF0:
        return "AAC", "aac"
    if head.startswith(b"ID3") or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0):
        return "MP3", "mp3"
    if head[4:8] == b"ftyp":
        return "M4A", "mov"
    if head.startswith(b"OggS"):
        return "Ogg", "ogg"
    if head.startswith(b"fLaC"):
        return "FLAC", "flac"
    return None


def check_audio(uploaded: UploadedFile) -> CheckedFile:
    name = display_name(uploaded)
    _size_check(uploaded, "audio")
    head = _head(uploaded)
    announced = _audio_type(head)
    if announced is None:
        raise UploadRejected(
            f"“{name}” is not a WAV or MP3 file, nor M4A, AAC, Ogg or FLAC to convert "
            f"({_describe(head)})."
        )
    label, demuxer = announced
    passes = label in {"WAV", "MP3"}
    extension = "mp3" if label == "MP3" else "wav"
    path, facts = _checked(
        "audio", uploaded, f".{label.lower()}", None if passes else ".wav", demuxer=demuxer
    )
    return _finish(
        path,
        kind="audio",
        content_type="audio/mpeg" if extension == "mp3" else "audio/wav",
        extension=extension,
        duration=facts["duration"],
        converted_from="" if passes else label,
    )
