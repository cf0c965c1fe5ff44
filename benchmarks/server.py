"""Gunicorn as in the Procfile, on a free port, against the benchmark database."""

from __future__ import annotations

import http.client
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.support import free_port, wait_for

ROOT = Path(__file__).resolve().parent.parent


@contextmanager
def gunicorn(workers: int = 1) -> Iterator[tuple[int, subprocess.Popen]]:
    port = free_port()
    env = {**os.environ, "ALLOWED_HOSTS": "127.0.0.1", "DEBUG": "1"}
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
        conn.request("GET", "/accounts/login/")
        return conn.getresponse().status == 200

    try:
        wait_for(up, 30, "gunicorn")
        yield port, server
    finally:
        server.terminate()
        server.wait(10)
