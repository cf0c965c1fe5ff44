"""htmx-aware responses for an expired login."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import resolve_url

from studio import health


class HtmxLoginRedirectMiddleware:
    """An htmx request whose session expired gets a redirect the browser follows as a page
    load (``HX-Redirect``), instead of the login page swapped into a card or poller."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.login_url = resolve_url(settings.LOGIN_URL)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        location = response.get("Location", "")
        if (
            getattr(request, "htmx", False)
            and response.status_code == 302
            and (location.startswith(self.login_url))
        ):
            redirect = HttpResponse(status=204)
            redirect["HX-Redirect"] = location
            return redirect
        return response


class HealthCheckMiddleware:
    """Answers ``/healthz`` and ``/readyz`` before anything else runs.

    A load balancer probes each backend by its address over plain HTTP: through the rest
    of the stack that is a 400 (the address is not in ALLOWED_HOSTS) or a redirect to
    HTTPS. The answers depend on neither the Host header nor the session, so skipping those
    layers for these two paths is safe. First in MIDDLEWARE."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info in health.HEALTH_PATHS:
            view = health.healthz if request.path_info == "/healthz" else health.readyz
            return view(request)
        return self.get_response(request)
