"""A batch in Debian Chromium with the real pipeline: upload a 3-row CSV, choose two
formats, see "6 generations" and the estimate, generate, watch the grid fill to done
through its live refresh alone, and download the ZIP. Then the whole ad set: a brand kit
made on /brand/, applied to a batch with a caption template, the exports rendered by the
exporter worker and followed in the grid, and every file of the ZIP probed."""

from __future__ import annotations

import csv
import hashlib
import io
import re
import zipfile
from pathlib import Path

import av
import pytest
from playwright.sync_api import expect

from brandkits.models import BrandKit
from campaigns.models import Batch, BatchItem
from studiolib.finishing import provenance
from tests import exports_support as es
from tests import support
from tests.browser import login
from tests.factories import UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CSV = "hook,product\nWait for it,red sneakers\nStop scrolling,a steel watch\nNew drop,a jacket\n"


def test_a_batch_from_a_csv_runs_live_and_downloads(stack, live_server, browser):
    base = live_server.url
    user = UserFactory(username="maya")
    context = browser.new_context(accept_downloads=True)
    page = context.new_page()
    login(page, base, user.username, "correct horse battery")
    page.get_by_role("link", name="Campaigns").click()
    page.get_by_role("link", name="New batch").click()
    page.get_by_label("Batch name").fill("Browser hooks")
    page.get_by_label("Prompt template").fill("{{hook}}: a product shot of {{product}}")
    page.get_by_label("CSV file").set_input_files(
        {"name": "hooks.csv", "mimeType": "text/csv", "buffer": CSV.encode()}
    )
    page.get_by_label("9:16 portrait").check()
    page.get_by_label("1:1 square").check()
    page.get_by_label("Seedance 2.0 · 480p").check()
    page.get_by_role("button", name="Preview").click()
    summary = page.locator(".batch-sum")
    expect(summary).to_contain_text("3 rows × 2 formats × 1 tier = 6 generations")
    expect(summary).to_contain_text(re.compile(r"estimated \$\d+\.\d\d"))
    expect(summary).to_contain_text("an estimate")
    expect(page.locator("table.prompts tbody tr")).to_have_count(3)
    page.get_by_role("button", name="Generate 6 videos").click()
    page.wait_for_url(re.compile(r"/campaigns/[0-9a-f-]+/$"))
    batch = Batch.objects.get(name="Browser hooks")
    assert batch.items.count() == 6
    grid = page.locator("#batch-live")
    expect(grid.locator("td.cell")).to_have_count(6)
    # Filled by the one live request per interval, until it stops asking.
    expect(grid.locator('td.cell[data-status="succeeded"]')).to_have_count(6, timeout=120_000)
    expect(page.locator("#batch-live")).to_have_attribute("data-done", "true")
    expect(page.locator("#batch-live[hx-trigger]")).to_have_count(0)
    expect(grid).to_contain_text("6 succeeded")

    with page.expect_download() as info:
        page.get_by_role("link", name="Download ZIP").click()
    archive = zipfile.ZipFile(io.BytesIO(Path(info.value.path()).read_bytes()))
    names = archive.namelist()
    assert "manifest.csv" in names and len(names) == 7, names
    context.close()


def make_batch(page, base: str, name: str, formats: list[str]) -> Batch:
    page.goto(f"{base}/campaigns/new/")
    page.get_by_label("Batch name").fill(name)
    page.get_by_label("Prompt template").fill("{{hook}}: a product shot of {{product}}")
    page.get_by_label("CSV file").set_input_files(
        {"name": "hooks.csv", "mimeType": "text/csv", "buffer": CSV.encode()}
    )
    for label in formats:
        page.get_by_label(label).check()
    page.get_by_label("Seedance 2.0 · 480p").check()
    page.get_by_role("button", name="Preview").click()
    summary = page.locator(".batch-sum")
    expect(summary).to_contain_text("3 rows × 2 formats × 1 tier = 6 generations")
    expect(summary).to_contain_text(re.compile(r"estimated \$\d+\.\d\d"))
    page.get_by_role("button", name="Generate 6 videos").click()
    page.wait_for_url(re.compile(r"/campaigns/[0-9a-f-]+/$"))
    return Batch.objects.get(name=name)


def set_up_brand_kit(page, base: str) -> BrandKit:
    page.goto(f"{base}/brand/")
    page.get_by_label("Brand name").fill("Acme")
    page.get_by_label("Logo (PNG with transparency)").set_input_files(
        {"name": "logo.png", "mimeType": "image/png", "buffer": es.logo_png()}
    )
    page.locator("#id_end_card").check()
    page.get_by_label("Call to action").fill("Shop now")
    page.get_by_label("End card length (seconds)").fill("1")
    page.get_by_label("Visible “AI-generated” label").check()
    page.get_by_label("Label text").fill("AI-generated")
    page.get_by_label("Export file name").fill("{brand}_{campaign}_{row}_{preset}_v{n}")
    page.get_by_role("button", name="Save brand kit").click()
    expect(page.locator(".messages")).to_contain_text("aved")
    kit = BrandKit.objects.get()
    assert kit.has_logo and kit.has_end_card and kit.has_ai_label
    return kit


def test_a_batch_becomes_a_finished_ad_set(stack, proc_logs, live_server, browser, tmp_path):
    base = live_server.url
    user = UserFactory(username="noor")
    # Two renders at a time: six exports stay well inside the test's time.
    exporter = support.start_worker(
        proc_logs, stack["env"], "exporter", queues="exports", concurrency=2
    )
    context = browser.new_context(accept_downloads=True)
    page = context.new_page()
    try:
        login(page, base, user.username, "correct horse battery")
        kit = set_up_brand_kit(page, base)
        batch = make_batch(page, base, "Ad set", ["9:16 portrait", "16:9 landscape"])
        grid = page.locator("#batch-live")
        expect(grid.locator('td.cell[data-status="succeeded"]')).to_have_count(6, timeout=120_000)

        page.get_by_label("Captions").fill("{{hook}}")
        for part in ("#id_use_logo", "#id_use_end_card", "#id_use_ai_label"):
            expect(page.locator(part)).to_be_checked()
        page.get_by_role("button", name="Apply the brand kit").click()
        expect(page.locator(".messages")).to_contain_text("Queued 6 exports")
        # Followed by the same single live request, through rendering to done.
        expect(grid.locator('[data-export="done"]')).to_have_count(6, timeout=150_000)
        expect(grid).to_have_attribute("data-done", "true")
        expect(page.locator("#batch-live[hx-trigger]")).to_have_count(0)
        expect(grid).to_contain_text("6 done")

        with page.expect_download() as info:
            page.get_by_role("link", name="Download ZIP").click()
        archive = zipfile.ZipFile(io.BytesIO(Path(info.value.path()).read_bytes()))
    finally:
        context.close()
        exporter.stop()
    check_ad_set(archive, batch, kit, tmp_path)


def check_ad_set(archive: zipfile.ZipFile, batch: Batch, kit: BrandKit, folder: Path) -> None:
    names = archive.namelist()
    manifest = archive.read("manifest.csv").decode("utf-8-sig")
    lines = list(csv.DictReader(io.StringIO(manifest)))
    assert len(lines) == 6 and len(names) == 6 * 4 + 1, names
    cells = {
        (c.row.number, c.aspect_ratio): c
        for c in BatchItem.objects.filter(batch=batch).select_related("row", "generation")
    }
    for line in lines:
        cell = cells[(int(line["row"]), line["format"])]
        clip = cell.generation
        preset, size = {"9:16": ("tiktok", (1080, 1920)), "16:9": ("youtube", (1920, 1080))}[
            line["format"]
        ]
        assert line["export_file"] == f"Acme_Ad-set_{cell.row.number:03d}_{preset}_v1.mp4"
        assert (line["preset"], line["c2pa"]) == (preset, "yes")
        assert line["note"] == ""
        original = archive.read(line["file"])
        assert line["file"].startswith("originals/")
        assert hashlib.sha256(original).hexdigest() == line["sha256"] == clip.video_sha256
        assert line["source_sha256"] == clip.video_sha256

        data = archive.read(line["export_file"])
        assert hashlib.sha256(data).hexdigest() == line["export_sha256"]
        path = folder / line["export_file"]
        path.write_bytes(data)
        with av.open(str(path)) as container:
            video = container.streams.video[0]
            assert (video.width, video.height) == size
            assert video.codec_context.name == "h264" and video.codec_context.profile == "High"
            assert video.codec_context.pix_fmt == "yuv420p"
            assert container.streams.audio[0].codec_context.name == "aac"
            seconds = container.duration / av.time_base
        assert seconds == pytest.approx(clip.video_duration + kit.end_card_seconds, abs=0.2)

        hook = cell.row.variables["hook"]
        stem = line["export_file"].removesuffix(".mp4")
        assert hook in archive.read(f"{stem}.srt").decode()
        assert archive.read(f"{stem}.vtt").decode().startswith("WEBVTT")
        assert hook in archive.read(f"{stem}.vtt").decode()

        found = provenance.read_manifest(path)
        ingredient = found["ingredients"][0]
        assert ingredient["relationship"] == "parentOf"
        hashes = next(a for a in found["assertions"] if a["label"] == provenance.HASHES_LABEL)
        assert hashes["data"]["original_sha256"] == hashlib.sha256(original).hexdigest()
