"""Submissions with budget checks under 20 concurrent members of the seeded workspace (a
month of spend in its ledger): each member is a process of its own (its own Django setup and
database connection, as on a multi-worker web tier; threads of one process would measure
Python's one core instead), and all call ``generation_create`` at the same moment, against a
workspace budget that fits ``FITS`` more clips. Every submission's latency counts (created
or refused), and so does any clip let through beyond the budget. The upstream publish is
patched out: no broker, no provider.
"""

from __future__ import annotations

import multiprocessing
import statistics
from collections.abc import Callable
from decimal import ROUND_CEILING, Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.utils import timezone

from benchmarks import budget_member
from billing.services import budget_clear, budget_set, month_of, spent
from generations.models import Generation
from generations.services.lifecycle import estimate
from workspaces.services import default_project, personal_workspace

THREADS = 20  # members, each a process
FITS = 7
ROUNDS = 5  # each member submits once a round: within the per-minute and in-flight limits
# One burst first whose latencies are not counted (its clips are, against its budget): a
# web worker is warm after its first request, and a freshly started process is not (code
# paths run once, the database connection's catalogue caches).
WARM_UP = 1
CLIP = {
    "mode": "text",
    "model": "seedance2.0-480p",
    "prompt": "a kite over dunes, budget burst",
    "duration": 5,
    "aspect_ratio": "16:9",
}
# The per-member spend limits are still checked (their queries are part of every
# submission) but set above the seeded month, whose clips would otherwise refuse them all.
ROOMY = {"STUDIO_MAX_SPEND_PER_DAY": 10**9, "STUDIO_MAX_SPEND_PER_MONTH": 10**9}


def _members(users: list, project) -> tuple[list, Any, Any]:
    """Start one process per member (``spawn``: nothing inherited but the environment),
    each waiting at the barrier for the first round."""
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(len(users) + 1)  # the members and this process
    results = context.Queue()
    processes = [
        context.Process(
            target=budget_member.member,
            args=(user.pk, str(project.pk), CLIP, WARM_UP + ROUNDS, barrier, results),
            daemon=True,
        )
        for user in users
    ]
    for process in processes:
        process.start()
    return processes, barrier, results


def _burst(barrier: Any, results: Any) -> tuple[list[float], list[str], list[str]]:
    """Release every member at once and collect each one's (latency, outcome, clip)."""
    barrier.wait(timeout=600)
    times: list[float] = []
    outcomes: list[str] = []
    made: list[str] = []
    for _ in range(THREADS):
        ms, outcome, clip = results.get(timeout=300)
        outcomes.append(outcome)
        if outcome in ("created", "refused"):
            times.append(ms)
        if clip:
            made.append(clip)
    return times, outcomes, made


def figures(report: Callable[..., None]) -> None:
    owner = get_user_model().objects.get(username="bench")
    workspace = personal_workspace(owner)
    project = default_project(workspace)
    members = [owner, *get_user_model().objects.filter(username__startswith="bench-mate-")]
    members = members[:THREADS]
    assert len(members) == THREADS, len(members)
    price = estimate(data=CLIP, references=[])
    times: list[float] = []
    beyond, errors, made = 0, [], []
    budget = None
    warmed = 0
    finished = False
    processes, barrier, results = _members(members, project)
    try:
        for burst in range(WARM_UP + ROUNDS):
            month = month_of(timezone.now())
            used = spent(workspace_id=workspace.pk, project_id=None, month=month)
            amount = (used + price * FITS).quantize(Decimal("0.01"), rounding=ROUND_CEILING)
            budget = budget_set(
                workspace=workspace,
                actor=owner,
                project=None,
                amount=amount,
                alert_percent=100,
                hard_stop=True,
            )
            took, outcomes, created = _burst(barrier, results)
            if burst >= WARM_UP:
                times += took
                made += created
            else:  # out of the members' in-flight count, as if they had finished
                Generation.objects.filter(pk__in=created).delete()
                warmed += len(created)
            beyond += max(0, outcomes.count("created") - FITS)
            errors += [o for o in outcomes if o not in ("created", "refused")]
        barrier.wait(timeout=600)  # the members exit only now, after the last burst
        finished = True
    finally:
        if not finished:  # a member still waiting (after a failed round) stops
            barrier.abort()
        for process in processes:
            process.join(timeout=60)
            if process.is_alive():
                process.terminate()
        if budget is not None:
            budget_clear(budget=budget, actor=owner)
        # The burst's clips would stay queued (nothing was published): later sections
        # measure a workspace with nothing in flight.
        Generation.objects.filter(pk__in=made).delete()
    p95 = statistics.quantiles(times, n=20)[-1] if len(times) >= 2 else float("nan")
    report(
        "budget_checked_submissions_20_concurrent",
        f"p95 {p95:.0f} ms (median {statistics.median(times):.0f} ms over {len(times)}); "
        f"{beyond} let through beyond the budget ({warmed} + {len(made)} created, {FITS} fit "
        f"in each of {WARM_UP} + {ROUNDS} bursts, the first warming up)"
        f"{'; errors: ' + '; '.join(errors[:3]) if errors else ''}",
        "p95 ≤ 300 ms, 0 beyond the budget",
        p95 <= 300
        and beyond == 0
        and not errors
        and (warmed, len(made)) == (FITS * WARM_UP, FITS * ROUNDS),
    )
