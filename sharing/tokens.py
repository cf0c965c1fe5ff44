"""Share-link tokens: the link's id plus a 128-bit HMAC of it under SECRET_KEY.

Nothing secret is stored (a database dump yields no working links), the owner can be
shown the link again, and a token is checked in constant time.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import uuid

from django.utils.crypto import salted_hmac

from sharing.models import ShareLink

_SALT = "generations.share-link"
_MAC_BYTES = 16


def _mac(link_id: uuid.UUID) -> bytes:
    return salted_hmac(_SALT, link_id.bytes, algorithm="sha256").digest()[:_MAC_BYTES]


def token_for(link: ShareLink) -> str:
    raw = link.pk.bytes + _mac(link.pk)
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def link_for_token(token: str) -> ShareLink | None:
    """The link a token names, whether live or not (callers answer 410 for dead ones)."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (binascii.Error, ValueError):
        return None
    if len(raw) != 16 + _MAC_BYTES:
        return None
    link_id = uuid.UUID(bytes=raw[:16])
    if not hmac.compare_digest(raw[16:], _mac(link_id)):
        return None
    return ShareLink.objects.select_related("generation").filter(pk=link_id).first()
