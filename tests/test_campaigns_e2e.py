"""A batch end to end with real parts (this process as the web tier, a Celery worker,
Redis and the simulator over HTTP): six clips run to the end, a row the provider refuses
fails alone, a retry sends that one cell again and nothing else, and the ZIP carries the
stored bytes of every finished clip."""

from __future__ import annotations

import hashlib
import io
import time
import zipfile

import pytest
from django.urls import reverse

from campaigns.models import Batch, BatchItem
from generations.models import Generation, Status
from tests.campaign_support import batch_data, submit

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

ROWS = (
    "hook,product\n"
    "Wait for it,red sneakers\n"
    "Refused [[moderate]],a steel watch\n"
    "New drop,a blue jacket\n"
)


def all_finished(batch: Batch, timeout: float = 120) -> list[Generation]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        clips = [
            i.generation for i in BatchItem.objects.filter(batch=batch).select_related("generation")
        ]
        if all(c.is_finished for c in clips):
            return clips
        time.sleep(0.3)
    raise AssertionError(f"still running: {[c.status for c in clips]}")


def test_a_batch_runs_to_the_end_and_one_refused_row_fails_alone(stack, client, user, sim_stats):
    client.force_login(user)
    response = submit(client, batch_data(rows_text=ROWS, name="E2E hooks"))
    assert response.status_code == 302
    batch = Batch.objects.get(name="E2E hooks")
    clips = all_finished(batch)
    refused = {c.pk for c in clips if "[[moderate]]" in c.prompt}
    assert len(refused) == 2
    for clip in clips:
        expected = Status.FAILED if clip.pk in refused else Status.SUCCEEDED
        assert clip.status == expected, (clip.prompt, clip.status, clip.error_message)
    stats = sim_stats()["creates_by_prompt"]
    assert all(stats[c.prompt] == 2 for c in clips)  # two formats per row, sent once each

    page = client.get(reverse("campaigns:detail", args=[batch.pk])).content.decode()
    assert "4 succeeded" in page and "2 failed" in page
    assert page.count('data-status="succeeded"') == 4
    assert 'hx-trigger="every' not in page  # everything is final: no polling

    # Retry one refused cell: one new create upstream, for that prompt only.
    cell = BatchItem.objects.get(generation_id=sorted(refused)[0])
    response = client.post(reverse("campaigns:retry", args=[batch.pk, cell.pk]))
    assert response.status_code == 302
    cell.refresh_from_db()
    assert cell.attempts == 2 and cell.generation_id not in refused
    all_finished(batch)
    after = sim_stats()["creates_by_prompt"]
    for clip in clips:
        assert after[clip.prompt] == (3 if clip.pk in refused else 2), clip.prompt
    assert Generation.objects.filter(prompt=cell.row.prompt).count() == 3

    response = client.get(reverse("campaigns:download", args=[batch.pk]))
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    videos = [name for name in archive.namelist() if name.endswith(".mp4")]
    assert len(videos) == 4
    stored = set()
    for clip in Generation.objects.filter(status=Status.SUCCEEDED):
        with clip.video.open("rb") as handle:
            stored.add(hashlib.sha256(handle.read()).hexdigest())
    assert {hashlib.sha256(archive.read(name)).hexdigest() for name in videos} == stored
