"""Every existing user gets a personal workspace with a "General" project, and their clips
move into it. Rows only: every file keeps its name and place in storage."""

from django.conf import settings
from django.db import migrations


def forwards(apps, schema_editor):
    User = apps.get_model(*settings.AUTH_USER_MODEL.split("."))
    Workspace = apps.get_model("workspaces", "Workspace")
    Membership = apps.get_model("workspaces", "Membership")
    Project = apps.get_model("workspaces", "Project")
    AuditEntry = apps.get_model("workspaces", "AuditEntry")
    Generation = apps.get_model("generations", "Generation")
    for user in User.objects.order_by("pk").iterator():
        workspace = Workspace.objects.filter(
            personal=True, memberships__user=user, memberships__role="owner"
        ).first()
        if workspace is None:
            workspace = Workspace.objects.create(name=f"{user.username}'s studio", personal=True)
            Membership.objects.create(workspace=workspace, user=user, role="owner")
            AuditEntry.objects.create(
                workspace=workspace,
                actor=user,
                action="workspace.create",
                summary="Personal workspace made when workspaces arrived",
            )
        project = Project.objects.filter(workspace=workspace).order_by("created_at").first()
        if project is None:
            project = Project.objects.create(workspace=workspace, name="General")
        Generation.objects.filter(user=user, workspace__isnull=True).update(
            workspace=workspace, project=project
        )


def backwards(apps, schema_editor):
    Generation = apps.get_model("generations", "Generation")
    Generation.objects.update(workspace=None, project=None)


class Migration(migrations.Migration):
    dependencies = [
        ("generations", "0007_workspace_fields"),
        ("workspaces", "0001_initial"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
