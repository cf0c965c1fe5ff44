"""The world the route × role matrix walks: one team workspace with a member of every role,
an outsider with a workspace of their own, and the clips, files, references and share
link the routes point at."""

from __future__ import annotations

import hashlib
import uuid
from datetime import timedelta
from decimal import Decimal

from django.core.files.base import ContentFile
from django.test import Client
from django.utils import timezone

from billing.models import Budget
from brandkits.models import BrandKit
from campaigns.models import Batch, BatchItem, BatchRow, Recipe
from exports.models import Export, ExportStatus
from generations.models import Generation, Reference, ReferenceRole, Status
from sharing.models import ShareLink
from tests import media_factory
from tests.access_matrix import MEMBER_ROLES, World
from tests.factories import GenerationFactory, UserFactory
from webhooks.models import Endpoint
from workspaces import access, members
from workspaces.invites import token_for
from workspaces.models import Membership, Project, Role
from workspaces.services import default_project, personal_workspace, workspace_create


def finished_clip(*, user, workspace, project, prompt: str) -> Generation:
    """A succeeded clip with real video, poster and last-frame files in storage."""
    clip = GenerationFactory(
        user=user,
        workspace=workspace,
        project=project,
        prompt=prompt,
        status=Status.SUCCEEDED,
        progress=100,
        return_last_frame=True,
        finished_at=timezone.now(),
    )
    video = media_factory.mp4(seconds=1.0, size="160x160")
    clip.video.save("video.mp4", ContentFile(video), save=False)
    clip.poster.save("poster.png", ContentFile(media_factory.png(160, 160)), save=False)
    clip.last_frame.save("last.png", ContentFile(media_factory.png(160, 160, (0, 90, 0))))
    Generation.objects.filter(pk=clip.pk).update(
        video_bytes=len(video), video_sha256=hashlib.sha256(video).hexdigest()
    )
    return clip


def image_reference(clip: Generation) -> Reference:
    data = media_factory.png(320, 320, (10, 10, 200))
    reference = Reference(
        generation=clip,
        role=ReferenceRole.IMAGE,
        kind="image",
        content_type="image/png",
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        width=320,
        height=320,
        original_name="board.png",
    )
    reference.file.save("board.png", ContentFile(data))
    return reference


def done_export(clip: Generation) -> Export:
    """A finished export of ``clip`` with small stand-in files (what is served, not probed)."""
    export = Export(
        workspace_id=clip.workspace_id,
        generation=clip,
        preset="tiktok",
        status=ExportStatus.DONE,
        progress=100,
        captions=[{"start": 0.0, "end": 1.0, "text": "Hello"}],
        sha256="0" * 64,
        source_sha256=clip.video_sha256 or "1" * 64,
        finished_at=timezone.now(),
    )
    export.file.save(
        "export.mp4", ContentFile(media_factory.mp4(seconds=1.0, size="160x160")), save=False
    )
    export.srt.save(
        "captions.srt", ContentFile(b"1\n00:00:00,000 --> 00:00:01,000\nHello\n"), save=False
    )
    export.vtt.save("captions.vtt", ContentFile(b"WEBVTT\n\n00:00.000 --> 00:01.000\nHello\n"))
    return export


def brand_kit(workspace) -> BrandKit:
    kit = BrandKit(workspace=workspace, brand_name="Agency brand")
    kit.logo.save("logo.png", ContentFile(media_factory.png(40, 20)))
    return kit


def build_world() -> World:
    users = {role: UserFactory() for role in (*MEMBER_ROLES, "outsider")}
    workspace = workspace_create(user=users["owner"], name="Agency")
    for role in MEMBER_ROLES[1:]:
        Membership.objects.create(workspace=workspace, user=users[role], role=Role(role))
    memberships = {m.role: m for m in Membership.objects.filter(workspace=workspace)}
    target = Membership.objects.create(workspace=workspace, user=UserFactory(), role=Role.EDITOR)
    invitation = members.invitation_create(
        workspace=workspace, actor=users["owner"], email="new@example.com", role=Role.EDITOR
    )
    project = default_project(workspace)
    other_project = Project.objects.create(workspace=workspace, name="Spring campaign")
    clip = finished_clip(
        user=users["editor"], workspace=workspace, project=project, prompt="Team clip"
    )
    far = timezone.now() + timedelta(hours=2)
    running = GenerationFactory(
        user=users["editor"],
        workspace=workspace,
        project=project,
        prompt="Still running",
        status=Status.RUNNING,
        progress=40,
        upstream_task_id="cgt-matrix-running",
        submitted_at=timezone.now(),
        next_poll_at=far,
        deadline_at=far,
    )
    share = ShareLink.objects.create(generation=clip)
    outsider_workspace = personal_workspace(users["outsider"])
    outsider_clip = finished_clip(
        user=users["outsider"],
        workspace=outsider_workspace,
        project=default_project(outsider_workspace),
        prompt="Outsider clip",
    )
    world = World(
        workspace=workspace,
        users=users,
        memberships=memberships,
        project=project,
        other_project=other_project,
        clip=clip,
        running=running,
        share=share,
        reference=image_reference(clip),
        outsider_workspace=outsider_workspace,
        outsider_clip=outsider_clip,
        target=target,
        invitation=invitation,
        invite_token=token_for(invitation),
        # Far above what the rows' clips cost, so it never stops a generation row.
        budget=Budget.objects.create(workspace=workspace, amount=Decimal(1000)),
        # --- webhooks (issue 15, C) ---------------------------------------------------------
        webhook=Endpoint.objects.create(
            workspace=workspace,
            url="http://127.0.0.1:9/hook",
            events=["generation.succeeded"],
            secret="whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        ),
        # --- brand kits and exports ------------------------------------------------------
        brand_kit=brand_kit(workspace),
        export=done_export(clip),
    )
    return campaign(world)


def campaign(world: World) -> World:
    """The team's batch (one row; its 16:9 cell is ``clip``) and a recipe saved by the
    editor. Rows that need a failed cell make one (``tests.test_campaigns_access``), so the
    other rows' counts of the team's clips stay as they were."""
    editor = world.users["editor"]
    world.batch = Batch.objects.create(
        workspace=world.workspace,
        project=world.project,
        created_by=editor,
        name="Matrix batch",
        template="{{hook}}",
        columns=["hook"],
        formats=["16:9", "9:16"],
        tiers=[world.clip.model],
        settings={"duration": 5, "seed": None},
        form_token=uuid.uuid4(),
    )
    row = BatchRow.objects.create(
        batch=world.batch, number=1, variables={"hook": world.clip.prompt}, prompt=world.clip.prompt
    )
    BatchItem.objects.create(
        batch=world.batch,
        row=row,
        aspect_ratio="16:9",
        model=world.clip.model,
        generation=world.clip,
    )
    world.recipe = Recipe.objects.create(
        workspace=world.workspace,
        created_by=editor,
        name="Matrix recipe",
        template="{{hook}}",
        columns=["hook"],
        formats=["16:9"],
        tiers=[world.clip.model],
    )
    return world


def client_for(world: World, role: str) -> Client:
    """A test client signed in as ``role`` whose session names the team workspace. For a
    member it is the current workspace; the outsider's session names it too (a stale or
    forged session), and they must still only ever get their own personal workspace."""
    client = Client()
    if role == "anonymous":
        return client
    client.force_login(world.users[role])
    session = client.session
    session[access.SESSION_KEY] = str(world.workspace.pk)
    session.save()
    return client
