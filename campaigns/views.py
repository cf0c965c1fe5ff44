"""The campaign pages: new batch (form, preview, submit), the batch's live grid, retries,
the ZIP, and recipes. Every object comes through ``workspaces.access``."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.text import slugify
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseClientRedirect, reswap, retarget

from brandkits.services import kit_for
from campaigns import download as zipping
from campaigns import selectors, services
from campaigns.forms import BatchForm, FinishForm, RecipeForm
from campaigns.models import Batch, BatchItem, Recipe
from studiolib import files, params
from workspaces import access
from workspaces.models import Project


def _form(request: HttpRequest, *args: Any, **kwargs: Any) -> BatchForm:
    projects, _ = access.scope(request, Project)
    return BatchForm(*args, projects=projects, **kwargs)


def _posted(request: HttpRequest) -> BatchForm:
    """The posted form; an upload refused while it streamed (``CappedUploadHandler``) is
    said next to the file field, and the form is not valid whatever else it holds."""
    form = _form(request, request.POST, request.FILES)
    rejected = getattr(request, "upload_rejected", "")
    if rejected:
        form.full_clean()
        form.plan = None
        form.add_error("rows_file", rejected)
    return form


def _builder(request: HttpRequest, form: BatchForm, **extra: Any) -> HttpResponse:
    """The form with its preview: the partial for htmx, else the whole page (200 either
    way: an invalid form is an answer, not an error)."""
    template = "campaigns/new.html#builder" if request.htmx else "campaigns/new.html"
    return render(request, template, {"form": form, "plan": form.plan, **extra})


@login_required
@require_GET
def batch_list(request: HttpRequest) -> HttpResponse:
    batches, can = access.scope(request, Batch)
    recipes, _ = access.scope(request, Recipe)
    context = {
        "batches": selectors.batches(batches)[:100],
        "recipes": recipes.select_related("created_by"),
        "can": can,
    }
    return render(request, "campaigns/list.html", context)


@login_required
@require_GET
def new(request: HttpRequest) -> HttpResponse:
    access.require(access.current(request)[1], "generate")
    initial: dict[str, Any] = {"token": uuid.uuid4(), "duration": 5}
    recipe_id = params.text(request.GET.get("recipe"), max_length=20)
    if recipe_id.isdigit():
        recipe = access.get_for(request, Recipe, "view", pk=int(recipe_id))
        initial.update(
            name=recipe.name,
            template=recipe.template,
            rows_text=",".join(recipe.columns) + "\n" if recipe.columns else "",
            formats=recipe.formats,
            tiers=recipe.tiers,
            **{k: v for k, v in recipe.settings.items() if v is not None},
        )
    return _builder(request, _form(request, initial=initial))


@login_required
@require_POST
def preview(request: HttpRequest) -> HttpResponse:
    access.require(access.current(request)[1], "generate")
    form = _posted(request)
    if form.is_valid():
        form.data = form.data.copy()
        form.data["digest"] = form.plan.digest
        if request.htmx and request.POST.get("shown") == "clean" and not form.rows_from:
            # The form in the page is what was posted and shows no errors, so only the
            # preview and the plan's digest change: send just those, not every field again
            # (a 300-row text box and its widgets were most of the answer's time).
            response = render(request, "campaigns/new.html#preview_update", {"plan": form.plan})
            return retarget(reswap(response, "outerHTML"), "#preview")
    return _builder(request, form)


@login_required
@require_POST
def create(request: HttpRequest) -> HttpResponse:
    access.require(access.current(request)[1], "generate")
    form = _posted(request)
    if not form.is_valid():
        return _builder(request, form)
    plan = form.plan
    if form.cleaned_data.get("digest") != plan.digest:
        form.data = form.data.copy()
        form.data["digest"] = plan.digest
        note = "The batch changed since its preview: check the preview and generate again."
        return _builder(request, form, notice=note)
    try:
        batch = services.batch_create(
            user=request.user,
            workspace=access.member(request).workspace,
            plan=plan,
            token=form.cleaned_data["token"],
        )
    except services.BatchRefused as exc:
        form.add_error(None, str(exc))
        return _builder(request, form)
    if request.htmx:
        return HttpResponseClientRedirect(batch_url(batch))
    return redirect(batch_url(batch))


def batch_url(batch: Batch) -> str:
    return reverse("campaigns:detail", args=[batch.pk])


def _grid_context(request: HttpRequest, batch: Batch, can: access.Can) -> dict[str, Any]:
    seconds = settings.STUDIO_LIVE_REFRESH_SECONDS
    return {
        "batch": batch,
        "grid": selectors.grid(batch),
        "can": can,
        "live_stamp": selectors.live_stamp(batch),
        "live_seconds": seconds,
    }


def _finish_form(batch: Batch, *args: Any, **kwargs: Any) -> FinishForm:
    return FinishForm(*args, batch=batch, kit=kit_for(batch.workspace_id), **kwargs)


def _detail(
    request: HttpRequest, batch: Batch, can: access.Can, finish_form: FinishForm | None = None
) -> HttpResponse:
    context = _grid_context(request, batch, can)
    context["recipe_form"] = RecipeForm(initial={"name": batch.name})
    if can.generate:
        context["kit"] = kit_for(batch.workspace_id)
        context["finish_form"] = finish_form or _finish_form(
            batch, initial={"token": uuid.uuid4(), "fit": "pad"}
        )
        context["applied"] = selectors.applied(batch)
    return render(request, "campaigns/batch.html", context)


@login_required
@require_GET
def detail(request: HttpRequest, pk: object) -> HttpResponse:
    batch, can = access.get(request, Batch, pk=pk)
    return _detail(request, batch, can)


@login_required
@require_GET
def live(request: HttpRequest, pk: object) -> HttpResponse:
    """One request per interval for the whole grid; 204 (nothing swapped) until a clip of
    the batch or an export of one changed."""
    batch, can = access.get(request, Batch, pk=pk)
    if selectors.live_stamp(batch) == params.text(request.GET.get("v"), max_length=64):
        return HttpResponse(status=204)
    return render(request, "campaigns/batch.html#live", _grid_context(request, batch, can))


@login_required
@require_POST
def retry(request: HttpRequest, pk: object, item: int) -> HttpResponse:
    cell = access.get_for(request, BatchItem, "generate", pk=item, batch_id=pk)
    try:
        services.item_retry(item=cell, user=request.user)
    except services.BatchRefused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Row {cell.row.number} in {cell.aspect_ratio} was sent again.")
    return redirect("campaigns:detail", pk=cell.batch_id)


@login_required
@require_POST
def finish(request: HttpRequest, pk: object) -> HttpResponse:
    """Apply the brand kit: one export of every finished cell. An invalid form is shown
    again on the batch page with its errors (200)."""
    batch, can = access.get(request, Batch, pk=pk)
    access.require(can, "generate")
    form = _finish_form(batch, request.POST)
    if not form.is_valid():
        return _detail(request, batch, can, finish_form=form)
    try:
        applied = services.batch_export(
            batch=batch,
            actor=request.user,
            token=form.cleaned_data["token"],
            preset=form.cleaned_data["preset"],
            fit=form.cleaned_data["fit"],
            caption_template=form.cleaned_data["caption_template"],
            options=form.choices,
        )
    except services.BatchRefused as exc:
        form.add_error(None, str(exc))
        return _detail(request, batch, can, finish_form=form)
    noun = "export" if applied.queued == 1 else "exports"
    messages.success(request, f"Queued {applied.queued} {noun} with the brand kit.")
    if applied.refused:
        messages.warning(request, f"{len(applied.refused)} not queued: see the list below.")
    return redirect("campaigns:detail", pk=batch.pk)


@login_required
@require_GET
def download(request: HttpRequest, pk: object) -> HttpResponse:
    """Every finished clip the batch may hand out, each cell's latest finished export and
    manifest.csv, as one streamed ZIP."""
    batch = access.get_for(request, Batch, "download", pk=pk)
    found = zipping.entries(batch, selectors.items(batch), kit=kit_for(batch.workspace_id))
    sized = files.stored_sizes(zipping.archive_files(found))
    zipping.mark_missing(found, {name for name, _, _ in sized})
    links = zipping.share_urls(found, absolute=request.build_absolute_uri)
    manifest = zipping.manifest(found, link_url=links)
    return files.zip_sized_response(
        sized,
        filename=f"{slugify(batch.name) or 'batch'}.zip",
        extra=[(zipping.MANIFEST, manifest)],
    )


@login_required
@require_POST
def recipe_save(request: HttpRequest, pk: object) -> HttpResponse:
    batch = access.get_for(request, Batch, "generate", pk=pk)
    form = RecipeForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Give the recipe a name (at most 80 characters).")
        return redirect("campaigns:detail", pk=batch.pk)
    try:
        name = form.cleaned_data["name"]
        recipe = services.recipe_save(batch=batch, name=name, user=request.user)
    except services.RecipeError as exc:
        messages.error(request, str(exc))
        return redirect("campaigns:detail", pk=batch.pk)
    messages.success(request, f"Saved the recipe “{recipe.name}”.")
    return redirect("campaigns:list")


@login_required
@require_POST
def recipe_delete(request: HttpRequest, pk: int) -> HttpResponse:
    recipe, can = access.get(request, Recipe, pk=pk)
    access.require(can, services.recipe_delete_ability(recipe, request.user))
    services.recipe_delete(recipe=recipe)
    messages.success(request, f"Deleted the recipe “{recipe.name}”.")
    return redirect("campaigns:list")
