"""A team workspace with one member per role, for the billing tests."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from generations.services.lifecycle import estimate
from tests.factories import UserFactory
from workspaces.models import Membership, Project, Role, Workspace
from workspaces.services import default_project, workspace_create

CLIP = {
    "mode": "text",
    "model": "seedance2.0-480p",
    "prompt": "a kite over dunes",
    "duration": 5,
    "aspect_ratio": "16:9",
}
PRICE = estimate(data=CLIP, references=[])  # what one CLIP is estimated to cost


@dataclass
class Team:
    workspace: Workspace
    general: Project
    client: Project
    users: dict[str, Any]  # role name (and "outsider") -> user


def make_team() -> Team:
    owner = UserFactory(email="owner@example.com")
    workspace = workspace_create(user=owner, name="Agency")
    users = {"owner": owner}
    for role in (Role.ADMIN, Role.EDITOR, Role.REVIEWER, Role.VIEWER):
        users[role.value] = UserFactory(email=f"{role.value}@example.com")
        Membership.objects.create(workspace=workspace, user=users[role.value], role=role)
    users["outsider"] = UserFactory(email="outsider@example.com")
    client = Project.objects.create(workspace=workspace, name="Client A")
    return Team(workspace, default_project(workspace), client, users)


def login_to(client, user, workspace) -> None:
    """Log ``user`` in with ``workspace`` as the session's current workspace (when a member)."""
    client.force_login(user)
    if Membership.objects.filter(workspace=workspace, user=user).exists():
        session = client.session
        session["workspace_id"] = str(workspace.pk)
        session.save()


def money(value: str) -> Decimal:
    return Decimal(value)
