"""A small typed client for the Seedance 2.0 video API (real gateway or the simulator).

It knows HTTP and the provider's JSON, nothing about our models. Its one error type says
what the caller needs to stay honest about money: was the request possibly accepted (so it
must never be resent automatically), is the failure permanent, and how long to wait.
"""

from __future__ import annotations

import email.utils
import json
import os
import time
from dataclasses import dataclass, field
from typing import Any

import requests
from urllib3.exceptions import NewConnectionError

from studiolib.seedance_tasks import TaskStatus, code_matches, parse_task

# 429 codes that are spend caps, not rate limits: waiting does not help. Matched by prefix,
# as Ark appends sub-reasons after a dot (docs/provider.md, "Error codes").
# A task id no provider issues (theirs start "task_" or "cgt-" plus random characters).
KEY_PROBE_TASK_ID = "studio-readiness-probe"
_QUOTA_CODES = ("QuotaExceeded", "SetLimitExceeded", "AccountOverdueError", "insufficient_quota")
# A refused query says nothing about the task (docs/provider.md, "Refused polls"): what kind
# of refusal it was, for the studio's notice and the operators.
POLL_REFUSED_AUTH = "auth"
POLL_REFUSED_NOT_FOUND = "not_found"
POLL_REFUSED_QUOTA = "quota"


@dataclass(frozen=True)
class CreateRequest:
    model: str
    prompt: str
    duration: int
    aspect_ratio: str
    seed: int
    generate_audio: bool = False
    watermark: bool = False
    camera_fixed: bool = False
    return_last_frame: bool = False
    image: str | None = None
    last_image: str | None = None
    images: tuple[str, ...] = ()
    videos: tuple[str, ...] = ()
    audios: tuple[str, ...] = ()
    operation: str | None = None

    def to_json(self) -> dict[str, Any]:
        extra: dict[str, Any] = {
            "generate_audio": self.generate_audio,
            "seed": self.seed,
            "watermark": self.watermark,
            "camera_fixed": self.camera_fixed,
            "return_last_frame": self.return_last_frame,
        }
        if self.operation:
            extra["operation"] = self.operation
        body: dict[str, Any] = {
            "model": self.model,
            "prompt": self.prompt,
            "duration": self.duration,
            "aspect_ratio": self.aspect_ratio,
            "extra_body": extra,
        }
        if self.image:
            body["image"] = self.image
        if self.last_image:
            body["last_image"] = self.last_image
        for key in ("images", "videos", "audios"):
            if getattr(self, key):
                body[key] = list(getattr(self, key))
        return body


@dataclass
class SeedanceError(Exception):
    """An upstream failure, classified for the caller.

    ``maybe_accepted``: the request reached the provider and may have been accepted (and
    billed); a create must then never be resent automatically.
    ``permanent``: retrying the same request cannot help (validation, auth, quota).
    """

    message: str
    http_status: int | None = None
    code: str = ""
    permanent: bool = False
    maybe_accepted: bool = False
    retry_after: float | None = None
    kind: str = field(default="error")
    # Set on a refused query (``POLL_REFUSED_*``): the poll failed, the task did not.
    poll_refused: str = ""

    def __str__(self) -> str:
        status = f"HTTP {self.http_status} " if self.http_status else ""
        code = f"[{self.code}] " if self.code else ""
        return f"{status}{code}{self.message}"


def _session_from_environment(base_url: str) -> requests.Session:
    """requests reads the proxy and CA settings from the environment on every request;
    this reads them once, because a pooled client makes thousands of requests."""
    session = requests.Session()
    session.proxies.update(requests.utils.get_environ_proxies(base_url))
    session.verify = (
        os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True
    )
    session.trust_env = False
    return session


class SeedanceClient:
    def __init__(
        self,
        base_url: str,
        api_key: str,
        timeout: tuple[float, float] = (3.05, 30.0),
        session: requests.Session | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self._session = session or _session_from_environment(self.base_url)
        # The key lives only in this header; it is never part of an error or a log line.
        self._headers = {
            "Authorization": f"Bearer {api_key}",
            "Content-Type": "application/json",
            "Accept": "application/json",
        }

    def create_task(self, request: CreateRequest) -> str:
        """POST the paid create call once. Returns the upstream task id."""
        try:
            response = self._session.post(
                f"{self.base_url}/v1/video/generations",
                json=request.to_json(),
                headers=self._headers,
                timeout=self.timeout,
                allow_redirects=False,
            )
        except requests.RequestException as exc:
            raise _classify_transport_error(exc) from None
        if response.status_code >= 400:
            raise _http_error(response, during_create=True)
        data = _json_body(response, maybe_accepted=True)
        task_id = data.get("id") or data.get("task_id")
        if not isinstance(task_id, str) or not task_id:
            raise SeedanceError(
                "the provider's reply had no task id", response.status_code, maybe_accepted=True
            )
        return task_id

    def get_task(self, task_id: str) -> TaskStatus:
        """GET the task's state. Safe to repeat; every failure here is just a missed poll."""
        try:
            response = self._query(task_id)
        except requests.RequestException as exc:
            error = _classify_transport_error(exc)
            error.permanent = False
            raise error from None
        if response.status_code >= 400:
            raise _poll_error(_http_error(response, during_create=False))
        return parse_task(_json_body(response, maybe_accepted=False), task_id)

    def key_accepted(self) -> bool:
        """Whether the provider accepts our key, for the readiness check: a GET of a task
        that cannot exist is free, and only 401/403 mean the key was refused (an unknown
        task is a 400 or 404 once the key passed). Raises ``SeedanceError`` when the
        provider cannot be reached or answers with a server error."""
        try:
            response = self._query(KEY_PROBE_TASK_ID)
        except requests.RequestException as exc:
            raise _classify_transport_error(exc) from None
        if response.status_code >= 500:
            raise _http_error(response, during_create=False)
        return response.status_code not in {401, 403}

    def _query(self, task_id: str) -> requests.Response:
        return self._session.get(
            f"{self.base_url}/v1/videos/{task_id}",
            headers=self._headers,
            timeout=self.timeout,
            allow_redirects=False,
        )


def _poll_error(error: SeedanceError) -> SeedanceError:
    """No answer to a query is a verdict on the task: a 401/403 (a rotated key), a 404 or
    ``task_not_exist`` (right after a create, or a relay's hiccup) and a quota 429 are all
    refusals of the question (docs/provider.md, "Refused polls"). None is permanent."""
    status, code = error.http_status or 0, error.code
    if status in {401, 403}:
        error.poll_refused = POLL_REFUSED_AUTH
    elif (
        status == 404
        or code_matches(code, "task_not_exist")
        or code_matches(code, "ResourceNotFound")
    ):
        error.poll_refused = POLL_REFUSED_NOT_FOUND
    elif any(code_matches(code, quota) for quota in _QUOTA_CODES):
        error.poll_refused = POLL_REFUSED_QUOTA
    error.permanent = False
    return error


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Retry-After as delta-seconds or an HTTP-date (RFC 9110 §10.2.3)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (now if now is not None else time.time()))


def _json_body(response: requests.Response, *, maybe_accepted: bool) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError:
        raise SeedanceError(
            "the provider sent a reply that is not valid JSON",
            response.status_code,
            maybe_accepted=maybe_accepted,
            kind="malformed",
        ) from None
    if not isinstance(data, dict):
        raise SeedanceError(
            "the provider sent an unexpected reply",
            response.status_code,
            maybe_accepted=maybe_accepted,
            kind="malformed",
        )
    return data


def _error_fields(response: requests.Response) -> tuple[str, str]:
    """(code, message) from any of the three error shapes (api-notes.md)."""
    try:
        data = json.loads(response.content or b"{}")
    except ValueError:
        return "", ""
    if not isinstance(data, dict):
        return "", ""
    err = data.get("error") if isinstance(data.get("error"), dict) else data
    return str(err.get("code") or err.get("type") or ""), str(err.get("message") or "")[:500]


def _http_error(response: requests.Response, *, during_create: bool) -> SeedanceError:
    status = response.status_code
    code, message = _error_fields(response)
    retry_after = parse_retry_after(response.headers.get("Retry-After"))
    if status == 429 and not any(code_matches(code, quota) for quota in _QUOTA_CODES):
        # Rejected before any work: safe to send again after the pause.
        return SeedanceError(
            message or "rate limited", status, code, retry_after=retry_after, kind="rate_limited"
        )
    if status == 503:
        return SeedanceError(
            message or "provider unavailable",
            status,
            code,
            retry_after=retry_after,
            kind="unavailable",
        )
    if status >= 500:
        # 500/502/504 after the body was sent: the provider may have queued the task.
        return SeedanceError(
            message or "provider error",
            status,
            code,
            maybe_accepted=during_create,
            kind="server_error",
        )
    return SeedanceError(message or "request refused", status, code, permanent=True, kind="refused")


def _classify_transport_error(exc: requests.RequestException) -> SeedanceError:
    if isinstance(exc, requests.ConnectTimeout) or _never_connected(exc):
        return SeedanceError("could not connect to the provider", kind="connect")
    if isinstance(exc, requests.ReadTimeout):
        return SeedanceError(
            "the provider did not answer in time", maybe_accepted=True, kind="timeout"
        )
    return SeedanceError(
        "the connection to the provider broke", maybe_accepted=True, kind="dropped"
    )


def _never_connected(exc: BaseException) -> bool:
    """True when the TCP connection was never made (refused, DNS failure)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, NewConnectionError):
            return True
        reason = getattr(current, "reason", None)
        nested = (
            current.args[0] if current.args and isinstance(current.args[0], BaseException) else None
        )
        current = reason if isinstance(reason, BaseException) else nested or current.__context__
    return False
