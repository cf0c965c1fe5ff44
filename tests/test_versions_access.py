"""Matrix rows for versions and the gate: the compare view (anyone who may watch the
clip), the projects page's gate switch (admins), and the download and share routes of a
clip the gate holds back (everyone refused, whatever their role)."""

from __future__ import annotations

from generations.models import Generation, ReviewStatus
from sharing.models import ShareLink
from sharing.tokens import token_for
from tests.access_matrix import Route, World, everyone, ladder
from tests.matrix_world import finished_clip
from workspaces.access import ABILITIES
from workspaces.models import Project


def second_version(world: World) -> Generation:
    """v2 of the team clip (made once per world; later rows reuse it)."""
    Generation.objects.filter(pk=world.clip.pk).update(stack=world.clip.pk, version=1)
    found = Generation.objects.filter(stack=world.clip.pk, version=2).first()
    if found is None:
        found = finished_clip(
            user=world.users["editor"],
            workspace=world.workspace,
            project=world.project,
            prompt="Team clip, v2",
        )
        Generation.objects.filter(pk=found.pk).update(stack=world.clip.pk, version=2)
    return found


def compare(world: World) -> dict:
    return {"pk": world.clip.pk, "other": second_version(world).pk}


def gated(world: World) -> dict:
    """Turn the gate on for the team clip's project; the clip is still a draft."""
    Project.objects.filter(pk=world.clip.project_id).update(approved_only=True)
    Generation.objects.filter(pk=world.clip.pk).update(review_status=ReviewStatus.IN_REVIEW)
    return {"pk": world.clip.pk}


def gated_token(world: World) -> dict:
    gated(world)
    return {"token": token_for(world.share)}


def gate_switched_if_allowed(world: World, role: str, response) -> None:
    world.other_project.refresh_from_db()
    allowed = role in ABILITIES and "manage" in ABILITIES[role]
    assert world.other_project.approved_only == allowed, role


def no_link_made(world: World, role: str, response) -> None:
    assert ShareLink.objects.filter(generation=world.clip).count() == 1, role


ROUTES = [
    Route("generations:compare", ladder("view", 200), kwargs=compare),
    Route(
        "generations:compare",
        ladder("view", 404),
        label="not of one stack",
        kwargs=lambda w: {"pk": w.clip.pk, "other": w.outsider_clip.pk},
    ),
    Route(
        "generations:compare",
        ladder("view", 404),
        label="unfinished",
        kwargs=lambda w: {"pk": w.running.pk, "other": w.clip.pk},
    ),
    Route(
        "workspaces:project_gate",
        ladder("manage", 302),
        method="POST",
        kwargs=lambda w: {"pk": w.other_project.pk},
        data=lambda w: {"approved_only": "1"},
        check=gate_switched_if_allowed,
    ),
    Route(
        "generations:file",
        ladder("download", 403),
        label="gated download",
        kwargs=lambda w: {**gated(w), "kind": "video"},
        data=lambda w: {"download": "1"},
        fresh=True,
    ),
    Route(
        "generations:file",
        ladder("download", 200),
        label="gated, watched",
        kwargs=lambda w: {**gated(w), "kind": "video"},
        fresh=True,
    ),
    Route(
        "generations:bulk",
        ladder("download", 403, outsider=200),
        method="POST",
        label="gated ZIP",
        data=lambda w: {"action": "download", "ids": [gated(w)["pk"]]},
    ),
    Route(
        "sharing:create",
        ladder("share", 403),
        method="POST",
        label="gated",
        kwargs=gated,
        check=no_link_made,
    ),
    Route("share", everyone(200), label="gated", kwargs=gated_token, fresh=True),
    Route(
        "share_media",
        everyone(403),
        label="gated download",
        kwargs=lambda w: {**gated_token(w), "kind": "video.mp4"},
        data=lambda w: {"download": "1"},
        fresh=True,
    ),
]
