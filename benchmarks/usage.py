"""The usage report's time for a month of the seeded 25-member, 100,000-clip workspace,
against the trivial logged-in page, both through Django's WSGI handler in this process
(requests alternate, so drift on a busy machine hits both pages alike)."""

from __future__ import annotations

import statistics
from collections.abc import Callable
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.test import override_settings
from django.utils import timezone

from benchmarks.gallery import Server
from billing import ledger
from billing.models import Dimension, SpendDay
from workspaces.services import personal_workspace

RUNS = 200
DAYS = 30


def figures(report: Callable[..., None]) -> None:
    end = ledger.utc_day(timezone.now())
    start = end - timedelta(days=DAYS - 1)
    workspace = personal_workspace(get_user_model().objects.get(username="bench"))
    month = SpendDay.objects.filter(
        workspace=workspace, dimension=Dimension.ALL, day__gte=start, day__lte=end
    )
    clips = sum(month.values_list("clips", flat=True))
    # A report of an empty month would be fast for the wrong reason.
    assert clips >= 90_000, f"the seeded month has {clips} clips in the ledger"
    path = f"/usage/?start={start}&end={end}"
    with override_settings(ROOT_URLCONF="benchmarks.urls"):
        server = Server("bench")
        status, page, _ = server.get(path)
        assert status == 200 and b"bench-mate-00" in page, status
        usage, trivial = [], []
        for _ in range(RUNS):
            usage.append(server.median_ms(path, 1))
            trivial.append(server.median_ms("/_bench/trivial/", 1))
    u, t = statistics.median(usage), statistics.median(trivial)
    report(
        "usage_report_month_vs_trivial_page",
        f"{u / t:.2f}× ({u:.1f} ms vs {t:.1f} ms; {DAYS} days, {clips} clips)",
        "≤ 3×",
        u / t <= 3,
    )
