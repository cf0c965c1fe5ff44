"""The simulator against the seed's contract, over real HTTP: auth, every validation rule,
the task flow, what it renders, result expiry and the fault switches."""

from __future__ import annotations

import io
import threading
import time
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import av
import pytest
import requests
from PIL import Image, ImageStat

from simulator.config import Config
from simulator.server import make_server
from tests import media_factory as mf

KEY = "sk-sim-test"
AUTH = {"Authorization": f"Bearer {KEY}"}


@contextmanager
def running(tmp_path, **overrides):
    config = Config(**{"api_key": KEY, "speed": 200, "data_dir": tmp_path, **overrides})
    server = make_server("127.0.0.1", 0, config)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def sim(tmp_path_factory):
    with running(tmp_path_factory.mktemp("sim")) as url:
        yield url


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """A tiny static file server for reference URLs."""
    root = tmp_path_factory.mktemp("refs")
    (root / "red.png").write_bytes(mf.png(640, 360, (230, 20, 20)))
    (root / "blue.png").write_bytes(mf.png(640, 360, (20, 20, 230)))
    (root / "clip3.mp4").write_bytes(mf.mp4(3))
    (root / "clip9.mp4").write_bytes(mf.mp4(9))
    (root / "clip16.mp4").write_bytes(mf.mp4(16, size="320x320"))

    class Quiet(SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(root), **kwargs)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def body(**overrides):
    return {"model": "seedance2.0-480p", "prompt": "sim test", "duration": 5, **overrides}


def create(sim, path="/v1/video/generations", **overrides):
    return requests.post(sim + path, json=body(**overrides), headers=AUTH, timeout=30)


def finish(sim, task_id, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        response = requests.get(f"{sim}/v1/videos/{task_id}", headers=AUTH, timeout=10)
        task = response.json()
        if response.ok and task["status"] in {"completed", "failed"}:
            return task
        time.sleep(0.1)
    raise AssertionError("task did not finish")


def frames(data: bytes):
    with av.open(io.BytesIO(data)) as container:
        stream = container.streams.video[0]
        images = [f.to_image() for f in container.decode(stream)]
        has_audio = bool(container.streams.audio)
        duration = float(stream.duration * stream.time_base)
    return images, duration, has_audio


def test_auth_is_required(sim):
    assert requests.post(sim + "/v1/video/generations", json=body(), timeout=5).status_code == 401
    wrong = {"Authorization": "Bearer nope"}
    assert requests.get(sim + "/v1/videos/task_x", headers=wrong, timeout=5).status_code == 401


@pytest.mark.parametrize("duration", [5, 15, "15", "7"])
def test_valid_durations(sim, duration):
    assert create(sim, duration=duration).status_code == 200


@pytest.mark.parametrize(
    ("overrides", "param"),
    [
        ({"duration": 4}, "duration"),
        ({"duration": 16}, "duration"),
        ({"duration": "4.5"}, "duration"),
        ({"duration": True}, "duration"),
        ({"prompt": ""}, "prompt"),
        ({"model": "seedance1.0-pro"}, "model"),
        ({"aspect_ratio": "4:3"}, "aspect_ratio"),
        ({"images": ["http://x/a.png"] * 10}, "images"),
        ({"videos": ["http://x/a.mp4"] * 4}, "videos"),
        ({"last_image": "http://x/a.png"}, "last_image"),
        ({"image": "http://x/a.png", "images": ["http://x/b.png"]}, "image"),
        ({"audios": ["http://x/a.wav"]}, "audios"),
        ({"extra_body": {"operation": "edit_video"}}, "extra_body.operation"),
        ({"extra_body": {"operation": "teleport"}}, "extra_body.operation"),
        ({"extra_body": {"seed": 2**32}}, "extra_body.seed"),
        ({"extra_body": {"watermark": "maybe"}}, "extra_body.watermark"),
    ],
)
def test_every_seed_rule_is_a_400_naming_the_field(sim, overrides, param):
    response = create(sim, **overrides)
    assert response.status_code == 400
    assert response.json()["error"]["param"] == param


def test_compat_path_and_the_task_flow(sim):
    created = create(sim, "/v1/videos/generations", prompt="compat path").json()
    assert created["status"] == "queued" and created["id"].startswith("task_")
    task = finish(sim, created["id"])
    assert task["status"] == "completed" and task["progress"] == 100
    assert task["video_url"].endswith(".mp4")


def test_unknown_task(sim):
    response = requests.get(sim + "/v1/videos/task_nope", headers=AUTH, timeout=5)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "task_not_exist"


@pytest.mark.parametrize(
    ("model", "ratio", "size"),
    [("seedance2.0-480p", "16:9", (864, 480)), ("seedance2.0-720p", "9:16", (704, 1248))],
)
def test_renders_a_real_mp4_of_the_requested_shape(sim, model, ratio, size):
    created = create(
        sim,
        model=model,
        aspect_ratio=ratio,
        duration=6,
        extra_body={"generate_audio": True, "seed": 3, "return_last_frame": True},
    )
    task = finish(sim, created.json()["id"])
    images, duration, has_audio = frames(requests.get(task["video_url"], timeout=30).content)
    assert images[0].size == size
    assert duration == pytest.approx(6, abs=0.15)
    assert has_audio
    last = Image.open(io.BytesIO(requests.get(task["last_frame_url"], timeout=10).content))
    assert last.size == size


def test_audio_only_when_asked_and_the_seed_decides_the_look(sim):
    def render(seed):
        task = finish(
            sim,
            create(
                sim, prompt="seed look", extra_body={"generate_audio": False, "seed": seed}
            ).json()["id"],
        )
        return frames(requests.get(task["video_url"], timeout=30).content)

    (a, _, audio_a), (b, _, _), (c, _, _) = render(1), render(1), render(2)
    assert not audio_a
    mean = lambda image: ImageStat.Stat(image.crop((0, 100, 864, 300))).mean  # noqa: E731
    assert mean(a[10]) == pytest.approx(mean(b[10]), abs=1)
    assert mean(a[10]) != pytest.approx(mean(c[10]), abs=5)


def test_watermark_only_when_asked(sim):
    def corner(watermark):
        task = finish(
            sim,
            create(
                sim,
                prompt="mark",
                extra_body={"seed": 7, "watermark": watermark, "generate_audio": False},
            ).json()["id"],
        )
        images, _, _ = frames(requests.get(task["video_url"], timeout=30).content)
        return images[0].crop((610, 0, 864, 60))

    with_mark, without = corner(True), corner(False)
    assert ImageStat.Stat(with_mark).stddev != pytest.approx(ImageStat.Stat(without).stddev, abs=3)


def test_references_are_fetched_and_used(sim, files):
    task = finish(
        sim,
        create(
            sim,
            prompt="first last",
            image=f"{files}/red.png",
            last_image=f"{files}/blue.png",
            extra_body={"generate_audio": False},
        ).json()["id"],
    )
    images, _, _ = frames(requests.get(task["video_url"], timeout=30).content)
    first, last = ImageStat.Stat(images[0]).mean, ImageStat.Stat(images[-1]).mean
    assert first[0] > first[2] + 60
    assert last[2] > last[0] + 60


def test_unfetchable_or_too_long_references_are_refused(sim, files):
    missing = create(sim, image=f"{files}/missing.png")
    assert missing.status_code == 400 and "could not download" in missing.json()["error"]["message"]
    long_video = create(sim, videos=[f"{files}/clip16.mp4"])
    assert long_video.status_code == 400
    too_much = create(sim, videos=[f"{files}/clip9.mp4", f"{files}/clip9.mp4"])
    assert too_much.status_code == 400 and "total" in too_much.json()["error"]["message"]
    ok = create(sim, videos=[f"{files}/clip3.mp4"], extra_body={"operation": "edit_video"})
    assert ok.status_code == 200


def test_moderation_trigger_and_counters(sim):
    task = finish(sim, create(sim, prompt="bad [[moderate]]").json()["id"])
    assert task["status"] == "failed"
    assert task["error"]["code"] == "OutputVideoSensitiveContentDetected"
    stats = requests.get(sim + "/_sim/stats", timeout=5).json()
    assert stats["creates_by_prompt"]["bad [[moderate]]"] == 1
    assert stats["accepted_by_prompt"]["bad [[moderate]]"] == 1


def test_result_urls_expire(tmp_path):
    with running(tmp_path, result_ttl=0.5) as sim:
        task = finish(sim, create(sim, extra_body={"generate_audio": False}).json()["id"])
        assert requests.get(task["video_url"], timeout=10).status_code == 200
        time.sleep(0.8)
        assert requests.get(task["video_url"], timeout=10).status_code == 404


def test_stock_mode_renders_each_shape_once(tmp_path):
    with running(tmp_path, stock=True) as sim:
        shapes = [(7, "16:9"), (7, "16:9"), (7, "9:16")]
        tasks = [
            finish(
                sim, create(sim, duration=d, aspect_ratio=r, model="seedance2.0-1080p").json()["id"]
            )
            for d, r in shapes
        ]
        videos = [requests.get(t["video_url"], timeout=10).content for t in tasks]
        stock = sorted(p.parent.name for p in (tmp_path / "stock").glob("*/*.mp4"))
    assert stock == ["7-16x9-True-False", "7-9x16-True-False"]
    assert videos[0] == videos[1] != videos[2]
    images, duration, _ = frames(videos[2])
    assert images[0].size == (180, 320)  # small, whatever the tier
    assert duration == pytest.approx(7, abs=0.1)


@pytest.mark.parametrize(
    ("fault", "check"),
    [
        ("create_429", lambda r: r.status_code == 429 and r.headers["Retry-After"] == "2"),
        ("create_503", lambda r: r.status_code == 503),
        ("create_500", lambda r: r.status_code == 500),
        ("create_malformed", lambda r: r.status_code == 200 and not _is_json(r)),
    ],
)
def test_create_faults(tmp_path, fault, check):
    with running(tmp_path, faults={fault: 1.0}) as sim:
        assert check(create(sim, prompt=fault))
        stats = requests.get(sim + "/_sim/stats", timeout=5).json()
        accepted = stats["accepted_by_prompt"].get(fault, 0)
        assert accepted == (1 if fault == "create_malformed" else 0)


def test_dropped_and_slow_creates_still_accept_the_task(tmp_path):
    with running(tmp_path, faults={"create_drop": 1.0}) as sim:
        with pytest.raises(requests.ConnectionError):
            create(sim, prompt="dropped")
        assert requests.get(sim + "/_sim/stats", timeout=5).json()["accepted_total"] == 1
    with running(tmp_path, faults={"create_slow": 1.0, "slow_seconds": 2}) as sim:
        with pytest.raises(requests.ReadTimeout):
            requests.post(sim + "/v1/video/generations", json=body(), headers=AUTH, timeout=0.5)
        time.sleep(2)
        assert requests.get(sim + "/_sim/stats", timeout=5).json()["accepted_total"] == 1


def test_result_faults(tmp_path):
    with running(tmp_path, faults={"result_truncate": 1.0}) as sim:
        task = finish(sim, create(sim, extra_body={"generate_audio": False}).json()["id"])
        with pytest.raises(requests.exceptions.ChunkedEncodingError):
            requests.get(task["video_url"], timeout=10).content  # noqa: B018
    with running(tmp_path, faults={"result_expire_early": 1.0}) as sim:
        task = finish(sim, create(sim, extra_body={"generate_audio": False}).json()["id"])
        assert requests.get(task["video_url"], timeout=10).status_code == 404
    with running(tmp_path, faults={"result_bad_length": 1.0}) as sim:
        task = finish(sim, create(sim, extra_body={"generate_audio": False}).json()["id"])
        with pytest.raises(requests.exceptions.ChunkedEncodingError):
            requests.get(task["video_url"], timeout=10).content  # noqa: B018
    with running(tmp_path, faults={"result_corrupt": 1.0}) as sim:
        task = finish(sim, create(sim, extra_body={"generate_audio": False}).json()["id"])
        video = requests.get(task["video_url"], timeout=10).content
        assert video[4:8] == b"ftyp" and not video[64:].strip(b"\0")


def test_faults_can_be_switched_at_runtime(sim):
    assert requests.post(sim + "/_sim/faults", json={"poll_503": 1.0}, timeout=5).ok
    created = create(sim, prompt="runtime fault").json()
    assert (
        requests.get(f"{sim}/v1/videos/{created['id']}", headers=AUTH, timeout=5).status_code == 503
    )
    requests.post(sim + "/_sim/faults", json={}, timeout=5)


def _is_json(response) -> bool:
    try:
        response.json()
    except ValueError:
        return False
    return True


def poll(sim, task_id):
    return requests.get(f"{sim}/v1/videos/{task_id}", headers=AUTH, timeout=10)


def test_finished_tasks_carry_usage_tokens_of_the_size_rendered(sim):
    task = finish(
        sim, create(sim, aspect_ratio="1:1", extra_body={"generate_audio": False}).json()["id"]
    )
    images, _, _ = frames(requests.get(task["video_url"], timeout=30).content)
    width, height = images[0].size
    assert (width, height) == (640, 640)
    assert task["usage"]["completion_tokens"] == width * height * (24 * 5 + 1) // 1024


def test_usage_can_be_left_out(tmp_path):
    with running(tmp_path, faults={"usage_missing": 1}) as sim:
        assert "usage" not in finish(sim, create(sim).json()["id"])


def test_a_fresh_task_is_not_visible_for_a_few_seconds(tmp_path):
    with running(tmp_path, speed=1) as sim:  # 3 s at real speed, the default
        response = poll(sim, create(sim).json()["id"])
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "task_not_exist"


def test_completed_once_without_any_url(tmp_path):
    with running(tmp_path, faults={"completed_without_url": 1}) as sim:
        task_id = create(sim).json()["id"]
        first = finish(sim, task_id)
        assert first["status"] == "completed" and not first.get("video_url")
        again = poll(sim, task_id).json()
        assert again["video_url"].endswith("/video.mp4")


def test_the_last_frame_link_fails_while_the_video_is_fine(tmp_path):
    with running(tmp_path, faults={"last_frame_fail": 1}) as sim:
        extra = {"generate_audio": False, "return_last_frame": True}
        task = finish(sim, create(sim, extra_body=extra).json()["id"])
        assert requests.get(task["video_url"], timeout=10).status_code == 200
        assert requests.get(task["last_frame_url"], timeout=10).status_code == 403


def test_tasks_are_purged_after_the_retention(tmp_path):
    with running(tmp_path, retention_seconds=1.0) as sim:
        task_id = create(sim, extra_body={"generate_audio": False}).json()["id"]
        task = finish(sim, task_id)
        time.sleep(1.2)
        assert poll(sim, task_id).json()["error"]["code"] == "task_not_exist"
        assert requests.get(task["video_url"], timeout=10).status_code == 404
        assert not (tmp_path / task_id).exists()
        assert requests.get(sim + "/_sim/stats", timeout=5).json()["purged_total"] == 1


def test_the_ark_record_and_the_relay_envelope(tmp_path):
    with running(tmp_path, dialect="ark") as sim:
        task_id = create(sim, extra_body={"generate_audio": False}).json()["id"]
        deadline = time.monotonic() + 60
        while (record := poll(sim, task_id).json()).get("status") != "succeeded":
            assert record.get("status", "unknown") in {"queued", "running"} or "error" in record
            assert time.monotonic() < deadline
            time.sleep(0.1)
        assert record["content"]["video_url"].endswith(".mp4") and "video_url" not in record
        assert record["usage"]["completion_tokens"] == 864 * 480 * 121 // 1024
        gone = poll(sim, "task_nope")
        assert gone.status_code == 404 and gone.json()["error"]["code"] == "ResourceNotFound"
        requests.post(sim + "/_sim/faults", json={"dialect": "relay"}, timeout=5)
        relayed = poll(sim, task_id).json()
        assert relayed["code"] == "success" and relayed["data"]["progress"] == "100%"
        assert relayed["data"]["status"] == "succeeded"
        failed = create(sim, prompt="[[moderate-audio]]").json()["id"]
        while (data := poll(sim, failed).json().get("data", {})).get("status") != "failed":
            assert time.monotonic() < deadline
            time.sleep(0.1)
        assert data["error"].startswith("OutputAudioSensitiveContentDetected: ")


@pytest.mark.parametrize(
    ("fault", "status", "code"),
    [
        ("poll_401", 401, "AuthenticationError"),
        ("poll_403", 403, "AccessDenied"),
        ("poll_404", 404, "ResourceNotFound"),
        ("poll_429_quota", 429, "QuotaExceeded"),
    ],
)
def test_polls_can_be_refused(tmp_path, fault, status, code):
    with running(tmp_path, faults={fault: 1}) as sim:
        response = poll(sim, create(sim).json()["id"])
        assert response.status_code == status
        assert response.json()["error"]["code"] == code
