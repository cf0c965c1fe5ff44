"""One guard for every outbound fetch of a URL that is not fixed in configuration.

A URL the provider hands us (a result file, a redirect target) is untrusted: checked with
one parser and fetched with another, ``http://evil.example\\@cdn.volces.com/`` passed an
allowlist and connected to ``evil.example``. So the guard parses with urllib3's own parser
(what requests connects with), refuses anything ambiguous (backslashes, userinfo, control
characters, numeric host forms other than a canonical address), allows only https on its
default port and host names on the caller's allowlist, resolves the name once, refuses
every address that is not public, and returns the checked address. ``open_pinned`` then
connects to exactly that address while sending the real name in ``Host``, SNI and the
certificate check, so a DNS answer that changes between the check and the connection
(rebinding) cannot move the connection elsewhere.

The technique follows saleor/requests-hardened's adapter; that package is not used as is
because its filter checks only the first DNS answer, lets IPv6 reserved ranges through
(``::/8`` holds the IPv4-compatible ``::127.0.0.1``; ``fec0::/10``), does not look inside
NAT64/6to4 addresses, and resolves inside the adapter, where the allowlist cannot reach.

Model-free on purpose: callers pass the policy in (the settings are read at the call site).
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import re
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import LocationParseError
from urllib3.util import parse_url
from urllib3.util.connection import allowed_gai_family

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
# Resolves (host, port) to IP address strings, in the order a connection would try them.
Resolver = Callable[[str, int], list[str]]

DEFAULT_PORTS = {"http": 80, "https": 443}
MAX_URL_LENGTH = 4096
# Ranges that are not public but that ``ipaddress`` does not flag on every Python version.
CGNAT = ipaddress.ip_network("100.64.0.0/10")  # reaches other workloads of a cloud network
EXTRA_BLOCKED = tuple(
    ipaddress.ip_network(net)
    for net in (
        "192.0.0.0/24",  # IETF protocol assignments
        "192.88.99.0/24",  # 6to4 relay anycast
        "198.18.0.0/15",  # benchmarking
        "64:ff9b:1::/48",  # local-use NAT64
        "2001::/23",  # IETF protocol assignments, Teredo included
        "2001:db8::/32",  # documentation
        "3fff::/20",  # documentation
        "5f00::/16",  # segment routing
        "fec0::/10",  # deprecated site-local
    )
)
NAT64 = ipaddress.ip_network("64:ff9b::/96")
# A host whose last label is a number is an IPv4 address in some form (``2130706433``,
# ``0x7f.1``, ``0177.0.0.1``): the C resolver reads them all, so only the canonical
# dotted-decimal form, which ``ipaddress`` parses, is accepted.
NUMERIC_LABEL = re.compile(r"^(0x[0-9a-f]*|[0-9]+)$")


class UrlRefused(Exception):
    """The URL breaks the policy; fetching it can never be right, so do not retry."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class UrlUnresolved(Exception):
    """The host name could not be resolved now (DNS trouble); a later try may work."""


@dataclass(frozen=True)
class UrlPolicy:
    """What an outbound fetch may reach.

    ``allowed_hosts`` are host-name suffixes matched on whole labels (``volces.com`` allows
    ``cdn.volces.com``, not ``evilvolces.com``); an IP address must be listed exactly.
    ``allow_loopback`` is for the local simulator only (DEBUG and tests): besides loopback
    addresses it allows plain http and any port for every listed host, which the simulator
    needs. Every other non-public address stays refused either way.
    ``any_host`` drops the allowlist (a URL a member typed, such as a webhook endpoint):
    every other rule, the public-address one first, still holds.
    """

    allowed_hosts: tuple[str, ...]
    allow_loopback: bool = False
    any_host: bool = False


@dataclass(frozen=True)
class CheckedUrl:
    """A URL that passed the guard, and the one address its connection must use."""

    url: str
    scheme: str
    host: str
    port: int
    address: str


def system_resolver(host: str, port: int) -> list[str]:
    """The addresses a connection would try, as urllib3 asks for them."""
    answers = socket.getaddrinfo(host, port, allowed_gai_family(), socket.SOCK_STREAM)
    return [str(answer[4][0]) for answer in answers]


def check_url(url: str, policy: UrlPolicy, *, resolve: Resolver = system_resolver) -> CheckedUrl:
    """Check ``url`` against ``policy``; raise ``UrlRefused`` with the reason if it fails.

    The host is resolved exactly once, here; the caller must connect with ``open_pinned``
    so the connection goes to the address that was checked.
    """
    scheme, host, port = _check_syntax(url, policy)
    literal = _ip_literal(host)
    if not policy.any_host and not _host_listed(host, literal, policy.allowed_hosts):
        raise UrlRefused(f"the host {host} is not an allowed result host")
    if literal is not None:
        addresses = [str(literal)]
    else:
        try:
            addresses = resolve(host, port)
        except (OSError, UnicodeError) as exc:
            raise UrlUnresolved(f"the host {host} could not be resolved") from exc
        if not addresses:
            raise UrlUnresolved(f"the host {host} has no address")
    for address in addresses:
        reason = address_refusal(ipaddress.ip_address(address.split("%")[0]), policy)
        if reason:
            raise UrlRefused(f"the host {host} has a {reason} address ({address})")
    return CheckedUrl(url=url, scheme=scheme, host=host, port=port, address=addresses[0])


def _check_syntax(url: str, policy: UrlPolicy) -> tuple[str, str, int]:
    if not isinstance(url, str) or not url:
        raise UrlRefused("the address is empty")
    if len(url) > MAX_URL_LENGTH:
        raise UrlRefused("the address is too long")
    if not url.isascii():
        raise UrlRefused("the address has non-ASCII characters")
    if any(ord(char) <= 0x20 or ord(char) == 0x7F for char in url):
        raise UrlRefused("the address has spaces or control characters")
    if "\\" in url:
        raise UrlRefused("the address has a backslash")
    try:
        parts = parse_url(url)
    except LocationParseError:
        raise UrlRefused("the address cannot be parsed") from None
    scheme = (parts.scheme or "").lower()
    allowed_schemes = {"https", "http"} if policy.allow_loopback else {"https"}
    if scheme not in allowed_schemes:
        raise UrlRefused(f"the scheme {scheme or '(none)'} is not allowed; only https is")
    if parts.auth is not None:
        raise UrlRefused("the address has a user name or password in it")
    host = (parts.host or "").lower().strip("[]")
    if not host:
        raise UrlRefused("the address has no host")
    port = parts.port if parts.port is not None else DEFAULT_PORTS[scheme]
    if port != DEFAULT_PORTS[scheme] and not policy.allow_loopback:
        raise UrlRefused(f"the port {port} is not allowed; only the default port is")
    return scheme, host, port


def _ip_literal(host: str) -> IPAddress | None:
    if "%" in host:
        raise UrlRefused("the address names a network interface")
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    if NUMERIC_LABEL.match(host.rstrip(".").rsplit(".", 1)[-1]):
        raise UrlRefused(f"the host {host} is an address in a non-standard form")
    return None


def _host_listed(host: str, literal: IPAddress | None, allowed: tuple[str, ...]) -> bool:
    name = host.rstrip(".")
    for entry in allowed:
        suffix = entry.strip().lower().strip("[]").rstrip(".").lstrip(".")
        if not suffix:
            continue
        if literal is not None:
            with contextlib.suppress(ValueError):
                if ipaddress.ip_address(suffix) == literal:
                    return True
        elif name == suffix or name.endswith("." + suffix):
            return True
    return False


def address_refusal(ip: IPAddress, policy: UrlPolicy) -> str:
    """Why ``ip`` may not be connected to (empty when it may): only public addresses pass,
    and loopback when the policy allows it."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped  # ::ffff:127.0.0.1 is 127.0.0.1 on the wire
    if ip.is_loopback:
        return "" if policy.allow_loopback else "loopback"
    embedded = _embedded_ipv4(ip) if isinstance(ip, ipaddress.IPv6Address) else None
    if embedded is not None:
        reason = address_refusal(embedded, UrlPolicy(()))
        if reason or ip in NAT64:
            # NAT64 is the IPv4 address itself (DNS64 networks), so it stands or falls
            # with it; a 6to4/Teredo address must also be public as IPv6 (below).
            return f"translated {reason} ({embedded})" if reason else ""
    checks = (
        ("unspecified", ip.is_unspecified),
        ("link-local", ip.is_link_local),
        ("multicast", ip.is_multicast),
        ("reserved", ip.is_reserved),
        ("private", ip.is_private),
        ("carrier-grade NAT", ip in CGNAT),
        ("special-purpose", any(ip in net for net in EXTRA_BLOCKED)),
        ("non-public", not ip.is_global),
    )
    return next((name for name, hit in checks if hit), "")


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address a NAT64, 6to4 or Teredo address forwards to."""
    if ip in NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    return None


class PinnedAdapter(HTTPAdapter):
    """Connects to the checked address while the request keeps the checked host name."""

    def __init__(self, checked: CheckedUrl) -> None:
        super().__init__(max_retries=0)
        self.checked = checked

    def build_connection_pool_key_attributes(
        self, request: requests.PreparedRequest, verify: Any, cert: Any = None
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        host_params, pool_kwargs = super().build_connection_pool_key_attributes(
            request, verify, cert
        )
        host = (host_params["host"] or "").lower()
        if host != self.checked.host or host_params["scheme"] != self.checked.scheme:
            # requests re-parsed the URL and disagrees with the guard: never connect.
            raise requests.exceptions.InvalidURL(f"{request.url} is not the checked URL")
        address = self.checked.address
        host_params["host"] = f"[{address}]" if ":" in address else address
        if self.checked.scheme == "https":
            pool_kwargs["assert_hostname"] = self.checked.host
            pool_kwargs["server_hostname"] = self.checked.host
        return host_params, pool_kwargs


@contextlib.contextmanager
def open_pinned(
    checked: CheckedUrl,
    *,
    timeout: tuple[float, float],
    method: str = "GET",
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> Iterator[requests.Response]:
    """Send ``method`` (GET unless told) to ``checked.url`` (streamed, redirects not
    followed) over a connection to ``checked.address``. The proxy and CA bundle settings of
    the environment still apply, as for the API client; .netrc credentials do not."""
    session = requests.Session()
    session.trust_env = False
    session.proxies.update(requests.utils.get_environ_proxies(checked.url))
    session.verify = (
        os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True
    )
    session.mount(f"{checked.scheme}://", PinnedAdapter(checked))
    default_port = checked.port == DEFAULT_PORTS[checked.scheme]
    host_header = f"[{checked.host}]" if ":" in checked.host else checked.host
    sent = {
        **(headers or {}),
        "Host": host_header if default_port else f"{host_header}:{checked.port}",
    }
    try:
        response = session.request(
            method,
            checked.url,
            data=body,
            headers=sent,
            stream=True,
            timeout=timeout,
            allow_redirects=False,
        )
        with response:
            yield response
    finally:
        session.close()
