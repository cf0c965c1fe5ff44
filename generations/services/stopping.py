"""Ending generations early: the user's cancel, and the sweeper that re-sends overdue work
and ends what is past its deadline. Same rules as ``lifecycle``: every transition is a
compare-and-set, and "You were not charged" is written only to a row that was never sent.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from billing import services as billing
from generations import scheduling
from generations.models import Event, Generation, Status
from generations.services.lifecycle import CANCELLED_WHILE_SENDING, NEVER_SENT, fail
from studiolib import errors
from studiolib.seedance import SeedanceError


def generation_cancel(*, generation: Generation) -> bool:
    """Stop a generation. Each step is its own compare-and-set, so what the user is told
    matches the state the cancel really met, not the one the page showed:

    - never sent: it never will be, and it cost nothing;
    - being sent: the create call may reach the provider; if it returns a task anyway, the
      submission keeps the clip (see ``generation_submit``), because it will be billed;
    - running: the provider cannot stop a started task, so it may still bill it.

    A generation that is saving is not cancelled: its clip is made and paid for.
    """
    now = timezone.now()
    ended = {"status": Status.CANCELLED, "finished_at": now, "next_poll_at": None}
    steps = (
        (NEVER_SENT, "no", "", "Cancelled before it was sent. You were not charged."),
        (
            {"status": Status.QUEUED},
            "maybe",
            "",
            "Cancelled before it was sent again; an earlier try did not go through. You may "
            "have been charged.",
        ),
        (
            {"status": Status.SUBMITTING},
            "maybe",
            CANCELLED_WHILE_SENDING,
            "Cancelled while it was being sent: the provider may have accepted it and may "
            "bill it. If it did, the studio keeps the clip.",
        ),
        (
            {"status": Status.RUNNING},
            "maybe",
            "",
            "Cancelled. The provider cannot stop a task it has started; it may still bill it.",
        ),
    )
    with transaction.atomic():
        for match, charged, code, message in steps:
            if Generation.objects.filter(pk=generation.pk, **match).update(
                **ended, charged=charged, error_code=code, updated_at=now
            ):
                Event.objects.create(
                    generation_id=generation.pk, at=now, status=Status.CANCELLED, message=message
                )
                if charged == "no":
                    billing.settle(generation_id=generation.pk, cost=Decimal(0))
                return True
    return False


def generation_sweep() -> dict[str, int]:
    """Re-send overdue actions and end what is past its deadline. Safe to run concurrently:
    every action it triggers is claimed by compare-and-set.

    The deadline never throws away a paid result: a generation being saved is left to its
    own save-attempts cap, one being submitted to its submission lease, and a running one
    is ended by its next poll (``generation_refresh``), so it gets a last look first.
    """
    now = timezone.now()
    counts = {"submit": 0, "poll": 0, "unknown_outcome": 0, "timed_out": 0}
    for pk, attempts in Generation.objects.filter(
        status=Status.QUEUED, deadline_at__lt=now
    ).values_list("pk", "submit_attempts"):
        reason = errors.timed_out(settings.SEEDANCE_DEADLINE_MINUTES, was_sent=attempts > 0)
        if fail(pk, (Status.QUEUED,), reason):
            counts["timed_out"] += 1
    for pk in Generation.objects.filter(status=Status.SUBMITTING, next_poll_at__lt=now).values_list(
        "pk", flat=True
    ):
        # The worker died during the create call: the provider may have the task.
        reason = errors.from_upstream_error(
            SeedanceError("worker lost", kind="dropped", maybe_accepted=True)
        )
        if fail(pk, (Status.SUBMITTING,), reason):
            counts["unknown_outcome"] += 1
    overdue = now - timedelta(seconds=settings.SEEDANCE_SWEEP_SECONDS)
    for pk, status in Generation.objects.filter(
        status__in=(Status.QUEUED, Status.RUNNING, Status.SAVING), next_poll_at__lt=overdue
    ).values_list("pk", "status"):
        action = "submit" if status == Status.QUEUED else "poll"
        scheduling.schedule(pk, action)
        counts[action] += 1
    return counts


def fail_if_expired(pk: Any) -> bool:
    """After a poll: end a generation that is still running past its deadline. The poll
    that just happened is its last look at the provider."""
    generation = (
        Generation.objects.filter(pk=pk, status=Status.RUNNING, deadline_at__lt=timezone.now())
        .only("upstream_status", "upstream_problem")
        .first()
    )
    if generation is None:
        return False
    reason = errors.still_running(
        settings.SEEDANCE_DEADLINE_MINUTES, generation.upstream_status, generation.upstream_problem
    )
    return fail(pk, (Status.RUNNING,), reason)
