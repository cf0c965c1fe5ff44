"""Matrix rows for review (issue 15): status moves, time-coded comments, the clip page's
live request, the inbox, project review links, and what a guest may post through a link."""

from __future__ import annotations

from django.utils import timezone

from generations.models import Generation, ReviewStatus
from sharing.models import Comment, ProjectReviewLink, ReviewChange, ShareLink
from sharing.tokens import project_token_for, token_for
from tests.access_matrix import LOGIN, Route, World, everyone, ladder
from workspaces.access import ABILITIES


def may(role: str, ability: str) -> bool:
    return role in ABILITIES and ability in ABILITIES[role]


def in_review(world: World) -> World:
    Generation.objects.filter(pk=world.clip.pk).update(review_status=ReviewStatus.IN_REVIEW)
    return world


def clip(world: World) -> dict:
    return {"pk": world.clip.pk}


def a_comment(world: World) -> dict:
    made = Comment.objects.create(generation=world.clip, body="Too dark", start=3)
    return {"pk": world.clip.pk, "comment_id": made.pk}


def a_project_link(world: World) -> dict:
    link = ProjectReviewLink.objects.create(project=world.project)
    return {"pk": world.project.pk, "link_id": link.pk}


def guest_link(world: World, **allow: bool) -> dict:
    ShareLink.objects.filter(pk=world.share.pk).update(**allow)
    return {"token": token_for(world.share)}


def revoked(world: World) -> dict:
    ShareLink.objects.filter(pk=world.share.pk).update(
        allow_comments=True, allow_approval=True, revoked_at=timezone.now()
    )
    in_review(world)
    return {"token": token_for(world.share)}


def project_token(world: World, *, revoke: bool = False) -> dict:
    link = ProjectReviewLink.objects.create(
        project=world.project, revoked_at=timezone.now() if revoke else None
    )
    return {"token": project_token_for(link)}


def status_is(expected_if_allowed: str, ability: str):
    def check(world: World, role: str, response) -> None:
        world.clip.refresh_from_db()
        allowed = may(role, ability)
        assert (world.clip.review_status == expected_if_allowed) == allowed, role
        assert ReviewChange.objects.filter(generation=world.clip).exists() == allowed, role

    return check


def commented_if_allowed(world: World, role: str, response) -> None:
    assert Comment.objects.filter(generation=world.clip).exists() == may(role, "comment"), role


def resolved_if_allowed(world: World, role: str, response) -> None:
    found = Comment.objects.get(generation=world.clip)
    assert (found.resolved_at is not None) == may(role, "comment"), role


def guest_commented(world: World, role: str, response) -> None:
    made = Comment.objects.get(generation=world.clip)
    assert made.author_id is None and made.guest_name == "Client", role


def nothing_posted(world: World, role: str, response) -> None:
    assert not Comment.objects.filter(generation=world.clip).exists(), role
    world.clip.refresh_from_db()
    assert world.clip.review_status == ReviewStatus.IN_REVIEW, role


def guest_approved(world: World, role: str, response) -> None:
    world.clip.refresh_from_db()
    assert world.clip.review_status == ReviewStatus.APPROVED, role
    assert ReviewChange.objects.get(generation=world.clip).guest_name == "Client", role


def project_link_made(world: World, role: str, response) -> None:
    made = ProjectReviewLink.objects.filter(project=world.project).exists()
    assert made == may(role, "share"), role


def project_link_revoked(world: World, role: str, response) -> None:
    link = ProjectReviewLink.objects.get(project=world.project)
    assert (link.revoked_at is not None) == may(role, "share"), role


COMMENT = {"body": "Logo too small", "start": "00:03"}
GUEST = {"name": "Client", "email": "client@example.com"}

ROUTES = [
    Route(
        "sharing:review_status",
        ladder("edit", 302),
        method="POST",
        label="submit",
        kwargs=clip,
        data=lambda w: {"to": "in_review"},
        check=status_is(ReviewStatus.IN_REVIEW, "edit"),
    ),
    Route(
        "sharing:review_status",
        ladder("approve", 302),
        method="POST",
        label="approve",
        kwargs=lambda w: clip(in_review(w)),
        data=lambda w: {"to": "approved"},
        check=status_is(ReviewStatus.APPROVED, "approve"),
    ),
    Route(
        "sharing:comment",
        ladder("comment", 302),
        method="POST",
        kwargs=clip,
        data=lambda w: COMMENT,
        check=commented_if_allowed,
    ),
    Route(
        "sharing:comment_resolve",
        ladder("comment", 302),
        method="POST",
        kwargs=a_comment,
        check=resolved_if_allowed,
    ),
    Route("sharing:review_live", ladder("view", 200), kwargs=clip, data=lambda w: {"v": "0"}),
    Route("sharing:inbox", everyone(200, anonymous=LOGIN)),
    Route("sharing:inbox_read", everyone(302, anonymous=LOGIN), method="POST"),
    Route(
        "sharing:project_link_create",
        ladder("share", 302),
        method="POST",
        kwargs=lambda w: {"pk": w.project.pk},
        data=lambda w: {"clip": str(w.clip.pk)},
        check=project_link_made,
    ),
    Route(
        "sharing:project_link_revoke",
        ladder("share", 302),
        method="POST",
        kwargs=a_project_link,
        check=project_link_revoked,
    ),
    Route(
        "share_comment",
        everyone(302),
        method="POST",
        kwargs=lambda w: guest_link(w, allow_comments=True),
        data=lambda w: {**GUEST, **COMMENT},
        check=guest_commented,
    ),
    Route(
        "share_comment",
        everyone(403),
        method="POST",
        label="comments not allowed",
        kwargs=lambda w: guest_link(in_review(w), allow_approval=True),
        data=lambda w: {**GUEST, **COMMENT},
        check=nothing_posted,
    ),
    Route(
        "share_comment",
        everyone(410),
        method="POST",
        label="revoked",
        kwargs=revoked,
        data=lambda w: {**GUEST, **COMMENT},
        check=nothing_posted,
    ),
    Route(
        "share_decide",
        everyone(302),
        method="POST",
        kwargs=lambda w: guest_link(in_review(w), allow_approval=True),
        data=lambda w: {**GUEST, "to": "approved"},
        check=guest_approved,
    ),
    Route(
        "share_decide",
        everyone(403),
        method="POST",
        label="approval not allowed",
        kwargs=lambda w: guest_link(in_review(w), allow_comments=True),
        data=lambda w: {**GUEST, "to": "approved"},
        check=nothing_posted,
    ),
    Route(
        "share_decide",
        everyone(410),
        method="POST",
        label="revoked",
        kwargs=revoked,
        data=lambda w: {**GUEST, "to": "approved"},
        check=nothing_posted,
    ),
    Route("project_review", everyone(200), kwargs=project_token, fresh=True),
    Route(
        "project_review",
        everyone(410),
        label="revoked",
        kwargs=lambda w: project_token(w, revoke=True),
        fresh=True,
    ),
    Route("project_review", everyone(404), label="forged", kwargs=lambda w: {"token": "AAAA"}),
    Route(
        "project_review_media",
        everyone(200),
        label="in review",
        kwargs=lambda w: {**project_token(in_review(w)), "clip": w.clip.pk, "kind": "video.mp4"},
        fresh=True,
    ),
    Route(
        "project_review_media",
        everyone(404),
        label="draft clip",
        kwargs=lambda w: {**project_token(w), "clip": w.clip.pk, "kind": "video.mp4"},
        fresh=True,
    ),
]
