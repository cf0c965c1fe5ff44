"""Workspaces arrive by migration with nothing lost: today's schema (generations 0006, no
workspaces) is loaded with two users' clips, references, share links and events, then
migrated to the latest; every row keeps what matters, lands in its user's personal
workspace's "General" project, and every file is still in storage, byte for byte."""

from __future__ import annotations

import hashlib
import uuid
from decimal import Decimal

import pytest
from django.apps import apps as current_apps
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.models.fields.files import FieldFile
from django.utils import timezone

from sharing.tokens import link_for_token, token_for
from tests import media_factory

BEFORE = [("generations", "0006_settled_cost_and_poll_problems"), ("workspaces", None)]
MODELS = ("Generation", "Reference", "ShareLink", "Event")
# Where each model lives after the migrations (share links moved to their own app).
APP_NOW = {"ShareLink": "sharing"}


def migrate(targets) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return MigrationExecutor(connection)


def latest() -> list:
    executor = MigrationExecutor(connection)
    return executor.loader.graph.leaf_nodes()


@pytest.fixture
def old_apps(transactional_db, local_media):
    """The historical models of generations 0006; back to the latest afterwards, so the
    rest of the suite finds the schema it expects."""
    executor = migrate(BEFORE)
    yield executor.loader.project_state(BEFORE[:1]).apps
    migrate(latest())


def stored(name: str, data: bytes) -> str:
    """A file saved under its pre-workspace name (``users/<id>/...``)."""
    return default_storage.save(name, ContentFile(data))


def snapshot(model, obj) -> dict:
    values = {}
    for field in model._meta.concrete_fields:
        value = getattr(obj, field.attname)
        values[field.attname] = value.name if isinstance(value, FieldFile) else value
    return values


def sha256_of(name: str) -> str:
    with default_storage.open(name) as handle:
        return hashlib.sha256(handle.read()).hexdigest()


def make_history(apps) -> dict[str, list]:
    """Two users with a finished clip each (video, poster, last frame, a reference, a
    share link, events) and a failed clip for one of them."""
    User = apps.get_model("auth", "User")
    Generation = apps.get_model("generations", "Generation")
    Reference = apps.get_model("generations", "Reference")
    ShareLink = apps.get_model("generations", "ShareLink")
    Event = apps.get_model("generations", "Event")
    now = timezone.now()
    for n, name in enumerate(["ada", "grace"]):
        user = User.objects.create(username=name)
        pk = uuid.uuid4()
        folder = f"users/{user.pk}/generations/{pk}"
        video = media_factory.mp4(seconds=1.0, size="160x160")
        clip = Generation.objects.create(
            id=pk,
            user=user,
            mode="text",
            model="seedance2.0-480p",
            prompt=f"{name}'s harbour at dawn",
            duration=5,
            aspect_ratio="16:9",
            seed=100 + n,
            status="succeeded",
            progress=100,
            starred=bool(n),
            estimated_cost=Decimal("0.1234"),
            settled_cost=Decimal("0.1200"),
            charged="yes",
            upstream_task_id=f"cgt-{name}",
            submitted_at=now,
            finished_at=now,
            return_last_frame=True,
            video=stored(f"{folder}/{uuid.uuid4().hex}-video.mp4", video),
            poster=stored(f"{folder}/{uuid.uuid4().hex}-poster.png", media_factory.png(64, 64)),
            last_frame=stored(
                f"{folder}/{uuid.uuid4().hex}-last.png", media_factory.png(64, 64, (0, 0, 0))
            ),
            video_bytes=len(video),
            video_sha256=hashlib.sha256(video).hexdigest(),
        )
        image = media_factory.png(320, 320, (n * 100, 20, 20))
        Reference.objects.create(
            generation=clip,
            role="image",
            kind="image",
            file=stored(f"users/{user.pk}/references/{uuid.uuid4().hex}-board.png", image),
            content_type="image/png",
            size=len(image),
            sha256=hashlib.sha256(image).hexdigest(),
            original_name="board.png",
        )
        ShareLink.objects.create(generation=clip, show_prompt=bool(n), view_count=3 + n)
        for status in ("queued", "running", "succeeded"):
            Event.objects.create(generation=clip, status=status, message=f"{name} {status}")
    failed = Generation.objects.create(
        user=User.objects.get(username="ada"),
        model="seedance2.0-480p",
        prompt="a failed one",
        duration=5,
        aspect_ratio="9:16",
        seed=7,
        status="failed",
        error_code="OutputVideoSensitiveContentDetected",
        error_message="The provider refused the output.",
    )
    Event.objects.create(generation=failed, status="failed", message="refused")
    return {
        model: [snapshot(apps.get_model("generations", model), row) for row in rows]
        for model in MODELS
        for rows in [apps.get_model("generations", model).objects.order_by("pk")]
    }


def test_workspaces_migration_keeps_every_row_and_file(old_apps):
    assert "workspaces_workspace" not in connection.introspection.table_names()
    old_fields = {f.name for f in old_apps.get_model("generations", "Generation")._meta.fields}
    assert "workspace" not in old_fields
    before = make_history(old_apps)
    old_links = old_apps.get_model("generations", "ShareLink").objects.all()
    tokens = {link.pk: token_for(link) for link in old_links}
    files = {
        name: sha256_of(name)
        for rows in (before["Generation"], before["Reference"])
        for row in rows
        for name in (row.get("video"), row.get("poster"), row.get("last_frame"), row.get("file"))
        if name
    }
    assert len(files) == 8

    migrate(latest())

    Generation = current_apps.get_model("generations", "Generation")
    Membership = current_apps.get_model("workspaces", "Membership")
    for model in MODELS:
        current = current_apps.get_model(APP_NOW.get(model, "generations"), model)
        after = [snapshot(current, row) for row in current.objects.order_by("pk")]
        assert len(after) == len(before[model]), model
        for old, new in zip(before[model], after, strict=True):
            assert {key: new[key] for key in old} == old, model

    for generation in Generation.objects.select_related("workspace", "project"):
        workspace = generation.workspace
        assert workspace.personal
        assert generation.project.name == "General"
        assert generation.project.workspace_id == workspace.pk
        owner = Membership.objects.get(workspace=workspace, role="owner")
        assert owner.user_id == generation.user_id
    for user_id in {row["user_id"] for row in before["Generation"]}:
        assert Membership.objects.filter(user_id=user_id).count() == 1

    for pk, token in tokens.items():
        link = link_for_token(token)
        assert link is not None and link.pk == pk and link.is_live()

    for name, digest in files.items():
        assert default_storage.exists(name), name
        assert sha256_of(name) == digest, name
