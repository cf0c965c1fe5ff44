"""Matrix rows for the campaign routes (``campaigns:*``).

Every member views a batch, follows its progress and downloads its ZIP; making batches,
applying the brand kit, retrying a cell and saving recipes take "generate" (editor and
up). A recipe is deleted by its creator or an admin. The list, the new-batch form and
its preview are about the member's current workspace, so the outsider gets their own
(empty) one; the team's batch, its cells and recipes are 404 to them."""

from __future__ import annotations

import io
import uuid
import zipfile

from campaigns.forms import BatchForm
from campaigns.models import Batch, BatchExport, BatchItem, Recipe
from exports.models import Export, ExportStatus
from generations.models import Status
from tests.access_matrix import LOGIN, Route, World, everyone, ladder
from tests.factories import GenerationFactory
from workspaces.access import ABILITIES
from workspaces.models import Project


def may(role: str, ability: str) -> bool:
    return role in ABILITIES and ability in ABILITIES[role]


def batch_form(world: World) -> dict:
    data = {
        "name": "Matrix hooks",
        "template": "{{hook}}, a slow product shot",
        "rows_text": "hook\nWait for it\n",
        "formats": ["16:9"],
        "tiers": ["seedance2.0-480p"],
        "duration": "5",
        "token": str(uuid.uuid4()),
    }
    form = BatchForm(data, projects=Project.objects.none())
    assert form.is_valid(), form.errors
    return {**data, "digest": form.plan.digest}


def batch_made_if_allowed(world: World, role: str, response) -> None:
    made = Batch.objects.filter(name="Matrix hooks", workspace=world.workspace)
    assert made.exists() == may(role, "generate"), role
    theirs = Batch.objects.filter(name="Matrix hooks", workspace=world.outsider_workspace)
    assert theirs.exists() == (role == "outsider"), role


def nothing_made(world: World, role: str, response) -> None:
    assert not Batch.objects.filter(name="Matrix hooks").exists(), role


def zip_with_manifest(world: World, role: str, response) -> None:
    if role in {"outsider", "anonymous"}:
        return
    names = zipfile.ZipFile(io.BytesIO(response.body)).namelist()
    # The clip under originals/, its finished export with both sidecars, the manifest.
    assert "manifest.csv" in names and len(names) == 5, names
    assert sum(name.startswith("originals/") for name in names) == 1, names
    assert sum(name.endswith((".srt", ".vtt")) for name in names) == 2, names


def finish_form(world: World) -> dict:
    return {"token": str(uuid.uuid4()), "preset": "", "fit": "pad", "caption_template": "{{hook}}"}


def exports_queued_if_allowed(world: World, role: str, response) -> None:
    queued = Export.objects.filter(generation=world.clip, status=ExportStatus.QUEUED)
    assert queued.exists() == may(role, "generate"), role
    assert BatchExport.objects.filter(batch=world.batch).exists() == may(role, "generate"), role


def failed_cell(world: World) -> dict:
    """The batch's 9:16 cell, whose clip the provider refused."""
    failed = GenerationFactory(
        user=world.users["editor"],
        workspace=world.workspace,
        project=world.project,
        prompt=world.clip.prompt,
        aspect_ratio="9:16",
        status=Status.FAILED,
        error_code="moderation",
        error_message="The provider refused the prompt.",
    )
    cell = BatchItem.objects.create(
        batch=world.batch,
        row=world.batch.rows.get(),
        aspect_ratio="9:16",
        model=failed.model,
        generation=failed,
    )
    return {"pk": world.batch.pk, "item": cell.pk}


def retried_if_allowed(world: World, role: str, response) -> None:
    cell = BatchItem.objects.get(batch=world.batch, aspect_ratio="9:16")
    assert (cell.attempts == 2) == may(role, "generate"), role
    assert (cell.generation.status == Status.QUEUED) == may(role, "generate"), role


def recipe_saved_if_allowed(world: World, role: str, response) -> None:
    saved = Recipe.objects.filter(workspace=world.workspace, name="Saved in the matrix")
    assert saved.exists() == may(role, "generate"), role


def recipe_gone_if(roles: set[str]):
    def check(world: World, role: str, response) -> None:
        gone = not Recipe.objects.filter(pk=world.recipe.pk).exists()
        assert gone == (role in roles), role

    return check


def owners_recipe(world: World) -> dict:
    world.recipe.created_by = world.users["owner"]
    world.recipe.save(update_fields=["created_by"])
    return {"pk": world.recipe.pk}


ROUTES = [
    Route("campaigns:list", everyone(200, anonymous=LOGIN)),
    Route("campaigns:new", ladder("generate", 200, outsider=200)),
    Route(
        "campaigns:new",
        ladder("generate", 200, outsider=404),
        data=lambda w: {"recipe": w.recipe.pk},
        label="from a recipe",
    ),
    Route(
        "campaigns:preview",
        ladder("generate", 200, outsider=200),
        method="POST",
        data=batch_form,
        check=nothing_made,
    ),
    Route(
        "campaigns:create",
        ladder("generate", 302, outsider=302),
        method="POST",
        data=batch_form,
        check=batch_made_if_allowed,
    ),
    Route("campaigns:detail", ladder("view", 200), kwargs=lambda w: {"pk": w.batch.pk}),
    Route(
        "campaigns:live",
        ladder("view", 200),
        kwargs=lambda w: {"pk": w.batch.pk},
        data=lambda w: {"v": "0"},
    ),
    Route(
        "campaigns:download",
        ladder("download", 200),
        kwargs=lambda w: {"pk": w.batch.pk},
        check=zip_with_manifest,
    ),
    Route(
        "campaigns:finish",
        ladder("generate", 302),
        method="POST",
        kwargs=lambda w: {"pk": w.batch.pk},
        data=finish_form,
        check=exports_queued_if_allowed,
    ),
    Route(
        "campaigns:retry",
        ladder("generate", 302),
        method="POST",
        kwargs=failed_cell,
        check=retried_if_allowed,
    ),
    Route(
        "campaigns:recipe_save",
        ladder("generate", 302),
        method="POST",
        kwargs=lambda w: {"pk": w.batch.pk},
        data=lambda w: {"name": "Saved in the matrix"},
        check=recipe_saved_if_allowed,
    ),
    # The editor saved it: they and the admins may delete it.
    Route(
        "campaigns:recipe_delete",
        {**ladder("delete_any", 302), "editor": 302},
        method="POST",
        kwargs=lambda w: {"pk": w.recipe.pk},
        check=recipe_gone_if({"owner", "admin", "editor"}),
    ),
    Route(
        "campaigns:recipe_delete",
        ladder("delete_any", 302),
        method="POST",
        kwargs=owners_recipe,
        check=recipe_gone_if({"owner", "admin"}),
        label="another member's recipe",
    ),
]
