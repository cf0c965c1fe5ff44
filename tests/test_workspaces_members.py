"""Members, invitations, projects and the audit log: the rules of workspaces.members and
workspaces.services, and the pages that use them."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import reverse
from django.utils import timezone

from tests.factories import GenerationFactory, Team, UserFactory
from workspaces import members, services
from workspaces.invites import invitation_for_token, token_for
from workspaces.models import AuditEntry, Invitation, Membership, Project, Role

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


# --- Invitations ------------------------------------------------------------------------


def test_an_invitation_is_emailed_and_shown(client):
    team = Team(name="Acme")
    team.login(client, "admin")
    response = client.post(
        reverse("workspaces:invite"), {"email": "pat@example.com", "role": "reviewer"}, follow=True
    )
    invitation = Invitation.objects.get(email="pat@example.com")
    url = "http://testserver" + reverse("workspaces:accept", args=[token_for(invitation)])
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["pat@example.com"]
    assert "Acme" in mail.outbox[0].subject
    assert url in mail.outbox[0].body
    assert url in messages_of(response)[0]
    assert url in response.content.decode()  # the open invitations list, to copy
    assert invitation.role == "reviewer"
    expected = timezone.now() + timedelta(days=7)
    assert abs(invitation.expires_at - expected) < timedelta(minutes=1)


@override_settings(STUDIO_INVITE_DAYS=2)
def test_the_lifetime_is_a_setting():
    team = Team()
    left = team.invitation.expires_at - timezone.now()
    assert timedelta(days=1, hours=23) < left <= timedelta(days=2)


def test_an_invitation_by_link_only_sends_no_email(client):
    team = Team()
    team.login(client, "owner")
    response = client.post(reverse("workspaces:invite"), {"role": "viewer"}, follow=True)
    assert not mail.outbox
    assert "Invitation link (works once)" in messages_of(response)[0]


def test_a_bad_email_is_a_field_error(client):
    team = Team()
    team.login(client, "owner")
    before = Invitation.objects.count()
    response = client.post(reverse("workspaces:invite"), {"email": "nope", "role": "editor"})
    assert response.status_code == 200
    assert response.context["invite_form"].errors["email"]
    assert Invitation.objects.count() == before


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_an_unreachable_mail_server_still_gives_the_link(client, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", _closed_port()
    settings.EMAIL_USE_TLS, settings.EMAIL_TIMEOUT = False, 2
    team = Team()
    team.login(client, "owner")
    response = client.post(
        reverse("workspaces:invite"), {"email": "pat@example.com", "role": "editor"}, follow=True
    )
    assert response.status_code == 200
    assert "could not be sent; pass on this link" in messages_of(response)[0]


def test_accepting_joins_with_the_role_once(client):
    team = Team(name="Acme")
    newcomer = UserFactory()
    client.force_login(newcomer)
    url = reverse("workspaces:accept", args=[token_for(team.invitation)])
    page = client.get(url).content.decode()
    assert "Join Acme" in page and "<strong>editor</strong>" in page
    assert client.post(url).status_code == 302
    assert roles(team)[newcomer.username] == "editor"
    assert client.session["workspace_id"] == str(team.workspace.pk)
    team.invitation.refresh_from_db()
    assert team.invitation.accepted_by == newcomer
    client.force_login(UserFactory())
    response = client.post(url)
    assert response.status_code == 410
    assert "already used" in response.content.decode()
    assert client.get(url).status_code == 410


def test_a_member_who_accepts_just_switches(client):
    team = Team()
    team.login(client, "viewer")
    client.post(reverse("workspaces:switch", args=[team.workspace.pk]))
    url = reverse("workspaces:accept", args=[token_for(team.invitation)])
    assert "already in" in client.get(url).content.decode()
    assert client.post(url).status_code == 302
    assert roles(team)[team.users["viewer"].username] == "viewer"  # not the invitation's
    assert Invitation.objects.get(pk=team.invitation.pk).is_open()


def test_accepting_needs_a_login_and_comes_back(client):
    team = Team()
    url = reverse("workspaces:accept", args=[token_for(team.invitation)])
    login_page = client.get(url, follow=True)
    assert login_page.redirect_chain[0][0].startswith(reverse("login"))
    newcomer = UserFactory()
    response = client.post(
        login_page.redirect_chain[0][0],
        {
            "username": newcomer.username,
            "password": "correct horse battery",
            "next": login_page.context["next"],
        },
    )
    assert response["Location"] == url


@pytest.mark.parametrize("how", ["expired", "revoked"])
def test_a_closed_invitation_answers_gone(client, how):
    team = Team()
    if how == "expired":
        Invitation.objects.filter(pk=team.invitation.pk).update(
            expires_at=timezone.now() - timedelta(seconds=1)
        )
    else:
        members.invitation_revoke(invitation=team.invitation, actor=team.users["admin"])
    newcomer = UserFactory()
    client.force_login(newcomer)
    url = reverse("workspaces:accept", args=[token_for(team.invitation)])
    for response in (client.get(url), client.post(url)):
        assert response.status_code == 410
        assert (
            f"was {how}" in response.content.decode() or f"has {how}" in response.content.decode()
        )
    assert newcomer.username not in roles(team)


def test_revoking_from_the_team_page(client):
    team = Team()
    team.login(client, "admin")
    client.post(reverse("workspaces:invite_revoke", args=[team.invitation.pk]))
    assert Invitation.objects.get(pk=team.invitation.pk).revoked_at is not None
    response = client.post(
        reverse("workspaces:invite_revoke", args=[team.invitation.pk]), follow=True
    )
    assert "That invitation was already used or revoked." in messages_of(response)


@pytest.mark.parametrize(
    "mangle",
    [
        lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),
        lambda t: "0" * 32 + t[32:],
        lambda t: t.split(":")[0],
        lambda t: "garbage",
    ],
)
def test_a_tampered_token_names_nothing(client, mangle):
    team = Team()
    token = mangle(token_for(team.invitation))
    assert invitation_for_token(token) is None
    client.force_login(UserFactory())
    response = client.post(reverse("workspaces:accept", args=[token]))
    assert response.status_code == 410
    assert "not valid" in response.content.decode()


def test_a_token_needs_the_secret_key(settings):
    team = Team()
    token = token_for(team.invitation)
    assert invitation_for_token(token) == team.invitation
    settings.SECRET_KEY = "another-key-entirely-another-key-entirely"
    assert invitation_for_token(token) is None


def test_the_database_holds_no_token():
    team = Team()
    token = token_for(team.invitation)
    signature = token.rsplit(":", 1)[1]
    row = Invitation.objects.filter(pk=team.invitation.pk).values().get()
    assert not [v for v in row.values() if signature in str(v)]


@pytest.mark.django_db(transaction=True)
def test_two_accepts_at_once_make_one_membership():
    team = Team()
    people = [UserFactory() for _ in range(4)]
    gate = threading.Barrier(len(people))
    outcomes: list[str] = []

    def accept(user):
        try:
            gate.wait()
            members.invitation_accept(invitation=team.invitation, user=user)
            outcomes.append("joined")
        except members.InvitationClosed:
            outcomes.append("closed")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=accept, args=(p,)) for p in people]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["closed", "closed", "closed", "joined"]
    joined = Membership.objects.filter(workspace=team.workspace, user__in=people)
    assert joined.count() == 1
    assert Invitation.objects.get(pk=team.invitation.pk).accepted_by == joined.get().user


@pytest.mark.django_db(transaction=True)
def test_a_double_submit_joins_once():
    team = Team()
    newcomer = UserFactory()
    gate = threading.Barrier(2)
    got: list[int] = []

    def accept():
        try:
            gate.wait()
            got.append(members.invitation_accept(invitation=team.invitation, user=newcomer).pk)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=accept) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(got) == 2 and got[0] == got[1]
    assert Membership.objects.filter(workspace=team.workspace, user=newcomer).count() == 1


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


@pytest.mark.parametrize(
    ("env", "backend"),
    [
        ({}, "console"),
        ({"EMAIL_HOST": "smtp.example.com"}, "smtp"),
        ({"EMAIL_HOST": "smtp.example.com", "DEBUG": "1"}, "console"),
    ],
)
def test_mail_goes_to_the_console_unless_a_server_is_set(env, backend):
    base = {k: v for k, v in os.environ.items() if not k.startswith(("EMAIL_", "DEBUG"))}
    base.update(
        DJANGO_SETTINGS_MODULE="studio.settings",
        SECRET_KEY="x" * 50,
        ALLOWED_HOSTS="studio.example.com",
        **env,
    )
    code = "from django.conf import settings; print(settings.EMAIL_BACKEND)"
    out = subprocess.run(
        [sys.executable, "-c", code], env=base, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == f"django.core.mail.backends.{backend}.EmailBackend"
