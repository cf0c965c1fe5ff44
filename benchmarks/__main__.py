"""``make bench``: figures users feel, each next to its target and, for timings, a baseline
measured in the same run (a ratio is stable on a noisy machine; an absolute time is not).

Ends with one line per figure: ``name: value (target …) ok|MISSED``.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
WORK = Path(tempfile.mkdtemp(prefix="seedance-bench-"))
os.environ.setdefault("DATABASE_URL", f"sqlite:///{WORK / 'bench.sqlite3'}")
os.environ.setdefault("MEDIA_ROOT", str(WORK / "media"))
os.environ.setdefault("DEBUG", "1")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "studio.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402

from benchmarks import browser, load, polling, upload  # noqa: E402

RESULTS: list[str] = []


def report(name: str, value: str, target: str, ok: bool) -> None:
    line = f"{name}: {value} (target {target}) {'ok' if ok else 'MISSED'}"
    RESULTS.append(line)
    print(line, flush=True)


def median_ms(client: Client, url: str, n: int = 30) -> float:
    times = []
    for _ in range(n):
        start = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code in {200, 204}, (url, response.status_code)
    return statistics.median(times)


def gallery_figures() -> None:
    setup_test_environment()
    call_command("migrate", verbosity=0)
    with open(os.devnull, "w") as quiet:
        call_command("seed_generations", count=10, user="small", stdout=quiet)
        call_command("seed_generations", count=10_000, user="bench", stdout=quiet)
    from django.contrib.auth import get_user_model

    users = get_user_model().objects
    counts = {}
    for name in ("small", "bench"):
        client = Client()
        client.force_login(users.get(username=name))
        client.get("/")  # warm caches
        with CaptureQueriesContext(connection) as ctx:
            client.get("/")
        counts[name] = len(ctx.captured_queries)
    report(
        "gallery_sql_queries_10_vs_10000",
        f"{counts['small']} vs {counts['bench']}",
        "equal, ≤ 6",
        counts["small"] == counts["bench"] <= 6,
    )

    client = Client()
    client.force_login(users.get(username="bench"))
    gallery = median_ms(client, "/")
    trivial = median_ms(client, "/generations/estimate/")
    report(
        "gallery_time_at_10000_vs_trivial_page",
        f"{gallery / trivial:.2f}× ({gallery:.1f} ms vs {trivial:.1f} ms)",
        "≤ 2×",
        gallery / trivial <= 2,
    )

    page = client.get("/").content.decode()
    version = page.split('data-version="')[1].split('"')[0]
    unchanged = client.get(f"/generations/live/?v={version}")
    size = len(unchanged.serialize())
    report(
        "bytes_per_unchanged_live_refresh",
        f"{size} B (status {unchanged.status_code})",
        "≤ 1 KB",
        size <= 1024,
    )


def run(step: Callable[[Callable[..., None]], None], name: str) -> None:
    try:
        step(report)
    except Exception as exc:  # one broken figure must not hide the others
        report(name, f"error {type(exc).__name__}: {exc}", "measured", False)


def main() -> None:
    print(f"Seedance Studio benchmarks (work dir {WORK})\n", flush=True)
    run(lambda _: gallery_figures(), "gallery")
    run(polling.figures, "polling")
    run(upload.figures, "upload_memory")
    run(browser.figures, "browser")
    run(load.figures, "gallery_under_50_clients")
    print("\nSummary")
    for line in RESULTS:
        print(line)


if __name__ == "__main__":
    main()
