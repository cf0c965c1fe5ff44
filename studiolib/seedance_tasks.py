"""Reading a task record in every dialect the provider and gateways send: statuses, result
links, progress, errors and usage (docs/provider.md, "Dialects"). Pure parsing, no HTTP."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

# Upstream and gateway statuses, mapped onto the few we act on (docs/provider.md, "Dialects").
_STATUS_MAP = {
    "queued": "queued",
    "pending": "queued",
    "submitted": "queued",
    "in_progress": "running",
    "running": "running",
    "processing": "running",
    "completed": "completed",
    "succeeded": "completed",
    "success": "completed",
    "failed": "failed",
    "failure": "failed",
    "cancelled": "cancelled",
    "canceled": "cancelled",
    "expired": "expired",
}
_LEADING_CODE = re.compile(r"^([A-Za-z][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*)(?::\s*(.*))?$", re.S)


def code_matches(code: str, known: str) -> bool:
    """``known`` or ``known.<sub-reason>``: Ark's codes carry suffixes such as
    ``OutputVideoSensitiveContentDetected.PrivacyInformation``."""
    return code == known or code.startswith(f"{known}.")


@dataclass(frozen=True)
class TaskStatus:
    task_id: str
    status: str  # queued | running | completed | failed | cancelled | expired | unknown
    raw_status: str
    progress: int = 0
    video_url: str | None = None
    last_frame_url: str | None = None
    error_code: str = ""
    error_message: str = ""
    completed_at: float | None = None  # the provider's finish time (Unix seconds), if sent
    usage_tokens: int | None = None  # usage.completion_tokens: what the provider bills

    @property
    def is_final(self) -> bool:
        return self.status in {"completed", "failed", "cancelled", "expired"}


def parse_task(data: dict[str, Any], task_id: str) -> TaskStatus:
    """A task record in any dialect the provider or a gateway sends (docs/provider.md,
    "Dialects"): the seed's flat shape, Ark's record (``content.video_url``), or either in
    a ``{code, data: {…}}`` envelope with ``progress`` as "50%" and ``error`` as a string."""
    data = _unwrap(data)
    raw = str(data.get("status") or "").lower()
    status = _STATUS_MAP.get(raw, "unknown")
    result = _dict(data.get("result"))
    metadata = _dict(data.get("metadata"))
    content = _dict(data.get("content"))
    outputs = result.get("outputs") if isinstance(result.get("outputs"), list) else []
    video_url = (
        data.get("video_url")
        or result.get("video_url")
        or (outputs[0] if outputs and isinstance(outputs[0], str) else None)
        or metadata.get("url")
        or content.get("video_url")
    )
    last_frame_url = (
        data.get("last_frame_url")
        or metadata.get("last_frame_url")
        or content.get("last_frame_url")
    )
    error_code, error_message = _task_error(data)
    try:
        completed_at = float(data["completed_at"]) if data.get("completed_at") else None
    except (TypeError, ValueError):
        completed_at = None
    return TaskStatus(
        task_id=str(data.get("id") or data.get("task_id") or task_id),
        status=status,
        raw_status=raw,
        progress=_progress(data.get("progress")),
        video_url=video_url if isinstance(video_url, str) and video_url else None,
        last_frame_url=last_frame_url if isinstance(last_frame_url, str) else None,
        error_code=error_code,
        error_message=error_message,
        completed_at=completed_at,
        usage_tokens=_usage_tokens(data.get("usage")),
    )


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _unwrap(data: dict[str, Any]) -> dict[str, Any]:
    """The task record inside a relay's ``{code, message, data: {…}}`` envelope."""
    inner = data.get("data")
    if isinstance(inner, dict) and "status" not in data and ("status" in inner or "id" in inner):
        return inner
    return data


def _progress(value: Any) -> int:
    """0–100 from 50, 50.0, "50" or "50%"."""
    if isinstance(value, str):
        value = value.strip().rstrip("%").strip()
    try:
        return max(0, min(100, int(float(value or 0))))
    except (TypeError, ValueError):
        return 0


def _task_error(data: dict[str, Any]) -> tuple[str, str]:
    """(code, message) from ``error: {code, message}`` or a plain string such as
    ``"OutputVideoSensitiveContentDetected: …"`` (or a ``fail_reason`` field)."""
    error = data.get("error")
    if isinstance(error, dict):
        return str(error.get("code") or ""), str(error.get("message") or "")[:500]
    text = error if isinstance(error, str) and error else data.get("fail_reason")
    if not isinstance(text, str) or not text.strip():
        return "", ""
    match = _LEADING_CODE.match(text.strip())
    if match and (match.group(2) is not None or " " not in text.strip()):
        return match.group(1), (match.group(2) or "")[:500]
    return "", text.strip()[:500]


def _usage_tokens(usage: Any) -> int | None:
    tokens = _dict(usage).get("completion_tokens")
    if isinstance(tokens, bool) or not isinstance(tokens, int | float) or tokens <= 0:
        return None
    return int(tokens)
