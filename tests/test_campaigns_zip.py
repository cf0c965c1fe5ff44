"""A batch's ZIP: streamed from storage, every finished clip byte for byte with a manifest
that describes every cell, gated clips left out and said so, and formula-safe cells."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from datetime import date

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from brandkits.naming import safe_part
from campaigns.download import COLUMNS, GATED
from campaigns.models import Batch, BatchItem
from campaigns.naming import NameParts, zip_name
from generations.models import Generation, ReviewStatus, Status
from sharing.services import share_create
from tests.campaign_support import batch_data, submit


@pytest.fixture
def batch(client, user, sim, no_broker):
    client.force_login(user)
    rows = 'hook,product\n=HYPERLINK("http://x"),a lamp\nStop scrolling,a chair\n'
    response = submit(client, batch_data(rows_text=rows, template="{{hook}} with {{product}}"))
    assert response.status_code == 302
    return Batch.objects.get()


def finish(generation: Generation, body: bytes) -> None:
    generation.video.save("video.mp4", ContentFile(body), save=False)
    Generation.objects.filter(pk=generation.pk).update(
        status=Status.SUCCEEDED,
        video=generation.video.name,
        video_sha256=hashlib.sha256(body).hexdigest(),
        settled_cost=generation.estimated_cost,
    )


def download(client, batch):
    response = client.get(reverse("campaigns:download", args=[batch.pk]))
    assert response.status_code == 200 and response.streaming
    body = b"".join(response.streaming_content)
    assert len(body) == int(response["Content-Length"])
    archive = zipfile.ZipFile(io.BytesIO(body))
    manifest = archive.read("manifest.csv").decode("utf-8-sig")
    return archive, list(csv.DictReader(io.StringIO(manifest)))


def test_the_zip_holds_every_finished_clip_and_a_manifest(client, batch):
    items = list(BatchItem.objects.filter(batch=batch).select_related("generation", "row"))
    bodies = {}
    for n, item in enumerate(items[:3]):
        bodies[item.generation_id] = f"clip {n} ".encode() * 50_000
        finish(item.generation, bodies[item.generation_id])
    shared = items[0].generation
    share_create(generation=Generation.objects.get(pk=shared.pk))
    archive, lines = download(client, batch)
    assert list(lines[0]) == list(COLUMNS)
    assert len(lines) == 4  # every cell, finished or not
    files = [line for line in lines if line["file"]]
    assert len(files) == 3
    assert sorted(archive.namelist()) == sorted([*(f["file"] for f in files), "manifest.csv"])
    for line in files:
        data = archive.read(line["file"])
        assert hashlib.sha256(data).hexdigest() == line["sha256"]
        assert line["status"] == "succeeded" and line["settled_cost_usd"]
    by_id = {str(i.generation_id): i for i in items}
    for line in files:
        item = next(i for i in by_id.values() if i.generation.seed == int(line["seed"]))
        assert archive.read(line["file"]) == bodies[item.generation_id]
    waiting = [line for line in lines if not line["file"]]
    assert [w["status"] for w in waiting] == ["queued"] and waiting[0]["note"] == "not finished"
    first = next(line for line in lines if line["share_link"])
    assert first["share_link"].startswith("http://testserver/s/")
    assert json.loads(lines[-1]["variables"]) == {"hook": "Stop scrolling", "product": "a chair"}
    # No brand kit: the default template with the workspace's name; originals in a folder.
    brand = safe_part(batch.workspace.name)
    assert all(
        name.startswith(f"originals/{brand}_Spring-hooks_00") for name in archive.namelist()[:3]
    )
    assert all(line["export_file"] == "" and line["c2pa"] == "" for line in lines)


def test_gated_clips_are_left_out_and_the_manifest_says_so(client, batch):
    items = list(BatchItem.objects.filter(batch=batch).select_related("generation"))
    for item in items:
        finish(item.generation, b"video" * 1000)
    approved = items[1].generation
    Generation.objects.filter(pk=approved.pk).update(review_status=ReviewStatus.APPROVED)
    batch.project.approved_only = True
    batch.project.save(update_fields=["approved_only"])
    archive, lines = download(client, batch)
    assert len(archive.namelist()) == 2  # the approved clip and the manifest
    kept = [line for line in lines if line["file"]]
    assert len(kept) == 1 and kept[0]["status"] == "succeeded"
    left_out = [line for line in lines if not line["file"]]
    assert len(left_out) == 3 and {line["note"] for line in left_out} == {GATED}


def test_a_file_missing_from_storage_is_named_in_the_manifest(client, batch):
    item = BatchItem.objects.select_related("generation").filter(batch=batch).first()
    finish(item.generation, b"abc" * 100)
    item.generation.refresh_from_db()
    item.generation.video.storage.delete(item.generation.video.name)
    archive, lines = download(client, batch)
    assert archive.namelist() == ["manifest.csv"]
    assert "missing from storage" in next(line["note"] for line in lines if line["sha256"] == "")


def test_manifest_cells_are_formula_safe(client, batch):
    _, lines = download(client, batch)
    dangerous = [line for line in lines if "HYPERLINK" in line["prompt"]]
    assert dangerous and all(line["prompt"].startswith("'=HYPERLINK") for line in dangerous)
    for line in lines:
        assert not any(str(value).startswith(("=", "+", "-", "@")) for value in line.values())


def test_zip_names_follow_the_template_and_never_collide():
    taken: set[str] = set()
    parts = NameParts(
        brand="Acme Café",
        campaign="Spring hooks!",
        row=7,
        ratio="9:16",
        day=date(2026, 11, 30),
        version=2,
        tier="seedance2.0-480p",
        clip_id="0123456789abcdef",
    )
    first = zip_name(parts, taken=taken)
    assert first == "Acme-Cafe_Spring-hooks_007_9x16_2026-11-30_v2.mp4"
    second = zip_name(parts, taken=taken)
    assert second == "Acme-Cafe_Spring-hooks_007_9x16_2026-11-30_v2_seedance2.0-480p.mp4"
    assert zip_name(parts, taken=taken).endswith("_01234567.mp4")
    custom = zip_name(parts, taken=taken, template="{project}-{clip}-{row}", folder="x/")
    assert custom == "x/01234567-007.mp4"  # the empty {project} and its "-" collapse
