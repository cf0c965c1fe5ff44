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

from sharing.models import ProjectReviewLink, ShareLink

_SALT = "generations.share-link"
_MAC_BYTES = 16


# A project review link's token is made the same way under its own salt, so a clip link's
# token never opens a project and the other way round.
_PROJECT_SALT = "sharing.project-review-link"


def _mac(link_id: uuid.UUID, salt: str = _SALT) -> bytes:
    return salted_hmac(salt, link_id.bytes, algorithm="sha256").digest()[:_MAC_BYTES]


def _token(link_id: uuid.UUID, salt: str) -> str:
    raw = link_id.bytes + _mac(link_id, salt)
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _link_id(token: str, salt: str) -> uuid.UUID | None:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (binascii.Error, ValueError):
        return None
    if len(raw) != 16 + _MAC_BYTES:
        return None
    link_id = uuid.UUID(bytes=raw[:16])
    if not hmac.compare_digest(raw[16:], _mac(link_id, salt)):
        return None
    return link_id


def token_for(link: ShareLink) -> str:
    return _token(link.pk, _SALT)


def link_for_token(token: str) -> ShareLink | None:
    """The link a token names, whether live or not (callers answer 410 for dead ones)."""
    link_id = _link_id(token, _SALT)
    if link_id is None:
        return None
    return ShareLink.objects.select_related("generation").filter(pk=link_id).first()


def project_token_for(link: ProjectReviewLink) -> str:
    return _token(link.pk, _PROJECT_SALT)


def project_link_for_token(token: str) -> ProjectReviewLink | None:
    link_id = _link_id(token, _PROJECT_SALT)
    if link_id is None:
        return None
    return ProjectReviewLink.objects.select_related("project").filter(pk=link_id).first()
