"""End to end with real parts: this process as the web tier, a real Celery worker
subprocess, a private redis-server and the simulator over HTTP. The stored MP4 is probed
to prove it has what was asked for."""

from __future__ import annotations

import time

import av
import pytest
import requests
from django.urls import reverse

from generations import services
from generations.models import Generation, Status

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def wait_until_finished(pk, timeout: float = 90) -> Generation:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        generation = Generation.objects.get(pk=pk)
        if generation.is_finished:
            return generation
        time.sleep(0.25)
    raise AssertionError(f"generation still {generation.status} after {timeout}s")


def create(user, **overrides) -> Generation:
    data = {
        "mode": "text",
        "model": "seedance2.0-480p",
        "prompt": "A red balloon drifting over a calm sea",
        "duration": 5,
        "aspect_ratio": "16:9",
        "generate_audio": False,
        "seed": 42,
        "watermark": False,
        "camera_fixed": False,
        "return_last_frame": False,
        **overrides,
    }
    return services.generation_create(user=user, data=data)


def probe(path: str) -> tuple[int, int, float, bool]:
    with av.open(path) as container:
        stream = container.streams.video[0]
        duration = float(stream.duration * stream.time_base)
        return stream.width, stream.height, duration, bool(container.streams.audio)


def test_a_text_generation_ends_as_a_stored_mp4_with_what_was_asked(stack, user, sim_stats):
    generation = create(
        user,
        prompt="E2E portrait with audio and last frame",
        aspect_ratio="9:16",
        duration=6,
        generate_audio=True,
        return_last_frame=True,
    )
    done = wait_until_finished(generation.pk)
    assert done.status == Status.SUCCEEDED, done.error_message
    width, height, duration, has_audio = probe(done.video.path)
    assert (width, height) == (480, 864)
    assert duration == pytest.approx(6, abs=0.2)
    assert has_audio
    assert done.video_sha256 and done.video_bytes > 1000
    assert done.poster and done.last_frame
    assert not done.result_url  # upstream links are not kept once copied
    statuses = list(done.events.values_list("status", flat=True))
    assert statuses[0] == Status.QUEUED and statuses[-1] == Status.SUCCEEDED
    assert Status.RUNNING in statuses
    assert sim_stats()["creates_by_prompt"][generation.prompt] == 1


def test_without_audio_there_is_no_audio_track(stack, user):
    done = wait_until_finished(create(user, prompt="E2E silent landscape", seed=5).pk)
    assert done.status == Status.SUCCEEDED, done.error_message
    width, height, _, has_audio = probe(done.video.path)
    assert (width, height) == (864, 480)
    assert not has_audio


def test_the_video_still_plays_after_the_provider_forgot_it(stack, user, client):
    done = wait_until_finished(create(user, prompt="E2E forget me").pk)
    assert done.status == Status.SUCCEEDED, done.error_message
    requests.post(f"{stack['simulator']}/_sim/reset", timeout=5).raise_for_status()
    client.force_login(user)
    response = client.get(reverse("generations:file", args=[done.pk, "video"]))
    assert response.status_code == 200
    body = b"".join(response.streaming_content)
    assert body[4:8] == b"ftyp"
    assert len(body) == done.video_bytes


def test_a_moderated_generation_explains_itself(stack, user):
    done = wait_until_finished(create(user, prompt="E2E [[moderate]] beach").pk)
    assert done.status == Status.FAILED
    assert "content filter" in done.error_message
    assert not done.video


def test_a_redelivered_submit_sends_nothing(stack, user, sim_stats):
    generation = create(user, prompt="E2E submitted exactly once")
    wait_until_finished(generation.pk)
    from generations.tasks import submit_generation

    submit_generation.delay(str(generation.pk))  # a duplicate message, as after a redelivery
    time.sleep(1.5)
    assert sim_stats()["creates_by_prompt"][generation.prompt] == 1
