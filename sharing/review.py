"""Review status and time-coded comments of a clip, and the @mention notifications.

Who may do what is decided by the caller's abilities (``workspaces.access``) or, for a
guest, by what the share link allows; each status move is a compare-and-set, so two
reviewers pressing at once record one change, never two.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from generations.models import Generation, ReviewStatus
from sharing.models import Comment, Notification, ProjectReviewLink, ReviewChange, ShareLink
from webhooks import services as webhooks
from workspaces.models import Membership, Project
from workspaces.services import audit

S = ReviewStatus
# Where each status may go next, and the ability that move takes: an editor submits a clip
# (again) for review; only a reviewer or above decides on it or reopens a decision.
MOVES: dict[str, dict[str, str]] = {
    S.DRAFT: {S.IN_REVIEW: "edit"},
    S.CHANGES_REQUESTED: {S.IN_REVIEW: "edit"},
    S.IN_REVIEW: {S.APPROVED: "approve", S.CHANGES_REQUESTED: "approve", S.REJECTED: "approve"},
    S.APPROVED: {S.IN_REVIEW: "approve"},
    S.REJECTED: {S.IN_REVIEW: "approve"},
}
# A guest with approval rights decides on a clip that is In review, nothing else.
GUEST_MOVES = {S.APPROVED, S.CHANGES_REQUESTED}
MENTION = re.compile(r"(?<![\w@])@([\w.+-]+)")
MAX_SECONDS = 24 * 3600


class ReviewError(Exception):
    """A move or comment that is refused, with a message for the person."""


@dataclass(frozen=True)
class Author:
    """Who acts: a member (``user``) or a guest of a share link (``name``, ``email``)."""

    user: Any = None
    name: str = ""
    email: str = ""
    link: ShareLink | None = None


def moves_for(status: str, can: Any) -> list[tuple[str, str]]:
    """The moves a member may make from ``status``: (value, label) pairs."""
    return [(to, S(to).label) for to, ability in MOVES.get(status, {}).items() if ability in can]


def status_set(*, generation: Generation, to: str, author: Author, can: Any = None) -> bool:
    """Move the clip's review status; False when someone else moved it first."""
    current = generation.review_status
    if to not in MOVES.get(current, {}):
        raise ReviewError(f"A clip that is {S(current).label} cannot become that.")
    if author.user is None:
        if author.link is None or not author.link.allow_approval or to not in GUEST_MOVES:
            raise ReviewError("This link does not allow approving.")
    elif MOVES[current][to] not in can:
        raise ReviewError("Your role does not allow this.")
    now = timezone.now()
    with transaction.atomic():
        moved = Generation.objects.filter(pk=generation.pk, review_status=current).update(
            review_status=to, updated_at=now
        )
        if moved:
            ReviewChange.objects.create(
                generation=generation,
                at=now,
                from_status=current,
                to_status=to,
                actor=author.user,
                guest_name=author.name,
            )
            change = {"from": current, "to": to, "by": author_label(author)}
            _emit(generation, "clip.status_changed", change)
            if to == ReviewStatus.APPROVED:
                _emit(generation, "clip.approved", change)
    generation.review_status = to if moved else current
    return bool(moved)


def seconds(value: Any, *, required: bool) -> float | None:
    """A time in seconds from the form ("3", "3.25" or "00:03"), or ReviewError."""
    text = str(value or "").strip()
    if not text:
        if required:
            raise ReviewError("Give the time the comment is about.")
        return None
    try:
        parts = [float(p) for p in text.split(":")]
    except ValueError as exc:
        raise ReviewError("Give times as seconds or mm:ss.") from exc
    if len(parts) > 3 or any(p < 0 or p != p for p in parts):
        raise ReviewError("Give times as seconds or mm:ss.")
    total = 0.0
    for part in parts:
        total = total * 60 + part
    if total > MAX_SECONDS:
        raise ReviewError("That time is past the end of any clip.")
    return round(total, 3)


def comment_add(
    *,
    generation: Generation,
    author: Author,
    body: str,
    start: Any,
    end: Any = None,
    clip_url: str = "",
) -> Comment:
    """Save a comment; members it @mentions get an inbox entry and an email (``clip_url``,
    the clip's page as the mail's link)."""
    text = (body or "").strip()
    if not text:
        raise ReviewError("Write a comment.")
    if len(text) > 2000:
        raise ReviewError("Keep a comment under 2000 characters.")
    begin = seconds(start, required=True)
    finish = seconds(end, required=False)
    if finish is not None and finish <= begin:
        raise ReviewError("The out point must come after the in point.")
    now = timezone.now()
    with transaction.atomic():
        comment = Comment.objects.create(
            generation=generation,
            created_at=now,
            author=author.user,
            guest_name=author.name,
            guest_email=author.email,
            link=author.link,
            body=text,
            start=begin,
            end=finish,
        )
        # The clip's page and open galleries refresh from the clip's last change.
        Generation.objects.filter(pk=generation.pk).update(updated_at=now)
        _notify_mentions(comment, clip_url)
        _emit(
            generation,
            "clip.comment_added",
            {
                "comment_id": str(comment.pk),
                "by": author_label(author),
                "start": begin,
                "end": finish,
                "body": text[:500],
            },
        )
    return comment


def author_label(author: Author) -> str:
    if author.user is not None:
        return author.user.get_username()
    return f"{author.name} (guest)"


def _emit(generation: Generation, event: str, extra: dict[str, Any]) -> None:
    """Tell the workspace's webhooks, in the transaction of the change (sent on commit)."""
    url = settings.STUDIO_PUBLIC_URL.rstrip("/") + generation.url
    data = {
        "generation_id": str(generation.pk),
        "workspace_id": str(generation.workspace_id),
        "project_id": str(generation.project_id),
        "prompt": generation.prompt[:500],
        "review_status": Generation.objects.filter(pk=generation.pk)
        .values_list("review_status", flat=True)
        .first(),
        "url": url,
        **extra,
    }
    webhooks.emit(workspace_id=generation.workspace_id, event=event, data=data)


def comment_resolve(*, comment: Comment, user: Any, resolved: bool) -> bool:
    """Resolve (or reopen) a comment; False when it already was."""
    now = timezone.now()
    rows = Comment.objects.filter(pk=comment.pk, resolved_at__isnull=resolved)
    with transaction.atomic():
        changed = rows.update(
            resolved_at=now if resolved else None, resolved_by=user if resolved else None
        )
        Generation.objects.filter(pk=comment.generation_id).update(updated_at=now)
    return bool(changed)


def mentioned(generation: Generation, body: str) -> list[Any]:
    """The workspace members a comment names with @username."""
    names = {name.rstrip(".").lower() for name in MENTION.findall(body)}
    if not names:
        return []
    members = Membership.objects.filter(workspace_id=generation.workspace_id).select_related("user")
    return [m.user for m in members if m.user.get_username().lower() in names]


def _notify_mentions(comment: Comment, clip_url: str) -> None:
    generation = comment.generation
    who = comment.who
    for user in mentioned(generation, comment.body):
        if user.pk == comment.author_id:
            continue
        text = f"{who} mentioned you on “{generation.prompt[:60]}”: {comment.body[:160]}"
        Notification.objects.create(
            user=user,
            workspace_id=generation.workspace_id,
            generation=generation,
            comment=comment,
            created_at=comment.created_at,
            text=text[:300],
        )
        Membership.objects.filter(workspace_id=generation.workspace_id, user=user).update(
            unread_hint=True
        )
        if user.email:
            transaction.on_commit(lambda to=user.email, text=text: _mail(to, text, clip_url))


def _mail(to: str, text: str, clip_url: str) -> None:
    # A mail server that is down must not undo a comment that is already saved.
    send_mail(
        subject="You were mentioned on Seedance Studio",
        message=f"{text}\n\n{clip_url}",
        from_email=None,
        recipient_list=[to],
        fail_silently=True,
    )


def guest_context(link: ShareLink) -> dict[str, object]:
    """What a share link's public page shows of the clip's review, when the link lets guests
    comment or approve: the comments and whether a decision is open."""
    generation = link.generation
    return {
        "comments": generation.comments.select_related("author"),
        "can_decide": link.allow_approval and generation.review_status == S.IN_REVIEW,
    }


def unread_count(user: Any, memberships: list[Membership] | None = None) -> int:
    """The user's unread inbox entries in the workspaces they belong to. Given the user's
    memberships (already read for the header), no query unless one has ``unread_hint``."""
    if not getattr(user, "is_authenticated", False):
        return 0
    if memberships is not None and not any(m.unread_hint for m in memberships):
        return 0
    return Notification.objects.filter(
        user=user, read_at__isnull=True, workspace__memberships__user=user
    ).count()


def inbox_read(*, user: Any) -> int:
    """Mark every entry read and clear the hints. The memberships are locked first, so an
    entry made meanwhile either is marked read here or sets its hint again after us."""
    with transaction.atomic():
        mine = Membership.objects.select_for_update().filter(user=user)
        list(mine.values_list("pk", flat=True))
        marked = Notification.objects.filter(user=user, read_at__isnull=True).update(
            read_at=timezone.now()
        )
        mine.update(unread_hint=False)
    return marked


def project_link_create(*, project: Project, actor: Any) -> ProjectReviewLink:
    with transaction.atomic():
        link = ProjectReviewLink.objects.create(project=project)
        audit(
            workspace=project.workspace_id,
            actor=actor,
            action="review_link.create",
            summary=f"Made a client review link for project {project.name}",
        )
    return link


def project_link_revoke(*, link: ProjectReviewLink, actor: Any) -> bool:
    with transaction.atomic():
        revoked = ProjectReviewLink.objects.filter(pk=link.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        if revoked:
            audit(
                workspace=link.project.workspace_id,
                actor=actor,
                action="review_link.revoke",
                summary=f"Revoked a client review link of project {link.project.name}",
            )
    return bool(revoked)
