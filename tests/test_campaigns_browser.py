"""A batch in Debian Chromium with the real pipeline: upload a 3-row CSV, choose two
formats, see "6 generations" and the estimate, generate, watch the grid fill to done
through its live refresh alone, and download the ZIP."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import pytest
from playwright.sync_api import expect

from campaigns.models import Batch
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
