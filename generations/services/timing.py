"""When to act next: backoff for transient errors, and the adaptive poll interval."""

from __future__ import annotations

import random

from django.conf import settings

from generations import tiers
from generations.models import Generation, Status


def backoff(attempt: int, *, retry_after: float | None = None) -> float:
    """Capped exponential backoff with full jitter; a Retry-After is honoured (capped)."""
    cap = settings.SEEDANCE_POLL_MAX_SECONDS * 4
    if retry_after is not None:
        return min(retry_after, cap) + random.uniform(0, 1)
    base = settings.SEEDANCE_POLL_MIN_SECONDS * (2 ** min(attempt, 8))
    return max(settings.SEEDANCE_POLL_MIN_SECONDS, random.uniform(0, min(base, cap)))


DENSE_POLL_SECONDS = 2.0


def poll_delay(generation: Generation, *, elapsed: float) -> float:
    """Sparse early, dense around the expected finish, backing off after it.

    The expected run time is learned from this tier's finished generations of the same
    duration (median of the recent ones), with the tier table as the default. Measured
    with benchmarks/polling.py: median 5 polls per generation and 2.8 s from the upstream
    finish to a playable card (save and the live refresh included).
    """
    expected = expected_run_seconds(generation.model, generation.duration)
    remaining = expected - elapsed
    window = 0.05 * expected  # run times of one tier and duration vary by about ±5 %
    if remaining > window + 5:
        delay = (remaining - window) * 0.85  # jump most of the way to the window
    elif remaining > -window:
        delay = DENSE_POLL_SECONDS  # inside the window: often, so the finish is seen fast
    else:
        delay = 1 + (-remaining - window) * 0.2  # late: back off gently
    return max(settings.SEEDANCE_POLL_MIN_SECONDS, min(settings.SEEDANCE_POLL_MAX_SECONDS, delay))


def expected_run_seconds(model: str, duration: int) -> float:
    recent = list(
        Generation.objects.filter(
            model=model,
            duration=duration,
            status=Status.SUCCEEDED,
            submitted_at__isnull=False,
            upstream_completed_at__isnull=False,
        )
        .order_by("-upstream_completed_at")
        .values_list("submitted_at", "upstream_completed_at")[:15]
    )
    if len(recent) < 3:
        return tiers.expected_run_seconds(model=model, duration=duration)
    runs = sorted((done - sent).total_seconds() for sent, done in recent)
    return runs[len(runs) // 2]
