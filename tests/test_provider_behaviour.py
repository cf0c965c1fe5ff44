"""The studio against the simulator's provider behaviours, end to end over HTTP with a real
worker: refused polls, a finish without a link, a failing last frame, usage tokens and the
settled cost, and the Ark dialects (docs/provider.md)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from decimal import Decimal

import pytest
import requests

from generations import selectors
from generations.models import Generation, Status
from studiolib.sizes import completion_tokens
from tests.support import SIM_KEY
from tests.test_e2e import create, wait_until_finished

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def faults(stack) -> Iterator:
    """Switch the shared simulator's behaviours for one test, and back afterwards."""

    def switch(values: dict) -> None:
        assert requests.post(f"{stack['simulator']}/_sim/faults", json=values, timeout=5).ok

    yield switch
    switch({})


def wait_for(check, timeout: float = 60, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


@pytest.mark.parametrize(
    ("fault", "problem", "words"),
    [
        ("poll_401", "auth", "fix SEEDANCE_API_KEY"),
        ("poll_403", "auth", "fix SEEDANCE_API_KEY"),
        ("poll_404", "not_found", "does not show this task"),
        ("poll_429_quota", "quota", "quota is used up"),
    ],
)
def test_a_refused_poll_keeps_a_sent_clip_and_says_why(
    stack, user, client, faults, fault, problem, words
):
    generation = create(user, prompt=f"refused poll {fault}")
    wait_for(lambda: Generation.objects.get(pk=generation.pk).upstream_task_id, what="the submit")
    faults({fault: 1})
    wait_for(
        lambda: Generation.objects.get(pk=generation.pk).upstream_problem == problem,
        what="the problem to be noted",
    )
    time.sleep(2)  # several more refused polls
    refused = Generation.objects.get(pk=generation.pk)
    assert refused.status == Status.RUNNING and refused.poll_failures >= 1
    client.force_login(user)
    card = client.get("/").content.decode()
    assert words in card and "billed" in card
    summary = selectors.provider_problem_summary()
    assert summary.problem == problem and summary.since == refused.upstream_problem_since
    log = stack["worker"].output()
    assert f"generation={generation.pk}" in log and f"problem={problem}" in log
    assert SIM_KEY not in log
    faults({})  # the key is fixed, the quota raised
    done = wait_until_finished(generation.pk)
    assert done.status == Status.SUCCEEDED, done.error_message
    assert done.upstream_problem == "" and done.upstream_problem_since is None


def test_a_finish_without_a_link_is_asked_again(stack, user, faults):
    faults({"completed_without_url": 1})
    generation = create(user, prompt="completed without a link")
    done = wait_until_finished(generation.pk)
    assert done.status == Status.SUCCEEDED, done.error_message
    assert f"generation={generation.pk} completed without a video link" in (
        stack["worker"].output()
    )


def test_a_failing_last_frame_keeps_the_video_and_says_so(stack, user, client, faults):
    faults({"last_frame_fail": 1})
    generation = create(user, prompt="last frame fails", return_last_frame=True)
    done = wait_until_finished(generation.pk)
    assert done.status == Status.SUCCEEDED, done.error_message
    assert done.video and not done.last_frame and done.last_frame_missing
    client.force_login(user)
    assert "The last frame is missing" in client.get(done.url).content.decode()
    assert "Last frame missing" in client.get("/").content.decode()


def test_the_settled_cost_comes_from_usage_tokens(stack, user):
    generation = create(user, prompt="settled from usage", aspect_ratio="1:1")
    done = wait_until_finished(generation.pk)
    assert done.status == Status.SUCCEEDED, done.error_message
    assert (done.video_width, done.video_height) == (640, 640)
    tokens = completion_tokens(640, 640, 5)
    assert done.usage_tokens == tokens
    assert done.settled_cost == Decimal(str(round(tokens / 1_000_000 * 7.7, 4)))
    assert done.cost_gap == done.settled_cost - done.estimated_cost


def test_without_usage_the_settled_cost_comes_from_the_probed_output(stack, user, faults):
    faults({"usage_missing": 1})
    generation = create(user, prompt="settled from the output", aspect_ratio="9:16")
    done = wait_until_finished(generation.pk)
    assert done.status == Status.SUCCEEDED, done.error_message
    assert done.usage_tokens is None and done.video_frames == 120
    tokens = completion_tokens(done.video_width, done.video_height, 120 / 24)
    assert done.settled_cost == Decimal(str(round(tokens / 1_000_000 * 7.7, 4)))


@pytest.mark.parametrize("dialect", ["ark", "relay"])
def test_the_studio_understands_the_ark_dialects(stack, user, faults, dialect):
    faults({"dialect": dialect})
    ok = create(user, prompt=f"{dialect} dialect ok")
    moderated = create(user, prompt=f"{dialect} dialect [[moderate]]")
    audio = create(user, prompt=f"{dialect} dialect [[moderate-audio]]")
    done = wait_until_finished(ok.pk)
    assert done.status == Status.SUCCEEDED, done.error_message
    assert done.usage_tokens == completion_tokens(864, 480, 5)
    blocked = wait_until_finished(moderated.pk)
    assert blocked.status == Status.FAILED
    assert blocked.error_code == "OutputVideoSensitiveContentDetected.PrivacyInformation"
    assert "content filter" in blocked.error_message
    muted = wait_until_finished(audio.pk)
    assert muted.status == Status.FAILED and "sound was blocked" in muted.error_message
