"""The client's address, the one way every part of the studio reads it.

Behind ``STUDIO_TRUSTED_PROXY_COUNT`` reverse proxies the client is the address the
outermost trusted proxy saw: each proxy appends the address it received the request from
to ``X-Forwarded-For``, so it is the N-th entry from the right. Anything left of it was
written by the client and is ignored, and with no trusted proxy (the default) the header
is ignored entirely: only the socket's address counts. Parsing is django-ipware's.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from ipware import get_client_ip


def client_ip(request: HttpRequest) -> str:
    remote = request.META.get("REMOTE_ADDR", "")
    trusted = settings.STUDIO_TRUSTED_PROXY_COUNT
    if trusted <= 0:
        return remote
    # ipware counts the proxies listed inside the header; the nearest proxy is the socket
    # peer (REMOTE_ADDR) and not listed, hence N - 1. "left-most" + non-strict: the entry
    # N - 1 places left of the header's end, whatever a client prepended.
    found, _ = get_client_ip(
        request,
        proxy_order="left-most",
        proxy_count=trusted - 1,
        strict=False,
        request_header_order=["HTTP_X_FORWARDED_FOR"],
    )
    # Fewer entries than trusted proxies: the request skipped one; trust only the socket.
    return found or remote
