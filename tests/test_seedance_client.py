"""The upstream client against the simulator over real HTTP, and its parsing of the
variants the wider API sends (api-notes.md)."""

from __future__ import annotations

import threading
import time
from contextlib import contextmanager
from dataclasses import replace

import pytest
import requests

from simulator.config import Config
from simulator.server import make_server
from studiolib.seedance import (
    POLL_REFUSED_AUTH,
    POLL_REFUSED_NOT_FOUND,
    POLL_REFUSED_QUOTA,
    CreateRequest,
    SeedanceClient,
    SeedanceError,
    parse_retry_after,
    parse_task,
)
from studiolib.seedance_tasks import code_matches
from tests.support import SIM_KEY, free_port

pytestmark = pytest.mark.e2e

AUTH = {"Authorization": f"Bearer {SIM_KEY}"}
REQUEST = CreateRequest(
    model="seedance2.0-480p", prompt="client test", duration=5, aspect_ratio="16:9", seed=3
)


@pytest.fixture
def client(simulator_url):
    return SeedanceClient(simulator_url, SIM_KEY, timeout=(3.05, 20))


def poll_until_final(client, task_id, timeout=60):
    """Polls as the studio does: a refused poll (a fresh task is unknown for a moment) is
    only a missed poll."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            status = client.get_task(task_id)
        except SeedanceError as exc:
            assert exc.poll_refused == POLL_REFUSED_NOT_FOUND and not exc.permanent
        else:
            assert status.status in {"queued", "running", "completed", "failed", "expired"}
            if status.is_final:
                return status
        time.sleep(0.2)
    raise AssertionError("the task did not finish")


def test_create_then_poll_until_completed(client):
    task_id = client.create_task(REQUEST)
    assert task_id.startswith("task_")
    status = poll_until_final(client, task_id)
    assert status.status == "completed"
    assert status.progress == 100
    assert status.video_url and status.video_url.endswith(".mp4")
    # Usage tokens come with the finished task, on the size really rendered (864×480).
    assert status.usage_tokens == 864 * 480 * (24 * 5 + 1) // 1024


def test_polls_share_one_connection_and_each_create_opens_its_own(settings, proc_logs):
    import requests

    from generations.services import lifecycle
    from tests.support import start_simulator

    # Its own, so no other test's traffic is counted; polls at once, so fresh tasks are known.
    sim, url = start_simulator(
        proc_logs, SIMULATOR_FAULTS='{"poll_not_exist_after_create_seconds": 0}'
    )
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


def test_an_unknown_task_is_a_refused_poll_not_a_failed_task(client):
    with pytest.raises(SeedanceError) as caught:
        client.get_task("task_doesnotexist")
    assert not caught.value.permanent
    assert caught.value.code == "task_not_exist"
    assert caught.value.poll_refused == POLL_REFUSED_NOT_FOUND


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


@contextmanager
def simulator(tmp_path, **config):
    """A private simulator in this process, so its switches touch no other test."""
    server = make_server(
        "127.0.0.1", 0, Config(**{"api_key": SIM_KEY, "speed": 200, "data_dir": tmp_path, **config})
    )
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize(
    ("fault", "status", "refused"),
    [
        ("poll_401", 401, POLL_REFUSED_AUTH),
        ("poll_403", 403, POLL_REFUSED_AUTH),
        ("poll_404", 404, POLL_REFUSED_NOT_FOUND),
        ("poll_429_quota", 429, POLL_REFUSED_QUOTA),
    ],
)
def test_refused_polls_are_classified_and_never_permanent(tmp_path, fault, status, refused):
    with simulator(tmp_path, faults={"poll_not_exist_after_create_seconds": 0}) as url:
        client = SeedanceClient(url, SIM_KEY, timeout=(3.05, 10))
        task_id = client.create_task(REQUEST)
        requests.post(f"{url}/_sim/faults", json={fault: 1}, timeout=5)
        with pytest.raises(SeedanceError) as caught:
            client.get_task(task_id)
        assert caught.value.http_status == status
        assert caught.value.poll_refused == refused
        assert not caught.value.permanent and not caught.value.maybe_accepted
        requests.post(f"{url}/_sim/faults", json={}, timeout=5)  # the key is fixed again
        assert poll_until_final(client, task_id).status == "completed"


def test_a_fresh_task_is_unknown_for_a_moment_by_default(tmp_path):
    # The default (3 simulated seconds) at speed 1: long enough to see it.
    with simulator(tmp_path, speed=1) as url:
        client = SeedanceClient(url, SIM_KEY, timeout=(3.05, 10))
        task_id = client.create_task(REQUEST)
        with pytest.raises(SeedanceError) as caught:
            client.get_task(task_id)
        assert caught.value.code == "task_not_exist"
        assert caught.value.poll_refused == POLL_REFUSED_NOT_FOUND


@pytest.mark.parametrize("dialect", ["ark", "relay"])
def test_the_ark_dialects_are_understood_over_http(tmp_path, dialect):
    # A fresh task stays unknown for 100 simulated seconds (0.5 s here), long enough to see.
    faults = {"poll_not_exist_after_create_seconds": 100}
    with simulator(tmp_path, dialect=dialect, faults=faults) as url:
        client = SeedanceClient(url, SIM_KEY, timeout=(3.05, 10))
        raw = requests.get(
            f"{url}/v1/videos/{client.create_task(REQUEST)}", headers=AUTH, timeout=5
        )
        assert raw.status_code == 404 and raw.json()["error"]["code"] == "ResourceNotFound"
        done = poll_until_final(client, raw.url.rsplit("/", 1)[1])
        assert done.status == "completed" and done.raw_status == "succeeded"
        assert done.video_url and done.video_url.endswith(".mp4")
        assert done.usage_tokens == 864 * 480 * 121 // 1024
        moderated = poll_until_final(
            client, client.create_task(replace(REQUEST, prompt="x [[moderate]]"))
        )
        assert moderated.status == "failed"
        assert moderated.error_code == "OutputVideoSensitiveContentDetected.PrivacyInformation"
        audio = poll_until_final(
            client, client.create_task(replace(REQUEST, prompt="x [[moderate-audio]]"))
        )
        assert code_matches(audio.error_code, "OutputAudioSensitiveContentDetected")
        expired = poll_until_final(
            client, client.create_task(replace(REQUEST, prompt="[[expire]]"))
        )
        assert expired.status == "expired"


def test_a_relay_envelope_with_percent_progress_and_a_string_error():
    running = parse_task(
        {
            "code": "success",
            "message": "",
            "data": {"id": "t1", "status": "running", "progress": "50%"},
        },
        "t",
    )
    assert (running.task_id, running.status, running.progress) == ("t1", "running", 50)
    failed = parse_task(
        {
            "code": "success",
            "data": {
                "status": "failed",
                "error": "OutputVideoSensitiveContentDetected.PrivacyInformation: may be sensitive",
            },
        },
        "t",
    )
    assert failed.error_code == "OutputVideoSensitiveContentDetected.PrivacyInformation"
    assert failed.error_message == "may be sensitive"
    plain = parse_task({"status": "failed", "error": "The service failed to render."}, "t")
    assert (plain.error_code, plain.error_message) == ("", "The service failed to render.")
    assert parse_task({"status": "running", "progress": "n/a"}, "t").progress == 0


def test_usage_tokens_are_read_only_when_plausible():
    done = {"status": "succeeded", "content": {"video_url": "https://e/v.mp4"}}
    assert parse_task({**done, "usage": {"completion_tokens": 108900}}, "t").usage_tokens == 108900
    assert parse_task({**done, "usage": {"completion_tokens": "lots"}}, "t").usage_tokens is None
    assert parse_task({**done, "usage": {"completion_tokens": 0}}, "t").usage_tokens is None
    assert parse_task(done, "t").usage_tokens is None


def test_a_completed_answer_without_a_url_has_none():
    assert parse_task({"status": "completed", "video_url": None}, "t").video_url is None
    assert parse_task({"status": "succeeded", "content": {}}, "t").video_url is None
