"""Changes to who belongs to a workspace: roles, removal, leaving, ownership transfer and
invitations. Each change is a compare-and-set on the row it changes, inside a transaction
with its audit entry, so two admins acting at once cannot both win.

Callers have already asked ``workspaces.access`` whether the actor may manage the
workspace; these services keep the rules that hold whoever asks (the owner's role changes
only by transfer, a workspace always has exactly one owner, an invitation is used once).
"""

from __future__ import annotations

import logging
import smtplib
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from workspaces.models import Invitation, Membership, Role
from workspaces.services import WorkspaceError, audit

log = logging.getLogger(__name__)

# Roles an admin may give; the owner role is only handed over by transfer.
GRANTABLE = [Role.ADMIN, Role.EDITOR, Role.REVIEWER, Role.VIEWER]


class InvitationClosed(WorkspaceError):
    """The invitation was used, revoked or has expired."""


def _name(membership: Membership) -> str:
    return membership.user.get_username()


def member_set_role(*, membership: Membership, actor: Any, role: str) -> Membership:
    if role not in GRANTABLE:
        raise WorkspaceError("Choose admin, editor, reviewer or viewer.")
    if membership.role == Role.OWNER:
        raise WorkspaceError("The owner's role changes only when they transfer ownership.")
    with transaction.atomic():
        changed = (
            Membership.objects.filter(pk=membership.pk, role=membership.role)
            .exclude(role=Role.OWNER)
            .update(role=role)
        )
        if not changed:
            raise WorkspaceError("Their role was changed meanwhile; look again and retry.")
        audit(
            workspace=membership.workspace_id,
            actor=actor,
            action="member.role",
            summary=f"{_name(membership)}: {membership.role} → {role}",
        )
    membership.role = role
    return membership


def member_remove(*, membership: Membership, actor: Any) -> None:
    """Remove a member (the owner cannot be removed). Their clips stay with the workspace."""
    if membership.role == Role.OWNER:
        raise WorkspaceError("The owner cannot be removed; they can transfer ownership first.")
    with transaction.atomic():
        deleted, _ = Membership.objects.filter(pk=membership.pk).exclude(role=Role.OWNER).delete()
        if not deleted:
            raise WorkspaceError("They are no longer a member.")
        audit(
            workspace=membership.workspace_id,
            actor=actor,
            action="member.remove",
            summary=f"Removed {_name(membership)} ({membership.role})",
        )


def member_leave(*, membership: Membership) -> None:
    """Leave a workspace. The owner cannot: a workspace always has one, so they transfer
    ownership first (a personal workspace cannot be transferred, so it is never left)."""
    if membership.role == Role.OWNER:
        if membership.workspace.personal:
            raise WorkspaceError("Your personal workspace is yours; you cannot leave it.")
        raise WorkspaceError("You own this workspace: transfer ownership before leaving.")
    with transaction.atomic():
        deleted, _ = Membership.objects.filter(pk=membership.pk).exclude(role=Role.OWNER).delete()
        if not deleted:
            raise WorkspaceError("You are no longer a member.")
        audit(
            workspace=membership.workspace_id,
            actor=membership.user_id,
            action="member.leave",
            summary=f"{_name(membership)} left ({membership.role})",
        )


def ownership_transfer(*, workspace: Any, actor: Any, to: Membership) -> None:
    """The owner becomes an admin and ``to`` becomes the owner, both or neither. The owner
    is demoted first: the database allows one owner per workspace at every statement."""
    if workspace.personal:
        raise WorkspaceError(
            "A personal workspace stays with its owner; create a team workspace to hand over."
        )
    if to.workspace_id != workspace.pk:
        raise WorkspaceError("Ownership goes to a member of this workspace.")
    if to.role == Role.OWNER:
        raise WorkspaceError("They already own this workspace.")
    with transaction.atomic():
        demoted = Membership.objects.filter(
            workspace=workspace, user=actor, role=Role.OWNER
        ).update(role=Role.ADMIN)
        promoted = (
            Membership.objects.filter(pk=to.pk, role=to.role).update(role=Role.OWNER)
            if demoted
            else 0
        )
        if not promoted:  # raising inside the block undoes the demotion
            raise WorkspaceError("Ownership changed meanwhile; nothing was transferred.")
        audit(
            workspace=workspace,
            actor=actor,
            action="workspace.transfer",
            summary=f"Ownership transferred to {_name(to)}",
        )


def invitation_create(*, workspace: Any, actor: Any, email: str, role: str) -> Invitation:
    if role not in GRANTABLE:
        raise WorkspaceError("Choose admin, editor, reviewer or viewer.")
    with transaction.atomic():
        invitation = Invitation.objects.create(
            workspace=workspace,
            email=email.strip(),
            role=role,
            invited_by=actor,
            expires_at=timezone.now() + timedelta(days=settings.STUDIO_INVITE_DAYS),
        )
        audit(
            workspace=workspace,
            actor=actor,
            action="invitation.create",
            summary=f"Invited {email.strip() or 'by link'} as {role}",
        )
    return invitation


def invitation_send(*, invitation: Invitation, url: str, inviter: str) -> bool:
    """Email the link; False when the mail server refused or was unreachable (the admin
    still has the link to pass on)."""
    if not invitation.email:
        return False
    days = settings.STUDIO_INVITE_DAYS
    try:
        send_mail(
            subject=f"{inviter} invited you to {invitation.workspace.name} on Seedance Studio",
            message=(
                f"{inviter} invited you to join {invitation.workspace.name} as "
                f"{invitation.get_role_display().lower()}.\n\nAccept: {url}\n\n"
                f"The link works once and for {days} days."
            ),
            from_email=None,
            recipient_list=[invitation.email],
        )
    except (smtplib.SMTPException, OSError):
        log.warning("invitation email to workspace %s not sent", invitation.workspace_id)
        return False
    return True


def invitation_revoke(*, invitation: Invitation, actor: Any) -> None:
    with transaction.atomic():
        changed = Invitation.objects.filter(
            pk=invitation.pk, accepted_at__isnull=True, revoked_at__isnull=True
        ).update(revoked_at=timezone.now())
        if not changed:
            raise InvitationClosed("That invitation was already used or revoked.")
        audit(
            workspace=invitation.workspace_id,
            actor=actor,
            action="invitation.revoke",
            summary=f"Revoked the invitation for {invitation.email or 'a link'}",
        )


def closed_reason(invitation: Invitation) -> str:
    """Why an invitation that is not open no longer works, for the person holding it."""
    if invitation.revoked_at:
        return "This invitation was revoked. Ask the workspace's admin for a new one."
    if invitation.accepted_at:
        return "This invitation was already used. Ask the workspace's admin for a new one."
    return "This invitation has expired. Ask the workspace's admin for a new one."


def invitation_accept(*, invitation: Invitation, user: Any) -> Membership:
    """Join the invitation's workspace. A member already in it just gets their membership
    (the invitation stays open). Otherwise the invitation is claimed once: of two accepts
    at once, the one whose update finds ``accepted_at`` still empty wins."""
    existing = Membership.objects.filter(workspace_id=invitation.workspace_id, user=user).first()
    if existing is not None:
        return existing
    now = timezone.now()
    try:
        with transaction.atomic():
            claimed = Invitation.objects.filter(
                pk=invitation.pk,
                accepted_at__isnull=True,
                revoked_at__isnull=True,
                expires_at__gt=now,
            ).update(accepted_at=now, accepted_by=user)
            if not claimed:
                invitation.refresh_from_db()
                raise InvitationClosed(closed_reason(invitation))
            membership = Membership.objects.create(
                workspace_id=invitation.workspace_id, user=user, role=invitation.role
            )
            audit(
                workspace=invitation.workspace_id,
                actor=user,
                action="member.join",
                summary=f"{user.get_username()} joined as {invitation.role}",
            )
    except (InvitationClosed, IntegrityError):
        # Joined meanwhile (a double submit, or another invitation): that membership holds.
        existing = Membership.objects.filter(
            workspace_id=invitation.workspace_id, user=user
        ).first()
        if existing is not None:
            return existing
        raise
    return membership
