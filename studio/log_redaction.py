"""Capability URLs stay out of logs.

``/s/<token>/`` (public share links) and ``/r/<token>/`` (signed reference files for the
provider) work for whoever holds the URL, so an access log or an error log line that
keeps the token hands out the clip. Log lines keep the path's shape with the token
replaced: ``/s/[redacted]/video.mp4``.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from gunicorn.glogging import Logger as GunicornBaseLogger

# At the start of a path, after a space or quote (a request line), or after a host.
_CAPABILITY = re.compile(r'(^|[\s"\']|://[^/\s"\']+)(/[sr]/)[^/\s?#"\']+')


def redact(text: str) -> str:
    # Most log lines carry no capability path; skip the regex for them (every access-log
    # field of every request passes through here).
    if "/s/" not in text and "/r/" not in text:
        return text
    return _CAPABILITY.sub(r"\1\2[redacted]", text)


def _redact_value(value: Any) -> Any:
    return redact(value) if isinstance(value, str) else value


class RedactTokensFilter(logging.Filter):
    """Rewrites a record's message and arguments; attached to Django's request loggers
    (``django.request`` logs "Not Found: <path>" and "Gone: <path>") and to the handler."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(_redact_value(arg) for arg in record.args)
        elif isinstance(record.args, dict):
            record.args = {key: _redact_value(value) for key, value in record.args.items()}
        return True


class GunicornLogger(GunicornBaseLogger):
    """gunicorn's logger with every access-log field redacted (request line, path,
    referer, headers); set as ``logger_class`` in gunicorn.conf.py."""

    def atoms(self, resp: Any, req: Any, environ: dict, request_time: Any) -> dict:
        atoms = super().atoms(resp, req, environ, request_time)
        return {key: _redact_value(value) for key, value in atoms.items()}
