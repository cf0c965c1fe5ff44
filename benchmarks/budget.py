"""Submissions with budget checks under 20 concurrent members of the seeded workspace (a
month of spend in its ledger): each member's thread calls ``generation_create`` with its own
database connection at the same moment, against a workspace budget that fits ``FITS`` more
clips. Every submission's latency counts (created or refused), and so does any clip let
through beyond the budget. The upstream publish is patched out: no broker, no provider.
"""

from __future__ import annotations

import statistics
import threading
import time
from collections.abc import Callable
from decimal import ROUND_CEILING, Decimal
from unittest import mock

from django.contrib.auth import get_user_model
from django.db import connection
from django.test import override_settings
from django.utils import timezone

from billing.services import BudgetExceeded, budget_clear, budget_set, month_of, spent
from generations import scheduling
from generations.models import Generation
from generations.services import generation_create
from generations.services.lifecycle import estimate
from workspaces.services import default_project, personal_workspace

THREADS = 20
FITS = 7
ROUNDS = 5  # each member submits once a round: within the per-minute and in-flight limits
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


def _burst(members: list, workspace, project) -> tuple[list[float], list[str], list]:
    start = threading.Barrier(THREADS)
    lock = threading.Lock()
    times: list[float] = []
    outcomes: list[str] = []
    made: list = []

    def submit(user) -> None:
        try:
            start.wait()
            began = time.perf_counter()
            try:
                clip = generation_create(user=user, data=CLIP, workspace=workspace, project=project)
                outcome = "created"
            except BudgetExceeded:
                clip, outcome = None, "refused"
            ms = (time.perf_counter() - began) * 1000
            with lock:
                times.append(ms)
                outcomes.append(outcome)
                if clip is not None:
                    made.append(clip.pk)
        except Exception as exc:  # counted as neither: the figure reports it
            with lock:
                outcomes.append(f"{type(exc).__name__}: {exc}")
        finally:
            connection.close()

    threads = [threading.Thread(target=submit, args=(u,)) for u in members]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
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
    published: list = []
    try:
        with (
            override_settings(**ROOMY),
            mock.patch.object(scheduling, "publish", lambda *args: published.append(args)),
        ):
            for _ in range(ROUNDS):
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
                took, outcomes, created = _burst(members, workspace, project)
                times += took
                made += created
                beyond += max(0, outcomes.count("created") - FITS)
                errors += [o for o in outcomes if o not in ("created", "refused")]
    finally:
        if budget is not None:
            budget_clear(budget=budget, actor=owner)
        # The burst's clips would stay queued (nothing was published): later sections
        # measure a workspace with nothing in flight.
        Generation.objects.filter(pk__in=made).delete()
    p95 = statistics.quantiles(times, n=20)[-1] if len(times) >= 2 else float("nan")
    report(
        "budget_checked_submissions_20_concurrent",
        f"p95 {p95:.0f} ms (median {statistics.median(times):.0f} ms over {len(times)}); "
        f"{beyond} let through beyond the budget ({len(made)} created, {FITS} fit in each "
        f"of {ROUNDS} bursts){'; errors: ' + '; '.join(errors[:3]) if errors else ''}",
        "p95 ≤ 300 ms, 0 beyond the budget",
        p95 <= 300 and beyond == 0 and not errors and len(made) == FITS * ROUNDS,
    )
