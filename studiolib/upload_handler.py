"""The upload handler behind every request: byte and file-count caps while uploads stream."""

from __future__ import annotations

import os
from typing import Any

from django.conf import settings
from django.core.files.uploadhandler import SkipFile, TemporaryFileUploadHandler
from django.http import QueryDict
from django.utils.datastructures import MultiValueDict

from studiolib.uploads import LIMITS, MB


def human_size(size: float) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit in {"bytes", "KB"} else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GB"


class CappedUploadHandler(TemporaryFileUploadHandler):
    """Streams uploads to temporary files (never whole in memory) and enforces byte caps
    while the body arrives, plus a cap on the number of files.

    Installed for every request through ``FILE_UPLOAD_HANDLERS``. When a cap is hit the
    partial file is deleted, the rest of that file and every later file are skipped (read
    in bounded chunks and dropped, so the response still reaches the browser), and
    ``request.upload_rejected`` holds the message; the view shows it and saves nothing.
    """

    def __init__(self, request: Any = None) -> None:
        super().__init__(request)
        self.max_request = getattr(settings, "UPLOAD_MAX_REQUEST_BYTES", 200 * MB)
        self.max_file = max(limit["max_bytes"] for limit in LIMITS.values())
        self.max_files = getattr(settings, "UPLOAD_MAX_FILES", 15)
        self.received = 0
        self.files = 0
        self.file_received = 0
        self.rejected = False

    def _reject(self, message: str) -> None:
        if not self.rejected and self.request is not None:
            self.request.upload_rejected = message
        self.rejected = True
        if getattr(self, "file", None) is not None:
            self.file.close()  # a temporary file: closing deletes it
            del self.file  # Django closes a handler's ``file`` again if it is still there
        # SkipFile, not StopUpload: Django drains a skipped file in chunks, whereas after
        # StopUpload it reads the rest of the body line by line, and a body without
        # newlines would then sit whole in memory.
        raise SkipFile

    def handle_raw_input(
        self,
        input_data: Any,
        META: Any,
        content_length: int,
        boundary: Any,
        encoding: str | None = None,
    ) -> Any:
        if content_length > self.max_request:
            # Refuse before reading a byte: the parse ends with no fields and no files.
            if self.request is not None:
                self.request.upload_rejected = (
                    f"The upload is {human_size(content_length)}; at most "
                    f"{human_size(self.max_request)} can be sent at once."
                )
            return QueryDict(encoding=encoding), MultiValueDict()
        return None

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        self.files += 1
        self.file_received = 0
        if self.rejected:
            raise SkipFile
        if self.files > self.max_files:
            self._reject(f"At most {self.max_files} files can be sent at once.")
        super().new_file(*args, **kwargs)

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        self.received += len(raw_data)
        self.file_received += len(raw_data)
        if self.file_received > self.max_file:
            self._reject(
                f"“{os.path.basename(self.file_name or 'file')}” is larger than "
                f"{human_size(self.max_file)}, the most any reference file may be."
            )
        if self.received > self.max_request:
            self._reject(f"At most {human_size(self.max_request)} can be sent at once.")
        return super().receive_data_chunk(raw_data, start)
