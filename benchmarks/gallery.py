"""Gallery figures in this process, through Django's WSGI handler (all middleware, DEBUG
off, no test-client instrumentation): SQL queries per page at 10 and 100,000 clips (a
25-member workspace), the page's time against a trivial logged-in page, and the bytes of
an unchanged live refresh.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

from django.core.cache import caches
from django.core.handlers.wsgi import WSGIHandler
from django.db import connection
from django.test import RequestFactory, override_settings
from django.test.utils import CaptureQueriesContext

from benchmarks.server import session_cookie

RUNS = 400


class Server:
    def __init__(self, username: str) -> None:
        self.handler = WSGIHandler()
        self.cookie = session_cookie(username)

    def get(self, path: str) -> tuple[int, bytes, float]:
        """Status, the bytes on the wire (status line, headers, body) and milliseconds."""
        environ = RequestFactory().get(path, secure=True, HTTP_COOKIE=self.cookie).environ
        start = time.perf_counter()
        response = self.handler(environ, lambda status, headers: None)
        body = b"".join(response)
        response.close()
        ms = (time.perf_counter() - start) * 1000
        line = f"HTTP/1.1 {response.status_code} {response.reason_phrase}\r\n".encode()
        return response.status_code, line + response.serialize_headers() + b"\r\n\r\n" + body, ms

    def median_ms(self, path: str, runs: int = RUNS, before: Callable[[], None] = lambda: None):
        times = []
        for _ in range(runs):
            before()
            status, _, ms = self.get(path)
            assert status == 200, (path, status)
            times.append(ms)
        return statistics.median(times)


def figures(report: Callable[..., None]) -> None:
    with override_settings(ROOT_URLCONF="benchmarks.urls"):
        counts = {}
        for name in ("small", "bench"):
            server = Server(name)
            server.get("/")  # warm
            with CaptureQueriesContext(connection) as ctx:
                status, _, _ = server.get("/")
            assert status == 200
            counts[name] = len(ctx.captured_queries)
        report(
            "gallery_sql_queries_10_vs_100000",
            f"{counts['small']} vs {counts['bench']}",
            "equal, ≤ 6",
            counts["small"] == counts["bench"] <= 6,
        )

        server = Server("bench")
        # Alternating requests, so drift on a busy machine hits both pages alike.
        gallery, trivial = [], []
        for _ in range(RUNS):
            gallery.append(server.median_ms("/", 1))
            trivial.append(server.median_ms("/_bench/trivial/", 1))
        c = server.median_ms("/", 20, before=caches["fragments"].clear)
        g, t = statistics.median(gallery), statistics.median(trivial)
        report(
            "gallery_time_at_100000_vs_trivial_page",
            f"{g / t:.2f}× ({g:.1f} ms vs {t:.1f} ms; {c / t:.1f}× = {c:.1f} ms when no "
            "card is in the fragment cache yet)",
            "≤ 2×",
            g / t <= 2,
        )

        _, page, _ = server.get("/")
        version = page.decode().split('data-version="')[1].split('"')[0]
        status, wire, _ = server.get(f"/generations/live/?v={version}")
        report(
            "bytes_per_unchanged_live_refresh",
            f"{len(wire)} B (status {status})",
            "≤ 1 KB",
            status == 204 and len(wire) <= 1024,
        )
