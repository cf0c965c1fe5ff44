"""What the studio's views share: the live-refresh token and its polling intervals."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest

from generations import selectors
from generations.models import Generation
from workspaces import access

# While nothing in the workspace runs, a tab still asks now and then, so a teammate's new
# clip appears without a reload; once anything runs it asks at the full rate.
IDLE_FACTOR = 4


def live_fields(live: selectors.Live) -> dict[str, object]:
    seconds = settings.STUDIO_LIVE_REFRESH_SECONDS
    return {
        # Integer microseconds: exact, and safe in a URL without escaping.
        "live_version": live.version,
        "live_active": live.active,
        "live_seconds": seconds if live.active else seconds * IDLE_FACTOR,
    }


def live_context(request: HttpRequest) -> dict[str, object]:
    """The live-refresh token: the newest change among the current workspace's clips."""
    return live_fields(selectors.live(access.member(request).workspace_id))


def workspace_clips(request: HttpRequest) -> tuple[object, access.Can]:
    """The current workspace's clips and what the member may do with them."""
    return access.scope(request, Generation)
