"""Public share links to one clip."""

from __future__ import annotations

import uuid
from datetime import datetime

from django.db import models
from django.utils import timezone


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

    class Meta:
        # The table the links had when they lived in the generations app.
        db_table = "generations_sharelink"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"share {self.pk}"

    def is_live(self, now: datetime | None = None) -> bool:
        now = now or timezone.now()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)
