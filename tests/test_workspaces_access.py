"""Matrix rows for the team pages (``workspaces:*``): creating and switching workspaces,
members and invitations, projects and the audit log.

Routes about the current workspace (no object in the URL) answer the outsider about their
own personal workspace: their session names the team, but they are not a member, so it
falls back to their own and the team never shows (``team_never_shown``). Each POST row
also checks what changed, so a 302 alone never passes for a change that was refused."""

from __future__ import annotations

from tests.access_matrix import LOGIN, Route, World, everyone, ladder
from workspaces.access import ABILITIES
from workspaces.models import Invitation, Membership, Project, Workspace


def may(role: str, ability: str) -> bool:
    return role in ABILITIES and ability in ABILITIES[role]


def team_never_shown(world: World, role: str, response) -> None:
    """Members see their team's page; the outsider sees neither its name nor its owner."""
    if role == "anonymous":
        return
    html = response.content.decode()
    if role == "outsider":
        assert world.workspace.name not in html
        assert world.users["owner"].get_username() not in html
    else:
        assert world.workspace.name in html, role


def team_page(world: World, role: str, response) -> None:
    """The team page, and the open invitation's link only for those who manage the team."""
    team_never_shown(world, role, response)
    if role == "anonymous":
        return
    assert (world.invite_token in response.content.decode()) == may(role, "manage"), role


def invited_if_allowed(world: World, role: str, response) -> None:
    made = Invitation.objects.filter(workspace=world.workspace, email="second@example.com")
    assert made.exists() == may(role, "manage"), role


def revoked_if_allowed(world: World, role: str, response) -> None:
    world.invitation.refresh_from_db()
    assert (world.invitation.revoked_at is not None) == may(role, "manage"), role


def role_changed_if_allowed(world: World, role: str, response) -> None:
    world.target.refresh_from_db()
    assert (world.target.role == "viewer") == may(role, "manage"), role


def removed_if_allowed(world: World, role: str, response) -> None:
    gone = not Membership.objects.filter(pk=world.target.pk).exists()
    assert gone == may(role, "manage"), role


def transferred_if_allowed(world: World, role: str, response) -> None:
    world.target.refresh_from_db()
    assert (world.target.role == "owner") == may(role, "transfer"), role


def left_unless_owner(world: World, role: str, response) -> None:
    """Every member but the owner leaves; a workspace always keeps its one owner."""
    if role not in ABILITIES:
        return
    stays = Membership.objects.filter(workspace=world.workspace, user=world.users[role]).exists()
    assert stays == (role == "owner"), role


def switched_if_member(world: World, role: str, response) -> None:
    if role == "anonymous":
        return
    made = Workspace.objects.filter(name="Night shoots", memberships__user=world.users[role])
    assert made.exists(), role


def joined_once(world: World, role: str, response) -> None:
    """Members already in the team keep their role; the outsider joins as the invitation's
    editor, which uses the invitation up."""
    if role == "anonymous":
        return
    membership = Membership.objects.get(workspace=world.workspace, user=world.users[role])
    assert membership.role == ("editor" if role == "outsider" else role), role
    world.invitation.refresh_from_db()
    assert (world.invitation.accepted_at is not None) == (role == "outsider"), role


def project_made_if_allowed(world: World, role: str, response) -> None:
    made = Project.objects.filter(workspace=world.workspace, name="Autumn").exists()
    assert made == may(role, "manage"), role


def renamed_if_allowed(world: World, role: str, response) -> None:
    world.other_project.refresh_from_db()
    assert (world.other_project.name == "Summer campaign") == may(role, "manage"), role


def archived_if_allowed(world: World, role: str, response) -> None:
    world.other_project.refresh_from_db()
    assert (world.other_project.archived_at is not None) == may(role, "manage"), role


def target(world: World) -> dict:
    return {"pk": world.target.pk}


def invite_token(world: World) -> dict:
    return {"token": world.invite_token}


ROUTES = [
    Route("workspaces:create", everyone(200, anonymous=LOGIN)),
    Route(
        "workspaces:create",
        everyone(200, anonymous=LOGIN),
        method="POST",
        label="no name: the form again",
    ),
    Route(
        "workspaces:create",
        everyone(302, anonymous=LOGIN),
        method="POST",
        data=lambda w: {"name": "Night shoots"},
        check=switched_if_member,
    ),
    Route(
        "workspaces:switch",
        ladder("view", 302),
        method="POST",
        kwargs=lambda w: {"pk": w.workspace.pk},
    ),
    Route(
        "workspaces:switch",
        {**everyone(404, anonymous=LOGIN), "outsider": 302},
        method="POST",
        label="the outsider's workspace",
        kwargs=lambda w: {"pk": w.outsider_workspace.pk},
    ),
    Route(
        "workspaces:settings",
        everyone(200, anonymous=LOGIN),
        check=team_page,
    ),
    # The owner (and the outsider, owner of a personal workspace) is told they cannot leave.
    Route(
        "workspaces:leave", everyone(302, anonymous=LOGIN), method="POST", check=left_unless_owner
    ),
    Route(
        "workspaces:invite",
        ladder("manage", 200, outsider=200),
        method="POST",
        label="no role: the form again",
    ),
    Route(
        "workspaces:invite",
        ladder("manage", 302, outsider=302),
        method="POST",
        data=lambda w: {"email": "second@example.com", "role": "editor"},
        check=invited_if_allowed,
    ),
    Route(
        "workspaces:invite_revoke",
        ladder("manage", 302),
        method="POST",
        kwargs=lambda w: {"pk": w.invitation.pk},
        check=revoked_if_allowed,
    ),
    Route(
        "workspaces:member_role",
        ladder("manage", 302),
        method="POST",
        kwargs=target,
        data=lambda w: {"role": "viewer"},
        check=role_changed_if_allowed,
    ),
    Route(
        "workspaces:member_remove",
        ladder("manage", 302),
        method="POST",
        kwargs=target,
        check=removed_if_allowed,
    ),
    Route(
        "workspaces:transfer",
        ladder("transfer", 302),
        method="POST",
        kwargs=target,
        check=transferred_if_allowed,
    ),
    Route("workspaces:projects", everyone(200, anonymous=LOGIN), check=team_never_shown),
    # Refused or not, the answer is the projects page again; the check tells them apart.
    Route(
        "workspaces:project_create",
        ladder("manage", 302, outsider=302),
        method="POST",
        data=lambda w: {"name": "Autumn"},
        check=project_made_if_allowed,
    ),
    Route(
        "workspaces:project_rename",
        ladder("manage", 302),
        method="POST",
        kwargs=lambda w: {"pk": w.other_project.pk},
        data=lambda w: {"name": "Summer campaign"},
        check=renamed_if_allowed,
    ),
    Route(
        "workspaces:project_archive",
        ladder("manage", 302),
        method="POST",
        kwargs=lambda w: {"pk": w.other_project.pk},
        check=archived_if_allowed,
    ),
    Route("workspaces:audit", ladder("audit", 200, outsider=200)),
    Route("workspaces:accept", everyone(200, anonymous=LOGIN), kwargs=invite_token),
    Route(
        "workspaces:accept",
        everyone(410, anonymous=LOGIN),
        label="forged",
        kwargs=lambda w: {"token": "AAAA"},
    ),
    Route(
        "workspaces:accept",
        everyone(302, anonymous=LOGIN),
        method="POST",
        kwargs=invite_token,
        check=joined_once,
    ),
]
