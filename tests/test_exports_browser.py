"""The Export panel in real Chromium with the real exporter worker: the 9:16 preview and
its safe-zone overlay (placed from the preset's margins), an export requested with typed
captions whose progress is followed live until it is done, then downloaded under the brand
kit's file name; once done, the list stops asking."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from exports.models import Export
from studiolib.finishing import provenance
from tests import exports_support as es
from tests.browser import login
from tests.test_browser_studio import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_member_previews_the_safe_zone_exports_and_downloads(
    live_server, browser, stack, exporter, user
):
    clip = es.clip(user, seconds=3.0, size="640x360")
    es.full_kit(clip.workspace, file_name_template="{brand}_{ratio}_{date}_v{n}")
    base = live_server.url
    context = browser.new_context(viewport={"width": 1366, "height": 1000}, accept_downloads=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    login(page, base, user.username, PASSWORD)
    page.goto(f"{base}/generations/{clip.pk}/")

    page.get_by_label("Format:").select_option("tiktok")
    overlay = page.locator(".export-frame .safe-zone")
    expect(overlay).to_be_hidden()
    page.get_by_label("Show the safe zone").check()
    expect(overlay).to_be_visible()
    frame = page.locator(".export-frame").bounding_box()
    box = overlay.bounding_box()
    assert frame["height"] / frame["width"] == pytest.approx(16 / 9, rel=0.02)
    assert (box["y"] - frame["y"]) / frame["height"] == pytest.approx(160 / 1920, abs=0.01)
    bottom = frame["y"] + frame["height"] - (box["y"] + box["height"])
    assert bottom / frame["height"] == pytest.approx(480 / 1920, abs=0.01)
    page.get_by_label("Show the safe zone").uncheck()
    expect(overlay).to_be_hidden()

    page.get_by_label("Captions (one line per caption)").fill("Summer drop\nLink in bio")
    page.get_by_role("button", name="Export", exact=True).click()
    listing = page.locator("#export-list")
    expect(listing.locator(".export")).to_have_count(1)
    expect(listing.locator(".export[data-status=done]")).to_have_count(1, timeout=120_000)
    assert listing.get_attribute("hx-trigger") is None  # done: the list stops polling
    expect(listing.locator(".c2pa")).to_have_text("present")
    export = Export.objects.get(generation=clip)
    expect(listing.locator(".export-sha")).to_have_text(export.sha256)

    name = f"Acme_9x16_{export.created_at:%Y-%m-%d}_v1.mp4"
    with page.expect_download() as info:
        page.get_by_role("link", name=name).click()
    download = info.value
    assert download.suggested_filename == name
    assert provenance.sha256_file(Path(download.path())) == export.sha256
    assert errors == []
    context.close()
