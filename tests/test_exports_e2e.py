"""Exports end to end with real parts: a clip made through the simulator by the default
worker, the export rendered by the exporter worker listening on the ``exports`` queue
only, then probed (1080×1920, H.264 High, AAC, yuv420p, clip + end card), its sidecars,
C2PA manifest and hashes checked, and downloaded under the brand kit's file name. The
default worker never takes a render; a render whose worker dies is recovered by the sweep."""

from __future__ import annotations

import signal
import time

import av
import pytest
from django.urls import reverse

from exports import services
from exports.models import Export, ExportStatus
from studiolib.finishing import provenance
from tests import exports_support as es
from tests import support
from tests.test_e2e import create, wait_until_finished

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def wait_for_export(pk, until=lambda e: not e.is_running, timeout: float = 180) -> Export:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        export = Export.objects.get(pk=pk)
        if until(export):
            return export
        time.sleep(0.25)
    raise AssertionError(f"export still {export.status} ({export.progress}%) after {timeout}s")


def renders(folder) -> list[str]:
    """The render folders in ``folder`` by kind (the worker's pool keeps its own there too)."""
    kinds = [p.name.split("-")[0] for p in folder.iterdir()]
    return [kind for kind in kinds if kind in ("export", "finish")]


def start_exporter(stack, proc_logs, **env) -> support.Proc:
    return support.start_worker(
        proc_logs, {**stack["env"], **env}, "exporter", queues="exports", concurrency=1
    )


def test_an_export_is_rendered_by_the_exporter_only(stack, proc_logs, user, client, media_root):
    clip = wait_until_finished(create(user, prompt="E2E export source", aspect_ratio="16:9").pk)
    assert clip.status == "succeeded", clip.error_message
    es.full_kit(clip.workspace, file_name_template="{brand}_{preset}_{ratio}_v{n}")
    client.force_login(user)
    response = client.post(
        reverse("exports:create", args=[clip.pk]),
        {
            "preset": "tiktok",
            "fit": "pad",
            "captions_text": "Big summer sale\nTap to shop",
            "use_logo": "on",
            "use_end_card": "on",
            "use_ai_label": "on",
        },
    )
    assert response.status_code == 302
    export = Export.objects.get(generation=clip)
    # Only the default worker runs: the render waits on its own queue.
    time.sleep(3)
    assert Export.objects.get(pk=export.pk).status == ExportStatus.QUEUED
    exporter = start_exporter(stack, proc_logs)
    try:
        done = wait_for_export(export.pk)
    finally:
        exporter.stop()
    assert done.status == ExportStatus.DONE, done.error
    assert "Task exports.tasks.render[" in exporter.output()
    assert "Task exports.tasks.render[" not in stack["worker"].output()

    path = media_root / done.file.name
    with av.open(str(path)) as container:
        video = container.streams.video[0]
        assert (video.width, video.height) == (1080, 1920)
        assert video.codec_context.name == "h264" and video.codec_context.profile == "High"
        assert video.codec_context.pix_fmt == "yuv420p"
        assert container.streams.audio[0].codec_context.name == "aac"
        duration = container.duration / av.time_base
    assert duration == pytest.approx(clip.video_duration + 1.0, abs=0.2)
    assert "Tap to shop" in (media_root / done.srt.name).read_text()
    assert "Big summer sale" in (media_root / done.vtt.name).read_text()
    manifest = provenance.read_manifest(path)
    ingredient = manifest["ingredients"][0]
    assert ingredient["relationship"] == "parentOf"
    assert done.c2pa
    assert done.sha256 == provenance.sha256_file(path)
    assert done.source_sha256 == clip.video_sha256

    download = client.get(reverse("exports:file", args=[done.pk, "mp4"]))
    assert download.status_code == 200
    assert 'filename="Acme_tiktok_9x16_v1.mp4"' in download["Content-Disposition"]
    assert b"".join(download.streaming_content) == path.read_bytes()
    page = client.get(reverse("generations:detail", args=[clip.pk])).content.decode()
    assert done.sha256 in page and done.source_sha256 in page
    assert "present" in page and "Acme_tiktok_9x16_v1.srt" in page


def test_a_render_whose_worker_dies_is_requeued_by_the_sweep(stack, proc_logs, user, tmp_path):
    clip = es.clip(user, seconds=6.0, size="640x360")
    export = services.request_export(actor=user, generation=clip, preset="youtube")
    # A killed worker cannot clean up: its render folders land in this test's own folder.
    scratch = tmp_path / "exporter-tmp"
    scratch.mkdir()
    exporter = start_exporter(stack, proc_logs, EXPORT_LEASE_SECONDS="2", TMPDIR=str(scratch))
    try:
        wait_for_export(export.pk, until=lambda e: e.status == "rendering" and e.progress > 0)
    finally:
        exporter.stop(signal.SIGKILL)  # the worker and its ffmpeg are gone mid-render
    time.sleep(2.5)
    assert services.export_sweep()["requeued"] == 1
    assert Export.objects.get(pk=export.pk).status == ExportStatus.QUEUED
    assert sorted(renders(scratch)) == ["export", "finish"]
    exporter = start_exporter(stack, proc_logs, TMPDIR=str(scratch))
    try:
        done = wait_for_export(export.pk)
    finally:
        exporter.stop()
    assert (done.status, done.attempts, done.width) == (ExportStatus.DONE, 2, 1920), done.error
    # The finished render cleaned up after itself; only the killed one's folders remain
    # (a worker removes such folders on start once they are older than any render).
    assert sorted(renders(scratch)) == ["export", "finish"]
