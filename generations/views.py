"""Thin views: form → service → render. Every generation is reached through
``_get_generation_for_user`` so another user's id is a 404, never a 403 that confirms it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.contrib.auth.decorators import login_required
from django.db.models import Max
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from generations import services
from generations.files import serve_field_file
from generations.forms import GenerationForm
from generations.models import UNFINISHED, Generation

GALLERY_PAGE = 48
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICRO = timedelta(microseconds=1)


def _get_generation_for_user(request: HttpRequest, pk: object) -> Generation:
    return get_object_or_404(Generation, pk=pk, user=request.user)


def _live_context(request: HttpRequest) -> dict[str, object]:
    """The live-refresh token: the newest change among this user's generations."""
    mine = Generation.objects.filter(user=request.user)
    latest = mine.aggregate(latest=Max("updated_at"))["latest"]
    return {
        # Integer microseconds: exact, and safe in a URL without escaping.
        "live_version": (latest - _EPOCH) // _MICRO if latest else 0,
        "live_active": mine.filter(status__in=UNFINISHED).exists(),
    }


@login_required
@require_GET
@vary_on_headers("HX-Request")
def gallery(request: HttpRequest) -> HttpResponse:
    generations = Generation.objects.filter(user=request.user)[: GALLERY_PAGE + 1]
    context = {
        "form": GenerationForm(),
        "generations": generations[:GALLERY_PAGE],
        "estimate": GenerationForm(data={}).estimate(),
        **_live_context(request),
    }
    return render(request, "generations/gallery.html", context)


@login_required
@require_POST
def create(request: HttpRequest) -> HttpResponse:
    form = GenerationForm(request.POST)
    if not form.is_valid():
        context = {"form": form, "estimate": form.estimate()}
        return render(request, "generations/gallery.html#new_form", context)
    generation = services.generation_create(user=request.user, data=form.cleaned_data)
    if not request.htmx:
        return redirect("generations:gallery")
    context = {
        "form": GenerationForm(initial=_sticky(form.cleaned_data)),
        "estimate": form.estimate(),
        "created": generation,
        **_live_context(request),
    }
    return render(request, "generations/gallery.html#created", context)


def _sticky(data: dict[str, object]) -> dict[str, object]:
    """After a submit, keep the settings (people make series) but clear the prompt's seed."""
    return {key: value for key, value in data.items() if key not in {"seed"}}


@login_required
@require_GET
def estimate(request: HttpRequest) -> HttpResponse:
    form = GenerationForm(request.GET)
    return render(request, "generations/gallery.html#estimate", {"estimate": form.estimate()})


@login_required
@require_GET
def live(request: HttpRequest) -> HttpResponse:
    """One request per interval for the whole gallery, however many cards are running.

    204 (a few bytes, htmx swaps nothing) when nothing changed since the client's token;
    otherwise the changed cards as out-of-band swaps plus a fresh token.
    """
    try:
        version = int(request.GET.get("v", ""))
    except ValueError:
        version = 0
    context = _live_context(request)
    if context["live_version"] <= version:
        return HttpResponse(status=204)
    since = _EPOCH + version * _MICRO
    changed = list(
        Generation.objects.filter(user=request.user, updated_at__gt=since).order_by("created_at")[
            :GALLERY_PAGE
        ]
    )
    context.update(
        changed=[g for g in changed if g.created_at <= since],
        new=[g for g in changed if g.created_at > since],
    )
    return render(request, "generations/gallery.html#live_response", context)


@login_required
@require_GET
@vary_on_headers("HX-Request")
def detail(request: HttpRequest, pk: object) -> HttpResponse:
    generation = _get_generation_for_user(request, pk)
    template = "generations/detail.html"
    if request.htmx and request.htmx.target == "detail-body":
        template += "#detail_body"
    return render(request, template, {"g": generation, "events": generation.events.all()})


@login_required
@require_GET
def media_file(request: HttpRequest, pk: object, kind: str) -> HttpResponse:
    generation = _get_generation_for_user(request, pk)
    field = {
        "video": generation.video,
        "poster": generation.poster,
        "last-frame": generation.last_frame,
    }.get(kind)
    if not field:
        raise Http404("No such file")
    extension = field.name.rsplit(".", 1)[-1]
    filename = f"seedance-{str(generation.pk)[:8]}-{kind}.{extension}"
    return serve_field_file(
        request, field, filename=filename, download=request.GET.get("download") == "1"
    )


@login_required
@require_POST
def cancel(request: HttpRequest, pk: object) -> HttpResponse:
    generation = _get_generation_for_user(request, pk)
    services.generation_cancel(generation=generation)
    return _back(request, generation)


@login_required
@require_POST
def rerun(request: HttpRequest, pk: object) -> HttpResponse:
    generation = _get_generation_for_user(request, pk)
    new = services.generation_rerun(
        generation=generation, same_seed=request.POST.get("seed") != "new"
    )
    return redirect("generations:detail", pk=new.pk)


def _back(request: HttpRequest, generation: Generation) -> HttpResponse:
    generation.refresh_from_db()
    if request.htmx:
        return render(request, "generations/gallery.html#card", {"g": generation})
    return redirect("generations:detail", pk=generation.pk)
