"""Login throttling counts the real client, not the proxy in front of the studio."""

from __future__ import annotations

import pytest
from django.test import Client, RequestFactory

from studio.client_ip import client_ip

PROXY = "10.0.0.2"
GOOD = "correct horse battery"


def _login(user, *, via: str, forwarded: str | None, password: str) -> int:
    headers = {"REMOTE_ADDR": via}
    if forwarded is not None:
        headers["HTTP_X_FORWARDED_FOR"] = forwarded
    response = Client(**headers).post(
        "/accounts/login/", {"username": user.username, "password": password}
    )
    return response.status_code


def test_a_lockout_behind_a_proxy_locks_only_the_guessing_client(user, settings):
    settings.STUDIO_TRUSTED_PROXY_COUNT = 1
    settings.AXES_FAILURE_LIMIT = 3
    for _ in range(4):
        _login(user, via=PROXY, forwarded="203.0.113.7", password="wrong")
    assert _login(user, via=PROXY, forwarded="203.0.113.7", password=GOOD) == 429
    # Another client through the same proxy logs in (302 to the gallery).
    assert _login(user, via=PROXY, forwarded="198.51.100.9", password=GOOD) == 302


def test_a_client_cannot_dodge_the_lockout_by_forging_the_header(user, settings):
    settings.STUDIO_TRUSTED_PROXY_COUNT = 1
    settings.AXES_FAILURE_LIMIT = 3
    for n in range(4):
        # The proxy appends the real address after whatever the client wrote.
        _login(user, via=PROXY, forwarded=f"192.0.2.{n}, 203.0.113.7", password="wrong")
    assert _login(user, via=PROXY, forwarded="192.0.2.99, 203.0.113.7", password=GOOD) == 429


def test_without_trusted_proxies_the_header_is_ignored(user, settings):
    settings.STUDIO_TRUSTED_PROXY_COUNT = 0
    settings.AXES_FAILURE_LIMIT = 3
    for n in range(4):
        _login(user, via="203.0.113.7", forwarded=f"192.0.2.{n}", password="wrong")
    assert _login(user, via="203.0.113.7", forwarded="192.0.2.200", password=GOOD) == 429


@pytest.mark.parametrize(
    ("count", "forwarded", "expected"),
    [
        (0, "1.1.1.1", "10.0.0.2"),
        (1, "1.1.1.1", "1.1.1.1"),
        (1, "6.6.6.6, 1.1.1.1", "1.1.1.1"),
        (2, "6.6.6.6, 1.1.1.1, 10.0.0.1", "1.1.1.1"),
        (2, "1.1.1.1", "10.0.0.2"),  # fewer hops than proxies: only the socket is trusted
        (1, "", "10.0.0.2"),
        (1, "not an address", "10.0.0.2"),
    ],
)
def test_client_ip(settings, count, forwarded, expected):
    settings.STUDIO_TRUSTED_PROXY_COUNT = count
    request = RequestFactory().get("/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == expected
