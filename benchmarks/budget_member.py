"""One member of the budget burst, in a process of its own: its own Django setup and
database connection, as a member's request on one worker of a multi-worker web tier. At
each round it waits at the shared barrier, submits once and reports its latency."""

from __future__ import annotations

import time
from typing import Any


def member(
    user_id: int, project_id: str, data: dict[str, Any], rounds: int, barrier: Any, results: Any
) -> None:
    """Submit ``data`` once a round; put (milliseconds, outcome, clip id or "") on
    ``results``. The settings module and database come from the environment."""
    import django

    django.setup()
    from unittest import mock

    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import override_settings

    from benchmarks.budget import ROOMY
    from billing.services import BudgetExceeded
    from generations import scheduling
    from generations.services import generation_create
    from workspaces.models import Project

    user = get_user_model().objects.get(pk=user_id)
    project = Project.objects.select_related("workspace").get(pk=project_id)
    with (
        override_settings(**ROOMY),
        # No broker, no provider: the burst measures the submission itself.
        mock.patch.object(scheduling, "publish", lambda *args: None),
    ):
        for _ in range(rounds):
            barrier.wait(timeout=600)
            began = time.perf_counter()
            made = ""
            try:
                made = str(
                    generation_create(
                        user=user, data=data, workspace=project.workspace, project=project
                    ).pk
                )
                outcome = "created"
            except BudgetExceeded:
                outcome = "refused"
            except Exception as exc:  # counted as neither: the figure reports it
                outcome = f"{type(exc).__name__}: {exc}"
            results.put(((time.perf_counter() - began) * 1000, outcome, made))
        # Stay until every member has reported: a process that exits (tears down Django,
        # closes its connection) during the last burst takes the CPU from those still
        # submitting, which a long-running web worker never does.
        barrier.wait(timeout=600)
    connection.close()
