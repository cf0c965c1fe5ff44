"""The URL guard: every hostile form of a URL is refused with its reason, most before
anything is resolved; the connection goes to the address that was checked (rebinding) and
https is verified for the name; loopback results only with DEBUG on. Redirect hops are in
test_result_redirects.py."""

from __future__ import annotations

import os
import ssl
import subprocess
import sys
import threading
from http.server import ThreadingHTTPServer

import pytest
import requests
import trustme

from studiolib import media, urlguard
from tests.fetching import Origin, Resolver, download, origin_server  # noqa: F401 - a fixture
from tests.support import ROOT

# IP literals are listed too, so what refuses them is the address check, not the list.
LISTED = (
    "volces.com",
    "127.0.0.1",
    "169.254.169.254",
    "::1",
    "::ffff:127.0.0.1",
    "0.0.0.0",  # noqa: S104 - an address to refuse, not one to bind
    "10.0.0.1",
    "172.16.0.1",
    "192.168.1.1",
    "100.64.0.1",
    "224.0.0.1",
    "240.0.0.1",
    "255.255.255.255",
    "fe80::1",
    "fc00::1",
    "64:ff9b::a00:1",
    "2002:a00:1::",
    "2001:0:4136:e378:8000:63bf:3fff:fdd2",
    "::",
    "ff02::1",
    "::7f00:1",
)
PRODUCTION = urlguard.UrlPolicy(LISTED)
DNS = {
    "cdn.volces.com": ["93.184.216.34"],
    "internal.volces.com": ["10.1.2.3"],
    "mixed.volces.com": ["93.184.216.34", "127.0.0.1"],
    "meta.volces.com": ["169.254.169.254"],
    "v6.volces.com": ["2606:4700::1111", "fd00::1"],
    "cgnat.volces.com": ["100.100.1.1"],
}


HOSTILE = [
    # The two from the issue: one parser saw cdn.volces.com, the fetcher connected elsewhere.
    ("http://evil.example\\@cdn.volces.com/x.mp4", "backslash"),
    ("https://127.0.0.1:6379\\@cdn.volces.com/x.mp4", "backslash"),
    ("https://cdn.volces.com\\.evil.example/x.mp4", "backslash"),
    ("https://evil.example@cdn.volces.com/x.mp4", "user name"),
    ("https://cdn.volces.com:pw@evil.example/x.mp4", "user name"),
    ("https://a@b@cdn.volces.com/x.mp4", "user name"),
    ("https://127.0.0.1:6379/", "port 6379"),
    ("https://cdn.volces.com:8443/x.mp4", "port 8443"),
    ("https://127.0.0.1/x.mp4", "loopback"),
    ("https://169.254.169.254/latest/meta-data/", "link-local"),
    ("https://[::1]/x.mp4", "loopback"),
    ("https://[::ffff:127.0.0.1]/x.mp4", "loopback"),
    ("https://[::ffff:7f00:1]/x.mp4", "loopback"),
    ("https://[::7f00:1]/x.mp4", "reserved"),  # IPv4-compatible 127.0.0.1
    ("https://2130706433/x.mp4", "non-standard form"),  # decimal 127.0.0.1
    ("https://0x7f000001/x.mp4", "non-standard form"),  # hex
    ("https://0x7f.1/x.mp4", "non-standard form"),
    ("https://0177.0.0.1/x.mp4", "non-standard form"),  # octal
    ("https://127.1/x.mp4", "non-standard form"),
    ("https://0.0.0.0/x.mp4", "unspecified"),
    ("https://[::]/x.mp4", "unspecified"),
    ("https://10.0.0.1/x.mp4", "private"),
    ("https://172.16.0.1/x.mp4", "private"),
    ("https://192.168.1.1/x.mp4", "private"),
    ("https://100.64.0.1/x.mp4", "carrier-grade NAT"),
    ("https://224.0.0.1/x.mp4", "multicast"),
    ("https://[ff02::1]/x.mp4", "multicast"),
    ("https://240.0.0.1/x.mp4", "reserved"),
    ("https://255.255.255.255/x.mp4", "reserved"),
    ("https://[fe80::1]/x.mp4", "link-local"),
    ("https://[fe80::1%25eth0]/x.mp4", "network interface"),
    ("https://[fc00::1]/x.mp4", "private"),
    ("https://[64:ff9b::a00:1]/x.mp4", "translated private (10.0.0.1)"),  # NAT64
    ("https://[2002:a00:1::]/x.mp4", "translated private (10.0.0.1)"),  # 6to4
    ("https://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/x.mp4", "translated"),  # Teredo
    ("http://cdn.volces.com/x.mp4", "scheme http"),
    ("ftp://cdn.volces.com/x.mp4", "scheme ftp"),
    ("file:///etc/passwd", "scheme file"),
    ("gopher://cdn.volces.com:70/_GET", "scheme gopher"),
    ("//cdn.volces.com/x.mp4", "scheme (none)"),
    ("https://evilvolces.com/x.mp4", "not an allowed result host"),
    ("https://cdn.volces.com.evil.example/x.mp4", "not an allowed result host"),
    ("https://192.0.2.1/x.mp4", "not an allowed result host"),
    ("https://internal.volces.com/x.mp4", "private address (10.1.2.3)"),
    ("https://meta.volces.com/x.mp4", "link-local"),
    ("https://mixed.volces.com/x.mp4", "loopback address (127.0.0.1)"),
    ("https://v6.volces.com/x.mp4", "private address (fd00::1)"),
    ("https://cgnat.volces.com/x.mp4", "carrier-grade NAT"),
    ("https://cdn.volces.com/x.mp4\r\nHost: evil", "control characters"),
    ("https://cdn.volces.com/x y.mp4", "control characters"),
    ("https://cdn.volces\u3002com/x.mp4", "non-ASCII"),
    ("https://[::1/x.mp4", "cannot be parsed"),
    ("", "empty"),
]


@pytest.mark.parametrize(("url", "reason"), HOSTILE, ids=[url[:60] for url, _ in HOSTILE])
def test_hostile_urls_are_refused_with_a_reason(url, reason):
    resolve = Resolver(DNS)
    with pytest.raises(urlguard.UrlRefused) as caught:
        urlguard.check_url(url, PRODUCTION, resolve=resolve)
    assert reason in caught.value.reason
    assert len(resolve.calls) <= 1


def test_the_table_is_long_enough_and_names_are_resolved_only_when_needed():
    assert len(HOSTILE) >= 25
    resolve = Resolver(DNS)
    with pytest.raises(urlguard.UrlRefused):
        urlguard.check_url("https://evil.example@cdn.volces.com/x.mp4", PRODUCTION, resolve=resolve)
    with pytest.raises(urlguard.UrlRefused):
        urlguard.check_url("https://evilvolces.com/x.mp4", PRODUCTION, resolve=resolve)
    assert resolve.calls == []  # refused on its face: no DNS query leaves the machine


def test_a_public_result_url_passes_and_keeps_its_checked_address():
    resolve = Resolver(DNS)
    checked = urlguard.check_url(
        "https://CDN.volces.com:443/v/x.mp4?X-Tos=1", PRODUCTION, resolve=resolve
    )
    assert (checked.scheme, checked.host, checked.port) == ("https", "cdn.volces.com", 443)
    assert checked.address == "93.184.216.34"
    nat64 = urlguard.check_url(
        "https://[64:ff9b::808:808]/x.mp4", urlguard.UrlPolicy(("64:ff9b::808:808",))
    )
    assert nat64.address == "64:ff9b::808:808"  # NAT64 of a public address is that address


def test_loopback_plain_http_and_any_port_only_when_the_caller_allows_them():
    local = urlguard.UrlPolicy(("127.0.0.1", "localhost"), allow_loopback=True)
    checked = urlguard.check_url("http://127.0.0.1:8001/files/x.mp4", local)
    assert checked.address == "127.0.0.1" and checked.port == 8001
    for url in ("https://10.0.0.1/x.mp4", "https://169.254.169.254/"):
        with pytest.raises(urlguard.UrlRefused):  # only loopback is relaxed, nothing else
            urlguard.check_url(url, urlguard.UrlPolicy(LISTED, allow_loopback=True))
    with pytest.raises(urlguard.UrlRefused, match="scheme http"):
        urlguard.check_url("http://127.0.0.1:8001/files/x.mp4", urlguard.UrlPolicy(LISTED))


def test_an_unresolvable_name_is_a_retryable_failure_not_a_refusal():
    with pytest.raises(urlguard.UrlUnresolved):
        urlguard.check_url("https://gone.volces.com/x.mp4", PRODUCTION, resolve=Resolver(DNS))


def test_rebinding_cannot_move_the_connection_after_the_check():
    """The resolver answers a public address first and loopback after that: the name is
    resolved once, and the connection is built for the first (checked) address, with the
    name kept for Host, SNI and the certificate check."""
    resolve = Resolver({"cdn.volces.com": [["93.184.216.34"], ["127.0.0.1"]]})
    checked = urlguard.check_url("https://cdn.volces.com/x.mp4", PRODUCTION, resolve=resolve)
    assert resolve.calls == ["cdn.volces.com"]
    adapter = urlguard.PinnedAdapter(checked)
    request = requests.Request("GET", checked.url).prepare()
    host_params, pool_kwargs = adapter.build_connection_pool_key_attributes(request, True)
    assert host_params == {"scheme": "https", "host": "93.184.216.34", "port": None}
    assert pool_kwargs["server_hostname"] == "cdn.volces.com"
    assert pool_kwargs["assert_hostname"] == "cdn.volces.com"
    assert resolve.calls == ["cdn.volces.com"]  # building the connection asked nobody again
    other = requests.Request("GET", "https://evil.example/x.mp4").prepare()
    with pytest.raises(requests.exceptions.InvalidURL):
        adapter.build_connection_pool_key_attributes(other, True)


def test_a_rebinding_name_is_fetched_from_the_checked_address_over_real_http(origin):
    Origin.routes["/rebind.mp4"] = (200, {}, b"checked bytes")
    Origin.seen.clear()
    resolve = Resolver({"rebind.localhost": [["127.0.0.1"], ["10.0.0.1"]]})
    policy = urlguard.UrlPolicy(("localhost",), allow_loopback=True)
    path, size, _ = download(
        f"http://rebind.localhost:{origin}/rebind.mp4", policy, resolve=resolve
    )
    try:
        assert path.read_bytes() == b"checked bytes" and size == 13
    finally:
        path.unlink()
    assert resolve.calls == ["rebind.localhost"]
    # The name is not in any real DNS: only a connection to the pinned address gets here.
    assert Origin.seen == [("/rebind.mp4", f"rebind.localhost:{origin}")]


@pytest.fixture
def tls_origin(tmp_path, monkeypatch):
    """An HTTPS server on 127.0.0.1 whose certificate names only ``localhost``, trusted
    through the CA bundle variable operators use."""
    ca = trustme.CA()
    bundle = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(bundle))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ca.issue_cert("localhost").configure_cert(context)
    server = ThreadingHTTPServer(("127.0.0.1", 0), Origin)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_port
    server.shutdown()
    server.server_close()


def test_a_pinned_https_connection_verifies_the_certificate_for_the_name(tls_origin):
    Origin.routes["/tls.mp4"] = (200, {}, b"over tls")
    policy = urlguard.UrlPolicy(("localhost", "127.0.0.1"), allow_loopback=True)
    resolve = Resolver({"localhost": ["127.0.0.1"]})
    path, _, _ = download(f"https://localhost:{tls_origin}/tls.mp4", policy, resolve=resolve)
    assert path.read_bytes() == b"over tls"
    path.unlink()
    # The same address under a name the certificate does not carry is refused: the check
    # is made against the name, not against the pinned address.
    other = Resolver({"other.localhost": ["127.0.0.1"]})
    with pytest.raises(media.FetchError, match="SSLError"):
        download(f"https://other.localhost:{tls_origin}/tls.mp4", policy, resolve=other)


# -- settings: loopback results only with DEBUG on ----------------------------------------


def result_settings(env: dict[str, str]) -> list[str]:
    dropped = {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "SEEDANCE_RESULT_ALLOW_LOOPBACK"}
    clean = {k: v for k, v in os.environ.items() if k not in dropped}
    code = (
        "from django.conf import settings; "
        "print(settings.SEEDANCE_RESULT_ALLOW_LOOPBACK, *settings.SEEDANCE_RESULT_HOSTS)"
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=ROOT,
        env={
            **clean,
            "DJANGO_SETTINGS_MODULE": "studio.settings",
            "SECRET_KEY": "s" * 50,
            "ALLOWED_HOSTS": "studio.example.com",
            **env,
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()[-1].split()  # the last line: shell may chat first


def test_loopback_results_are_allowed_only_with_debug_on():
    production = result_settings({"DEBUG": "0"})
    assert production[0] == "False" and "localhost" not in production
    development = result_settings({"DEBUG": "1"})
    assert development[0] == "True" and "localhost" in development
