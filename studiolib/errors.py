"""Upstream failures in words a marketer understands: what happened, what to change, and
whether it cost money. Raw provider JSON never reaches a page.

A reason may say "You were not charged" (``charged="no"``) only when the paid create call
was certainly never sent. The reasons here describe what the provider said; whether a
request was sent is known only from the row, so ``services.lifecycle`` writes a "no" only
with a compare-and-set on a row that never reached ``submitting`` and turns every other
"no" into "maybe" with ``as_sent``.
"""

from __future__ import annotations

from dataclasses import dataclass

from studiolib.seedance import SeedanceError
from studiolib.seedance_tasks import code_matches


@dataclass(frozen=True)
class Reason:
    code: str
    message: str
    charged: str  # "no" | "maybe" | "yes"


_BY_CODE = {
    "InputTextSensitiveContentDetected": (
        "The provider's content filter flagged the prompt. Rephrase it and try again.",
        "no",
    ),
    "InputImageSensitiveContentDetected": (
        "The provider's content filter flagged a reference image (often because it seems to "
        "show a real person). Use a different image.",
        "no",
    ),
    "InputVideoSensitiveContentDetected": (
        "The provider's content filter flagged a reference video. Use a different video.",
        "no",
    ),
    "InputAudioSensitiveContentDetected": (
        "The provider's content filter flagged a reference audio clip. Use a different clip.",
        "no",
    ),
    "OutputVideoSensitiveContentDetected": (
        "The finished video was blocked by the provider's content filter. Try a different "
        "prompt or seed.",
        "no",
    ),
    "OutputAudioSensitiveContentDetected": (
        "The finished clip's sound was blocked by the provider's content filter. Try a "
        "different prompt or seed, or turn audio off.",
        "no",
    ),
    "AuthenticationError": (
        "The provider refused the studio's API key. An administrator needs to check "
        "SEEDANCE_API_KEY.",
        "no",
    ),
    "AccountOverdueError": (
        "The provider account has run out of balance. An administrator needs to top it up.",
        "no",
    ),
    "AccessDenied": ("The provider account may not use this model.", "no"),
    "QuotaExceeded": ("The provider account reached its spending limit.", "no"),
    "SetLimitExceeded": ("The provider account reached its spending limit.", "no"),
    "InternalServiceError": (
        "The provider failed while rendering this clip. Press Try again.",
        "no",
    ),
    "task_not_exist": (
        "The provider no longer knows this task (it may have been purged). Press Try again.",
        "maybe",
    ),
    "expired": (
        "The provider let this task expire before it finished. Press Try again.",
        "maybe",
    ),
    "cancelled": ("The provider cancelled this task. Press Try again.", "maybe"),
}

_BY_STATUS = {
    401: "AuthenticationError",
    403: "AccountOverdueError",
}


NOT_CHARGED = "You were not charged."
MAYBE_CHARGED = "You may have been charged."


def known_code(code: str) -> str:
    """The table's code for ``code``, which may carry a sub-reason after a dot
    (``OutputVideoSensitiveContentDetected.PrivacyInformation``, docs/provider.md)."""
    return next((known for known in _BY_CODE if code_matches(code, known)), "")


def _with_charge(message: str, charged: str) -> str:
    tail = {
        "no": NOT_CHARGED,
        "maybe": MAYBE_CHARGED,
        "yes": "The provider may bill for this attempt.",
    }[charged]
    return f"{message} {tail}"


def as_sent(reason: Reason) -> Reason:
    """The same reason for a generation whose create call may have reached the provider:
    a "not charged" claim becomes "may have been charged" (a refusal of a sent request is
    not billed as far as anyone reports, but nobody can promise it)."""
    if reason.charged != "no":
        return reason
    text = reason.message.replace(NOT_CHARGED, "").strip()
    return Reason(reason.code, f"{text} {MAYBE_CHARGED}", "maybe")


def from_upstream_error(error: SeedanceError) -> Reason:
    """A failure of the create or poll call."""
    if error.maybe_accepted:
        why = {
            "timeout": "it did not answer in time",
            "dropped": "the connection broke",
            "malformed": "its reply was garbled",
        }.get(error.kind, f"it answered with an error (HTTP {error.http_status})")
        return Reason(
            "unknown_outcome",
            f"The provider may have accepted this request, but {why}. It was not resent, to "
            "avoid a double charge. Check the provider's dashboard, or press Try again.",
            "maybe",
        )
    code = known_code(error.code) or _BY_STATUS.get(error.http_status or 0, "")
    if code:
        message, charged = _BY_CODE[code]
        return Reason(code, _with_charge(message, charged), charged)
    if error.kind == "rate_limited":
        return Reason(
            "rate_limited",
            _with_charge("The provider kept rate-limiting us. Try again in a few minutes.", "no"),
            "no",
        )
    if error.kind in {"connect", "unavailable"}:
        return Reason(
            "provider_unavailable",
            _with_charge("The provider could not be reached. Try again later.", "no"),
            "no",
        )
    detail = _clean(error.message)
    return Reason(
        "invalid_request",
        _with_charge(f"The provider refused the settings: {detail}.", "no"),
        "no",
    )


def from_task_failure(code: str, message: str) -> Reason:
    """A task that the provider accepted and then failed. It was sent, so it is never
    called "not charged": failed tasks are reportedly not billed, but only the provider's
    settlement record can say (docs/provider.md, "Billing")."""
    if known := known_code(code):
        text, charged = _BY_CODE[known]
        charged = "maybe" if charged == "no" else charged
        return Reason(code[:80], _with_charge(text, charged), charged)
    detail = _clean(message) or "no reason given"
    return Reason(
        code or "provider_failed",
        _with_charge(f"The provider could not make this clip ({detail}).", "maybe"),
        "maybe",
    )


def timed_out(minutes: float, *, was_sent: bool) -> Reason:
    """A generation that never got going before its deadline (``was_sent``: create calls
    were tried and none went through)."""
    if was_sent:
        return Reason(
            "timed_out",
            f"Could not be sent within {minutes:g} minutes: the provider stayed busy or out "
            "of reach. It was not sent again. You may have been charged.",
            "maybe",
        )
    return Reason(
        "timed_out",
        f"Could not be sent within {minutes:g} minutes. You were not charged.",
        "no",
    )


def still_running(minutes: float, upstream_status: str, problem: str = "") -> Reason:
    """The deadline passed and the last poll, made after it, did not see the clip finish.
    With a poll ``problem`` (a ``PROBLEMS`` key) the studio never learned the outcome, and
    says why rather than claiming the clip was still running."""
    if problem in PROBLEMS:
        why = PROBLEMS[problem].split(";")[0].split(" — ")[0].rstrip(".")
        return Reason(
            "timed_out",
            f"The studio could not learn the outcome within {minutes:g} minutes: {why}. "
            "It was not resent. You may have been charged; press Try again for a new attempt.",
            "maybe",
        )
    seen = f" (its last status there: {upstream_status})" if upstream_status else ""
    return Reason(
        "timed_out",
        f"Still not finished at the provider after {minutes:g} minutes{seen}, so the "
        "studio stopped waiting. It was not resent. You may have been charged; press Try "
        "again for a new attempt.",
        "maybe",
    )


def stuck(*, sent: bool) -> Reason:
    """An operator ended a generation that made no progress."""
    return Reason(
        "stuck",
        _with_charge(
            "An operator stopped this generation because it was stuck.", "maybe" if sent else "no"
        ),
        "maybe" if sent else "no",
    )


def save_failed(detail: str) -> Reason:
    return Reason(
        "save_failed",
        f"The clip was made but could not be saved: {detail}. You may have been charged.",
        "yes",
    )


def _clean(message: str) -> str:
    """Keep the human part of a provider message: no request ids, no JSON, bounded."""
    text = message.split("Request id")[0].strip().rstrip(".")
    if text.startswith(("{", "[")):
        return ""
    return text[:200]


# What a card says while polls of a sent task are refused or failing: the clip is still
# being made and billed upstream, so nothing is given up before the deadline
# (docs/provider.md, "Refused polls").
PROBLEMS = {
    "auth": "The provider refused our key; fix SEEDANCE_API_KEY — the clip is still being "
    "made and billed.",
    "not_found": "The provider does not show this task right now; we keep asking — the clip "
    "may still be being made and billed.",
    "quota": "The provider refuses status checks because the account's quota is used up; "
    "the clip is still being made and billed.",
    "rate_limited": "The provider is rate-limiting status checks; we keep asking — the clip "
    "is still being made and billed.",
    "unreachable": "The provider is not answering status checks; we keep asking — the clip "
    "is still being made and billed.",
    "no_url": "The provider says the clip is finished but sent no link yet; asking again.",
}


def poll_problem(error: SeedanceError) -> str:
    """The ``PROBLEMS`` key for a failed poll."""
    if error.poll_refused:
        return error.poll_refused
    return "rate_limited" if error.kind == "rate_limited" else "unreachable"
