"""A clip's exports: the panel on its page (exports.templatetags), requesting one, the
live list while one renders, and the finished files. Exports follow the download rules:
"download" to fetch one, the project's approval gate for both requesting and fetching."""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from brandkits.models import BrandKit
from brandkits.services import kit_for
from exports import names, selectors, services
from exports.forms import ExportForm
from exports.models import Export
from generations import gate
from generations.models import Generation
from studiolib.files import serve_field_file
from studiolib.finishing.errors import FinishingError
from studiolib.finishing.presets import PRESETS
from workspaces import access

FILES = {"mp4": ("file", "mp4"), "srt": ("srt", "srt"), "vtt": ("vtt", "vtt")}


def safe_zones() -> str:
    """Each preset's frame and safe zone as percentages, for the preview overlay."""
    return json.dumps(
        {
            key: {
                "ratio": p.width / p.height,
                "top": 100 * p.safe.top / p.height,
                "bottom": 100 * p.safe.bottom / p.height,
                "left": 100 * p.safe.left / p.width,
                "right": 100 * p.safe.right / p.width,
            }
            for key, p in PRESETS.items()
        }
    )


def list_context(generation: Generation, can: access.Can, kit: BrandKit) -> dict[str, object]:
    exports = list(selectors.for_clip(generation))
    for export in exports:
        export.stem = names.stem(export, kit)
    return {
        "g": generation,
        "can": can,
        "exports": exports,
        "rendering": selectors.any_running(exports),
        "gated": gate.blocked(generation),
    }


def panel_context(
    generation: Generation, can: access.Can, form: ExportForm | None = None
) -> dict[str, object]:
    """The export panel of a clip's page (also used by ``exports.templatetags``)."""
    kit = kit_for(generation.workspace_id)
    return {
        **list_context(generation, can, kit),
        "kit": kit,
        "form": form or ExportForm(generation=generation, kit=kit),
        "safe_zones": safe_zones(),
    }


@login_required
@require_GET
def clip_exports(request: HttpRequest, pk: object) -> HttpResponse:
    """The list alone: polled every 2 s by the page while an export renders."""
    generation, can = access.get(request, Generation, pk=pk)
    access.require(can, "view")
    context = list_context(generation, can, kit_for(generation.workspace_id))
    return render(request, "exports/panel.html#export_list", context)


@login_required
@require_POST
def create(request: HttpRequest, pk: object) -> HttpResponse:
    generation, can = access.get(request, Generation, pk=pk)
    access.require(can, "generate")
    kit = kit_for(generation.workspace_id)
    form = ExportForm(request.POST, request.FILES, generation=generation, kit=kit)
    if form.is_valid():
        try:
            services.request_export(
                actor=request.user,
                generation=generation,
                preset=form.cleaned_data["preset"],
                fit=form.cleaned_data["fit"],
                captions=form.cues,
                options=form.choices,
            )
        except FinishingError as exc:  # ExportRefused among them
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            if not request.htmx:
                return redirect("generations:detail", pk=generation.pk)
            form = None
    if form is not None and not request.htmx:
        # Without JavaScript the clip page is where the panel lives: say what was wrong there.
        for errors in form.errors.values():
            messages.error(request, " ".join(errors))
        return redirect("generations:detail", pk=generation.pk)
    return render(request, "exports/panel.html#export_panel", panel_context(generation, can, form))


@login_required
@require_GET
def export_file(request: HttpRequest, pk: object, kind: str) -> HttpResponse:
    export = access.get_for(request, Export, "download", pk=pk)
    field_name, extension = FILES.get(kind, ("", ""))
    field = getattr(export, field_name) if field_name else None
    if not field or not export.is_done:
        raise Http404("No such file")
    if gate.blocked(export.generation):
        return gate.refuse(request, gate.MESSAGE.format(project=export.generation.project.name))
    filename = f"{names.stem(export, kit_for(export.workspace_id))}.{extension}"
    return serve_field_file(request, field, filename=filename, download=True)
