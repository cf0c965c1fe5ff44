"""Every change to batches and recipes.

A batch is all or nothing: its rows, its cells and one generation per cell are created in
one transaction, the member's limits and the budgets are checked once for the whole batch
(as "Make all formats" does, ``generations.services.library.generation_all_formats``), and
the submissions are queued only once it commits. A second submission of the same form (its
token) finds the first batch instead of making another.
"""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from billing import services as billing
from campaigns.models import Batch, BatchItem, BatchRow, Recipe
from campaigns.plan import Plan
from generations.models import Generation, Status
from generations.services import TierUnavailable, generation_create, generation_rerun, limits
from workspaces.models import Workspace
from workspaces.services import default_project

RETRYABLE = (Status.FAILED, Status.CANCELLED)


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
