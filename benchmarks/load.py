"""Gallery throughput under 50 concurrent clients for 60 s against gunicorn as in the
Procfile (on whatever DATABASE_URL the benchmark uses; PostgreSQL when it is set).

A small thread-based client on keep-alive connections stands in for locust/wrk, which
this machine does not have; it shares the 2 cores with the server, so the figure is a
floor of what the server can do.
"""

from __future__ import annotations

import http.client
import os
import re
import statistics
import threading
import time
from collections.abc import Callable

from benchmarks.server import gunicorn
from benchmarks.upload import _login

CLIENTS = 50
SECONDS = float(os.environ.get("BENCH_LOAD_SECONDS", "60"))


def figures(report: Callable[..., None]) -> None:
    with gunicorn(workers=3) as (port, _):
        csrf, session = _login(port)
        cookie = f"csrftoken={csrf}; sessionid={session}"
        latencies: list[float] = []
        errors = [0]
        lock = threading.Lock()
        stop = time.monotonic() + SECONDS

        def client() -> None:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            while time.monotonic() < stop:
                start = time.perf_counter()
                try:
                    conn.request("GET", "/", headers={"Cookie": cookie})
                    response = conn.getresponse()
                    body = response.read()
                    ok = response.status == 200 and re.search(rb'id="card-', body)
                except (OSError, http.client.HTTPException):
                    ok = False
                    conn.close()
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                with lock:
                    if ok:
                        latencies.append(time.perf_counter() - start)
                    else:
                        errors[0] += 1

        threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    latencies.sort()
    p95 = latencies[int(len(latencies) * 0.95)] * 1000 if latencies else float("inf")
    report(
        "gallery_under_50_clients",
        f"{errors[0]} errors, p95 {p95:.0f} ms, {len(latencies) / SECONDS:.0f} req/s, "
        f"median {statistics.median(latencies) * 1000 if latencies else 0:.0f} ms "
        f"({SECONDS:.0f} s)",
        "0 errors, p95 < 300 ms",
        errors[0] == 0 and p95 < 300,
    )
