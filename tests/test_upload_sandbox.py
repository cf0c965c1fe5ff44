"""Untrusted uploads are decoded in a child process with a wall-clock timeout and a memory
cap: a file that stalls or floods the decoder is refused with a clear message, the web
process does not grow, and no temporary file is left behind."""

from __future__ import annotations

import resource
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import pytest

from studiolib import sandbox, uploads
from tests import media_factory as mf

SIDE = 6000  # the largest accepted image: 36 megapixels, about 108 MB once decoded


@pytest.fixture(scope="module")
def huge_png() -> bytes:
    """A valid 6000×6000 PNG (small on disk), made by ffmpeg so this process never holds
    its pixels."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "huge.png"
        subprocess.run(
            [mf.FFMPEG, "-v", "error", "-f", "lavfi", "-i", f"color=c=red:s={SIDE}x{SIDE}"]
            + ["-frames:v", "1", str(out)],
            check=True,
            timeout=60,
        )
        return out.read_bytes()


def rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * resource.getpagesize() / 2**20


def growth_mb_while(action):
    """How far this process's resident memory rose above its start while ``action`` ran
    (sampled every few milliseconds, so an earlier test's peak does not hide it)."""
    start, peak, done = rss_mb(), [0.0], threading.Event()

    def sample():
        while not done.is_set():
            peak[0] = max(peak[0], rss_mb())
            time.sleep(0.005)

    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        action()
    finally:
        done.set()
        sampler.join()
    return max(peak[0], rss_mb()) - start


def test_a_file_that_stalls_the_decoder_is_refused_within_the_timeout(
    huge_png, clean_tmp, settings
):
    settings.UPLOAD_PROBE_SECONDS = 1.0  # decoding and re-encoding it takes several seconds
    started = time.monotonic()
    with pytest.raises(uploads.UploadRejected) as caught:
        uploads.check_image(mf.upload("slow.png", huge_png))
    assert "“slow.png” took too long to check (over 1 s)" in caught.value.message
    assert time.monotonic() - started < 3.0
    assert list(clean_tmp.iterdir()) == []


def test_a_file_that_floods_memory_is_refused_and_the_web_process_does_not_grow(
    huge_png, clean_tmp, settings
):
    settings.UPLOAD_PROBE_MEMORY_MB = 150  # the pixels alone need 108 MB
    caught = []

    def check():
        try:
            uploads.check_image(mf.upload("flood.png", huge_png))
        except uploads.UploadRejected as exc:
            caught.append(exc.message)

    assert growth_mb_while(check) < 50
    assert caught == ["“flood.png” needs too much memory to decode safely."]
    assert list(clean_tmp.iterdir()) == []


def test_the_largest_image_is_decoded_in_a_child_not_in_the_web_process(huge_png, clean_tmp):
    checked = []
    growth = growth_mb_while(
        lambda: checked.append(uploads.check_image(mf.upload("big.png", huge_png)))
    )
    # 108 MB of pixels lived in a child; this process stayed where it was.
    assert growth < 50
    checked = checked[0]
    assert (checked.width, checked.height) == (SIDE, SIDE)
    checked.path.unlink()
    assert list(clean_tmp.iterdir()) == []


def test_the_child_stops_an_output_file_at_its_cap(clean_tmp):
    source, out = clean_tmp / "in.wav", clean_tmp / "out.wav"
    source.write_bytes(mf.wav(10))  # about 880 KB once converted
    job = {"kind": "audio", "path": str(source), "subject": "x", "demuxer": "wav"}
    with pytest.raises(sandbox.SandboxError) as caught:
        sandbox.run({**job, "out": str(out)}, timeout=20, memory_mb=1024, max_output_bytes=100_000)
    assert caught.value.reason == "too_big"
    assert out.stat().st_size <= 100_001
