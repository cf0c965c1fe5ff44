"""Changes to workspaces and their projects. Membership and invitation changes live in
``workspaces.members``."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone

from workspaces.models import AuditEntry, Membership, Project, Role, Workspace

DEFAULT_PROJECT = "General"


class WorkspaceError(Exception):
    """A clear sentence for the member: why the change was refused."""


def audit(*, workspace: Any, actor: Any, action: str, summary: str) -> None:
    """Record a change for the workspace's admins (call inside the change's transaction)."""
    AuditEntry.objects.create(
        workspace_id=getattr(workspace, "pk", workspace),
        actor_id=getattr(actor, "pk", actor),
        action=action,
        summary=summary[:300],
    )


def workspace_create(*, user: Any, name: str, personal: bool = False) -> Workspace:
    """A workspace with its creator as owner and a first project for clips to land in."""
    with transaction.atomic():
        workspace = Workspace.objects.create(name=name.strip()[:80], personal=personal)
        Membership.objects.create(workspace=workspace, user=user, role=Role.OWNER)
        Project.objects.create(workspace=workspace, name=DEFAULT_PROJECT)
        audit(workspace=workspace, actor=user, action="workspace.create", summary=f"Created {name}")
    return workspace


def personal_workspace(user: Any) -> Workspace:
    """The user's personal workspace, made on first use. Two first requests at once both
    try; the loser finds the winner's."""
    found = Workspace.objects.filter(
        personal=True, memberships__user=user, memberships__role="owner"
    )
    existing = found.first()
    if existing is not None:
        return existing
    with transaction.atomic():
        # Lock the user's row so two first requests make one personal workspace. (``user``
        # may be request.user, a lazy object: ask the model, not type(user).)
        get_user_model().objects.select_for_update().filter(pk=user.pk).first()
        existing = found.first()
        if existing is not None:
            return existing
        return workspace_create(user=user, name=f"{user.get_username()}'s studio", personal=True)


def default_project(workspace: Any) -> Project:
    """Where clips go when no project is chosen: the oldest open project (one is made
    again if every project was archived)."""
    workspace_id = getattr(workspace, "pk", workspace)
    project = (
        Project.objects.filter(workspace_id=workspace_id, archived_at__isnull=True)
        .order_by("created_at", "pk")
        .first()
    )
    if project is not None:
        return project
    project, _ = Project.objects.get_or_create(workspace_id=workspace_id, name=DEFAULT_PROJECT)
    if project.archived_at is not None:
        Project.objects.filter(pk=project.pk).update(archived_at=None)
        project.archived_at = None
    return project


def project_create(*, workspace: Any, actor: Any, name: str) -> Project:
    name = name.strip()
    if not name:
        raise WorkspaceError("Give the project a name.")
    try:
        with transaction.atomic():
            project = Project.objects.create(workspace=workspace, name=name[:80])
            audit(
                workspace=workspace, actor=actor, action="project.create", summary=f"Created {name}"
            )
    except IntegrityError:
        raise WorkspaceError(f"There is already a project called {name}.") from None
    return project


def project_rename(*, project: Project, actor: Any, name: str) -> Project:
    name = name.strip()
    if not name:
        raise WorkspaceError("Give the project a name.")
    old = project.name
    try:
        with transaction.atomic():
            Project.objects.filter(pk=project.pk).update(name=name[:80])
            audit(
                workspace=project.workspace_id,
                actor=actor,
                action="project.rename",
                summary=f"Renamed {old} to {name}",
            )
    except IntegrityError:
        raise WorkspaceError(f"There is already a project called {name}.") from None
    project.name = name[:80]
    return project


def project_archive(*, project: Project, actor: Any, archived: bool) -> bool:
    """Archive (or restore) a project. Its clips stay; new clips cannot be made in it."""
    with transaction.atomic():
        changed = Project.objects.filter(pk=project.pk, archived_at__isnull=archived).update(
            archived_at=timezone.now() if archived else None
        )
        if changed:
            audit(
                workspace=project.workspace_id,
                actor=actor,
                action="project.archive" if archived else "project.restore",
                summary=f"{'Archived' if archived else 'Restored'} {project.name}",
            )
    return bool(changed)


def project_set_gate(*, project: Project, actor: Any, approved_only: bool) -> bool:
    """Turn the gate on or off: with it on, only approved clips of the project may be
    downloaded or shared (``generations.gate``)."""
    with transaction.atomic():
        changed = Project.objects.filter(pk=project.pk).exclude(approved_only=approved_only)
        changed = changed.update(approved_only=approved_only)
        if changed:
            audit(
                workspace=project.workspace_id,
                actor=actor,
                action="project.gate",
                summary=f"{project.name}: download and share "
                + ("approved clips only" if approved_only else "any clip"),
            )
    project.approved_only = approved_only
    return bool(changed)
