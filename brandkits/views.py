"""The brand kit page (/brand/) of the current workspace: every member may look at it,
admins and the owner ("manage") change it, as they manage the workspace's other shared
settings (webhooks, budgets). Editors use the kit on their exports but do not change it."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from brandkits import services
from brandkits.forms import BrandKitForm
from brandkits.models import BrandKit
from studiolib.files import serve_field_file
from workspaces import access


@login_required
@require_http_methods(["GET", "POST"])
def kit(request: HttpRequest) -> HttpResponse:
    member, can = access.current(request)
    kits, _ = access.scope(request, BrandKit)
    current = kits.first() or services.kit_for(member.workspace_id)
    if request.method == "GET":
        form = BrandKitForm.for_kit(current)
    else:
        access.require(can, "manage")
        form = BrandKitForm(request.POST, request.FILES)
        if form.is_valid():
            services.kit_save(
                workspace=member.workspace_id,
                actor=request.user,
                data=form.cleaned_data,
                logo=form.cleaned_data.get("logo_upload"),
                font=form.cleaned_data.get("font_upload"),
                font_family=form.font_family,
            )
            messages.success(request, "The brand kit was saved.")
            return redirect("brandkits:kit")
    context = {"member": member, "can": can, "kit": current, "form": form}
    return render(request, "brandkits/kit.html", context)


@login_required
@require_http_methods(["GET"])
def logo(request: HttpRequest) -> HttpResponse:
    """The kit's logo for its preview on the page (every member may see the kit)."""
    kits, _ = access.scope(request, BrandKit)
    found = kits.exclude(logo="").first()
    if found is None:
        raise Http404("No logo")
    return serve_field_file(request, found.logo, filename="logo.png", download=False)
