"""Review (issue 15) through real views and the database: who may move a clip's status,
comments and their errors, @mentions (inbox entry, unread count through the live
requests, email), the guest rate limit and 410 once a link is revoked."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from generations.models import Generation, ReviewStatus
from sharing import review
from sharing.models import Comment, Notification, ProjectReviewLink, ReviewChange, ShareLink
from sharing.tokens import project_token_for, token_for
from tests.access_matrix import MEMBER_ROLES
from tests.matrix_world import build_world, client_for, finished_clip
from workspaces.access import ABILITIES, Can
from workspaces.models import Membership

pytestmark = pytest.mark.django_db

S = ReviewStatus


@pytest.fixture
def world(local_media):
    return build_world()


def post_status(world, role: str, to: str):
    return client_for(world, role).post(
        reverse("sharing:review_status", kwargs={"pk": world.clip.pk}), {"to": to}
    )


@pytest.mark.parametrize("role", MEMBER_ROLES)
def test_only_editors_submit_and_only_reviewers_and_above_decide(world, role):
    submitted = post_status(world, role, S.IN_REVIEW)
    world.clip.refresh_from_db()
    can_edit = "edit" in ABILITIES[role]
    assert submitted.status_code == (302 if can_edit else 403)
    assert world.clip.review_status == (S.IN_REVIEW if can_edit else S.DRAFT)

    Generation.objects.filter(pk=world.clip.pk).update(review_status=S.IN_REVIEW)
    for to in (S.APPROVED, S.REJECTED):
        Generation.objects.filter(pk=world.clip.pk).update(review_status=S.IN_REVIEW)
        answer = post_status(world, role, to)
        world.clip.refresh_from_db()
        can_decide = "approve" in ABILITIES[role]
        assert answer.status_code == (302 if can_decide else 403), (role, to)
        assert world.clip.review_status == (to if can_decide else S.IN_REVIEW), (role, to)


def test_every_change_is_recorded_with_who_and_when_and_shown_on_the_clip(world):
    before = timezone.now()
    post_status(world, "editor", S.IN_REVIEW)
    post_status(world, "reviewer", S.CHANGES_REQUESTED)
    post_status(world, "editor", S.IN_REVIEW)
    post_status(world, "reviewer", S.APPROVED)
    changes = list(ReviewChange.objects.filter(generation=world.clip))
    assert [(c.to_status, c.actor.username) for c in changes] == [
        (S.IN_REVIEW, world.users["editor"].username),
        (S.CHANGES_REQUESTED, world.users["reviewer"].username),
        (S.IN_REVIEW, world.users["editor"].username),
        (S.APPROVED, world.users["reviewer"].username),
    ]
    assert all(c.at >= before for c in changes)
    page = client_for(world, "viewer").get(
        reverse("generations:detail", kwargs={"pk": world.clip.pk})
    )
    html = page.content.decode()
    assert 'data-review-status="approved"' in html
    assert f"<strong>Approved</strong> by {world.users['reviewer'].username}" in html
    gallery = client_for(world, "viewer").get(reverse("generations:gallery")).content.decode()
    assert "review-approved" in gallery


def test_a_move_the_status_does_not_allow_is_refused_and_two_at_once_record_one(world):
    answer = post_status(world, "owner", S.APPROVED)  # a draft cannot be approved
    assert answer.status_code == 302
    world.clip.refresh_from_db()
    assert world.clip.review_status == S.DRAFT
    Generation.objects.filter(pk=world.clip.pk).update(review_status=S.IN_REVIEW)
    stale = Generation.objects.get(pk=world.clip.pk)
    other = Generation.objects.get(pk=world.clip.pk)
    author = review.Author(user=world.users["owner"])
    assert review.status_set(generation=stale, to=S.APPROVED, author=author, can=Can("owner"))
    assert not review.status_set(generation=other, to=S.REJECTED, author=author, can=Can("owner"))
    assert ReviewChange.objects.filter(generation=world.clip).count() == 1


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"body": "", "start": "3"}, "Write a comment."),
        ({"body": "x", "start": ""}, "Give the time"),
        ({"body": "x", "start": "soon"}, "seconds or mm:ss"),
        ({"body": "x", "start": "00:05", "end": "00:02"}, "out point"),
        ({"body": "x" * 2001, "start": "1"}, "2000 characters"),
    ],
)
def test_a_bad_comment_is_a_clear_error_and_nothing_is_saved(world, data, message):
    client = client_for(world, "reviewer")
    url = reverse("sharing:comment", kwargs={"pk": world.clip.pk})
    page = client.post(url, data, follow=True)
    assert page.status_code == 200
    assert message in page.content.decode()
    assert not Comment.objects.exists()


def test_comments_are_pinned_to_a_time_or_range_and_resolve_and_reopen(world):
    client = client_for(world, "reviewer")
    url = reverse("sharing:comment", kwargs={"pk": world.clip.pk})
    client.post(url, {"body": "Range", "start": "00:01", "end": "1:02.5"})
    client.post(url, {"body": "Moment", "start": "3"})
    first, second = Comment.objects.order_by("start")
    assert (first.start, first.end, second.start, second.end) == (1.0, 62.5, 3.0, None)
    html = client.get(reverse("generations:detail", kwargs={"pk": world.clip.pk})).content
    assert b'data-seek="3.0"' in html and b"00:01\xe2\x80\x9301:02" in html
    resolve = reverse(
        "sharing:comment_resolve", kwargs={"pk": world.clip.pk, "comment_id": second.pk}
    )
    client.post(resolve, {"resolved": "1"})
    second.refresh_from_db()
    assert second.resolved_at is not None and second.resolved_by == world.users["reviewer"]
    client.post(resolve, {"resolved": "0"})
    second.refresh_from_db()
    assert second.resolved_at is None


def test_a_mention_notifies_the_member_in_the_inbox_live_and_by_mail(
    world, mailoutbox, django_capture_on_commit_callbacks
):
    owner = world.users["owner"]
    owner.email = "owner@example.com"
    owner.save()
    editor = client_for(world, "editor")
    owner_client = client_for(world, "owner")
    version = owner_client.get(reverse("generations:gallery")).context["live_version"]
    with django_capture_on_commit_callbacks(execute=True):
        editor.post(
            reverse("sharing:comment", kwargs={"pk": world.clip.pk}),
            {"body": f"@{owner.username} and @nobody: logo at 3 s", "start": "3"},
        )
    notes = list(Notification.objects.all())
    assert [n.user for n in notes] == [owner]  # @nobody is no member: no entry
    assert len(mailoutbox) == 1 and mailoutbox[0].to == ["owner@example.com"]
    assert f"/generations/{world.clip.pk}/" in mailoutbox[0].body
    # The gallery's one live request brings the unread count into the header.
    live = owner_client.get(
        reverse("generations:live"), {"v": version}, headers={"HX-Request": "true"}
    )
    assert live.status_code == 200
    assert b'id="inbox-count"' in live.content and b">1</span>" in live.content
    # The clip page's live request: 204 until something changes, then the comment and count.
    clip_live = reverse("sharing:review_live", kwargs={"pk": world.clip.pk})
    fresh = owner_client.get(clip_live, {"v": "0"})
    assert b"logo at 3 s" in fresh.content and b">1</span>" in fresh.content
    token = fresh.content.decode().split('data-version="', 1)[1].split('"', 1)[0]
    assert owner_client.get(clip_live, {"v": token}).status_code == 204
    inbox = owner_client.get(reverse("sharing:inbox")).content.decode()
    assert "mentioned you" in inbox
    assert Membership.objects.get(workspace=world.workspace, user=owner).unread_hint
    owner_client.post(reverse("sharing:inbox_read"))
    assert review.unread_count(owner) == 0
    # Read: the hint is cleared, so the header counts without a query.
    assert not Membership.objects.get(workspace=world.workspace, user=owner).unread_hint
    # Nobody else has it: the editor's own inbox is empty.
    assert review.unread_count(world.users["editor"]) == 0


def test_guests_are_rate_limited_per_link_and_address(world, settings):
    settings.SHARE_GUEST_POSTS_PER_WINDOW = 3
    ShareLink.objects.filter(pk=world.share.pk).update(allow_comments=True)
    world.share.refresh_from_db()
    guest = Client()
    answers = [
        guest.post(
            reverse("share_comment", kwargs={"token": token_for(world.share)}),
            {"name": "Client", "body": f"note {i}", "start": "1"},
            REMOTE_ADDR="203.0.113.9",
        ).status_code
        for i in range(4)
    ]
    assert answers == [302, 302, 302, 429]
    assert Comment.objects.count() == 3
    elsewhere = guest.post(
        reverse("share_comment", kwargs={"token": token_for(world.share)}),
        {"name": "Client", "body": "from another address", "start": "1"},
        REMOTE_ADDR="198.51.100.4",
    )
    assert elsewhere.status_code == 302 and Comment.objects.count() == 4


def test_a_guest_needs_a_name_and_a_valid_email_if_any(world):
    ShareLink.objects.filter(pk=world.share.pk).update(allow_comments=True)
    url = reverse("share_comment", kwargs={"token": token_for(world.share)})
    nameless = Client().post(url, {"name": " ", "body": "hi", "start": "1"})
    bad_mail = Client().post(url, {"name": "Ann", "email": "nope", "body": "hi", "start": "1"})
    assert nameless.status_code == 400 and b"Give your name" in nameless.content
    assert bad_mail.status_code == 400 and b"email address" in bad_mail.content
    assert not Comment.objects.exists()


def test_a_revoked_or_expired_link_answers_410_to_posts_at_once(world):
    ShareLink.objects.filter(pk=world.share.pk).update(allow_comments=True, allow_approval=True)
    Generation.objects.filter(pk=world.clip.pk).update(review_status=S.IN_REVIEW)
    guest = Client()
    url = reverse("share_comment", kwargs={"token": token_for(world.share)})
    assert guest.post(url, {"name": "Ann", "body": "ok", "start": "1"}).status_code == 302
    owner = client_for(world, "owner")
    owner.post(reverse("sharing:revoke", kwargs={"pk": world.clip.pk, "link_id": world.share.pk}))
    assert guest.post(url, {"name": "Ann", "body": "late", "start": "1"}).status_code == 410
    decide = reverse("share_decide", kwargs={"token": token_for(world.share)})
    assert guest.post(decide, {"name": "Ann", "to": "approved"}).status_code == 410
    expired = ShareLink.objects.create(
        generation=world.clip, allow_comments=True, expires_at=timezone.now()
    )
    late = reverse("share_comment", kwargs={"token": token_for(expired)})
    assert guest.post(late, {"name": "Ann", "body": "late", "start": "1"}).status_code == 410
    assert list(Comment.objects.values_list("body", flat=True)) == ["ok"]
    world.clip.refresh_from_db()
    assert world.clip.review_status == S.IN_REVIEW


def test_a_guest_approves_only_an_in_review_clip_and_only_approve_or_request_changes(world):
    ShareLink.objects.filter(pk=world.share.pk).update(allow_approval=True)
    url = reverse("share_decide", kwargs={"token": token_for(world.share)})
    guest = Client()
    assert guest.post(url, {"name": "Ann", "to": "approved"}).status_code == 400  # a draft
    Generation.objects.filter(pk=world.clip.pk).update(review_status=S.IN_REVIEW)
    assert guest.post(url, {"name": "Ann", "to": "rejected"}).status_code == 400
    assert guest.post(url, {"name": "Ann", "to": "approved"}).status_code == 302
    world.clip.refresh_from_db()
    assert world.clip.review_status == S.APPROVED
    change = ReviewChange.objects.get(generation=world.clip)
    assert change.actor is None and change.guest_name == "Ann"


def test_a_project_review_link_lists_the_projects_clips_in_review_live(world):
    owner = client_for(world, "owner")
    owner.post(reverse("sharing:project_link_create", kwargs={"pk": world.project.pk}))
    link = ProjectReviewLink.objects.get(project=world.project)
    url = reverse("project_review", kwargs={"token": project_token_for(link)})
    Generation.objects.filter(pk=world.clip.pk).update(review_status=S.IN_REVIEW)
    elsewhere = finished_clip(
        user=world.users["editor"],
        workspace=world.workspace,
        project=world.other_project,
        prompt="Other project",
    )
    Generation.objects.filter(pk=elsewhere.pk).update(review_status=S.IN_REVIEW)
    client = Client()
    page = client.get(url)
    assert page.status_code == 200
    listed = page.content.decode()
    assert str(world.clip.pk) in listed and str(elsewhere.pk) not in listed
    stamp = listed.split("?v=", 1)[1].split('"', 1)[0]
    hx = {"HX-Request": "true"}
    assert client.get(url, {"v": stamp}, headers=hx).status_code == 204
    second = finished_clip(
        user=world.users["editor"], workspace=world.workspace, project=world.project, prompt="B"
    )
    client_for(world, "editor").post(
        reverse("sharing:review_status", kwargs={"pk": second.pk}), {"to": "in_review"}
    )
    fresh = client.get(url, {"v": stamp}, headers=hx)
    assert fresh.status_code == 200 and str(second.pk) in fresh.content.decode()
    media = reverse(
        "project_review_media",
        kwargs={"token": project_token_for(link), "clip": second.pk, "kind": "video.mp4"},
    )
    assert client.get(media).status_code == 200
    owner.post(
        reverse("sharing:project_link_revoke", kwargs={"pk": world.project.pk, "link_id": link.pk})
    )
    assert client.get(url).status_code == 410
    assert client.get(media).status_code == 410


def test_review_changes_and_comments_reach_the_workspaces_webhooks(
    world, django_capture_on_commit_callbacks
):
    from webhooks import services as webhooks
    from webhooks.models import Delivery

    events = ["clip.status_changed", "clip.approved", "clip.comment_added"]
    webhooks.endpoint_create(
        workspace=world.workspace,
        actor=None,
        url="https://hooks.example.com/in",
        events=events,
        fmt="standard",
    )
    Generation.objects.filter(pk=world.clip.pk).update(review_status=S.IN_REVIEW)
    clip = Generation.objects.get(pk=world.clip.pk)
    author = review.Author(user=world.users["reviewer"])
    with django_capture_on_commit_callbacks():  # recorded now; nothing is sent here
        review.comment_add(generation=clip, author=author, body="Logo later", start="00:03")
        review.status_set(generation=clip, to=S.APPROVED, author=author, can=Can("reviewer"))
    sent = dict(Delivery.objects.values_list("event", "body"))
    assert set(sent) == set(events)
    assert '"to": "approved"' in sent["clip.approved"] or '"to":"approved"' in sent["clip.approved"]
    assert "Logo later" in sent["clip.comment_added"]


def test_a_comment_offers_edit_and_run_to_those_who_generate(world):
    review.comment_add(
        generation=world.clip,
        author=review.Author(user=world.users["reviewer"]),
        body="Brighter sky",
        start="2",
    )
    edit = reverse("generations:iterate", args=[world.clip.pk, "edit"])
    page = client_for(world, "editor").get(world.clip.url).content.decode()
    assert 'class="edit-from-comment"' in page and edit in page
    page = client_for(world, "reviewer").get(world.clip.url).content.decode()
    assert 'class="edit-from-comment"' not in page
