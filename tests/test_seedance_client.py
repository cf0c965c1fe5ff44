"""The upstream client against the simulator over real HTTP, and its parsing of the
variants the wider API sends (api-notes.md)."""

from __future__ import annotations

import time

import pytest

from generations.seedance import (
    CreateRequest,
    SeedanceClient,
    SeedanceError,
    parse_retry_after,
    parse_task,
)
from tests.support import SIM_KEY, free_port

pytestmark = pytest.mark.e2e

REQUEST = CreateRequest(
    model="seedance2.0-480p", prompt="client test", duration=5, aspect_ratio="16:9", seed=3
)


@pytest.fixture
def client(simulator_url):
    return SeedanceClient(simulator_url, SIM_KEY, timeout=(3.05, 20))


def test_create_then_poll_until_completed(client):
    task_id = client.create_task(REQUEST)
    assert task_id.startswith("task_")
    deadline = time.monotonic() + 60
    status = client.get_task(task_id)
    assert status.status in {"queued", "running", "completed"}
    while not status.is_final and time.monotonic() < deadline:
        time.sleep(0.3)
        status = client.get_task(task_id)
    assert status.status == "completed"
    assert status.progress == 100
    assert status.video_url and status.video_url.endswith(".mp4")


def test_polls_share_one_connection_and_each_create_opens_its_own(settings, proc_logs):
    import requests

    from generations.services import lifecycle
    from tests.support import start_simulator

    sim, url = start_simulator(proc_logs)  # its own, so no other test's traffic is counted
    try:
        settings.SEEDANCE_BASE_URL, settings.SEEDANCE_API_KEY = url, SIM_KEY

        def connections() -> int:  # this request opens one connection too
            return requests.get(f"{url}/_sim/stats", timeout=5).json()["connections_total"]

        before = connections()
        tasks = [lifecycle.get_client().create_task(REQUEST) for _ in range(2)]
        for _ in range(5):
            for task in tasks:
                assert lifecycle.get_client(pooled=True).get_task(task).status
        assert connections() - before == 2 + 1 + 1  # two creates, ten polls, this request
    finally:
        sim.stop()


def test_a_wrong_key_is_a_permanent_refusal(simulator_url, sim_stats):
    bad = SeedanceClient(simulator_url, "sk-wrong", timeout=(3.05, 10))
    with pytest.raises(SeedanceError) as caught:
        bad.create_task(REQUEST)
    assert caught.value.http_status == 401
    assert caught.value.permanent and not caught.value.maybe_accepted


def test_a_rule_violation_is_permanent_and_not_accepted(client):
    with pytest.raises(SeedanceError) as caught:
        client.create_task(
            CreateRequest(
                model="seedance2.0-480p", prompt="x", duration=16, aspect_ratio="16:9", seed=1
            )
        )
    assert caught.value.http_status == 400
    assert caught.value.permanent and not caught.value.maybe_accepted
    assert "duration" in caught.value.message


def test_an_unknown_task_is_permanent(client):
    with pytest.raises(SeedanceError) as caught:
        client.get_task("task_doesnotexist")
    assert caught.value.permanent
    assert caught.value.code == "task_not_exist"


def test_a_refused_connection_certainly_was_not_accepted():
    closed = SeedanceClient(f"http://127.0.0.1:{free_port()}", "k", timeout=(1, 1))
    with pytest.raises(SeedanceError) as caught:
        closed.create_task(REQUEST)
    assert caught.value.kind == "connect"
    assert not caught.value.maybe_accepted


def test_the_key_is_not_in_error_messages(simulator_url):
    secret = "sk-never-show-this-0123456789"
    client = SeedanceClient(simulator_url, secret, timeout=(3.05, 10))
    with pytest.raises(SeedanceError) as caught:
        client.get_task("task_missing")
    assert secret not in str(caught.value)
    assert secret not in repr(caught.value)


@pytest.mark.parametrize(
    ("payload", "url"),
    [
        ({"status": "completed", "video_url": "https://a/v.mp4"}, "https://a/v.mp4"),
        ({"status": "succeeded", "result": {"video_url": "https://b/v.mp4"}}, "https://b/v.mp4"),
        ({"status": "completed", "result": {"outputs": ["https://c/v.mp4"]}}, "https://c/v.mp4"),
        ({"status": "completed", "metadata": {"url": "https://d/v.mp4"}}, "https://d/v.mp4"),
        ({"status": "succeeded", "content": {"video_url": "https://e/v.mp4"}}, "https://e/v.mp4"),
    ],
)
def test_result_urls_are_found_wherever_gateways_put_them(payload, url):
    assert parse_task(payload, "t").video_url == url
    assert parse_task(payload, "t").status == "completed"


def test_statuses_of_gateways_and_ark_are_mapped():
    assert parse_task({"status": "in_progress"}, "t").status == "running"
    assert parse_task({"status": "running"}, "t").status == "running"
    assert parse_task({"status": "expired"}, "t").status == "expired"
    assert parse_task({"status": "weird"}, "t").status == "unknown"
    failed = parse_task({"status": "failed", "error": {"code": "X", "message": "m"}}, "t")
    assert (failed.error_code, failed.error_message) == ("X", "m")


def test_retry_after_in_seconds_and_as_a_date():
    assert parse_retry_after("7") == 7
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412470.0) == (
        pytest.approx(10)
    )
    assert parse_retry_after("soon") is None
