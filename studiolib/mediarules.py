"""The provider's rules for reference files, as plain functions that return the sentence a
user sees (or ``None`` when a fact passes).

Pure Python with no Django import: the sandboxed checker (``studiolib.mediaprobe``) uses
the same rules before it decodes a pixel, and the forms use them for earlier clips reused
as references, so an upload and a reused clip are judged alike. The numbers are the ones in
``docs/provider-references.md``.
"""

from __future__ import annotations

from typing import Any

MB = 1024 * 1024
LIMITS: dict[str, dict[str, Any]] = {
    "image": {
        "max_bytes": 30 * MB,
        "min_side": 300,
        "max_side": 6000,
        "min_ratio": 0.4,
        "max_ratio": 2.5,
        "help": (
            "JPEG, PNG or WebP, up to 30 MB, each side 300–6000 px "
            "(BMP, TIFF, HEIC and GIF are converted to PNG)."
        ),
    },
    "video": {
        "max_bytes": 50 * MB,
        "min_seconds": 2.0,
        "max_seconds": 15.0,
        "min_fps": 24,
        "max_fps": 60,
        "min_pixels": 409_600,
        "max_pixels": 927_408,
        "min_ratio": 0.4,
        "max_ratio": 2.5,
        "help": (
            "MP4 or MOV, up to 50 MB, 2–15 s, 24–60 fps, "
            "409,600–927,408 pixels per frame (e.g. 640×640 to 834×1112)."
        ),
    },
    "audio": {
        "max_bytes": 15 * MB,
        "min_seconds": 2.0,
        "max_seconds": 15.0,
        "help": "WAV or MP3, up to 15 MB, 2–15 s (M4A, AAC, Ogg and FLAC are converted to WAV).",
    },
}
# The largest picture any accepted reference image can have (a 6000×6000 square): the
# decoder's pixel budget, so nothing bigger is ever allocated.
MAX_IMAGE_PIXELS = LIMITS["image"]["max_side"] ** 2
# Slack in the duration checks: containers round durations to their time base.
EPSILON = 0.05
WHAT = {"image": "an image", "video": "a reference video", "audio": "a reference audio clip"}


def size_problem(subject: str, size: int, kind: str) -> str | None:
    if not size:
        return f"{subject} is empty."
    limit = LIMITS[kind]["max_bytes"]
    if size > limit:
        return f"{subject} is {size / MB:.1f} MB; {WHAT[kind]} can be at most {limit // MB} MB."
    return None


def image_problem(subject: str, width: int, height: int) -> str | None:
    limits = LIMITS["image"]
    if max(width, height) > limits["max_side"]:
        return (
            f"{subject} is {width}×{height} pixels; the largest accepted side is "
            f"{limits['max_side']} px."
        )
    if min(width, height) < limits["min_side"]:
        return (
            f"{subject} is {width}×{height} pixels; each side must be at least "
            f"{limits['min_side']} px."
        )
    return _ratio_problem(subject, width, height, limits)


def _ratio_problem(subject: str, width: int, height: int, limits: dict[str, Any]) -> str | None:
    ratio = width / height
    if limits["min_ratio"] <= ratio <= limits["max_ratio"]:
        return None
    return (
        f"{subject} has a width/height ratio of {ratio:.2f}; it must be "
        f"between {limits['min_ratio']} and {limits['max_ratio']}."
    )


def length_problem(subject: str, seconds: float, kind: str) -> str | None:
    limits = LIMITS[kind]
    if limits["min_seconds"] - EPSILON <= seconds <= limits["max_seconds"] + EPSILON:
        return None
    what = "reference video" if kind == "video" else "audio clip"
    return f"{subject} is {seconds:.1f} s long; each {what} must be 2–15 s."


def frame_problem(subject: str, width: int, height: int) -> str | None:
    """Pixels per frame and shape of a reference video (a 1080p output is too big)."""
    limits = LIMITS["video"]
    pixels = width * height
    if not limits["min_pixels"] <= pixels <= limits["max_pixels"]:
        return (
            f"{subject} is {width}×{height} ({pixels:,} pixels per frame); reference videos "
            f"must have {limits['min_pixels']:,}–{limits['max_pixels']:,} pixels per frame."
        )
    return _ratio_problem(subject, width, height, limits)


def fps_problem(subject: str, fps: float) -> str | None:
    limits = LIMITS["video"]
    if limits["min_fps"] - 0.5 <= fps <= limits["max_fps"] + 0.5:
        return None
    return f"{subject} runs at {fps:.0f} frames per second; reference videos must have 24–60."


def video_problem(
    subject: str, *, seconds: float, width: int, height: int, fps: float | None
) -> str | None:
    """The first rule a reference video breaks; ``fps=None`` when it is not known yet."""
    return (
        length_problem(subject, seconds, "video")
        or (fps_problem(subject, fps) if fps is not None else None)
        or frame_problem(subject, width, height)
    )
