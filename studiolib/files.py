"""Serving stored files after the permission check.

On S3 the browser is redirected to a short-lived presigned URL (the bucket stays private).
On local storage the file is streamed by this process, with single-range support so the
video player can seek; behind nginx/Apache set ``MEDIA_SENDFILE_HEADER`` to hand the bytes
to the web server instead (X-Accel-Redirect / X-Sendfile).
"""

from __future__ import annotations

import mimetypes
import re
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from django.conf import settings
from django.db.models.fields.files import FieldFile
from django.http import (
    FileResponse,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    StreamingHttpResponse,
)
from django.utils.http import content_disposition_header
from django.utils.text import slugify
from zipstream import ZIP_STORED, ZipStream

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
CHUNK = 256 * 1024


def serve_field_file(
    request: HttpRequest,
    field: FieldFile,
    *,
    filename: str,
    download: bool,
    cache_control: str = "private, max-age=3600",
) -> HttpResponse:
    """``cache_control`` is sent with the file (and asked of S3 for the presigned
    response): public share links pass ``no-store`` so a revoked link stops playing."""
    disposition = content_disposition_header(download, filename)
    content_type = mimetypes.guess_type(field.name)[0] or "application/octet-stream"
    if settings.USE_S3:
        url = field.storage.url(
            field.name,
            parameters={
                "ResponseContentDisposition": disposition,
                "ResponseContentType": content_type,
                "ResponseCacheControl": cache_control,
            },
        )
        response = HttpResponseRedirect(url)
        response["Cache-Control"] = cache_control
        return response
    sendfile = getattr(settings, "MEDIA_SENDFILE_HEADER", "")
    if sendfile:
        response = HttpResponse(content_type=content_type)
        prefix = getattr(settings, "MEDIA_SENDFILE_PREFIX", "/protected-media/")
        response[sendfile] = prefix + field.name if sendfile == "X-Accel-Redirect" else field.path
    else:
        response = _ranged(request, field, content_type)
    response["Content-Disposition"] = disposition
    response["Cache-Control"] = cache_control
    return response


def _ranged(request: HttpRequest, field: FieldFile, content_type: str) -> HttpResponse:
    size = field.size
    match = _RANGE.match(request.headers.get("Range", ""))
    if not match or not (match.group(1) or match.group(2)):
        response = FileResponse(field.open("rb"), content_type=content_type)
        response["Accept-Ranges"] = "bytes"
        return response
    first, last = match.groups()
    if first:
        start, end = int(first), min(int(last) if last else size - 1, size - 1)
    else:  # a suffix range: the last N bytes
        start, end = max(0, size - int(last)), size - 1
    if start > end or start >= size:
        response = HttpResponse(status=416)
        response["Content-Range"] = f"bytes */{size}"
        return response
    handle = field.open("rb")
    handle.seek(start)

    def chunks(remaining: int = end - start + 1):
        try:
            while remaining > 0:
                data = handle.read(min(CHUNK, remaining))
                if not data:
                    return
                remaining -= len(data)
                yield data
        finally:
            handle.close()

    response = StreamingHttpResponse(chunks(), status=206, content_type=content_type)
    response["Content-Range"] = f"bytes {start}-{end}/{size}"
    response["Content-Length"] = str(end - start + 1)
    response["Accept-Ranges"] = "bytes"
    return response


def _read(field: FieldFile) -> Iterator[bytes]:
    # Opened only when the archive reaches this entry: one file open at a time.
    with field.open("rb") as source:
        while chunk := source.read(CHUNK):
            yield chunk


def stored_sizes(files: Iterable[tuple[str, FieldFile]]) -> list[tuple[str, FieldFile, int]]:
    """Each file with its size in storage; a file storage no longer has is left out (the
    caller can tell which by the names that come back)."""
    sized = []
    for name, field in files:
        try:
            sized.append((name, field, field.size))
        except OSError:
            continue
    return sized


def zip_response(
    files: Iterable[tuple[str, FieldFile]],
    *,
    filename: str,
    extra: Sequence[tuple[str, bytes]] = (),
) -> HttpResponse:
    """Stored files as one ZIP, streamed: the first bytes leave at once, memory stays at one
    chunk whatever the total, and the length is known up front (videos are not
    compressed further, so each entry's size is its file's). A file missing from storage
    is left out rather than breaking the archive halfway. ``extra`` entries (a manifest)
    are small bytes made by the caller, added after the files."""
    return zip_sized_response(stored_sizes(files), filename=filename, extra=extra)


def zip_sized_response(
    files: Iterable[tuple[str, FieldFile, int]],
    *,
    filename: str,
    extra: Sequence[tuple[str, bytes]] = (),
) -> HttpResponse:
    """``zip_response`` for files whose sizes were already read (``stored_sizes``)."""
    archive = ZipStream(compress_type=ZIP_STORED, sized=True)
    for name, field, size in files:
        archive.add(_read(field), name, size=size)
    for name, data in extra:
        archive.add(data, name)
    response = StreamingHttpResponse(archive, content_type="application/zip")
    response["Content-Length"] = str(len(archive))
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


NAME_WORDS = 5
NAME_WORDS_CHARS = 40


def download_name(generation: Any, kind: str = "video", extension: str = "mp4") -> str:
    """A file name that says what the clip is, e.g.
    ``2026-11-29_sunset-over-dunes_16x9_seed123.mp4`` (the last frame and poster add their
    kind). ASCII only and bounded, so every browser, ZIP tool and file system keeps it; the
    same helper names the single download and the entries of a ZIP."""
    # slugify folds accents to ASCII and drops what cannot be folded.
    words = slugify(generation.prompt).split("-")[:NAME_WORDS]
    prompt = "-".join(words)[:NAME_WORDS_CHARS].strip("-") or "clip"
    parts = [
        f"{generation.created_at:%Y-%m-%d}",
        prompt,
        generation.aspect_ratio.replace(":", "x"),
    ]
    if generation.seed >= 0:
        parts.append(f"seed{generation.seed}")
    if kind != "video":
        parts.append(kind)
    return "_".join(parts) + "." + extension
