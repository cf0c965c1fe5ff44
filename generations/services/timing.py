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


def poll_delay(generation: Generation, *, elapsed: float) -> float:
    """Sparse early, dense around the expected finish, backing off after it.

    The expected run time is learned from this tier's finished generations of the same
    duration (median of the recent ones), with the tier table as the default. Early polls
    jump most of the way to the expected finish; the last one lands on it; a late task is
    polled every few seconds, then less often the later it gets.
    """
    expected = expected_run_seconds(generation.model, generation.duration)
    remaining = expected - elapsed
    if remaining > 10:
        delay = remaining * 0.8
    elif remaining > 0:
        delay = remaining
    else:
        delay = 1 + (-remaining) * 0.2
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
