"""Changes to a user's library: stars, deletion (with the files), share links, and
generations made together ("Make all formats")."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.db.models import F, Max
from django.utils import timezone

from generations.formfields import PendingReference
from generations.models import SHARED_FOREVER, UNFINISHED, Generation, ShareLink
from generations.references import delete_files
from generations.services import lifecycle
from generations.services.lifecycle import generation_create

FORMATS = ("9:16", "1:1", "16:9")


def generation_star(*, generation: Generation, starred: bool) -> None:
    Generation.objects.filter(pk=generation.pk).update(starred=starred, updated_at=timezone.now())


def generation_delete(*, generation: Generation) -> None:
    """Delete a generation and every file it owns, once the rows are gone.

    A running one is cancelled first, so no worker writes a result for a deleted row.
    """
    if generation.status in UNFINISHED:
        lifecycle.generation_cancel(generation=generation)
    names = [f.name for f in (generation.video, generation.poster, generation.last_frame) if f]
    names += [ref.file.name for ref in generation.references.all() if ref.file]
    with transaction.atomic():
        generation.delete()
        transaction.on_commit(lambda: delete_files(names))


def generations_delete(*, user: Any, ids: list[Any]) -> int:
    deleted = 0
    for generation in Generation.objects.filter(user=user, pk__in=ids).prefetch_related(
        "references"
    ):
        generation_delete(generation=generation)
        deleted += 1
    return deleted


def generation_all_formats(
    *, user: Any, data: dict[str, Any], references: list[PendingReference]
) -> list[Generation]:
    """The same brief as 9:16, 1:1 and 16:9, grouped so the gallery shows them together.

    Each format is its own paid generation; references are stored once per generation so
    deleting one never breaks another.
    """
    group = uuid.uuid4()
    made = []
    for ratio in FORMATS:
        copies = [
            PendingReference(
                p.role,
                p.position,
                checked=p.checked,
                source=p.source,
                source_field=p.source_field,
                copy_of=p.copy_of,
                original_name=p.original_name,
            )
            for p in references
        ]
        made.append(
            generation_create(
                user=user, data={**data, "aspect_ratio": ratio, "group": group}, references=copies
            )
        )
    return made


def share_create(
    *, generation: Generation, show_prompt: bool = False, expires_in_days: int | None = None
) -> ShareLink:
    now = timezone.now()
    with transaction.atomic():
        link = ShareLink.objects.create(
            generation=generation,
            created_at=now,
            show_prompt=show_prompt,
            expires_at=now + timedelta(days=expires_in_days) if expires_in_days else None,
        )
        sync_shared(generation.pk)
    return link


def share_revoke(*, link: ShareLink) -> bool:
    with transaction.atomic():
        revoked = ShareLink.objects.filter(pk=link.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        sync_shared(link.generation_id)
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
