"""Teams: a workspace, its members and their roles, its projects, invitations and audit log.

The workspace is the tenant. Every clip belongs to one project of one workspace, and what a
member may do with it follows from their role there (``workspaces.access``).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone


class Role(models.TextChoices):
    OWNER = "owner", "Owner"
    ADMIN = "admin", "Admin"
    EDITOR = "editor", "Editor"
    REVIEWER = "reviewer", "Reviewer"
    VIEWER = "viewer", "Viewer"


class Workspace(models.Model):
    WORKSPACE_PATH = ""  # how workspaces.access reaches the workspace
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=80)
    # Every user has one personal workspace, made on first use (or by the migration that
    # introduced workspaces); they can create more and be invited into others.
    personal = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    # The month in which a budget of this workspace last set off its alert (kept by
    # billing.services). Every page's header shows those alerts; it reads the budgets only
    # when this is the current month, so the rest of the time the banner costs no query.
    budget_alert_month = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    WORKSPACE_PATH = "workspace"  # how workspaces.access reaches the workspace
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=10, choices=Role.choices)
    joined_at = models.DateTimeField(default=timezone.now)
    # Set when an inbox entry is made for this member here, cleared when they read their
    # inbox (sharing.review). The header counts unread entries only when one of the user's
    # memberships has it set, so the count costs no query for an empty inbox.
    unread_hint = models.BooleanField(default=False)

    class Meta:
        ordering = ["joined_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "user"], name="membership_once"),
            # Exactly one owner is kept by the services; the database refuses a second.
            models.UniqueConstraint(
                fields=["workspace"], condition=Q(role="owner"), name="membership_one_owner"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} in {self.workspace_id} as {self.role}"


class Project(models.Model):
    """A client or a campaign inside a workspace; every clip belongs to exactly one."""

    WORKSPACE_PATH = "workspace"  # how workspaces.access reaches the workspace
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="projects")
    name = models.CharField(max_length=80)
    archived_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    # The gate: only clips whose review status is approved may be downloaded or shared.
    approved_only = models.BooleanField("download and share approved clips only", default=False)

    class Meta:
        ordering = [Lower("name")]
        constraints = [
            models.UniqueConstraint(
                "workspace", Lower("name"), name="project_name_unique_in_workspace"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def archived(self) -> bool:
        return self.archived_at is not None


class Invitation(models.Model):
    """An invitation by link and email. Its token is the id signed with a timestamp
    (``workspaces.invites``), so a database dump reveals no working link."""

    WORKSPACE_PATH = "workspace"  # how workspaces.access reaches the workspace
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField(blank=True)
    role = models.CharField(max_length=10, choices=Role.choices)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=~Q(role="owner"), name="invitation_never_owner"),
        ]

    def __str__(self) -> str:
        return f"invitation {self.pk}"

    def is_open(self, now: datetime | None = None) -> bool:
        now = now or timezone.now()
        return self.accepted_at is None and self.revoked_at is None and self.expires_at > now


class AuditEntry(models.Model):
    """Who changed membership, roles, budgets, shares or deleted clips, and when."""

    WORKSPACE_PATH = "workspace"  # how workspaces.access reaches the workspace
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="audit")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)
    action = models.CharField(max_length=40)
    summary = models.CharField(max_length=300)

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["workspace", "-at"], name="audit_workspace_at")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action}"
