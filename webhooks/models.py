"""Outgoing webhooks: the endpoints a workspace's admins register and each delivery to them.

A delivery row is the outbox: ``emit`` writes it in the transaction of the change it
reports, the task sends it, and its columns are the delivery log an admin reads.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from workspaces.models import Workspace

EVENTS = {
    "clip.status_changed": "A clip's review status changed",
    "clip.comment_added": "A comment was added to a clip",
    "clip.approved": "A clip was approved",
    "generation.succeeded": "A generation finished",
    "generation.failed": "A generation failed",
}
# Sent only by the "send test event" button, whatever events the endpoint chose.
TEST_EVENT = "webhook.test"


class Format(models.TextChoices):
    STANDARD = "standard", "Standard Webhooks (JSON)"
    SLACK = "slack", "Slack-compatible (incoming webhook)"


class Endpoint(models.Model):
    WORKSPACE_PATH = "workspace"  # how workspaces.access reaches the workspace
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="webhooks")
    url = models.CharField(max_length=2000)
    events = models.JSONField(default=list)
    format = models.CharField(max_length=10, choices=Format.choices, default=Format.STANDARD)
    # The Standard Webhooks signing secret (``whsec_`` + base64); needed in clear to sign.
    secret = models.CharField(max_length=100)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.url

    def wants(self, event: str) -> bool:
        return event in self.events


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Waiting"
    SENDING = "sending", "Sending"
    SUCCEEDED = "succeeded", "Delivered"
    FAILED = "failed", "Failed"


class Delivery(models.Model):
    WORKSPACE_PATH = "endpoint__workspace"  # how workspaces.access reaches the workspace
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    endpoint = models.ForeignKey(Endpoint, on_delete=models.CASCADE, related_name="deliveries")
    event = models.CharField(max_length=40)
    # The exact bytes sent (as text), built once: every retry signs and sends the same body.
    body = models.TextField()
    status = models.CharField(
        max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    # When pending: when the next attempt is due. When sending: when the claim lapses and
    # the sweeper may publish the delivery again (a worker lost mid-send).
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    response_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "pk"]
        indexes = [
            models.Index(fields=["endpoint", "-created_at"], name="delivery_log"),
            models.Index(
                fields=["next_attempt_at"],
                name="delivery_due",
                condition=models.Q(status__in=["pending", "sending"]),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event} to {self.endpoint_id} ({self.status})"

    @property
    def message_id(self) -> str:
        """The Standard Webhooks ``webhook-id``: the same on every retry, so a receiver can
        drop a duplicate."""
        return f"msg_{self.pk.hex}"
