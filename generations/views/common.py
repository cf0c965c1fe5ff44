from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from django.shortcuts import get_object_or_404

from generations import selectors
from generations.models import Generation, ShareLink


def get_generation_for_user(request: HttpRequest, pk: object) -> Generation:
    """The one owner-scoped lookup: a generation of the logged-in user, or 404."""
    return get_object_or_404(Generation, pk=pk, user=request.user)


def get_share_for_user(request: HttpRequest, pk: object, link_id: object) -> ShareLink:
    return get_object_or_404(
        ShareLink, pk=link_id, generation__pk=pk, generation__user=request.user
    )


def live_fields(live: selectors.Live) -> dict[str, object]:
    return {
        # Integer microseconds: exact, and safe in a URL without escaping.
        "live_version": live.version,
        "live_active": live.active,
        "live_seconds": settings.STUDIO_LIVE_REFRESH_SECONDS,
    }


def live_context(request: HttpRequest) -> dict[str, object]:
    """The live-refresh token: the newest change among this user's generations."""
    return live_fields(selectors.live(request.user))
