"""Webhook endpoints and their delivery log: admins and the owner only ("manage"), since
an endpoint receives everything that happens in the workspace."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from webhooks import services
from webhooks.forms import EndpointForm
from webhooks.models import Delivery, Endpoint
from workspaces import access

LOG_ROWS = 100


def _endpoints_page(
    request: HttpRequest, form: EndpointForm, created: Endpoint | None = None
) -> HttpResponse:
    member, can = access.current(request)
    access.require(can, "manage")
    rows, _ = access.scope(request, Endpoint)
    context = {"member": member, "can": can, "form": form, "rows": rows, "created": created}
    return render(request, "webhooks/endpoints.html", context)


@login_required
@require_GET
def endpoints(request: HttpRequest) -> HttpResponse:
    return _endpoints_page(request, EndpointForm())


@login_required
@require_POST
def endpoint_create(request: HttpRequest) -> HttpResponse:
    """On success the page is rendered, not redirected to: it is the one time the secret
    is shown, and it must never sit in a session or a URL."""
    member, can = access.current(request)
    access.require(can, "manage")
    form = EndpointForm(request.POST)
    if form.is_valid():
        try:
            created = services.endpoint_create(
                workspace=member.workspace,
                actor=request.user,
                url=form.cleaned_data["url"],
                events=form.cleaned_data["events"],
                fmt=form.cleaned_data["format"],
            )
        except services.WebhookError as exc:
            form.add_error(None, str(exc))
        else:
            return _endpoints_page(request, EndpointForm(), created=created)
    return _endpoints_page(request, form)


@login_required
@require_GET
def endpoint(request: HttpRequest, pk) -> HttpResponse:
    found = access.get_for(request, Endpoint, "manage", pk=pk)
    deliveries = Delivery.objects.filter(endpoint=found).order_by("-created_at", "pk")
    context = {"endpoint": found, "deliveries": deliveries[:LOG_ROWS]}
    return render(request, "webhooks/endpoint.html", context)


@login_required
@require_POST
def endpoint_test(request: HttpRequest, pk) -> HttpResponse:
    found = access.get_for(request, Endpoint, "manage", pk=pk)
    services.send_test(endpoint=found, actor=request.user)
    return redirect("webhooks:endpoint", pk=found.pk)


@login_required
@require_POST
def endpoint_delete(request: HttpRequest, pk) -> HttpResponse:
    found = access.get_for(request, Endpoint, "manage", pk=pk)
    services.endpoint_delete(endpoint=found, actor=request.user)
    return redirect("webhooks:endpoints")
