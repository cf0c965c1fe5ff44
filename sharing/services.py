"""Creating and revoking share links; the clip records until when one is live."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db import transaction
from django.db.models import F, Max
from django.utils import timezone

from generations.models import SHARED_FOREVER, Generation
from sharing.models import ShareLink
from workspaces.services import audit


def share_create(
    *,
    generation: Generation,
    actor: Any = None,
    show_prompt: bool = False,
    expires_in_days: int | None = None,
    allow_comments: bool = False,
    allow_approval: bool = False,
) -> ShareLink:
    now = timezone.now()
    with transaction.atomic():
        link = ShareLink.objects.create(
            generation=generation,
            created_at=now,
            show_prompt=show_prompt,
            allow_comments=allow_comments,
            allow_approval=allow_approval,
            expires_at=now + timedelta(days=expires_in_days) if expires_in_days else None,
        )
        sync_shared(generation.pk)
        audit(
            workspace=generation.workspace_id,
            actor=actor,
            action="share.create",
            summary=f"Shared “{generation.prompt[:80]}”"
            + (f" for {expires_in_days} days" if expires_in_days else ""),
        )
    return link


def share_revoke(*, link: ShareLink, actor: Any = None) -> bool:
    with transaction.atomic():
        revoked = ShareLink.objects.filter(pk=link.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        sync_shared(link.generation_id)
        if revoked:
            audit(
                workspace=link.generation.workspace_id,
                actor=actor,
                action="share.revoke",
                summary=f"Revoked a share link of “{link.generation.prompt[:80]}”",
            )
    return bool(revoked)


def sync_shared(generation_id: Any) -> None:
    """Record on the clip until when any of its links is live (the gallery shows "Shared"
    from it), and bump updated_at so open galleries refresh the card."""
    live = ShareLink.objects.filter(generation_id=generation_id, revoked_at__isnull=True)
    if live.filter(expires_at__isnull=True).exists():
        until = SHARED_FOREVER
    else:
        until = live.aggregate(until=Max("expires_at"))["until"]
    Generation.objects.filter(pk=generation_id).update(
        shared_until=until, updated_at=timezone.now()
    )


def share_viewed(*, link: ShareLink) -> None:
    ShareLink.objects.filter(pk=link.pk).update(view_count=F("view_count") + 1)
