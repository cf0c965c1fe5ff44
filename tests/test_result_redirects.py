"""Result downloads that move: every redirect hop guarded over real HTTP, the simulator's
CDN host and its 302 from the API host, and a generation saved through them."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
import requests

from studiolib import media, urlguard
from tests import media_factory as mf
from tests.fetching import LOCAL, Origin, Resolver, download, origin_server  # noqa: F401 - a fixture
from tests.test_services import DATA


def test_a_redirect_loop_is_refused_after_the_cap(origin):
    Origin.routes["/loop"] = (302, {"Location": "/loop"}, b"")
    Origin.seen.clear()
    with pytest.raises(media.FetchError, match="redirected too many times") as caught:
        download(f"http://127.0.0.1:{origin}/loop", LOCAL)
    assert caught.value.permanent
    assert len(Origin.seen) == media.MAX_REDIRECTS + 1


def test_a_redirect_to_a_private_name_is_refused_before_any_connection(origin):
    Origin.routes["/to-internal"] = (302, {"Location": "http://internal.localhost/x.mp4"}, b"")
    resolve = Resolver({"internal.localhost": ["10.0.0.5"]})
    with pytest.raises(media.FetchError, match="private address") as caught:
        download(f"http://127.0.0.1:{origin}/to-internal", LOCAL, resolve=resolve)
    assert caught.value.permanent
    assert resolve.calls == ["internal.localhost"]


def test_a_relative_redirect_on_an_allowed_host_is_followed(origin):
    Origin.routes["/short"] = (307, {"Location": "ok.mp4"}, b"")
    Origin.routes["/ok.mp4"] = (200, {}, mf.mp4(2))
    path, size, _ = download(f"http://127.0.0.1:{origin}/short", LOCAL)
    try:
        assert size == len(mf.mp4(2)) and media.probe_video(path).duration > 1
    finally:
        path.unlink()


@pytest.mark.django_db
def test_a_result_on_a_loopback_address_fails_the_generation_without_a_request(
    origin, settings, local_media
):
    from django.utils import timezone

    from generations.models import Generation, Status
    from generations.services import results
    from tests.factories import GenerationFactory

    settings.SEEDANCE_RESULT_ALLOW_LOOPBACK = False
    settings.SEEDANCE_RESULT_HOSTS = ["127.0.0.1", "localhost"]
    Origin.routes["/admin/"] = (200, {}, mf.mp4(2))
    Origin.seen.clear()
    generation = GenerationFactory(
        status=Status.SAVING,
        result_url=f"http://127.0.0.1:{origin}/admin/",
        next_poll_at=timezone.now(),
        deadline_at=timezone.now() + timedelta(hours=1),
    )
    assert results.generation_refresh(generation.pk) is None
    failed = Generation.objects.get(pk=generation.pk)
    assert failed.status == Status.FAILED
    assert "unexpected location" in failed.error_message
    assert "may have been charged" in failed.error_message
    assert Origin.seen == [] and not failed.video
    assert not list(local_media.rglob("*.mp4"))


# -- against the simulator: results on a CDN host, and via a 302 from the API host ----------


@pytest.fixture
def simulator(tmp_path):
    from simulator.config import Config
    from simulator.server import make_server

    def start(faults: dict | None = None, **options):
        config = Config(api_key="k", speed=200, data_dir=tmp_path, faults=faults or {}, **options)
        server = make_server("127.0.0.1", 0, config)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_port}"

    servers: list = []
    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def finished_task(sim: str) -> dict:
    headers = {"Authorization": "Bearer k"}
    body = {"model": "seedance2.0-480p", "prompt": "guard", "duration": 5, "generate_audio": False}
    task_id = requests.post(
        f"{sim}/v1/video/generations", json=body, headers=headers, timeout=30
    ).json()["id"]
    for _ in range(600):
        answer = requests.get(f"{sim}/v1/videos/{task_id}", headers=headers, timeout=10)
        # A fresh task is unknown to the provider for a moment (docs/provider.md).
        if answer.status_code == 200 and answer.json()["status"] == "completed":
            return answer.json()
        time.sleep(0.05)
    raise AssertionError("the simulator task did not finish")


def stats(sim: str) -> dict:
    return requests.get(f"{sim}/_sim/stats", timeout=5).json()


def test_the_simulator_serves_results_from_a_cdn_host_by_default(simulator):
    sim = simulator()
    task = finished_task(sim)
    assert task["video_url"].startswith("http://localhost:")
    assert not task["video_url"].startswith(sim)
    # The API host does not serve files itself: it sends clients to the CDN.
    api_link = sim + urlsplit(task["video_url"]).path
    moved = requests.get(api_link, timeout=10, allow_redirects=False)
    assert moved.status_code == 302 and moved.headers["Location"] == task["video_url"]
    path, _, _ = download(task["video_url"], LOCAL)
    path.unlink()


def test_a_result_redirected_from_the_api_host_to_the_cdn_is_saved(simulator):
    sim = simulator({"result_redirect": 1.0})
    task = finished_task(sim)
    assert task["video_url"].startswith(sim + "/files/")
    path, size, _ = download(task["video_url"], LOCAL)
    try:
        assert media.probe_video(path).duration == pytest.approx(5, abs=0.2)
    finally:
        path.unlink()
    counters = stats(sim)
    assert counters["redirects_total"] == 1 and counters["downloads_total"] == 1


def test_a_redirect_to_a_host_off_the_list_is_refused_and_never_fetched(simulator):
    sim = simulator({"result_redirect": 1.0})
    task = finished_task(sim)
    only_api = urlguard.UrlPolicy(("127.0.0.1",), allow_loopback=True)
    with pytest.raises(media.FetchError, match="localhost is not an allowed") as caught:
        download(task["video_url"], only_api)
    assert caught.value.permanent
    counters = stats(sim)
    assert counters["redirects_total"] == 1
    assert counters["cdn_requests_total"] == 0 and counters["downloads_total"] == 0


def test_results_come_from_loopback_in_production_never(simulator):
    sim = simulator({"result_redirect": 1.0})
    task = finished_task(sim)
    production = urlguard.UrlPolicy(("127.0.0.1", "localhost"))
    with pytest.raises(media.FetchError, match="unexpected location") as caught:
        download(task["video_url"], production)
    assert caught.value.permanent
    assert stats(sim)["redirects_total"] == 0  # not even the first hop was sent


def test_without_a_cdn_host_the_api_host_serves_results_itself(simulator):
    sim = simulator(cdn_host="")
    task = finished_task(sim)
    assert task["video_url"].startswith(sim + "/files/")
    path, _, _ = download(task["video_url"], LOCAL)
    path.unlink()
    assert stats(sim)["redirects_total"] == 0


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_a_generation_whose_result_comes_via_a_302_to_the_cdn_succeeds(stack, user, sim_stats):
    from generations import services
    from generations.models import Generation, Status

    sim = stack["simulator"]
    before = sim_stats()
    requests.post(f"{sim}/_sim/faults", json={"result_redirect": 1.0}, timeout=5).raise_for_status()
    try:
        generation = services.generation_create(
            user=user,
            data={**DATA, "prompt": "Guard e2e: a kite over dunes", "return_last_frame": True},
        )
        deadline = time.monotonic() + 90
        while not (done := Generation.objects.get(pk=generation.pk)).is_finished:
            assert time.monotonic() < deadline, f"still {done.status}"
            time.sleep(0.25)
    finally:
        requests.post(f"{sim}/_sim/faults", json={}, timeout=5).raise_for_status()
    assert done.status == Status.SUCCEEDED, done.error_message
    assert done.video and done.video.storage.exists(done.video.name)
    assert done.last_frame and done.video_bytes > 1000
    after = sim_stats()
    # The video and the last frame each came through the API host's 302 and then the CDN.
    assert after["redirects_total"] - before["redirects_total"] == 2
    assert after["cdn_requests_total"] - before["cdn_requests_total"] == 2
