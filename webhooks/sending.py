"""One attempt to send a delivery: sign it, POST it through the URL guard, classify the
answer. No database here; ``services.deliver`` records what this returns.

The URL is a member's input, so every hop (the first and each redirect target) passes
``studiolib.urlguard`` and is sent over a connection pinned to the checked address: a
redirect to a private address, or a DNS answer that changes, reaches nothing inside.
"""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urljoin

import requests
from django.conf import settings
from standardwebhooks import Webhook

from studiolib import urlguard

MAX_REDIRECTS = 3
REDIRECTS = {301, 302, 303, 307, 308}
# Answers after which a later try may succeed; every other 4xx is the receiver refusing.
RETRYABLE_4XX = {408, 429}


@dataclass(frozen=True)
class Outcome:
    ok: bool
    final: bool  # retrying cannot help
    status_code: int | None = None
    error: str = ""


def new_secret() -> str:
    """A Standard Webhooks secret: ``whsec_`` and 24 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


def policy() -> urlguard.UrlPolicy:
    """Any public host; loopback too where the result fetcher allows it (local runs, tests)."""
    return urlguard.UrlPolicy(
        (), allow_loopback=settings.SEEDANCE_RESULT_ALLOW_LOOPBACK, any_host=True
    )


def check(url: str, *, resolve: urlguard.Resolver = urlguard.system_resolver) -> str:
    """Why ``url`` can never be an endpoint (empty when it can)."""
    try:
        urlguard.check_url(url, policy(), resolve=resolve)
    except urlguard.UrlRefused as exc:
        return exc.reason
    except urlguard.UrlUnresolved as exc:
        return str(exc)
    return ""


def headers(*, secret: str, message_id: str, body: str, at: datetime) -> dict[str, str]:
    signature = Webhook(secret).sign(msg_id=message_id, timestamp=at, data=body)
    return {
        "Content-Type": "application/json",
        "User-Agent": "SeedanceStudio-Webhooks/1",
        "webhook-id": message_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": signature,
    }


def send(
    *,
    url: str,
    secret: str,
    message_id: str,
    body: str,
    resolve: urlguard.Resolver = urlguard.system_resolver,
) -> Outcome:
    signed = headers(secret=secret, message_id=message_id, body=body, at=datetime.now(UTC))
    timeout = (settings.WEBHOOK_CONNECT_TIMEOUT, settings.WEBHOOK_READ_TIMEOUT)
    for _hop in range(MAX_REDIRECTS + 1):
        try:
            checked = urlguard.check_url(url, policy(), resolve=resolve)
        except urlguard.UrlRefused as exc:
            return Outcome(ok=False, final=True, error=f"refused: {exc.reason}")
        except urlguard.UrlUnresolved as exc:
            return Outcome(ok=False, final=False, error=str(exc))
        try:
            with urlguard.open_pinned(
                checked, timeout=timeout, method="POST", body=body.encode(), headers=signed
            ) as response:
                code = response.status_code
                location = response.headers.get("Location", "")
        except requests.Timeout:
            return Outcome(ok=False, final=False, error="timed out")
        except requests.RequestException as exc:
            return Outcome(ok=False, final=False, error=f"connection failed: {type(exc).__name__}")
        if code in REDIRECTS and location:
            url = urljoin(url, location)  # guarded again on the next hop
            continue
        return classify(code)
    return Outcome(ok=False, final=True, error="redirected too many times")


def classify(code: int) -> Outcome:
    if 200 <= code < 300:
        return Outcome(ok=True, final=True, status_code=code)
    final = 400 <= code < 500 and code not in RETRYABLE_4XX
    return Outcome(ok=False, final=final, status_code=code, error=f"HTTP {code}")
