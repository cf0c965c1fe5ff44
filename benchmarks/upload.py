"""Web process memory while a 100 MB upload streams in: gunicorn (as in the Procfile)
serving the studio, the body sent in 1 MB chunks, the worker's RSS sampled throughout."""

from __future__ import annotations

import http.client
import threading
import time
from collections.abc import Callable

from benchmarks.server import PROXY_HEADERS, children, gunicorn, rss_kb, session_cookie

SIZE = 100 * 1024 * 1024
CHUNK = 1024 * 1024


def _post(port: int, cookie: str, size: int) -> int:
    """Stream a multipart upload of ``size`` bytes (as a source video) in 1 MB chunks."""
    boundary = "benchboundary"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="mode"\r\n\r\nedit\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="source_video"; '
        'filename="big.mp4"\r\nContent-Type: video/mp4\r\n\r\n'
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    conn.putrequest("POST", "/generations/create/")
    conn.putheader("Content-Type", f"multipart/form-data; boundary={boundary}")
    conn.putheader("Content-Length", str(len(head) + size + len(tail)))
    conn.putheader("Cookie", cookie)
    conn.putheader("X-CSRFToken", cookie.split("csrftoken=")[1])
    conn.putheader("Origin", f"https://127.0.0.1:{port}")
    for name, value in PROXY_HEADERS.items():
        conn.putheader(name, value)
    conn.putheader("HX-Request", "true")
    conn.endheaders()
    conn.send(head)
    block = b"\x00\x00\x00\x18ftypmp42" + b"\x00" * (CHUNK - 12)
    for _ in range(size // CHUNK):
        conn.send(block)
    conn.send(tail)
    response = conn.getresponse()
    response.read()
    return response.status


def _peak_growth_mb(port: int, cookie: str, worker: int) -> tuple[float, int]:
    """(MB the worker's RSS rose above its level before the upload, HTTP status)."""
    baseline = rss_kb(worker)
    peak = [baseline]
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], rss_kb(worker))
            time.sleep(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    status = _post(port, cookie, SIZE)
    done.set()
    sampler.join()
    return (peak[0] - baseline) / 1024, status


def figures(report: Callable[..., None]) -> None:
    with gunicorn() as (port, server):
        worker = children(server.pid)[0]
        cookie = session_cookie("bench")
        # The first upload also loads code and templates that every later one reuses (the
        # media checks, the error rendering); the second shows what an upload itself costs.
        # Buffering the body would show up in both.
        first, _ = _peak_growth_mb(port, cookie, worker)
        growth, status = _peak_growth_mb(port, cookie, worker)
        report(
            "web_memory_growth_during_100MB_upload",
            f"{growth:.1f} MB (HTTP {status}; {first:.1f} MB during the worker's first upload)",
            "≤ 20 MB",
            growth <= 20 and status == 200,
        )
