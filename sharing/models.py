"""Public share links to one clip."""

from __future__ import annotations

import uuid
from datetime import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone

from generations.models import ReviewStatus


class ShareLink(models.Model):
    """A public link to one clip. The token is never stored: it is the link's id plus an
    HMAC of that id under SECRET_KEY (see ``sharing.tokens``), so a database dump does
    not reveal working links, and the owner can still be shown the link again."""

    WORKSPACE_PATH = "generation__workspace"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    generation = models.ForeignKey(
        "generations.Generation", on_delete=models.CASCADE, related_name="share_links"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    show_prompt = models.BooleanField(default=False)
    view_count = models.PositiveIntegerField(default=0)
    # What a guest holding the link may do besides watching (sharing.guest).
    allow_comments = models.BooleanField(default=False)
    allow_approval = models.BooleanField(default=False)

    class Meta:
        # The table the links had when they lived in the generations app.
        db_table = "generations_sharelink"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"share {self.pk}"

    def is_live(self, now: datetime | None = None) -> bool:
        now = now or timezone.now()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)


class ReviewChange(models.Model):
    """One move of a clip's review status: who (a member, or a guest by the name they gave
    through a share link) and when. The clip's page lists them."""

    WORKSPACE_PATH = "generation__workspace"

    generation = models.ForeignKey(
        "generations.Generation", on_delete=models.CASCADE, related_name="review_changes"
    )
    at = models.DateTimeField(default=timezone.now)
    from_status = models.CharField(max_length=20, choices=ReviewStatus.choices)
    to_status = models.CharField(max_length=20, choices=ReviewStatus.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    guest_name = models.CharField(max_length=80, blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.from_status} → {self.to_status}"

    @property
    def who(self) -> str:
        if self.actor_id:
            return self.actor.get_username()
        return f"{self.guest_name} (guest)" if self.guest_name else "a former member"


class Comment(models.Model):
    """A comment pinned to a moment of the clip (``start``) or a range (``start``–``end``),
    in seconds; written by a member or by a guest through a share link."""

    WORKSPACE_PATH = "generation__workspace"

    generation = models.ForeignKey(
        "generations.Generation", on_delete=models.CASCADE, related_name="comments"
    )
    created_at = models.DateTimeField(default=timezone.now)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    guest_name = models.CharField(max_length=80, blank=True)
    guest_email = models.EmailField(blank=True)
    link = models.ForeignKey(ShareLink, null=True, blank=True, on_delete=models.SET_NULL)
    body = models.TextField(max_length=2000)
    start = models.FloatField()
    end = models.FloatField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["start", "created_at", "pk"]
        indexes = [models.Index(fields=["generation", "start"], name="comment_clip_start")]

    def __str__(self) -> str:
        return f"comment at {self.start} s"

    @property
    def who(self) -> str:
        if self.author_id:
            return self.author.get_username()
        return f"{self.guest_name} (guest)" if self.guest_name else "a former member"


class Notification(models.Model):
    """An entry of a member's in-app inbox (an @mention, for now)."""

    WORKSPACE_PATH = "workspace"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE)
    generation = models.ForeignKey(
        "generations.Generation", null=True, blank=True, on_delete=models.CASCADE
    )
    comment = models.ForeignKey(Comment, null=True, blank=True, on_delete=models.CASCADE)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    text = models.CharField(max_length=300)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["user", "read_at"], name="notification_unread")]

    def __str__(self) -> str:
        return self.text


class ProjectReviewLink(models.Model):
    """A client's link to every clip of one project that is In review (token as for
    ``ShareLink``: its id plus an HMAC, nothing secret stored)."""

    WORKSPACE_PATH = "project__workspace"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    project = models.ForeignKey(
        "workspaces.Project", on_delete=models.CASCADE, related_name="review_links"
    )
    created_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"review link {self.pk}"

    def is_live(self) -> bool:
        return self.revoked_at is None
