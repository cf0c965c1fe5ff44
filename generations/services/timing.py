"""When to act next: backoff for transient errors, and the adaptive poll interval."""

from __future__ import annotations

import random

from django.conf import settings
from django.core.cache import cache

from generations.models import Generation, Status
from studiolib import tiers


def backoff(attempt: int, *, retry_after: float | None = None) -> float:
    """Capped exponential backoff with full jitter; a Retry-After is honoured (capped)."""
    cap = settings.SEEDANCE_POLL_MAX_SECONDS * 4
    if retry_after is not None:
        return min(retry_after, cap) + random.uniform(0, 1)
    base = settings.SEEDANCE_POLL_MIN_SECONDS * (2 ** min(attempt, 8))
    return max(settings.SEEDANCE_POLL_MIN_SECONDS, random.uniform(0, min(base, cap)))


DENSE_POLL_SECONDS = 2.0
HISTORY = 15  # recent successes of a tier that its expectation is learned from
DEFAULT_SPREAD = 0.05  # before there is history: finishes within about ±5 %
LEARNED_TTL = 30  # seconds a process reuses what it learned about a tier


def poll_delay(generation: Generation, *, elapsed: float) -> float:
    """Sparse early, dense around the expected finish, backing off after it.

    Measured live by ``make bench`` (benchmarks/fleet.py): upstream polls per generation
    and the time from the upstream finish to a playable card in the browser.
    """
    expected, spread = expected_finish(generation.model, generation.duration)
    remaining = expected - elapsed
    window = max(DENSE_POLL_SECONDS, spread)
    if remaining > window + 5:
        delay = (remaining - window) * 0.85  # jump most of the way to the window
    elif remaining > -window:
        delay = DENSE_POLL_SECONDS  # inside the window: often, so the finish is seen fast
    else:
        delay = 1 + (-remaining - window) * 0.2  # late: back off gently
    return max(settings.SEEDANCE_POLL_MIN_SECONDS, min(settings.SEEDANCE_POLL_MAX_SECONDS, delay))


def expected_finish(model: str, duration: int) -> tuple[float, float]:
    """(seconds from submission to the upstream finish, how far either side it may land).

    Learned per tier as the ratio of real to default run times over its recent successes
    (any duration, so a few finished clips teach every duration of the tier); the spread is
    half the range between the 10th and 90th percentile of those ratios.
    """
    default = tiers.expected_run_seconds(model=model, duration=duration)
    # Every poll asks; the answer moves slowly, so each process reuses it for a while.
    ratios = cache.get_or_set(f"poll-ratios:{model}", lambda: _ratios(model), LEARNED_TTL)
    if len(ratios) < 3:
        return default, DEFAULT_SPREAD * default
    low, high = ratios[len(ratios) // 10], ratios[-1 - len(ratios) // 10]
    return default * ratios[len(ratios) // 2], default * (high - low) / 2


def _ratios(model: str) -> list[float]:
    recent = (
        Generation.objects.filter(
            model=model,
            status=Status.SUCCEEDED,
            submitted_at__isnull=False,
            upstream_completed_at__isnull=False,
        )
        .order_by("-upstream_completed_at")
        .values_list("duration", "submitted_at", "upstream_completed_at")[:HISTORY]
    )
    return sorted(
        (done - sent).total_seconds() / tiers.expected_run_seconds(model=model, duration=d)
        for d, sent, done in recent
    )
