"""Fetching, probing and thumbnailing media files.

Everything here works on local temporary files: remote results are streamed to disk with a
byte cap and a wall-clock deadline first, then probed with PyAV using a forced demuxer and
only the ``file`` protocol, so a hostile file can never make the decoder open a URL.
"""

from __future__ import annotations

import hashlib
import io
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin

import av
import requests
from PIL import Image

from studiolib import urlguard

CHUNK = 256 * 1024
# A result link may move once or twice (an API host redirecting to its CDN); more is a loop.
MAX_REDIRECTS = 3
REDIRECTS = {301, 302, 303, 307, 308}


class FetchError(Exception):
    """A result could not be fetched. ``permanent``: retrying cannot help (expired, refused)."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


class MediaError(Exception):
    """A file is not the media it claims to be."""


@dataclass(frozen=True)
class VideoInfo:
    width: int
    height: int
    duration: float
    has_audio: bool
    codec: str


def download(
    url: str,
    *,
    policy: urlguard.UrlPolicy,
    max_bytes: int,
    deadline_seconds: float,
    timeout: tuple[float, float] = (3.05, 30.0),
    suffix: str = "",
    max_redirects: int = MAX_REDIRECTS,
    resolve: urlguard.Resolver = urlguard.system_resolver,
) -> tuple[Path, int, str]:
    """Stream ``url`` to a temporary file. Returns (path, size, sha256).

    Every hop, the first URL and each redirect target alike, passes the URL guard and is
    fetched over a connection pinned to the address the guard checked; redirects are
    followed here, a few at most, never by requests. Memory stays bounded (fixed-size
    chunks); the cap is checked against Content-Length and while counting; the deadline is
    wall clock, because requests' read timeout is per gap.
    """
    started = time.monotonic()
    for _hop in range(max_redirects + 1):
        try:
            checked = urlguard.check_url(url, policy, resolve=resolve)
        except urlguard.UrlRefused as exc:
            raise FetchError(
                f"the provider returned a result from an unexpected location: {exc.reason}",
                permanent=True,
            ) from None
        except urlguard.UrlUnresolved as exc:
            raise FetchError(f"download failed: {exc}") from None
        try:
            with urlguard.open_pinned(checked, timeout=timeout) as response:
                if response.status_code in REDIRECTS:
                    url = _redirect_target(url, response)
                    continue
                return _save_body(response, max_bytes, started + deadline_seconds, suffix)
        except requests.RequestException as exc:
            raise FetchError(f"download failed: {type(exc).__name__}") from None
    raise FetchError("the result link redirected too many times", permanent=True)


def _redirect_target(url: str, response: requests.Response) -> str:
    location = response.headers.get("Location", "")
    if not location:
        raise FetchError("the result link redirected nowhere", permanent=True)
    return urljoin(url, location)  # relative to the hop that sent it, then guarded again


def _save_body(
    response: requests.Response, max_bytes: int, deadline: float, suffix: str
) -> tuple[Path, int, str]:
    if response.status_code in {401, 403, 404, 410}:
        raise FetchError("the result link expired before it could be saved", permanent=True)
    if response.status_code != 200:
        raise FetchError(f"download failed with HTTP {response.status_code}")
    declared = declared_length(response.headers.get("Content-Length"))
    if declared > max_bytes:
        raise FetchError("the result file is larger than the allowed size", permanent=True)
    digest = hashlib.sha256()
    size = 0
    handle = tempfile.NamedTemporaryFile(suffix=suffix, delete=False)  # noqa: SIM115
    path = Path(handle.name)
    try:
        with handle:
            for chunk in response.iter_content(CHUNK):
                size += len(chunk)
                if size > max_bytes:
                    raise FetchError(
                        "the result file is larger than the allowed size", permanent=True
                    )
                if time.monotonic() > deadline:
                    raise FetchError("the download took too long")
                digest.update(chunk)
                handle.write(chunk)
    except requests.RequestException as exc:
        path.unlink(missing_ok=True)
        raise FetchError(f"download broke off: {type(exc).__name__}") from None
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    if declared and size != declared:
        path.unlink(missing_ok=True)
        raise FetchError("the download was incomplete")
    return path, size, digest.hexdigest()


def declared_length(value: str | None) -> int:
    """The Content-Length as a number, 0 when absent or not a plain number: the body is
    capped while counting and probed afterwards, so a garbled header costs nothing."""
    value = (value or "").strip()
    return int(value) if value.isascii() and value.isdigit() else 0


def _open(path: Path) -> av.container.InputContainer:
    # Forced demuxer and file-only protocols: a playlist or a reference to another
    # resource inside the file cannot make the decoder reach the network or other files.
    return av.open(str(path), format="mov", options={"protocol_whitelist": "file"})


def probe_video(path: Path) -> VideoInfo:
    """Check that ``path`` is a real, decodable MP4/MOV video and describe it."""
    with path.open("rb") as handle:
        head = handle.read(12)
    if head[4:8] != b"ftyp":
        raise MediaError("not an MP4/MOV file")
    try:
        with _open(path) as container:
            if not container.streams.video:
                raise MediaError("the file has no video stream")
            stream = container.streams.video[0]
            duration = _duration(container, stream)
            frame = next(container.decode(stream), None)
            if frame is None:
                raise MediaError("the video has no decodable frames")
            return VideoInfo(
                width=stream.codec_context.width,
                height=stream.codec_context.height,
                duration=duration,
                has_audio=bool(container.streams.audio),
                codec=stream.codec_context.name,
            )
    except av.FFmpegError as exc:
        raise MediaError(f"the video cannot be decoded ({type(exc).__name__})") from None


def _duration(container: av.container.InputContainer, stream: av.video.VideoStream) -> float:
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    if container.duration is not None:
        return container.duration / av.time_base
    raise MediaError("the video has no duration")


def poster_jpeg(path: Path, *, at_seconds: float = 0.5, max_width: int = 640) -> bytes:
    """A small JPEG poster from a frame near the start (the gallery shows these, not videos).

    Only the chosen frame is converted, scaled down by libswscale: converting every decoded
    frame at full size made this most of a save's time for a 1080p clip.
    """
    with _open(path) as container:
        stream = container.streams.video[0]
        chosen: av.VideoFrame | None = None
        for frame in container.decode(stream):
            chosen = frame
            if frame.time is not None and frame.time >= at_seconds:
                break
        if chosen is None:
            raise MediaError("the video has no decodable frames")
        scale = min(1.0, max_width / max(chosen.width, chosen.height))
        width = max(2, round(chosen.width * scale / 2) * 2)
        height = max(2, round(chosen.height * scale / 2) * 2)
        image = chosen.to_image(width=width, height=height)
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, "JPEG", quality=82, optimize=True)
    return buffer.getvalue()


def verify_png(path: Path) -> None:
    try:
        with Image.open(path, formats=["PNG", "JPEG", "WEBP"]) as image:
            image.verify()
    except Exception as exc:  # Pillow raises many types for broken files
        raise MediaError(f"the last frame is not a valid image ({type(exc).__name__})") from None
