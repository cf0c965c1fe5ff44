"""Changes to a workspace's clips: stars, moves between projects, deletion (with the
files), and generations made together ("Make all formats"). Deletions go into the
workspace's audit log."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from billing import services as billing
from generations import reference_checks
from generations.formfields import PendingReference
from generations.models import OPTION_FIELDS, UNFINISHED, Generation, Reference
from generations.references import delete_files
from generations.services import limits, stopping
from generations.services.lifecycle import estimate, generation_create
from studiolib import tiers
from workspaces.services import audit

FORMATS = ("9:16", "1:1", "16:9")
# Stored files of rows in apps above this one that die with a clip (its exports): each app
# registers a function in its AppConfig.ready, since generations never imports them.
CLIP_FILES: list[Callable[[Generation], list[str]]] = []


class TierUnavailable(Exception):
    """The clip's tier is switched off now (a sentence for the user)."""


def generation_star(*, generation: Generation, starred: bool) -> None:
    Generation.objects.filter(pk=generation.pk).update(starred=starred, updated_at=timezone.now())


def delete_ability(generation: Generation, user: Any) -> str:
    """Editors delete their own clips; deleting a teammate's takes an admin."""
    return "generate" if generation.user_id == user.pk else "delete_any"


def generation_delete(*, generation: Generation, actor: Any = None) -> None:
    """Delete a generation and every file it owns, once the rows are gone.

    An unfinished one is cancelled first, so nothing is polled or sent for a deleted row.
    A result being saved meanwhile leaves nothing behind either way: the row is locked
    (a write, so SQLite locks too) before its file names are read, so a saver that recorded
    its files first is seen here, and one that tries after finds the row gone and deletes
    what it wrote (``results``).
    """
    if generation.status in UNFINISHED:
        stopping.generation_cancel(generation=generation)
    with transaction.atomic():
        if not Generation.objects.filter(pk=generation.pk).update(updated_at=timezone.now()):
            return
        fresh = Generation.objects.prefetch_related("references").get(pk=generation.pk)
        names = [f.name for f in (fresh.video, fresh.poster, fresh.last_frame) if f]
        names += [ref.file.name for ref in fresh.references.all() if ref.file]
        names += [name for owner in CLIP_FILES for name in owner(fresh)]
        fresh.delete()
        audit(
            workspace=fresh.workspace_id,
            actor=actor,
            action="clip.delete",
            summary=f"Deleted “{fresh.prompt[:80]}” ({fresh.model})",
        )
        transaction.on_commit(lambda: delete_files(names))


def generations_delete(
    *, generations: QuerySet[Generation], actor: Any, can_delete_any: bool
) -> tuple[int, int]:
    """Delete what the actor may delete of ``generations`` (already scoped by
    ``workspaces.access``): (deleted, refused)."""
    deleted = refused = 0
    for generation in generations.prefetch_related("references"):
        if not can_delete_any and generation.user_id != actor.pk:
            refused += 1
            continue
        generation_delete(generation=generation, actor=actor)
        deleted += 1
    return deleted, refused


def generations_move(*, generations: QuerySet[Generation], project: Any, actor: Any) -> int:
    """Move clips (already scoped by ``workspaces.access``) into another project of their
    own workspace; clips of any other workspace are left alone."""
    return generations.filter(workspace_id=project.workspace_id).update(
        project=project, updated_at=timezone.now()
    )


def generation_all_formats(
    *,
    user: Any,
    data: dict[str, Any],
    references: list[PendingReference],
    workspace: Any = None,
    project: Any = None,
) -> list[Generation]:
    """The same brief as 9:16, 1:1 and 16:9, grouped so the gallery shows them together.

    Each format is its own paid generation; references are stored once per generation so
    deleting one never breaks another.
    """
    group = uuid.uuid4()
    briefs = [{**data, "aspect_ratio": ratio, "group": group} for ratio in FORMATS]
    made: list[Generation] = []
    stored: list[str] = []
    try:
        # One transaction for the set, and the limits and budgets checked once for all of it
        # under the user's and the workspace's locks: either all three fit and are created,
        # or none is.
        with transaction.atomic():
            limits.lock_user(user)
            limits.check_limits(
                user=user,
                cost=sum(estimate(data=brief, references=references) for brief in briefs),
                now=timezone.now(),
                count=len(briefs),
            )
            for brief in briefs:
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
                generation = generation_create(
                    user=user,
                    data=brief,
                    references=copies,
                    workspace=workspace,
                    project=project,
                    checked_as_set=True,
                )
                made.append(generation)
                stored += Reference.objects.filter(generation=generation).values_list(
                    "file", flat=True
                )
            billing.check_and_record(
                workspace_id=made[0].workspace_id,
                project_id=made[0].project_id,
                user=user,
                entries=[(g.pk, g.model, g.estimated_cost) for g in made],
                now=made[0].created_at,
            )
    except BaseException:
        delete_files(stored)  # the rows were rolled back; their files go too
        raise
    return made


def generation_rerun(
    *, generation: Generation, user: Any = None, same_seed: bool = True
) -> Generation:
    """ "Try again" / "Run again": always a new generation, so a new paid call is explicit;
    it is the next version in the clip's stack.
    A tier switched off since (4K without ``SEEDANCE_ENABLE_4K``) is refused, as the form
    refuses it, and so is a reference that no longer meets the upload rules."""
    tier = tiers.TIERS_BY_MODEL.get(generation.model)
    if tier is None or not tier.enabled:
        name = tier.label if tier else generation.model
        raise TierUnavailable(
            f"{name} is not available on this studio now, so this clip cannot be run again "
            "as it was. Use Edit and run to pick another tier."
        )
    data = {field: getattr(generation, field) for field in ("mode", "prompt", *OPTION_FIELDS)}
    data["seed"] = generation.seed if same_seed else None
    references = list(generation.references.all())
    for ref in references:
        # Rules may have tightened since the upload (raises UploadRejected, said to the user).
        reference_checks.check_copied(ref)
    copies = [PendingReference(ref.role, ref.position, copy_of=ref) for ref in references]
    return generation_create(
        user=user or generation.user,
        data=data,
        references=copies,
        workspace=generation.workspace_id,
        project=generation.project,
        version_of=generation,
    )
