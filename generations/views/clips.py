"""One clip: its page, files, and what its owner can do with it."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from generations import selectors, services
from generations.models import Generation, Status
from generations.services import library
from generations.sharing import token_for
from generations.views.common import get_generation_for_user, get_share_for_user
from studiolib import params
from studiolib.files import download_name, serve_field_file, zip_response
from studiolib.uploads import UploadRejected

MAX_BULK = 100


def _detail_context(request: HttpRequest, generation: Generation) -> dict[str, object]:
    links = [
        {"link": link, "url": request.build_absolute_uri(f"/s/{token_for(link)}/")}
        for link in generation.share_links.all()
    ]
    return {
        "g": generation,
        "events": generation.events.all(),
        "links": links,
        "group": Generation.objects.filter(group=generation.group).exclude(pk=generation.pk)
        if generation.group
        else [],
    }


@login_required
@require_GET
@vary_on_headers("HX-Request", "HX-Target")
def detail(request: HttpRequest, pk: object) -> HttpResponse:
    generation = get_generation_for_user(request, pk)
    template = "generations/detail.html"
    if request.htmx and request.htmx.target == "detail-body":
        template += "#detail_body"
    return render(request, template, _detail_context(request, generation))


@login_required
@require_GET
def media_file(request: HttpRequest, pk: object, kind: str) -> HttpResponse:
    generation = get_generation_for_user(request, pk)
    field = {
        "video": generation.video,
        "poster": generation.poster,
        "last-frame": generation.last_frame,
    }.get(kind)
    if not field:
        raise Http404("No such file")
    extension = field.name.rsplit(".", 1)[-1]
    filename = download_name(generation, kind, extension)
    return serve_field_file(
        request, field, filename=filename, download=request.GET.get("download") == "1"
    )


@login_required
@require_POST
def cancel(request: HttpRequest, pk: object) -> HttpResponse:
    generation = get_generation_for_user(request, pk)
    services.generation_cancel(generation=generation)
    return _card_or_detail(request, generation)


@login_required
@require_POST
def rerun(request: HttpRequest, pk: object) -> HttpResponse:
    generation = get_generation_for_user(request, pk)
    try:
        new = services.generation_rerun(
            generation=generation, same_seed=request.POST.get("seed") != "new"
        )
    except (services.LimitExceeded, services.TierUnavailable, UploadRejected) as exc:
        messages.error(request, str(exc))
        return redirect("generations:detail", pk=generation.pk)
    return redirect("generations:detail", pk=new.pk)


@login_required
@require_POST
def star(request: HttpRequest, pk: object) -> HttpResponse:
    generation = get_generation_for_user(request, pk)
    library.generation_star(generation=generation, starred=request.POST.get("starred") == "1")
    return _card_or_detail(request, generation)


@login_required
@require_POST
def delete(request: HttpRequest, pk: object) -> HttpResponse:
    generation = get_generation_for_user(request, pk)
    library.generation_delete(generation=generation)
    if request.htmx and request.htmx.target and request.htmx.target.startswith("card-"):
        return HttpResponse("")  # the card swaps itself away
    messages.success(request, "The video and its files were deleted.")
    return redirect("generations:gallery")


@login_required
@require_POST
def bulk(request: HttpRequest) -> HttpResponse:
    ids = params.uuids(request.POST.getlist("ids")[:MAX_BULK])
    action = request.POST.get("action")
    if action == "delete":
        count = library.generations_delete(user=request.user, ids=ids)
        messages.success(request, f"Deleted {count} video(s) and their files.")
        return redirect("generations:gallery")
    if action == "download":
        chosen = Generation.objects.filter(user=request.user, pk__in=ids, status=Status.SUCCEEDED)
        return zip_response(
            ((name, g.video) for name, g in _zip_entries(g for g in chosen if g.video)),
            filename="seedance-videos.zip",
        )
    messages.error(request, "Choose Delete or Download for the selected videos.")
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
def share_create(request: HttpRequest, pk: object) -> HttpResponse:
    generation = get_generation_for_user(request, pk)
    if generation.status != Status.SUCCEEDED:
        raise Http404("Only finished videos can be shared")
    try:
        days = int(request.POST.get("expires_in_days") or 0)
    except ValueError:
        days = 0
    library.share_create(
        generation=generation,
        show_prompt=request.POST.get("show_prompt") == "1",
        expires_in_days=max(0, min(days, 365)) or None,
    )
    return _share_panel(request, generation)


@login_required
@require_POST
def share_revoke(request: HttpRequest, pk: object, link_id: object) -> HttpResponse:
    link = get_share_for_user(request, pk, link_id)
    library.share_revoke(link=link)
    return _share_panel(request, link.generation)


def _share_panel(request: HttpRequest, generation: Generation) -> HttpResponse:
    if request.htmx:
        return render(
            request, "generations/detail.html#share_panel", _detail_context(request, generation)
        )
    return redirect("generations:detail", pk=generation.pk)


def _card_or_detail(request: HttpRequest, generation: Generation) -> HttpResponse:
    if request.htmx and request.htmx.target and request.htmx.target.startswith("card-"):
        card = selectors.gallery(request.user, selectors.Filters()).get(pk=generation.pk)
        return render(request, "generations/gallery.html#card", {"g": card})
    return redirect("generations:detail", pk=generation.pk)
