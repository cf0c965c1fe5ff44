"""axe-core (bundled by axe-playwright-python, run in Debian's Chromium) on every page, in
both colour schemes, on a phone and a laptop: no serious or critical violation."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe

from sharing import services as share_services
from sharing.tokens import token_for
from tests.browser import login
from tests.factories import running_generations
from tests.test_browser_studio import MODES, PASSWORD, choose_mode, finished

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BLOCKING = {"serious", "critical"}


def blocking(axe: Axe, page, where: str) -> list[str]:
    violations = axe.run(page).response["violations"]
    return [
        f"{where}: {v['impact']} {v['id']} at {[n['target'] for n in v['nodes'][:3]]}"
        for v in violations
        if v["impact"] in BLOCKING
    ]


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("viewport", [(390, 844), (1366, 768)], ids=["phone", "laptop"])
def test_no_page_has_a_serious_or_critical_axe_violation(
    live_server, browser, user, local_media, scheme, viewport
):
    clip = finished(user, "Sunset over golden dunes", "9:16", last_frame=True)
    finished(user, "Coffee pour in macro", "1:1")
    running_generations(user, 1)
    link = share_services.share_create(generation=clip, show_prompt=True)
    axe = Axe()
    context = browser.new_context(
        viewport={"width": viewport[0], "height": viewport[1]}, color_scheme=scheme
    )
    page = context.new_page()
    found: list[str] = []
    page.goto(f"{live_server.url}/accounts/login/")
    found += blocking(axe, page, "login")
    login(page, live_server.url, user.username, PASSWORD)
    for mode in MODES:
        choose_mode(page, mode)
        found += blocking(axe, page, f"gallery, {mode} form")
    page.locator(".recent summary").click()
    page.locator(".prompt-pick").first.wait_for()
    found += blocking(axe, page, "recent prompts open")
    page.locator(f"#card-{clip.pk} .thumb").click()
    found += blocking(axe, page, "viewer open")
    page.keyboard.press("Escape")
    page.keyboard.press("?")
    found += blocking(axe, page, "shortcut list open")
    for path in (
        f"/generations/{clip.pk}/",
        f"/generations/{clip.pk}/iterate/continue/",
        "/?status=succeeded&q=dunes",
        "/brand/",
    ):
        page.goto(live_server.url + path)
        found += blocking(axe, page, path)
    context.close()
    visitor = browser.new_context(
        viewport={"width": viewport[0], "height": viewport[1]}, color_scheme=scheme
    )
    public = visitor.new_page()
    public.goto(f"{live_server.url}/s/{token_for(link)}/")
    found += blocking(axe, public, "share page")
    visitor.close()
    assert found == []
