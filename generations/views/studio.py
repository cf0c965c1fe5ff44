"""The studio page: the New video form (every mode) beside the live gallery."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.functional import SimpleLazyObject
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from billing.services import BudgetExceeded
from generations import selectors, services
from generations.formlayout import SWITCHES
from generations.forms import BaseGenerationForm, form_for
from generations.models import OPTION_FIELDS, AspectRatio, Generation, Mode, Status
from generations.services import library
from generations.views.common import live_context, live_fields
from studiolib import params, tiers
from workspaces import access
from workspaces.models import Project

# After a submit the settings stay (people make series); prompt, seed and files are cleared.
STICKY = set(OPTION_FIELDS)


def _form(request: HttpRequest, form_class: type[BaseGenerationForm], *args: Any, **kw: Any):
    """A New video form that may reuse the workspace's clips and pick among its projects."""
    clips, _ = access.scope(request, Generation)
    projects, _ = access.scope(request, Project)
    return form_class(*args, clips=clips, projects=projects, **kw)


def _pristine_form(request: HttpRequest, projects: list[Project]) -> BaseGenerationForm:
    form = _form(request, form_for(Mode.TEXT))
    form.show_projects(projects)
    return form


def _gallery_context(request: HttpRequest) -> dict[str, Any]:
    filters = selectors.Filters.from_query(request.GET)
    member, can = access.current(request)
    clips, _ = access.scope(request, Generation)
    page = selectors.page(clips, member.workspace_id, filters, request.GET.get("after", ""))
    query = request.GET.copy()
    query.pop("after", None)
    return {
        "page": page,
        "filters": filters,
        "filter_query": query.urlencode(),
        "statuses": Status.choices,
        "modes": Mode.choices,
        "tiers": tiers.TIERS,
        "ratios": AspectRatio.choices,
        "can": can,
        "member": member,
        "projects": selectors.ProjectChoices(
            access.scope(request, Project)[0], page.projects_stamp
        ),
        **live_fields(page.live),
    }


@login_required
@require_GET
@vary_on_headers("HX-Request", "HX-Target")
def gallery(request: HttpRequest) -> HttpResponse:
    context = _gallery_context(request)
    if request.htmx and request.GET.get("after"):
        return render(request, "generations/gallery.html#page", context)
    if request.htmx and request.htmx.target == "gallery-wrap":
        return render(request, "generations/gallery.html#gallery_wrap", context)
    # A fresh form is the same HTML for everyone: the template reuses it from the fragment
    # cache, and only builds (and prices) the form when it is not there yet.
    form = SimpleLazyObject(lambda: _pristine_form(request, context["projects"].open))
    context.update(form=form, estimate=lambda: form.estimate(), pristine_mode=Mode.TEXT.value)
    return render(request, "generations/gallery.html", context)


def _render_form(request: HttpRequest, form: BaseGenerationForm) -> HttpResponse:
    return render(
        request, "generations/gallery.html#new_form", {"form": form, "estimate": form.estimate()}
    )


@login_required
@require_POST
def create(request: HttpRequest) -> HttpResponse:
    mode = request.POST.get("mode")  # parses the body, running the upload caps
    # When a cap was hit the whole submission is refused: no file of it is checked or kept.
    rejected = getattr(request, "upload_rejected", "")
    files = {} if rejected else request.FILES
    form = _form(request, form_for(mode), request.POST, files)
    try:
        access.require(access.current(request)[1], "generate")
        if rejected:
            form.add_error(None, rejected)
        if rejected or not form.is_valid():
            return _render_form(request, form)
        data = form.generation_data()
        member = access.member(request)
        project = form.cleaned_data.get("project")
        where = {"workspace": member.workspace, "project": project}
        try:
            if request.POST.get("all_formats"):
                made = library.generation_all_formats(
                    user=request.user, data=data, references=form.pending, **where
                )
            else:
                made = [
                    services.generation_create(
                        user=request.user,
                        data=data,
                        references=form.pending,
                        version_of=form.cleaned_data.get("version_of"),
                        **where,
                    )
                ]
        except (services.LimitExceeded, BudgetExceeded) as exc:
            form.add_error(None, str(exc))
            return _render_form(request, form)
    finally:
        form.discard()  # checked uploads are temp files; storage has its own copies now
    if not request.htmx:
        return redirect("generations:gallery")
    sticky = {k: v for k, v in form.cleaned_data.items() if k in STICKY}
    if form.cleaned_data.get("project"):
        sticky["project"] = form.cleaned_data["project"].pk
    fresh = _form(request, type(form), initial=sticky)
    fresh.notes = form.notes  # "voiceover.m4a was converted to WAV." stays in view
    context = {
        "form": fresh,
        "estimate": fresh.estimate(),
        "created": made,
        **live_context(request),
    }
    return render(request, "generations/gallery.html#created", context)


def _initial_from(generation: Generation) -> dict[str, Any]:
    initial = {field: getattr(generation, field) for field in STICKY | {"prompt", "seed"}}
    initial["copy_references_from"] = generation.pk
    initial["version_of"] = generation.pk
    initial["project"] = generation.project_id
    return initial


@login_required
@require_GET
def new_form(request: HttpRequest) -> HttpResponse:
    """The form for another mode, keeping what was typed in the common fields."""
    form_class = form_for(request.GET.get("mode"))
    keep: dict[str, Any] = {
        k: v
        for k, v in request.GET.items()
        if k in STICKY | {"prompt", "seed", "version_of"} or k.endswith("_from")
    }
    keep.update({name: name in request.GET for name in SWITCHES})
    form = _form(request, form_class, initial=keep)
    return render(
        request,
        "generations/gallery.html#new_form",
        {"form": form, "estimate": form_class(data=request.GET).estimate()},
    )


@login_required
@require_GET
def iterate(request: HttpRequest, pk: object, how: str) -> HttpResponse:
    """ "Edit and run" / "Continue from last frame" from a clip's page: the studio page with
    the form prefilled."""
    source = access.get_for(request, Generation, "generate", pk=pk)
    access.switch_to(request, source.workspace_id)
    context = _gallery_context(request)
    if how == "continue" and source.last_frame:
        initial = {k: getattr(source, k) for k in STICKY} | {"first_frame_from": source.pk}
        form = _form(request, form_for(Mode.IMAGE), initial=initial)
    else:
        form = _form(request, form_for(source.mode), initial=_initial_from(source))
    context.update(form=form, estimate=None)
    return render(request, "generations/gallery.html", context)


@login_required
@require_GET
def estimate(request: HttpRequest) -> HttpResponse:
    form = form_for(request.GET.get("mode"))(request.GET)
    return render(request, "generations/gallery.html#estimate", {"estimate": form.estimate()})


@login_required
@require_GET
def prompt_history(request: HttpRequest) -> HttpResponse:
    """The workspace's recent prompts, loaded when the picker is first opened."""
    clips, _ = access.scope(request, Generation)
    prompts = selectors.recent_prompts(clips)
    return render(request, "generations/gallery.html#prompt_history", {"prompts": prompts})


@login_required
@require_GET
def live(request: HttpRequest) -> HttpResponse:
    """One request per interval for the whole gallery, however many cards are running.

    204 (no body; htmx swaps nothing) when nothing changed since the client's token;
    otherwise the changed cards as out-of-band swaps plus a fresh token.
    """
    version = params.micros(request.GET.get("v"))
    context = live_context(request)
    if context["live_version"] <= version:
        return HttpResponse(status=204)
    since = selectors.from_micros(version)
    filters = selectors.Filters.from_query(request.GET)
    # Oldest change first, a batch at a time: when more cards changed than one response
    # carries (a thousand in flight), the token only moves past what was sent, and the
    # next refresh brings the rest (one microsecond back when the next row shares the last
    # timestamp, so it is sent again rather than skipped).
    changed = list(
        selectors.gallery(access.scope(request, Generation)[0], filters)
        .filter(updated_at__gt=since)
        .order_by("updated_at", "id")[: selectors.LIVE_BATCH + 1]
    )
    if len(changed) > selectors.LIVE_BATCH:
        following = changed.pop()
        tie = following.updated_at == changed[-1].updated_at
        context["live_version"] = selectors.micros(changed[-1].updated_at) - tie
    context.update(
        changed=[g for g in changed if g.created_at <= since],
        new=[g for g in changed if g.created_at > since],
        filter_query=request.GET.urlencode(),
    )
    return render(request, "generations/gallery.html#live_response", context)
