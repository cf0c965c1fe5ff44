"""Gunicorn as in the Procfile, on a free port, against the benchmark database."""

from __future__ import annotations

import http.client
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.support import free_port, wait_for

ROOT = Path(__file__).resolve().parent.parent
# Production settings (DEBUG off) behind a TLS-terminating proxy, as the Procfile runs it.
PROXY_HEADERS = {"X-Forwarded-Proto": "https"}


@contextmanager
def gunicorn(workers: int = 1, debug: bool = False) -> Iterator[tuple[int, subprocess.Popen]]:
    """``debug`` only for the browser figures: with DEBUG off the session cookie is Secure,
    which a browser on plain http://127.0.0.1 would not send back."""
    port = free_port()
    env = {**os.environ, "DEBUG": "1" if debug else "0"}
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "studio.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--timeout",
            "120",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )

    def up() -> bool:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
        conn.request("GET", "/healthz", headers=PROXY_HEADERS)
        return conn.getresponse().status in {200, 503}

    try:
        wait_for(up, 30, "gunicorn")
        yield port, server
    finally:
        server.terminate()
        server.wait(10)


def session_cookie(username: str) -> str:
    """A logged-in session for ``username`` (made in this process, stored in the shared
    database) plus a CSRF cookie whose secret doubles as the X-CSRFToken header."""
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.utils.crypto import get_random_string

    client = Client()
    client.force_login(get_user_model().objects.get(username=username))
    session = client.cookies["sessionid"].value
    return f"sessionid={session}; csrftoken={get_random_string(32)}"


def rss_kb(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+)", status).group(1))


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found
