"""The batch preview's time for 300 rows (× 2 formats × 1 tier), every prompt rendered,
checked and listed, against the trivial logged-in page, both through Django's WSGI handler
in this process (requests alternate, so drift on a busy machine hits both pages alike).

The figure is the request the page sends (htmx, from a form that shows no errors: the
preview and the plan's digest, retargeted); the whole page, as a browser without JavaScript
gets it (every field drawn again), is shown beside it."""

from __future__ import annotations

import statistics
import time
import uuid
from collections.abc import Callable

from django.core.handlers.wsgi import WSGIHandler
from django.test import RequestFactory, override_settings

from benchmarks.gallery import Server
from benchmarks.server import session_cookie

RUNS = 100
ROWS = 300


def rows_text(count: int) -> str:
    lines = ["hook,product,audience"]
    lines += [
        f"Hook number {n}: wait for it,product {n} in matte black,runners aged {20 + n % 30}"
        for n in range(1, count + 1)
    ]
    return "\n".join(lines) + "\n"


class Poster:
    """POSTs a form through the WSGI handler with the session's CSRF cookie and header."""

    def __init__(self, username: str) -> None:
        self.handler = WSGIHandler()
        self.cookie = session_cookie(username)
        self.csrf = self.cookie.split("csrftoken=")[1]

    def post(self, path: str, data: dict, *, htmx: bool = True) -> tuple[int, bytes, float]:
        extra = {"HTTP_HX_REQUEST": "true"} if htmx else {}
        environ = (
            RequestFactory()
            .post(
                path,
                data,
                secure=True,
                HTTP_COOKIE=self.cookie,
                HTTP_X_CSRFTOKEN=self.csrf,
                HTTP_ORIGIN="https://testserver",
                HTTP_REFERER="https://testserver/campaigns/new/",
                **extra,
            )
            .environ
        )
        start = time.perf_counter()
        response = self.handler(environ, lambda status, headers: None)
        body = b"".join(response)
        response.close()
        return response.status_code, body, (time.perf_counter() - start) * 1000


def figures(report: Callable[..., None]) -> None:
    data = {
        "name": "Bench hooks",
        "template": "{{hook}}: a product shot of {{product}} for {{audience}}, slow camera move",
        "rows_text": rows_text(ROWS),
        "formats": ["9:16", "1:1"],
        "tiers": ["seedance2.0-480p"],
        "duration": "5",
        "token": str(uuid.uuid4()),
        # What the page's form sends when it shows no errors (templates/campaigns/new.html):
        # the preview alone comes back.
        "shown": "clean",
    }
    with override_settings(ROOT_URLCONF="benchmarks.urls"):
        poster, server = Poster("bench"), Server("bench")
        status, body, _ = poster.post("/campaigns/preview/", data)
        assert status == 200 and b"= 600 generations" in body, (status, body[-2000:])
        assert body.count(b'<tr><td class="num">') == ROWS
        whole = poster.post("/campaigns/preview/", data, htmx=False)
        assert whole[0] == 200 and b"<nav" in whole[1] and b"= 600 generations" in whole[1]
        preview, page, trivial = [], [], []
        for _ in range(RUNS):
            preview.append(poster.post("/campaigns/preview/", data)[2])
            page.append(poster.post("/campaigns/preview/", data, htmx=False)[2])
            trivial.append(server.median_ms("/_bench/trivial/", 1))
    p, w, t = (statistics.median(times) for times in (preview, page, trivial))
    report(
        "batch_preview_300_rows_vs_trivial_page",
        f"{p / t:.2f}× ({p:.1f} ms vs {t:.1f} ms; {ROWS} rows × 2 formats = 600 generations; "
        f"the whole page without JavaScript {w / t:.2f}× = {w:.1f} ms)",
        "≤ 3×",
        p / t <= 3,
    )
