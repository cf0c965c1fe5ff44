"""Team pages: switching and creating workspaces, members and invitations, projects and the
audit log. Every object comes from ``workspaces.access``; every change is a service."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, F
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from workspaces import access, members, services
from workspaces.forms import InviteForm, NameForm, RoleForm
from workspaces.invites import invitation_for_token, token_for
from workspaces.models import AuditEntry, Invitation, Membership, Project, Workspace
from workspaces.services import WorkspaceError

AUDIT_PAGE = 50


@login_required
@require_POST
def switch(request: HttpRequest, pk: object) -> HttpResponse:
    access.switch_to(request, pk)
    return redirect("generations:gallery")


@login_required
@require_http_methods(["GET", "POST"])
def create(request: HttpRequest) -> HttpResponse:
    form = NameForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        workspace = services.workspace_create(user=request.user, name=form.cleaned_data["name"])
        access.switch_to(request, workspace.pk)
        messages.success(request, f"{workspace.name} is ready; invite your team from Team.")
        return redirect("generations:gallery")
    return render(request, "workspaces/create.html", {"form": form})


def _invite_url(request: HttpRequest, invitation: Invitation) -> str:
    return request.build_absolute_uri(reverse("workspaces:accept", args=[token_for(invitation)]))


def _settings_page(request: HttpRequest, invite_form: InviteForm | None = None) -> HttpResponse:
    member, can = access.current(request)
    team, _ = access.scope(request, Membership)
    invitations = []
    if can.manage:
        pending, _ = access.scope(request, Invitation)
        invitations = [
            {"invitation": invitation, "url": _invite_url(request, invitation)}
            for invitation in pending.filter(
                accepted_at=None, revoked_at=None, expires_at__gt=timezone.now()
            )
        ]
    context = {
        "member": member,
        "workspace": member.workspace,
        "can": can,
        "members": team.select_related("user"),
        "invitations": invitations,
        "invite_form": invite_form or InviteForm(),
        "role_choices": members.GRANTABLE,
    }
    return render(request, "workspaces/settings.html", context)


@login_required
@require_GET
def team_settings(request: HttpRequest) -> HttpResponse:
    return _settings_page(request)


def _refused(request: HttpRequest, exc: WorkspaceError) -> HttpResponse:
    messages.error(request, str(exc))
    return redirect("workspaces:settings")


@login_required
@require_POST
def member_role(request: HttpRequest, pk: int) -> HttpResponse:
    membership = access.get_for(request, Membership, "manage", pk=pk)
    form = RoleForm(request.POST)
    if not form.is_valid():
        return _refused(request, WorkspaceError("Choose admin, editor, reviewer or viewer."))
    try:
        members.member_set_role(
            membership=membership, actor=request.user, role=form.cleaned_data["role"]
        )
    except WorkspaceError as exc:
        return _refused(request, exc)
    messages.success(request, f"{membership.user.get_username()} is now {membership.role}.")
    return redirect("workspaces:settings")


@login_required
@require_POST
def member_remove(request: HttpRequest, pk: int) -> HttpResponse:
    membership = access.get_for(request, Membership, "manage", pk=pk)
    try:
        members.member_remove(membership=membership, actor=request.user)
    except WorkspaceError as exc:
        return _refused(request, exc)
    messages.success(request, f"{membership.user.get_username()} was removed.")
    return redirect("workspaces:settings")


@login_required
@require_POST
def transfer(request: HttpRequest, pk: int) -> HttpResponse:
    target = access.get_for(request, Membership, "transfer", pk=pk)
    try:
        members.ownership_transfer(workspace=target.workspace, actor=request.user, to=target)
    except WorkspaceError as exc:
        return _refused(request, exc)
    messages.success(request, f"{target.user.get_username()} now owns {target.workspace.name}.")
    return redirect("workspaces:settings")


@login_required
@require_POST
def leave(request: HttpRequest) -> HttpResponse:
    member = access.member(request)
    try:
        members.member_leave(membership=member)
    except WorkspaceError as exc:
        return _refused(request, exc)
    request.session.pop(access.SESSION_KEY, None)
    messages.success(request, f"You left {member.workspace.name}.")
    return redirect("generations:gallery")


@login_required
@require_POST
def invite(request: HttpRequest) -> HttpResponse:
    member, can = access.current(request)
    access.require(can, "manage")
    form = InviteForm(request.POST)
    if not form.is_valid():
        return _settings_page(request, invite_form=form)
    invitation = members.invitation_create(
        workspace=member.workspace, actor=request.user, **form.cleaned_data
    )
    url = _invite_url(request, invitation)
    sent = members.invitation_send(
        invitation=invitation, url=url, inviter=request.user.get_username()
    )
    if sent:
        messages.success(request, f"Invitation emailed to {invitation.email}. Link: {url}")
    elif invitation.email:
        messages.warning(request, f"The email could not be sent; pass on this link: {url}")
    else:
        messages.success(request, f"Invitation link (works once): {url}")
    return redirect("workspaces:settings")


@login_required
@require_POST
def invite_revoke(request: HttpRequest, pk: object) -> HttpResponse:
    invitation = access.get_for(request, Invitation, "manage", pk=pk)
    try:
        members.invitation_revoke(invitation=invitation, actor=request.user)
    except WorkspaceError as exc:
        return _refused(request, exc)
    messages.success(request, "The invitation was revoked; its link no longer works.")
    return redirect("workspaces:settings")


def _gone(request: HttpRequest, reason: str) -> HttpResponse:
    return render(request, "workspaces/accept.html", {"reason": reason}, status=410)


@login_required
@require_http_methods(["GET", "POST"])
def accept(request: HttpRequest, token: str) -> HttpResponse:
    invitation = invitation_for_token(token)
    if invitation is None:
        return _gone(request, "This invitation link is not valid. Check that it was copied whole.")
    if request.method == "GET":
        is_member = access.rows(request, Workspace, invitation.workspace_id).exists()
        if not is_member and not invitation.is_open():
            return _gone(request, members.closed_reason(invitation))
        context = {"invitation": invitation, "is_member": is_member, "token": token}
        return render(request, "workspaces/accept.html", context)
    try:
        membership = members.invitation_accept(invitation=invitation, user=request.user)
    except members.InvitationClosed as exc:
        return _gone(request, str(exc))
    access.switch_to(request, membership.workspace_id)
    messages.success(request, f"Welcome to {invitation.workspace.name}.")
    return redirect("generations:gallery")


@login_required
@require_GET
def projects(request: HttpRequest) -> HttpResponse:
    found, can = access.scope(request, Project)
    context = {
        "projects": found.annotate(clips=Count("generations")).order_by(
            F("archived_at").asc(nulls_first=True), "name"
        ),
        "can": can,
        "form": NameForm(),
    }
    return render(request, "workspaces/projects.html", context)


def _project_done(request: HttpRequest, exc: WorkspaceError | None, done: str) -> HttpResponse:
    if exc is None:
        messages.success(request, done)
    else:
        messages.error(request, str(exc))
    return redirect("workspaces:projects")


@login_required
@require_POST
def project_create(request: HttpRequest) -> HttpResponse:
    member, can = access.current(request)
    access.require(can, "manage")
    name = request.POST.get("name", "")
    try:
        services.project_create(workspace=member.workspace, actor=request.user, name=name)
    except WorkspaceError as exc:
        return _project_done(request, exc, "")
    return _project_done(request, None, f"Project {name.strip()[:80]} created.")


@login_required
@require_POST
def project_rename(request: HttpRequest, pk: object) -> HttpResponse:
    project = access.get_for(request, Project, "manage", pk=pk)
    try:
        name = request.POST.get("name", "")
        services.project_rename(project=project, actor=request.user, name=name)
    except WorkspaceError as exc:
        return _project_done(request, exc, "")
    return _project_done(request, None, f"Renamed to {project.name}.")


@login_required
@require_POST
def project_archive(request: HttpRequest, pk: object) -> HttpResponse:
    project = access.get_for(request, Project, "manage", pk=pk)
    archived = request.POST.get("archived", "1") == "1"
    services.project_archive(project=project, actor=request.user, archived=archived)
    verb = "archived; its clips stay" if archived else "restored"
    return _project_done(request, None, f"{project.name} {verb}.")


@login_required
@require_GET
def audit(request: HttpRequest) -> HttpResponse:
    entries, can = access.scope(request, AuditEntry)
    access.require(can, "audit")
    page = Paginator(entries.select_related("actor"), AUDIT_PAGE).get_page(request.GET.get("page"))
    return render(request, "workspaces/audit.html", {"page": page, "can": can})


@login_required
@require_POST
def project_gate(request: HttpRequest, pk: object) -> HttpResponse:
    project = access.get_for(request, Project, "manage", pk=pk)
    on = request.POST.get("approved_only") == "1"
    services.project_set_gate(project=project, actor=request.user, approved_only=on)
    done = "approved clips only" if on else "any clip"
    return _project_done(request, None, f"{project.name}: download and share {done}.")
