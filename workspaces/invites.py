"""Invitation links: the invitation's id signed under SECRET_KEY with its own salt.

Nothing secret is stored, so a database dump yields no working link, and the signature is
deterministic, so an admin can be shown an open invitation's link again. How long a link
works is the invitation's ``expires_at``; whether it still works is ``Invitation.is_open``.
"""

from __future__ import annotations

import uuid

from django.core import signing

from workspaces.models import Invitation

_SALT = "workspaces.invitation"


def _signer() -> signing.Signer:
    # Made per use: it reads SECRET_KEY (and SECRET_KEY_FALLBACKS) when created.
    return signing.Signer(salt=_SALT)


def token_for(invitation: Invitation) -> str:
    return _signer().sign(invitation.pk.hex)


def invitation_for_token(token: str) -> Invitation | None:
    """The invitation a token names, open or not (the accept page explains a closed one);
    None for a tampered or unknown token."""
    try:
        invitation_id = uuid.UUID(hex=_signer().unsign(token))
    except (signing.BadSignature, ValueError):
        return None
    return Invitation.objects.select_related("workspace").filter(pk=invitation_id).first()
