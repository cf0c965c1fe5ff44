"""Version stacks: "Edit and run" and "Run again" make the next version of a clip.

A stack is named by the id of its first clip (v1). The next number is taken under a lock
on the stack's rows, so two edits of one clip at once get two numbers; the unique
constraint on (stack, version) holds even if a writer forgot the lock.
"""

from __future__ import annotations

import uuid

from django.db.models import Max, Q, QuerySet

from generations.models import Generation


def stack_rows(stack: uuid.UUID) -> QuerySet[Generation]:
    """Every clip of a stack. A clip made before stacks existed (no ``stack``) is v1 of
    the stack named by its own id."""
    return Generation.objects.filter(Q(stack=stack) | Q(pk=stack))


def next_version(*, stack: uuid.UUID) -> int:
    """The number the next version of ``stack`` gets. Call inside the transaction that
    saves it: the stack's rows stay locked until that commits, so a second caller waits
    and then counts the first one's row (the count is a new statement, a new snapshot)."""
    list(stack_rows(stack).select_for_update().values_list("pk", flat=True))
    highest = stack_rows(stack).aggregate(highest=Max("version"))["highest"]
    return (highest or 0) + 1


def versions(generation: Generation, clips: QuerySet[Generation]) -> list[Generation]:
    """The versions of ``generation``'s stack among ``clips`` (rows the reader may see),
    oldest first."""
    return list(
        clips.filter(Q(stack=generation.stack_key) | Q(pk=generation.stack_key))
        .order_by("version", "created_at")
        .only(
            "id",
            "stack",
            "version",
            "status",
            "review_status",
            "created_at",
            "video",
            "video_duration",
        )
    )
