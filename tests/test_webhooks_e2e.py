"""Generation events reach a webhook receiver: in process against the simulator (the
save emits "generation.succeeded"), and end to end through a real Celery worker, where a
receiver that fails twice gets the signed event on the third try."""

from __future__ import annotations

import json
import time

import pytest

from generations import services as generations
from generations.models import Status
from tests.inprocess import due, saving
from tests.webhook_receiver import Receiver
from webhooks import services
from webhooks.models import Delivery
from workspaces.services import personal_workspace

A_PROMPT = "A lighthouse in the fog"


@pytest.fixture
def receiver():
    made: list[Receiver] = []

    def start(**kwargs) -> Receiver:
        made.append(Receiver(**kwargs).start())
        return made[-1]

    yield start
    for one in made:
        one.stop()


def test_a_saved_clip_emits_generation_succeeded(
    sim,
    user,
    receiver,
    django_capture_on_commit_callbacks,
    monkeypatch,
):
    hook = receiver()
    endpoint = services.endpoint_create(
        workspace=personal_workspace(user),
        actor=user,
        url=hook.url,
        events=["generation.succeeded"],
        fmt="standard",
    )
    hook.secret = endpoint.secret
    sent: list = []
    monkeypatch.setattr(services, "publish", lambda pk, delay: sent.append(pk))
    clip = saving(sim, user, prompt=A_PROMPT)
    assert not Delivery.objects.exists()
    due(clip.pk)
    with django_capture_on_commit_callbacks(execute=True):
        generations.generation_refresh(clip.pk)
    clip.refresh_from_db()
    assert clip.status == Status.SUCCEEDED
    (row,) = Delivery.objects.all()
    assert sent == [str(row.pk)]
    services.deliver(delivery_id=row.pk)
    got = hook.received[0].verified
    assert got["type"] == "generation.succeeded"
    assert got["data"]["generation_id"] == str(clip.pk) and got["data"]["prompt"] == A_PROMPT


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_through_the_worker_a_receiver_failing_twice_gets_it_third(stack, user, receiver):
    hook = receiver(codes=[500, 503, 200])
    endpoint = services.endpoint_create(
        workspace=personal_workspace(user),
        actor=user,
        url=hook.url,
        events=["generation.succeeded"],
        fmt="standard",
    )
    hook.secret = endpoint.secret
    clip = generations.generation_create(
        user=user,
        data={
            "mode": "text",
            "model": "seedance2.0-480p",
            "prompt": A_PROMPT,
            "duration": 5,
            "aspect_ratio": "16:9",
            "generate_audio": False,
            "seed": 5,
            "watermark": False,
            "camera_fixed": False,
            "return_last_frame": False,
        },
    )
    deadline = time.monotonic() + 120
    while len(hook.received) < 3:
        assert time.monotonic() < deadline, f"receiver got {len(hook.received)} requests"
        time.sleep(0.2)
    row = Delivery.objects.get(endpoint=endpoint)
    deadline = time.monotonic() + 10
    while row.status != "succeeded" and time.monotonic() < deadline:
        time.sleep(0.1)
        row.refresh_from_db()
    assert (row.status, row.attempts, row.response_code) == ("succeeded", 3, 200)
    assert all(got.error == "" for got in hook.received), [g.error for g in hook.received]
    assert json.loads(hook.received[2].body)["data"]["generation_id"] == str(clip.pk)
    assert len({got.headers["webhook-id"] for got in hook.received}) == 1
    first, second, third = (got.at for got in hook.received[:3])
    assert second - first >= 0.4 and third - second >= 0.9  # 0.5 s, then doubled
