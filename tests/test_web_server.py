"""The web process as the Procfile runs it (real gunicorn): slow readers of public
downloads do not take the site down, and the access log holds no working share or
reference tokens."""

from __future__ import annotations

import http.client
import os
import socket
import sys
import time
from pathlib import Path

import pytest
from django.core.files.base import ContentFile

from generations.models import Status
from sharing import services as share_services
from sharing.tokens import token_for
from tests import support
from tests.factories import GenerationFactory

pytestmark = pytest.mark.e2e
VIDEO_BYTES = 48 * 1024 * 1024  # far more than loopback socket buffers hold


def _procfile_web() -> str:
    for line in (support.ROOT / "Procfile").read_text().splitlines():
        if line.startswith("web:"):
            return line.removeprefix("web:").strip()
    raise AssertionError("no web process in the Procfile")


@pytest.fixture
def site(transactional_db, local_media, user, proc_logs, tmp_path):
    generation = GenerationFactory(user=user, status=Status.SUCCEEDED)
    generation.video.save("big.mp4", ContentFile(b""))
    with open(generation.video.path, "wb") as handle:  # sparse: cheap to make
        handle.truncate(VIDEO_BYTES)
    generation.save()
    token = token_for(share_services.share_create(generation=generation))
    port = support.free_port()
    env = support.worker_env(
        database_url=support.database_url_for_current_test_db(),
        redis_url="redis://127.0.0.1:1/0",
        seedance_url="http://127.0.0.1:1",
        media_root=str(local_media),
    )
    env.update(
        PORT=str(port),
        WEB_CONCURRENCY="1",
        SECURE_SSL_REDIRECT="0",
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
    )
    server = support.Proc(
        f"gunicorn-{port}", ["bash", "-c", "exec " + _procfile_web()], env, tmp_path
    )

    def up() -> bool:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        conn.request("GET", "/healthz")
        return conn.getresponse().status == 200

    support.wait_for(up, 30, "gunicorn")
    yield {"port": port, "token": token, "server": server}
    server.stop()


def _slow_reader(port: int, path: str) -> socket.socket:
    """Asks for a big file, reads its first bytes and then nothing more."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", port))
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
    assert sock.recv(16).startswith(b"HTTP/1.1 200")
    return sock


def test_slow_readers_do_not_block_other_pages(site):
    readers = [
        _slow_reader(site["port"], f"/s/{site['token']}/video.mp4?download=1") for _ in range(3)
    ]
    try:
        time.sleep(1)  # the server is now stuck writing to them
        started = time.monotonic()
        conn = http.client.HTTPConnection("127.0.0.1", site["port"], timeout=10)
        conn.request("GET", "/accounts/login/")
        assert conn.getresponse().status == 200
        assert time.monotonic() - started < 3
    finally:
        for sock in readers:
            sock.close()


def test_the_access_log_has_no_working_tokens(site):
    token, port = site["token"], site["port"]
    for path in (f"/s/{token}/", f"/s/{token}/poster.jpg", "/r/some.signed:token/"):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("GET", path, headers={"Referer": f"https://studio.example/s/{token}/"})
        conn.getresponse().read()
    support.wait_for(lambda: "poster.jpg" in site["server"].output(), 10, "the access log")
    log = site["server"].output()
    assert token not in log
    assert "some.signed:token" not in log
    assert "GET /s/[redacted]/ HTTP/1.1" in log
    assert "https://studio.example/s/[redacted]/" in log


def test_django_request_logs_have_no_working_tokens(client, db, caplog):
    """A 404 under a share token ("Not Found: /s/<token>/…") is logged by django.request."""
    token = "A" * 43
    response = client.get(f"/s/{token}/nothing-here")
    assert response.status_code == 404
    assert "Not Found: /s/[redacted]/nothing-here" in caplog.text
    assert token not in caplog.text
