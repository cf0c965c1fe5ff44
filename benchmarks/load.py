"""Gallery throughput under 50 concurrent clients for 60 s: wrk (from Debian) against
gunicorn as in the Procfile (3 workers, DEBUG off), on the benchmark's PostgreSQL
database, logged in as a member of the 25-member workspace with 100,000 clips.

wrk is a closed loop: each of the 50 connections asks again as soon as it has an answer,
with no think time, so this is the server at saturation. It shares the machine's cores
with the server, so the figure is a floor of what the server alone can do.
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

from benchmarks.server import PROXY_HEADERS, gunicorn, session_cookie

CLIENTS = 50
SECONDS = int(os.environ.get("BENCH_LOAD_SECONDS", "60"))
# Non-2xx answers count as errors; p95 comes from wrk's own latency histogram.
REPORT = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('{"requests": %d, "errors": %d, "p50": %d, "p95": %d, "p99": %d}\\n',
    summary.requests, e.connect + e.read + e.write + e.status + e.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99)))
end
"""


def figures(report: Callable[..., None], work: Path) -> None:
    name = "gallery_under_50_clients"
    target = "0 errors, p95 < 300 ms"
    if not shutil.which("wrk"):
        report(name, "not measured: wrk is not installed (apt-get install wrk)", target, False)
        return
    script = work / "report.lua"
    script.write_text(REPORT)
    headers = {"Cookie": session_cookie("bench"), **PROXY_HEADERS}
    with gunicorn(workers=3) as (port, _):
        # wrk counts only 4xx/5xx as errors: first make sure the page is the full gallery.
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.request("GET", "/", headers=headers)
        response = conn.getresponse()
        assert response.status == 200 and b'id="card-' in response.read(), response.status
        args = ["wrk", "-t", "2", "-c", str(CLIENTS), "-d", f"{SECONDS}s", "--timeout", "10s"]
        for header, value in headers.items():
            args += ["-H", f"{header}: {value}"]
        args += ["-s", str(script), f"http://127.0.0.1:{port}/"]
        # Warm every worker's caches (first requests import and render cold), then measure.
        subprocess.run([*args[:5], "-d", "5s", *args[7:]], capture_output=True, check=True)
        out = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    result = json.loads(out.strip().splitlines()[-1])
    p95 = result["p95"] / 1000
    report(
        name,
        f"{result['errors']} errors, p95 {p95:.0f} ms, p50 {result['p50'] / 1000:.0f} ms, "
        f"{result['requests'] / SECONDS:.0f} req/s ({SECONDS} s, wrk closed loop)",
        target,
        result["errors"] == 0 and p95 < 300 and result["requests"] > 0,
    )
