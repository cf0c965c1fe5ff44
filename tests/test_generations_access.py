"""Matrix rows for the studio page, the gallery and one clip's actions (``generations:*``),
and the provider's reference fetch. Members act in the team workspace; the outsider's own
workspace is their personal one, so pages about "my current workspace" answer them too
(with their own rows), while anything of the team's is a 404."""

from __future__ import annotations

import io
import zipfile
from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from generations.models import Generation, Status
from generations.references import upstream_url
from sharing.models import ShareLink
from tests.access_matrix import LOGIN, Route, World, everyone, ladder
from tests.factories import GenerationFactory
from workspaces.access import ABILITIES
from workspaces.models import Project

NEW_VIDEO = {
    "mode": "text",
    "model": "seedance2.0-480p",
    "prompt": "A paper boat on a puddle",
    "duration": "5",
    "aspect_ratio": "16:9",
}


def clip(world: World) -> dict:
    return {"pk": world.clip.pk}


def team_clips(world: World):
    return Generation.objects.filter(workspace=world.workspace)


def may(role: str, ability: str) -> bool:
    return role in ABILITIES and ability in ABILITIES[role]


def form_shown_to_generators(world: World, role: str, response) -> None:
    """The New video form and its Generate button exist only for roles that may generate
    (the outsider is the owner of their own current workspace)."""
    html = response.content.decode()
    shows = 'id="generate"' in html and 'action="/generations/create/"' in html
    assert shows == (role == "outsider" or may(role, "generate")), role


def controls_match_abilities(world: World, role: str, response) -> None:
    """A clip's page offers only what the member may do: run again and edit for those who
    generate, delete for the clip's maker or an admin, sharing for those who share."""
    if role not in ABILITIES:
        return
    html = response.content.decode()
    shown = response.context["g"]
    own = shown.user_id == world.users[role].pk
    offers = {
        "rerun": reverse("generations:rerun", args=[shown.pk]) in html,
        "delete": reverse("generations:delete", args=[shown.pk]) in html,
        "share": f'action="{reverse("sharing:create", args=[shown.pk])}"' in html,
        "revoke": "/revoke/" in html,
    }
    allowed = {
        "rerun": may(role, "generate"),
        "delete": may(role, "delete_any") or (own and may(role, "generate")),
        "share": may(role, "share"),
        "revoke": may(role, "share"),
    }
    assert offers == allowed, role


def created_only_by_generators(world: World, role: str, response) -> None:
    made = team_clips(world).exclude(pk__in=[world.clip.pk, world.running.pk]).count()
    assert made == (1 if may(role, "generate") else 0), role


def deleted_if_allowed(world: World, role: str, response) -> None:
    gone = not Generation.objects.filter(pk=world.clip.pk).exists()
    assert gone == (role in ("owner", "admin", "editor")), role


def moved_if_allowed(world: World, role: str, response) -> None:
    world.clip.refresh_from_db()
    moved = world.clip.project_id == world.other_project.pk
    assert moved == may(role, "edit"), role


def archived_project(world: World) -> dict:
    Project.objects.filter(pk=world.other_project.pk).update(archived_at=timezone.now())
    return {"project": world.other_project.pk}


def not_moved(world: World, role: str, response) -> None:
    world.clip.refresh_from_db()
    assert world.clip.project_id == world.project.pk, role


def zip_of_team_clip(world: World, role: str, response) -> None:
    if role == "anonymous":
        return
    names = zipfile.ZipFile(io.BytesIO(response.body)).namelist()
    assert len(names) == (0 if role == "outsider" else 1), (role, names)


def owners_clip(world: World) -> dict:
    """A clip the owner made: the editor may not delete a teammate's clip."""
    made = GenerationFactory(
        user=world.users["owner"],
        workspace=world.workspace,
        project=world.project,
        status=Status.SUCCEEDED,
    )
    ShareLink.objects.create(generation=made)
    return {"pk": made.pk}


def reference_token(world: World) -> dict:
    url = upstream_url(world.reference, valid_until=timezone.now() + timedelta(hours=1))
    return {"token": url.rstrip("/").rsplit("/", 1)[-1]}


ROUTES = [
    Route(
        "generations:gallery",
        everyone(200, anonymous=LOGIN),
        check=form_shown_to_generators,
    ),
    Route("generations:estimate", everyone(200, anonymous=LOGIN), data=lambda w: NEW_VIDEO),
    Route("generations:new_form", everyone(200, anonymous=LOGIN), data=lambda w: {"mode": "image"}),
    Route("generations:live", everyone(200, anonymous=LOGIN), data=lambda w: {"v": "0"}),
    Route("generations:prompt_history", everyone(200, anonymous=LOGIN)),
    # The outsider's form offers only their own projects: the team's is a field error.
    Route(
        "generations:create",
        ladder("generate", 302, outsider=200),
        method="POST",
        data=lambda w: {**NEW_VIDEO, "project": w.project.pk},
        check=created_only_by_generators,
    ),
    Route(
        "generations:bulk",
        ladder("download", 200, outsider=200),
        method="POST",
        label="download",
        data=lambda w: {"action": "download", "ids": [w.clip.pk]},
        check=zip_of_team_clip,
    ),
    Route(
        "generations:bulk",
        ladder("generate", 302, outsider=302),
        method="POST",
        label="delete",
        data=lambda w: {"action": "delete", "ids": [w.clip.pk]},
        check=deleted_if_allowed,
    ),
    Route(
        "generations:bulk",
        ladder("edit", 302, outsider=302),
        method="POST",
        label="move",
        data=lambda w: {"action": "move", "ids": [w.clip.pk], "project": w.other_project.pk},
        check=moved_if_allowed,
    ),
    Route("generations:detail", ladder("view", 200), kwargs=clip, check=controls_match_abilities),
    Route(
        "generations:detail",
        ladder("view", 200),
        label="a teammate's clip",
        kwargs=owners_clip,
        check=controls_match_abilities,
    ),
    Route(
        "generations:detail",
        {**everyone(404, anonymous=LOGIN), "outsider": 200},
        label="the outsider's clip",
        kwargs=lambda w: {"pk": w.outsider_clip.pk},
    ),
    Route(
        "generations:cancel",
        ladder("generate", 302),
        method="POST",
        kwargs=lambda w: {"pk": w.running.pk},
    ),
    Route("generations:rerun", ladder("generate", 302), method="POST", kwargs=clip),
    Route("generations:star", ladder("edit", 302), method="POST", kwargs=clip),
    Route(
        "generations:move",
        ladder("edit", 302),
        method="POST",
        kwargs=clip,
        data=lambda w: {"project": w.other_project.pk},
        check=moved_if_allowed,
    ),
    # An archived project is no place to move to: the clip stays (a message says why).
    Route(
        "generations:move",
        ladder("edit", 302),
        method="POST",
        label="archived project",
        kwargs=clip,
        data=archived_project,
        check=not_moved,
    ),
    # The editor made world.clip: deleting one's own clip takes "generate".
    Route(
        "generations:delete",
        ladder("generate", 302),
        method="POST",
        kwargs=clip,
        check=deleted_if_allowed,
    ),
    Route(
        "generations:delete",
        ladder("delete_any", 302),
        method="POST",
        label="a teammate's clip",
        kwargs=owners_clip,
    ),
    Route(
        "generations:iterate",
        ladder("generate", 200),
        label="edit",
        kwargs=lambda w: {"pk": w.clip.pk, "how": "edit"},
    ),
    Route(
        "generations:iterate",
        ladder("generate", 200),
        label="continue",
        kwargs=lambda w: {"pk": w.clip.pk, "how": "continue"},
    ),
    Route(
        "generations:file",
        ladder("download", 200),
        label="video",
        kwargs=lambda w: {"pk": w.clip.pk, "kind": "video"},
    ),
    Route(
        "generations:file",
        ladder("download", 200),
        label="poster",
        kwargs=lambda w: {"pk": w.clip.pk, "kind": "poster"},
    ),
    Route(
        "generations:file",
        ladder("download", 200),
        label="last frame",
        kwargs=lambda w: {"pk": w.clip.pk, "kind": "last-frame"},
    ),
    Route(
        "generations:file",
        ladder("download", 404),
        label="no such kind",
        kwargs=lambda w: {"pk": w.clip.pk, "kind": "script"},
    ),
    # A running clip has no files yet: nobody downloads it, whatever their role.
    Route(
        "generations:file",
        ladder("download", 404),
        label="not finished",
        kwargs=lambda w: {"pk": w.running.pk, "kind": "video"},
    ),
    Route("reference_file", everyone(200), kwargs=reference_token),
    Route("reference_file", everyone(404), label="forged", kwargs=lambda w: {"token": "x:y:z"}),
]
