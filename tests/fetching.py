"""Helpers for the tests of outbound fetching: a DNS stand-in (the guard's one seam), a
real HTTP origin server that records what it is asked, and a download with test limits."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from studiolib import media, urlguard


class Resolver:
    """The one seam: a DNS that knows only the names it is given, and counts its calls."""

    def __init__(self, answers: dict[str, list] | None = None) -> None:
        self.answers = answers or {}
        self.calls: list[str] = []

    def __call__(self, host: str, port: int) -> list[str]:
        self.calls.append(host)
        answer = self.answers.get(host)
        if answer is None:
            raise OSError(f"unknown host {host}")
        return answer.pop(0) if answer and isinstance(answer[0], list) else answer


class Origin(BaseHTTPRequestHandler):
    """A real HTTP server for redirect chains; it records every request it gets."""

    routes: dict[str, tuple[int, dict[str, str], bytes]] = {}
    seen: list[tuple[str, str]] = []

    def do_GET(self):  # noqa: N802
        self.seen.append((self.path, self.headers.get("Host", "")))
        status, headers, body = self.routes.get(self.path, (404, {}, b""))
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture(name="origin", scope="module")
def origin_server():
    """The port of a running ``Origin`` on 127.0.0.1 (a fixture: import it to use it)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), Origin)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_port
    server.shutdown()
    server.server_close()


def download(url, policy, **kwargs):
    return media.download(
        url, policy=policy, max_bytes=10 * 1024 * 1024, deadline_seconds=10, **kwargs
    )


LOCAL = urlguard.UrlPolicy(("127.0.0.1", "localhost", "10.0.0.1"), allow_loopback=True)
