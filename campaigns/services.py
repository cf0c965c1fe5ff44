"""Every change to batches and recipes.

A batch is all or nothing: its rows, its cells and one generation per cell are created in
one transaction, the member's limits and the budgets are checked once for the whole batch
(as "Make all formats" does, ``generations.services.library.generation_all_formats``), and
the submissions are queued only once it commits. A second submission of the same form (its
token) finds the first batch instead of making another.
"""

from __future__ import annotations

import math
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from billing import services as billing
from brandkits.finish import Choices
from campaigns import rows as templating
from campaigns.models import Batch, BatchExport, BatchItem, BatchRow, Recipe
from campaigns.plan import Plan
from exports import services as exports
from generations.models import Generation, Status
from generations.services import TierUnavailable, generation_create, generation_rerun, limits
from studiolib.finishing import captions as captionlib
from studiolib.finishing import presets
from studiolib.finishing.errors import FinishingError
from workspaces.models import Workspace
from workspaces.services import default_project

RETRYABLE = (Status.FAILED, Status.CANCELLED)
# Each format's export preset unless the member picks one for all: the vertical one is
# TikTok's (Reels and Shorts share its 1080×1920 frame).
FORMAT_PRESETS = {"9:16": "tiktok", "1:1": "feed_square", "16:9": "youtube", "4:5": "feed_portrait"}


class BatchRefused(Exception):
    """Why the batch (or a retry) was not made: a sentence for the member."""


class RecipeError(Exception):
    """Why a recipe was not saved."""


def batch_create(*, user: Any, workspace: Workspace, plan: Plan, token: Any) -> Batch:
    """The batch with every generation of ``plan``, or ``BatchRefused`` and nothing at all.
    Returns the existing batch when ``token`` was used before in this workspace."""
    earlier = _made_with(token, workspace)
    if earlier is not None:
        return earlier
    project = plan.project or default_project(workspace)
    now = timezone.now()
    try:
        with transaction.atomic():
            # First: a simultaneous second submission of the same form waits here on the
            # unique token, then fails, and finds this batch once it has committed.
            batch = Batch.objects.create(
                workspace=workspace,
                project=project,
                created_by=user,
                name=plan.name,
                template=plan.template,
                columns=plan.table.columns,
                formats=plan.formats,
                tiers=plan.tiers,
                settings=plan.settings,
                estimated_total=plan.total,
                form_token=token,
                created_at=now,
            )
            limits.lock_user(user)
            limits.check_limits(user=user, cost=plan.total, now=now, count=plan.count, pace=False)
            made = _generations(batch, plan, user=user, workspace=workspace, project=project)
            billing.check_and_record(
                workspace_id=workspace.pk,
                project_id=project.pk,
                user=user,
                entries=[(g.pk, g.model, g.estimated_cost) for g in made],
                now=now,
            )
    except IntegrityError:
        earlier = _made_with(token, workspace)
        if earlier is None:
            raise
        return earlier
    except (limits.LimitExceeded, billing.BudgetExceeded) as exc:
        raise BatchRefused(f"Nothing was created. {exc}") from None
    return batch


def _made_with(token: Any, workspace: Workspace) -> Batch | None:
    """The batch this form token already made, if any. Tokens are random and unique, so a
    token of another workspace's batch is a forged or stale form: refused."""
    earlier = Batch.objects.filter(form_token=token).first()
    if earlier is not None and earlier.workspace_id != workspace.pk:
        raise BatchRefused("This form was already used. Reload the page and try again.")
    return earlier


def _generations(
    batch: Batch, plan: Plan, *, user: Any, workspace: Workspace, project: Any
) -> list[Generation]:
    rows = BatchRow.objects.bulk_create(
        [
            BatchRow(batch=batch, number=row.number, variables=row.values, prompt=row.prompt)
            for row in plan.table.rows
        ]
    )
    made: list[Generation] = []
    items: list[BatchItem] = []
    for row in rows:
        for ratio, model in plan.cells():
            data = plan.data(prompt=row.prompt, ratio=ratio, model=model)
            generation = generation_create(
                user=user,
                data={**data, "group": row.group},
                workspace=workspace,
                project=project,
                checked_as_set=True,
            )
            made.append(generation)
            items.append(
                BatchItem(
                    batch=batch, row=row, aspect_ratio=ratio, model=model, generation=generation
                )
            )
    BatchItem.objects.bulk_create(items)
    return made


def item_retry(*, item: BatchItem, user: Any) -> Generation:
    """A new generation for one failed cell, checked against the limits and budgets like
    any other, recorded as the cell's latest attempt (the next version of its clip)."""
    with transaction.atomic():
        locked = (
            # Only the cell's row is locked (its clip may be gone: an outer join).
            BatchItem.objects.select_for_update(of=("self",))
            .select_related("batch", "row", "generation__project")
            .get(pk=item.pk)
        )
        previous = locked.generation
        if previous is not None and previous.status not in RETRYABLE:
            raise BatchRefused("Only a failed or cancelled clip can be retried.")
        try:
            if previous is not None:
                new = generation_rerun(generation=previous, user=user, same_seed=True)
            else:  # its clip was deleted from the gallery: made again from the batch
                batch = locked.batch
                plan_data = {**batch.settings, "mode": "text", "prompt": locked.row.prompt}
                new = generation_create(
                    user=user,
                    data={
                        **plan_data,
                        "aspect_ratio": locked.aspect_ratio,
                        "model": locked.model,
                        "group": locked.row.group,
                    },
                    workspace=batch.workspace_id,
                    project=batch.project,
                )
        except (limits.LimitExceeded, billing.BudgetExceeded, TierUnavailable) as exc:
            raise BatchRefused(str(exc)) from None
        moved = BatchItem.objects.filter(pk=locked.pk, generation=previous).update(
            generation=new, attempts=F("attempts") + 1
        )
        if not moved:
            raise BatchRefused("This clip was just retried by someone else.")
    return new


def recipe_save(*, batch: Batch, name: str, user: Any) -> Recipe:
    try:
        with transaction.atomic():
            return Recipe.objects.create(
                workspace_id=batch.workspace_id,
                created_by=user,
                name=name,
                template=batch.template,
                columns=batch.columns,
                formats=batch.formats,
                tiers=batch.tiers,
                settings=batch.settings,
            )
    except IntegrityError:
        raise RecipeError(f"The workspace already has a recipe named “{name}”.") from None


def recipe_delete(*, recipe: Recipe) -> None:
    Recipe.objects.filter(pk=recipe.pk).delete()


def recipe_delete_ability(recipe: Recipe, user: Any) -> str:
    """Its creator deletes a recipe with the "generate" role; anyone else's takes an admin."""
    return "generate" if recipe.created_by_id == user.pk else "delete_any"


def preset_for(ratio: str) -> str:
    """The export preset of a format: its own (``FORMAT_PRESETS``), else the one whose
    frame is nearest in shape."""
    if ratio in FORMAT_PRESETS:
        return FORMAT_PRESETS[ratio]
    try:
        width, height = (float(part) for part in ratio.split(":"))
        shape = math.log(width / height)
    except (ValueError, ZeroDivisionError):
        return FORMAT_PRESETS["16:9"]

    def distance(key: str) -> float:
        preset = presets.PRESETS[key]
        return abs(math.log(preset.width / preset.height) - shape)

    return min(FORMAT_PRESETS.values(), key=distance)


def caption_text(template: str, variables: dict[str, str]) -> str:
    """A row's captions: the caption template with the row's {{variables}} filled in."""
    return templating.render(
        template, {**dict.fromkeys(templating.variables(template), ""), **variables}
    )


def batch_export(
    *,
    batch: Batch,
    actor: Any,
    token: Any,
    preset: str = "",
    fit: str = "pad",
    caption_template: str = "",
    options: Choices | None = None,
) -> BatchExport:
    """Queue one export of every finished cell of ``batch`` (``preset`` for all, or each
    format's own when ``""``), with captions from ``caption_template`` filled in per row.
    Some-of: a cell that cannot be exported (unfinished, deleted, held back by the
    approval gate, captions that do not fit) is listed in ``refused`` with its reason and
    the others are queued. A second use of ``token`` returns the first result."""
    earlier = _applied_with(token, batch)
    if earlier is not None:
        return earlier
    options = options or Choices()
    try:
        with transaction.atomic():
            # First: a simultaneous second submission of the same form waits here on the
            # unique token, then fails, and finds this one once it has committed.
            record = BatchExport.objects.create(
                batch=batch,
                requested_by=actor,
                form_token=token,
                preset=preset,
                fit=fit,
                caption_template=caption_template,
                use_logo=options.logo,
                use_end_card=options.end_card,
                use_ai_label=options.ai_label,
            )
            groups, refused = _export_groups(
                batch, preset=preset, caption_template=caption_template
            )
            queued = 0
            for (key, cues), cells in groups.items():
                made, not_made = exports.request_many(
                    actor=actor,
                    generations=[cell.generation for cell in cells],
                    preset=key,
                    fit=fit,
                    captions=list(cues) or None,
                    options=options,
                )
                queued += len(made)
                by_clip = {cell.generation_id: cell for cell in cells}
                refused += [(by_clip[clip.pk], reason) for clip, reason in not_made]
            record.queued = queued
            record.refused = [
                {"row": cell.row.number, "format": cell.aspect_ratio, "reason": reason}
                for cell, reason in sorted(
                    refused, key=lambda pair: (pair[0].row.number, pair[0].pk)
                )
            ]
            record.save(update_fields=["queued", "refused"])
    except IntegrityError:
        earlier = _applied_with(token, batch)
        if earlier is None:
            raise
        return earlier
    return record


def _applied_with(token: Any, batch: Batch) -> BatchExport | None:
    earlier = BatchExport.objects.filter(form_token=token).first()
    if earlier is not None and earlier.batch_id != batch.pk:
        raise BatchRefused("This form was already used. Reload the page and try again.")
    return earlier


def _export_groups(
    batch: Batch, *, preset: str, caption_template: str
) -> tuple[
    dict[tuple[str, tuple[captionlib.Cue, ...]], list[BatchItem]], list[tuple[BatchItem, str]]
]:
    """The batch's cells grouped by (preset, captions), the exports ``request_many`` makes
    with the same settings, and the cells refused before it is asked."""
    groups: dict[tuple[str, tuple[captionlib.Cue, ...]], list[BatchItem]] = {}
    refused: list[tuple[BatchItem, str]] = []
    cells = BatchItem.objects.filter(batch=batch).select_related(
        "row", "generation", "generation__project"
    )
    for cell in cells.order_by("row__number", "pk"):
        generation = cell.generation
        if generation is None:
            refused.append((cell, "The clip was deleted."))
            continue
        cues: tuple[captionlib.Cue, ...] = ()
        if caption_template and generation.status == Status.SUCCEEDED:
            text = caption_text(caption_template, cell.row.variables)
            try:
                seconds = exports.clip_seconds(generation)
                cues = tuple(captionlib.from_text(text, clip_seconds=seconds))
            except FinishingError as exc:
                refused.append((cell, f"Captions: {exc.message}"))
                continue
        key = preset or preset_for(cell.aspect_ratio)
        groups.setdefault((key, cues), []).append(cell)
    return groups, refused
