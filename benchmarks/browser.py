"""Browser figures in real Chromium against gunicorn: live-refresh requests per 10 s with
1, 20 and 100 running cards, bytes per unchanged refresh, and the first gallery load's
transfer with a 100,000-clip workspace."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib.auth import get_user_model

from benchmarks.server import gunicorn
from tests.browser import CHROMIUM, CHROMIUM_ARGS
from tests.factories import running_generations

PASSWORD = "bench-password-123"


def _running_user(cards: int) -> str:
    name = f"live{cards}"
    user, _ = get_user_model().objects.get_or_create(username=name)
    user.set_password(PASSWORD)
    user.save()
    running_generations(user, cards)
    return name


def login(page, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")


def figures(report: Callable[..., None]) -> None:
    from playwright.sync_api import sync_playwright

    users = {cards: _running_user(cards) for cards in (1, 20, 100)}
    bench = get_user_model().objects.get(username="bench")
    bench.set_password(PASSWORD)
    bench.save()
    with gunicorn(workers=2, debug=True) as (port, _), sync_playwright() as playwright:
        base = f"http://127.0.0.1:{port}"
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        per_10s, sizes = {}, []
        for cards, username in users.items():
            context = browser.new_context()
            page = context.new_page()
            login(page, base, username)
            live = []

            def finished(request, live=live) -> None:
                if "/generations/live/" in request.url:
                    live.append(request)

            page.on("requestfinished", finished)
            page.wait_for_timeout(10_000)
            page.remove_listener("requestfinished", finished)
            per_10s[cards] = len(live)
            # Sizes are read before the context closes (a handler reading them could outlive it).
            for request in live:
                measured = request.sizes()
                sizes.append(measured["responseHeadersSize"] + measured["responseBodySize"])
            context.close()
        counts = list(per_10s.values())
        report(
            "browser_requests_per_10s_with_1_20_100_running",
            " / ".join(str(per_10s[c]) for c in (1, 20, 100)),
            "equal, ≤ 4",
            max(counts) - min(counts) <= 1 and max(counts) <= 4,
        )
        biggest = max(sizes) if sizes else 0
        report(
            "bytes_per_unchanged_refresh_in_browser", f"{biggest} B", "≤ 1 KB", 0 < biggest <= 1024
        )

        context = browser.new_context()
        page = context.new_page()
        login(page, base, "bench")
        requests = []

        def record(request) -> None:  # Playwright tags its handlers: a builtin can't be one
            requests.append(request)

        page.on("requestfinished", record)
        page.reload()
        page.wait_for_load_state("networkidle")
        page.remove_listener("requestfinished", record)
        transferred = []
        for request in requests:
            measured = request.sizes()
            size = measured["responseBodySize"] + measured["responseHeadersSize"]
            transferred.append((request.url, size))
        video = sum(size for url, size in transferred if url.endswith("/video/"))
        total = sum(size for _, size in transferred)
        report(
            "first_gallery_load_transfer_100000_clips",
            f"{total / 1024:.0f} KB ({len(transferred)} requests, {video} B of video)",
            "≤ 150 KB, no video bytes",
            total <= 150 * 1024 and video == 0,
        )
        context.close()
        browser.close()
