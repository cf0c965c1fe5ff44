"""The campaign matrix: a batch of text-to-video clips made from one prompt template and a
table of rows, in several formats and tiers; and recipes, a batch's setup kept by name.

A batch's cells (``BatchItem``: one row × format × tier) each point at their latest
generation; a retried cell points at the new attempt, and earlier attempts stay in the
clip's version stack (``generations.services.versions``).
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone


class Batch(models.Model):
    WORKSPACE_PATH = "workspace"  # how workspaces.access reaches the workspace

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    workspace = models.ForeignKey(
        "workspaces.Workspace", on_delete=models.CASCADE, related_name="batches"
    )
    project = models.ForeignKey(
        "workspaces.Project", on_delete=models.PROTECT, related_name="batches"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    name = models.CharField(max_length=80)
    template = models.TextField()
    columns = models.JSONField(default=list)  # the header of the rows, in order
    formats = models.JSONField(default=list)  # aspect ratios, e.g. ["9:16", "1:1"]
    tiers = models.JSONField(default=list)  # models, e.g. ["seedance2.0-480p"]
    # The per-clip settings of the studio's text-to-video form (duration, seed, switches).
    settings = models.JSONField(default=dict)
    estimated_total = models.DecimalField(max_digits=12, decimal_places=4, default=0)
    # The form's one-time token: a second submission of the same form finds this batch
    # instead of making another.
    form_token = models.UUIDField(unique=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["workspace", "-created_at"], name="batch_ws_created")]

    def __str__(self) -> str:
        return self.name


class BatchRow(models.Model):
    WORKSPACE_PATH = "batch__workspace"

    batch = models.ForeignKey(Batch, on_delete=models.CASCADE, related_name="rows")
    # Numbered from 1 under the header line, as the refusals and the manifest name them.
    number = models.PositiveIntegerField()
    variables = models.JSONField(default=dict)
    prompt = models.TextField()
    # The row's clips share this group, so a clip's page shows the row's other formats.
    group = models.UUIDField(default=uuid.uuid4)

    class Meta:
        ordering = ["number"]
        constraints = [
            models.UniqueConstraint(fields=["batch", "number"], name="batchrow_number_once")
        ]

    def __str__(self) -> str:
        return f"row {self.number}"


class BatchItem(models.Model):
    """One cell of the matrix: a row in one format and tier, and its latest attempt."""

    WORKSPACE_PATH = "batch__workspace"

    batch = models.ForeignKey(Batch, on_delete=models.CASCADE, related_name="items")
    row = models.ForeignKey(BatchRow, on_delete=models.CASCADE, related_name="items")
    aspect_ratio = models.CharField(max_length=5)
    model = models.CharField("tier", max_length=40)
    # A clip deleted from the gallery leaves its cell empty (it can be retried).
    generation = models.ForeignKey(
        "generations.Generation",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="batch_items",
    )
    attempts = models.PositiveSmallIntegerField(default=1)

    class Meta:
        ordering = ["row__number", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["row", "aspect_ratio", "model"], name="batchitem_cell_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.row_id} {self.aspect_ratio} {self.model}"


class Recipe(models.Model):
    """A batch's setup kept by name in the workspace; "New batch from recipe" fills the
    form with it (the rows themselves are not kept: each batch brings its own)."""

    WORKSPACE_PATH = "workspace"

    workspace = models.ForeignKey(
        "workspaces.Workspace", on_delete=models.CASCADE, related_name="recipes"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    name = models.CharField(max_length=80)
    template = models.TextField()
    columns = models.JSONField(default=list)
    formats = models.JSONField(default=list)
    tiers = models.JSONField(default=list)
    settings = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = [Lower("name")]
        constraints = [
            models.UniqueConstraint(
                "workspace", Lower("name"), name="recipe_name_unique_in_workspace"
            )
        ]

    def __str__(self) -> str:
        return self.name


class BatchExport(models.Model):
    """The brand kit applied to a batch once: what was asked and what came of it. Its
    form token makes a double-click of the same form find this row instead of queueing
    every export twice; applying again (a new form) makes a new row and new exports."""

    WORKSPACE_PATH = "batch__workspace"

    batch = models.ForeignKey(Batch, on_delete=models.CASCADE, related_name="exports")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    form_token = models.UUIDField(unique=True)
    preset = models.CharField(max_length=20, blank=True)  # "" = each format's own preset
    fit = models.CharField(max_length=4, default="pad")
    caption_template = models.TextField(blank=True)
    use_logo = models.BooleanField(default=False)
    use_end_card = models.BooleanField(default=False)
    use_ai_label = models.BooleanField(default=False)
    queued = models.PositiveIntegerField(default=0)
    # [{"row": 2, "format": "9:16", "reason": "..."}] for the cells that were not queued.
    refused = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"brand kit applied to {self.batch_id}"
