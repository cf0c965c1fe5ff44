"""One clip: its page, files, and what a member can do with it (``workspaces.access``)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from billing.services import BudgetExceeded
from generations import gate, selectors, services
from generations.models import Generation, Status
from generations.services import library, versions
from studiolib import params
from studiolib.files import download_name, serve_field_file, zip_response
from studiolib.uploads import UploadRejected
from workspaces import access
from workspaces.models import Project

MAX_BULK = 100


def _detail_context(
    request: HttpRequest, generation: Generation, can: access.Can
) -> dict[str, object]:
    return {
        "g": generation,
        "can": can,
        # Editors delete their own clips; a teammate's takes an admin (the view checks too).
        "can_delete": library.delete_ability(generation, request.user) in can,
        "projects": access.rows(request, Project, generation.workspace_id).filter(archived_at=None)
        if can.edit
        else [],
        "events": generation.events.all(),
        "group": Generation.objects.filter(group=generation.group).exclude(pk=generation.pk)
        if generation.group
        else [],
        "versions": versions.versions(
            generation, access.rows(request, Generation, generation.workspace_id)
        ),
        "gated": gate.blocked(generation),
    }


@login_required
@require_GET
@vary_on_headers("HX-Request", "HX-Target")
def detail(request: HttpRequest, pk: object) -> HttpResponse:
    generation, can = access.get(request, Generation, pk=pk)
    template = "generations/detail.html"
    if request.htmx and request.htmx.target == "detail-body":
        template += "#detail_body"
    return render(request, template, _detail_context(request, generation, can))


@login_required
@require_GET
def compare(request: HttpRequest, pk: object, other: object) -> HttpResponse:
    """Two finished versions of one stack side by side, played in sync (static/js/compare.js)."""
    generation = access.get_for(request, Generation, "view", pk=pk)
    stack = versions.versions(generation, access.rows(request, Generation, generation.workspace_id))
    pair = {v.pk: v for v in stack if v.status == Status.SUCCEEDED and v.video}
    left, right = pair.get(generation.pk), pair.get(params.uuid_or_none(str(other)))
    if left is None or right is None or left.pk == right.pk:
        raise Http404("Choose two finished versions of one clip")
    return render(request, "generations/compare.html", {"g": generation, "pair": (left, right)})


@login_required
@require_GET
def media_file(request: HttpRequest, pk: object, kind: str) -> HttpResponse:
    generation = access.get_for(request, Generation, "download", pk=pk)
    field = {
        "video": generation.video,
        "poster": generation.poster,
        "last-frame": generation.last_frame,
    }.get(kind)
    if not field:
        raise Http404("No such file")
    download = request.GET.get("download") == "1"
    if download and gate.blocked(generation):
        return gate.refuse(request, gate.MESSAGE.format(project=generation.project.name))
    extension = field.name.rsplit(".", 1)[-1]
    filename = download_name(generation, kind, extension)
    return serve_field_file(request, field, filename=filename, download=download)


@login_required
@require_POST
def cancel(request: HttpRequest, pk: object) -> HttpResponse:
    generation = access.get_for(request, Generation, "generate", pk=pk)
    services.generation_cancel(generation=generation)
    return _card_or_detail(request, generation)


@login_required
@require_POST
def rerun(request: HttpRequest, pk: object) -> HttpResponse:
    generation = access.get_for(request, Generation, "generate", pk=pk)
    try:
        new = services.generation_rerun(
            generation=generation, user=request.user, same_seed=request.POST.get("seed") != "new"
        )
    except (
        services.LimitExceeded,
        BudgetExceeded,
        services.TierUnavailable,
        UploadRejected,
    ) as exc:
        messages.error(request, str(exc))
        return redirect("generations:detail", pk=generation.pk)
    return redirect("generations:detail", pk=new.pk)


@login_required
@require_POST
def star(request: HttpRequest, pk: object) -> HttpResponse:
    generation = access.get_for(request, Generation, "edit", pk=pk)
    library.generation_star(generation=generation, starred=request.POST.get("starred") == "1")
    return _card_or_detail(request, generation)


@login_required
@require_POST
def delete(request: HttpRequest, pk: object) -> HttpResponse:
    generation, can = access.get(request, Generation, pk=pk)
    access.require(can, library.delete_ability(generation, request.user))
    library.generation_delete(generation=generation, actor=request.user)
    if request.htmx and request.htmx.target and request.htmx.target.startswith("card-"):
        return HttpResponse("")  # the card swaps itself away
    messages.success(request, "The video and its files were deleted.")
    return redirect("generations:gallery")


@login_required
@require_POST
def bulk(request: HttpRequest) -> HttpResponse:
    ids = params.uuids(request.POST.getlist("ids")[:MAX_BULK])
    action = request.POST.get("action")
    clips, can = access.scope(request, Generation)
    chosen = clips.filter(pk__in=ids)
    if action == "delete":
        access.require(can, "generate")
        count, refused = library.generations_delete(
            generations=chosen, actor=request.user, can_delete_any="delete_any" in can
        )
        messages.success(request, f"Deleted {count} video(s) and their files.")
        if refused:
            messages.error(request, f"{refused} video(s) made by others were kept: ask an admin.")
        return redirect("generations:gallery")
    if action == "move":
        access.require(can, "edit")
        projects, _ = access.scope(request, Project)
        project = projects.filter(
            pk=params.uuid_or_none(request.POST.get("project")), archived_at=None
        ).first()
        if project is None:
            messages.error(request, "Choose an open project to move the videos to.")
            return redirect("generations:gallery")
        count = library.generations_move(generations=chosen, project=project, actor=request.user)
        messages.success(request, f"Moved {count} video(s) to {project.name}.")
        return redirect("generations:gallery")
    if action == "download":
        access.require(can, "download")
        chosen = chosen.filter(status=Status.SUCCEEDED)
        if refused := gate.blocked_count(chosen):
            return gate.refuse(request, gate.BULK_MESSAGE.format(count=refused))
        return zip_response(
            ((name, g.video) for name, g in _zip_entries(g for g in chosen if g.video)),
            filename="seedance-videos.zip",
        )
    messages.error(request, "Choose Download, Delete or Move for the selected videos.")
    return redirect("generations:gallery")


def _zip_entries(generations: Iterable[Generation]) -> Iterator[tuple[str, Generation]]:
    """Each clip under the name its own download has; a name two clips would share (same
    day, prompt, ratio and seed) gets the clip's short id, so no entry hides another."""
    seen: set[str] = set()
    for generation in generations:
        name = download_name(generation)
        if name in seen:
            stem, extension = name.rsplit(".", 1)
            name = f"{stem}_{str(generation.pk)[:8]}.{extension}"
        seen.add(name)
        yield name, generation


@login_required
@require_POST
def move(request: HttpRequest, pk: object) -> HttpResponse:
    generation = access.get_for(request, Generation, "edit", pk=pk)
    project = (
        access.rows(request, Project, generation.workspace_id)
        .filter(pk=params.uuid_or_none(request.POST.get("project")), archived_at=None)
        .first()
    )
    if project is None:
        messages.error(request, "Choose an open project of this workspace.")
    else:
        library.generations_move(
            generations=Generation.objects.filter(pk=generation.pk),
            project=project,
            actor=request.user,
        )
        messages.success(request, f"Moved to {project.name}.")
    return redirect("generations:detail", pk=generation.pk)


def _card_or_detail(request: HttpRequest, generation: Generation) -> HttpResponse:
    if request.htmx and request.htmx.target and request.htmx.target.startswith("card-"):
        # Already looked up through workspaces.access; read again as the gallery card.
        only = Generation.objects.filter(pk=generation.pk)
        card = selectors.gallery(only, selectors.Filters()).get()
        return render(request, "generations/gallery.html#card", {"g": card})
    return redirect("generations:detail", pk=generation.pk)
