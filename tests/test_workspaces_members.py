"""Members, roles, ownership, projects and the audit log: the rules of workspaces.members
and workspaces.services, and the pages that use them."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import GenerationFactory, Team
from workspaces import members, services
from workspaces.models import AuditEntry, Membership, Project, Role

pytestmark = pytest.mark.django_db


def roles(team: Team) -> dict[str, str]:
    return dict(
        Membership.objects.filter(workspace=team.workspace).values_list("user__username", "role")
    )


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


# --- Header and workspaces --------------------------------------------------------------


def test_the_header_shows_the_workspace_and_switches(client):
    team = Team(name="Acme")
    editor = team.users["editor"]
    client.force_login(editor)
    page = client.get("/").content.decode()
    assert f"{editor.get_username()}&#x27;s studio" in page  # personal first
    assert reverse("workspaces:switch", args=[team.workspace.pk]) in page
    response = client.post(reverse("workspaces:switch", args=[team.workspace.pk]))
    assert response.status_code == 302
    page = client.get(reverse("workspaces:settings")).content.decode()
    assert "<h1>Acme</h1>" in page
    assert 'href="/usage/"' in page


def test_signed_out_pages_ask_nothing_about_workspaces(client):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(reverse("login")).status_code == 200
    assert not [q for q in ctx.captured_queries if "workspaces_" in q["sql"]]


def test_creating_a_workspace_makes_you_owner_with_a_project_and_switches(client, user):
    client.force_login(user)
    response = client.post(reverse("workspaces:create"), {"name": "  Client X  "})
    assert response.status_code == 302
    membership = Membership.objects.get(user=user, workspace__name="Client X")
    assert membership.role == Role.OWNER
    assert list(membership.workspace.projects.values_list("name", flat=True)) == ["General"]
    assert client.session["workspace_id"] == str(membership.workspace_id)


def test_a_workspace_needs_a_name(client, user):
    client.force_login(user)
    response = client.post(reverse("workspaces:create"), {"name": "   "})
    assert response.status_code == 200
    assert response.context["form"].errors["name"]
    assert not Membership.objects.filter(user=user, workspace__personal=False).exists()


# --- Roles, removal, leaving, transfer --------------------------------------------------


def test_an_admin_changes_a_role_with_an_audit_entry(client):
    team = Team()
    team.login(client, "admin")
    client.post(reverse("workspaces:member_role", args=[team.target.pk]), {"role": "viewer"})
    assert roles(team)[team.target_user.username] == "viewer"
    entry = AuditEntry.objects.filter(workspace=team.workspace).first()
    assert (entry.action, entry.actor) == ("member.role", team.users["admin"])
    assert "editor → viewer" in entry.summary


@pytest.mark.parametrize("role", ["owner", "nobody", ""])
def test_nobody_is_made_owner_except_by_transfer(client, role):
    team = Team()
    team.login(client, "admin")
    response = client.post(
        reverse("workspaces:member_role", args=[team.target.pk]), {"role": role}, follow=True
    )
    assert roles(team)[team.target_user.username] == "editor"
    assert "Choose admin, editor, reviewer or viewer." in messages_of(response)


def test_the_service_never_grants_owner():
    team = Team()
    with pytest.raises(services.WorkspaceError, match="Choose admin"):
        members.member_set_role(membership=team.target, actor=team.users["owner"], role="owner")
    with pytest.raises(services.WorkspaceError, match="Choose admin"):
        members.invitation_create(
            workspace=team.workspace, actor=team.users["owner"], email="", role="owner"
        )
    assert roles(team)[team.target_user.username] == "editor"


def test_the_owners_role_and_membership_stay(client):
    team = Team()
    owner = Membership.objects.get(workspace=team.workspace, role=Role.OWNER)
    team.login(client, "admin")
    response = client.post(
        reverse("workspaces:member_role", args=[owner.pk]), {"role": "viewer"}, follow=True
    )
    assert "only when they transfer ownership" in messages_of(response)[0]
    response = client.post(reverse("workspaces:member_remove", args=[owner.pk]), follow=True)
    assert "The owner cannot be removed" in messages_of(response)[0]
    assert roles(team)[team.users["owner"].username] == "owner"


def test_a_stale_role_change_is_refused():
    team = Team()
    stale = Membership.objects.get(pk=team.target.pk)
    members.member_set_role(membership=team.target, actor=team.users["admin"], role="viewer")
    with pytest.raises(services.WorkspaceError, match="changed meanwhile"):
        members.member_set_role(membership=stale, actor=team.users["owner"], role="admin")
    assert Membership.objects.get(pk=team.target.pk).role == "viewer"


def test_an_admin_removes_a_member(client):
    team = Team()
    team.login(client, "admin")
    client.post(reverse("workspaces:member_remove", args=[team.target.pk]))
    assert team.target_user.username not in roles(team)
    assert AuditEntry.objects.filter(workspace=team.workspace, action="member.remove").exists()


def test_a_member_leaves_and_lands_in_their_own_workspace(client):
    team = Team()
    team.login(client, "viewer")
    response = client.post(reverse("workspaces:leave"), follow=True)
    assert team.users["viewer"].username not in roles(team)
    assert response.context["current_member"].workspace.personal


def test_the_owner_cannot_leave(client):
    team = Team()
    team.login(client, "owner")
    response = client.post(reverse("workspaces:leave"), follow=True)
    assert "transfer ownership before leaving" in messages_of(response)[0]
    assert roles(team)[team.users["owner"].username] == "owner"


def test_nobody_leaves_their_personal_workspace(client, user):
    client.force_login(user)
    response = client.post(reverse("workspaces:leave"), follow=True)
    assert "you cannot leave it" in messages_of(response)[0]
    assert Membership.objects.filter(user=user, workspace__personal=True, role="owner").exists()


def test_the_owner_transfers_ownership(client):
    team = Team()
    team.login(client, "owner")
    client.post(reverse("workspaces:transfer", args=[team.target.pk]))
    now = roles(team)
    assert now[team.target_user.username] == "owner"
    assert now[team.users["owner"].username] == "admin"
    assert list(now.values()).count("owner") == 1
    assert AuditEntry.objects.filter(workspace=team.workspace, action="workspace.transfer").exists()


def test_a_failed_transfer_changes_nothing():
    team = Team()
    gone = Membership.objects.get(pk=team.target.pk)
    Membership.objects.filter(pk=gone.pk).update(role="viewer")  # changed meanwhile
    with pytest.raises(services.WorkspaceError, match="nothing was transferred"):
        members.ownership_transfer(workspace=team.workspace, actor=team.users["owner"], to=gone)
    assert roles(team)[team.users["owner"].username] == "owner"


def test_a_personal_workspace_is_not_transferred(user, other_user):
    workspace = services.personal_workspace(user)
    guest = Membership.objects.create(workspace=workspace, user=other_user, role="admin")
    with pytest.raises(services.WorkspaceError, match="stays with its owner"):
        members.ownership_transfer(workspace=workspace, actor=user, to=guest)


# --- Projects and the audit log ---------------------------------------------------------


def test_projects_list_clip_counts(client):
    team = Team()
    other = services.project_create(workspace=team.workspace, actor=team.users["admin"], name="B")
    for _ in range(3):
        GenerationFactory(user=team.users["editor"], workspace=team.workspace, project=other)
    team.login(client, "viewer")
    response = client.get(reverse("workspaces:projects"))
    counts = {p.name: p.clips for p in response.context["projects"]}
    assert counts == {"General": 0, "B": 3}
    assert "Rename" not in response.content.decode()  # viewers see, admins manage


def test_an_admin_manages_projects(client):
    team = Team()
    team.login(client, "admin")
    client.post(reverse("workspaces:project_create"), {"name": "Spring campaign"})
    spring = Project.objects.get(workspace=team.workspace, name="Spring campaign")
    client.post(reverse("workspaces:project_rename", args=[spring.pk]), {"name": "Summer"})
    client.post(reverse("workspaces:project_archive", args=[spring.pk]), {"archived": "1"})
    spring.refresh_from_db()
    assert (spring.name, spring.archived) == ("Summer", True)
    client.post(reverse("workspaces:project_archive", args=[spring.pk]), {"archived": "0"})
    spring.refresh_from_db()
    assert not spring.archived
    actions = list(
        AuditEntry.objects.filter(
            workspace=team.workspace, action__startswith="project."
        ).values_list("action", flat=True)
    )
    assert actions == ["project.restore", "project.archive", "project.rename", "project.create"]


@pytest.mark.parametrize("name", ["", "general"])
def test_a_project_name_is_needed_and_unique(client, name):
    team = Team()
    team.login(client, "admin")
    response = client.post(reverse("workspaces:project_create"), {"name": name}, follow=True)
    assert response.status_code == 200
    assert messages_of(response)[0] in (
        "Give the project a name.",
        "There is already a project called general.",
    )
    assert Project.objects.filter(workspace=team.workspace).count() == 1


def test_the_audit_log_is_newest_first_and_paged(client):
    team = Team()
    for n in range(60):
        services.audit(
            workspace=team.workspace, actor=team.users["admin"], action="x", summary=f"n{n}"
        )
    team.login(client, "admin")
    first = client.get(reverse("workspaces:audit"))
    entries = list(first.context["page"])
    assert len(entries) == 50
    assert entries[0].summary == "n59"
    assert first.context["page"].has_next()
    second = client.get(reverse("workspaces:audit") + "?page=2")
    assert "Created Acme" in second.content.decode()  # the oldest, on the last page
    assert client.get(reverse("workspaces:audit") + "?page=zzz").status_code == 200
