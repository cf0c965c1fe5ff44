"""Matrix rows for share links: making and revoking them (members who may share) and the
public pages behind a link's token (anyone, signed in or not)."""

from __future__ import annotations

from django.utils import timezone

from sharing.models import ShareLink
from sharing.tokens import token_for
from tests.access_matrix import Route, World, everyone, ladder
from workspaces.access import ABILITIES


def token(world: World) -> dict:
    return {"token": token_for(world.share)}


def revoked_token(world: World) -> dict:
    ShareLink.objects.filter(pk=world.share.pk).update(revoked_at=timezone.now())
    return token(world)


def shared_if_allowed(world: World, role: str, response) -> None:
    made = ShareLink.objects.filter(generation=world.clip).count() - 1
    assert made == (1 if role in ABILITIES and "share" in ABILITIES[role] else 0), role


def revoked_if_allowed(world: World, role: str, response) -> None:
    world.share.refresh_from_db()
    allowed = role in ABILITIES and "share" in ABILITIES[role]
    assert (world.share.revoked_at is not None) == allowed, role


ROUTES = [
    Route(
        "sharing:create",
        ladder("share", 302),
        method="POST",
        kwargs=lambda w: {"pk": w.clip.pk},
        data=lambda w: {"expires_in_days": "7"},
        check=shared_if_allowed,
    ),
    Route(
        "sharing:create",
        ladder("share", 404),
        method="POST",
        label="unfinished clip",
        kwargs=lambda w: {"pk": w.running.pk},
    ),
    Route(
        "sharing:revoke",
        ladder("share", 302),
        method="POST",
        kwargs=lambda w: {"pk": w.clip.pk, "link_id": w.share.pk},
        check=revoked_if_allowed,
    ),
    Route("share", everyone(200), kwargs=token),
    Route("share", everyone(410), label="revoked", kwargs=revoked_token, fresh=True),
    Route("share", everyone(404), label="forged", kwargs=lambda w: {"token": "AAAA"}),
    Route("share_embed", everyone(200), kwargs=token),
    Route(
        "share_media",
        everyone(200),
        label="video",
        kwargs=lambda w: {**token(w), "kind": "video.mp4"},
    ),
    Route(
        "share_media",
        everyone(200),
        label="poster",
        kwargs=lambda w: {**token(w), "kind": "poster.jpg"},
    ),
    Route(
        "share_media",
        everyone(404),
        label="no such kind",
        kwargs=lambda w: {**token(w), "kind": "last.png"},
    ),
]
