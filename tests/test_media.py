"""Result downloads: only from allowed hosts, every redirect hop guarded, with a byte cap
and a check that the bytes are really a video."""

from __future__ import annotations

import socket
import threading
from http.server import ThreadingHTTPServer

import pytest

from studiolib import media, urlguard
from tests import media_factory as mf
from tests.fetching import Origin


@pytest.fixture(scope="module")
def origin():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Origin)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def fetch(url, *, allowed_hosts=("127.0.0.1",), **kwargs):
    options = {
        "policy": urlguard.UrlPolicy(tuple(allowed_hosts), allow_loopback=True),
        "max_bytes": 10 * 1024 * 1024,
        "deadline_seconds": 10,
        **kwargs,
    }
    return media.download(url, **options)


def test_a_real_video_is_streamed_probed_and_hashed(origin):
    Origin.routes["/ok.mp4"] = (200, {"Content-Type": "video/mp4"}, mf.mp4(3))
    path, size, digest = fetch(origin + "/ok.mp4")
    info = media.probe_video(path)
    assert size == len(mf.mp4(3)) and len(digest) == 64
    assert info.duration == pytest.approx(3, abs=0.1)
    path.unlink()


def test_an_unexpected_host_is_never_fetched(origin):
    with pytest.raises(media.FetchError) as caught:
        fetch(origin + "/ok.mp4", allowed_hosts=["volces.com"])
    assert caught.value.permanent
    assert "unexpected location" in str(caught.value)


def test_a_redirect_to_a_refused_address_is_not_followed(origin):
    metadata = "http://169.254.169.254/latest/meta-data/"
    Origin.routes["/moved"] = (302, {"Location": metadata}, b"")
    with pytest.raises(media.FetchError) as caught:
        fetch(origin + "/moved", allowed_hosts=["127.0.0.1", "169.254.169.254"])
    assert caught.value.permanent  # listed or not, a link-local address is never fetched
    assert "link-local" in str(caught.value)


def test_an_expired_link_is_a_permanent_failure(origin):
    with pytest.raises(media.FetchError) as caught:
        fetch(origin + "/gone.mp4")
    assert caught.value.permanent
    assert "expired" in str(caught.value)


def test_the_size_cap_holds(origin):
    Origin.routes["/big.mp4"] = (200, {}, b"\x00" * 4096)
    with pytest.raises(media.FetchError) as caught:
        fetch(origin + "/big.mp4", max_bytes=1024)
    assert "larger than the allowed size" in str(caught.value)


def test_bytes_that_are_not_a_video_are_refused(origin, tmp_path):
    fake = tmp_path / "fake.mp4"
    fake.write_bytes(b"<html>not a video</html>")
    with pytest.raises(media.MediaError):
        media.probe_video(fake)


def test_host_suffixes_match_whole_labels():
    public = lambda host, port: ["93.184.216.34"]  # noqa: E731 - a resolver, the one seam
    policy = urlguard.UrlPolicy(("volces.com",))
    assert urlguard.check_url("https://cdn.volces.com/x.mp4", policy, resolve=public)
    for url in ("https://evilvolces.com/x.mp4", "file:///etc/passwd"):
        with pytest.raises(urlguard.UrlRefused):
            urlguard.check_url(url, policy, resolve=public)


def test_a_garbled_content_length_is_ignored_and_the_body_still_capped():
    """A header like ``Content-Length: abc`` once crashed the save with a ValueError."""
    body = mf.mp4(3)
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(2)

    def serve() -> None:
        for _ in range(2):
            conn, _ = server.accept()
            with conn:
                conn.recv(4096)
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: abc\r\nConnection: close\r\n\r\n")
                conn.sendall(body)

    threading.Thread(target=serve, daemon=True).start()
    url = f"http://127.0.0.1:{server.getsockname()[1]}/odd.mp4"
    try:
        path, size, _ = fetch(url, allowed_hosts=["127.0.0.1"])
        path.unlink()
        assert size == len(body)
        with pytest.raises(media.FetchError, match="larger than the allowed size"):
            fetch(url, allowed_hosts=["127.0.0.1"], max_bytes=1024)
    finally:
        server.close()
