"""Finishing renders of a clip: one row per requested export, with its files and provenance.
Every state change is a compare-and-set in ``exports.services``/``exports.rendering``."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from studiolib.finishing.presets import FITS, PRESETS


class ExportStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RENDERING = "rendering", "Rendering"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


UNFINISHED = (ExportStatus.QUEUED, ExportStatus.RENDERING)


class Export(models.Model):
    WORKSPACE_PATH = "workspace"  # how workspaces.access reaches the workspace

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    workspace = models.ForeignKey(
        "workspaces.Workspace", on_delete=models.CASCADE, related_name="exports"
    )
    generation = models.ForeignKey(
        "generations.Generation", on_delete=models.CASCADE, related_name="exports"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The n-th export of its clip (the {n} of the file-name template).
    number = models.PositiveIntegerField(default=1)
    preset = models.CharField(max_length=20, choices=[(k, p.label) for k, p in PRESETS.items()])
    fit = models.CharField(max_length=4, choices=[(f, f) for f in FITS], default="pad")
    # [{"start": s, "end": s, "text": "..."}], checked against the clip when requested.
    captions = models.JSONField(default=list, blank=True)
    use_logo = models.BooleanField(default=False)
    use_end_card = models.BooleanField(default=False)
    use_ai_label = models.BooleanField(default=False)

    status = models.CharField(
        max_length=10, choices=ExportStatus.choices, default=ExportStatus.QUEUED
    )
    progress = models.PositiveSmallIntegerField(default=0)
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.CharField(max_length=300, blank=True)

    file = models.FileField(max_length=300, blank=True)
    srt = models.FileField(max_length=300, blank=True)
    vtt = models.FileField(max_length=300, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    source_sha256 = models.CharField(max_length=64, blank=True)
    c2pa = models.BooleanField("C2PA manifest embedded", default=False)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    duration = models.FloatField(null=True, blank=True)
    bytes = models.BigIntegerField(null=True, blank=True)

    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Queued: when the render is published again if no worker took it (a flushed broker).
    # Rendering: until when the worker's claim holds; the progress heartbeat extends it, and
    # the sweeper re-queues (or fails, after EXPORT_MAX_ATTEMPTS) a render past it.
    lease_until = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["generation", "-created_at"], name="export_gen_created"),
            models.Index(fields=["status", "lease_until"], name="export_status_lease"),
            models.Index(fields=["workspace", "status"], name="export_ws_status"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(progress__lte=100), name="export_progress_le_100"),
        ]

    def __str__(self) -> str:
        return f"export {self.pk} ({self.preset}, {self.status})"

    @property
    def is_running(self) -> bool:
        return self.status in UNFINISHED

    @property
    def is_done(self) -> bool:
        return self.status == ExportStatus.DONE
