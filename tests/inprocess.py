"""The pipeline driven step by step in this process against the real simulator over HTTP:
each service (submit, poll, save, sweep) is called directly, so a test can stop between
two steps, switch a fault on, or race a user's action against a worker's."""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest
import requests
from django.utils import timezone

from generations import services
from generations.models import Generation, Status
from tests import support


@pytest.fixture
def sim(settings, simulator_url, local_media, no_broker):
    """The session's simulator, with faults set per test and switched off afterwards."""
    settings.SEEDANCE_BASE_URL = simulator_url
    settings.SEEDANCE_API_KEY = support.SIM_KEY
    settings.SEEDANCE_RESULT_HOSTS = ["127.0.0.1", "localhost"]  # the API and its CDN host
    settings.STUDIO_MAX_IN_FLIGHT = 0
    settings.STUDIO_MAX_PER_MINUTE = 0

    class Sim:
        url = simulator_url
        media = local_media

        @staticmethod
        def faults(**rates: float) -> None:
            requests.post(f"{simulator_url}/_sim/faults", json=rates, timeout=5).raise_for_status()

        @staticmethod
        def stats() -> dict[str, Any]:
            return requests.get(f"{simulator_url}/_sim/stats", timeout=5).json()

    yield Sim
    Sim.faults()


def make(user: Any, **overrides: Any) -> Generation:
    """A queued generation with a prompt of its own (the simulator counts by prompt)."""
    data = {
        "mode": "text",
        "model": "seedance2.0-480p",
        "prompt": f"in-process clip {uuid.uuid4().hex[:8]}",
        "duration": 5,
        "aspect_ratio": "16:9",
        "generate_audio": False,
        "seed": 3,
        "watermark": False,
        "camera_fixed": False,
        "return_last_frame": False,
        **overrides,
    }
    return services.generation_create(user=user, data=data)


def due(pk: Any) -> None:
    """Make the row's next action due now (what its countdown would do)."""
    Generation.objects.filter(pk=pk).update(next_poll_at=timezone.now())


def running(user: Any, **overrides: Any) -> Generation:
    generation = make(user, **overrides)
    services.generation_submit(generation.pk)
    generation.refresh_from_db()
    assert generation.status == Status.RUNNING, generation.error_message
    return generation


def finished_upstream(
    sim: Any, task_id: str, *, status: str = "completed", timeout: float = 60
) -> None:
    """Wait until the simulator's task has ended upstream (with ``status``)."""
    deadline = time.monotonic() + timeout
    while sim.stats()["tasks"].get(task_id) != status:
        assert time.monotonic() < deadline, f"task {task_id} did not finish upstream"
        time.sleep(0.1)


def saving(sim: Any, user: Any, **overrides: Any) -> Generation:
    """A generation whose clip is finished upstream and due to be saved."""
    generation = running(user, **overrides)
    finished_upstream(sim, generation.upstream_task_id)
    due(generation.pk)
    services.generation_refresh(generation.pk)
    generation.refresh_from_db()
    assert generation.status == Status.SAVING, generation.error_message
    return generation
