"""Generations and their history. Models answer questions; every state change lives in
``services.py`` as a compare-and-set update."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property


class Status(models.TextChoices):
    QUEUED = "queued", "Queued"
    SUBMITTING = "submitting", "Submitting"
    RUNNING = "running", "Generating"
    SAVING = "saving", "Saving"
    SUCCEEDED = "succeeded", "Ready"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


TERMINAL = (Status.SUCCEEDED, Status.FAILED, Status.CANCELLED)
UNFINISHED = (Status.QUEUED, Status.SUBMITTING, Status.RUNNING, Status.SAVING)
SHARED_FOREVER = datetime(9999, 12, 31, tzinfo=UTC)


# The options a user picks besides the prompt, seed and references: what "Run again" repeats
# and what the form keeps after a submit.
OPTION_FIELDS = (
    "model",
    "duration",
    "aspect_ratio",
    "generate_audio",
    "watermark",
    "camera_fixed",
    "return_last_frame",
)


class Mode(models.TextChoices):
    TEXT = "text", "Text to video"
    IMAGE = "image", "Image to video"
    FIRST_LAST = "first_last", "First + last frame"
    REFERENCE = "reference", "Multi-reference"
    EDIT = "edit", "Edit video"
    EXTEND = "extend", "Extend video"


class AspectRatio(models.TextChoices):
    LANDSCAPE = "16:9", "16:9 landscape"
    PORTRAIT = "9:16", "9:16 portrait"
    SQUARE = "1:1", "1:1 square"


def _result_path(instance: Generation, filename: str) -> str:
    # Unguessable and per workspace; the upstream file name is never used. Files saved
    # before workspaces keep their users/<id>/ names.
    return (
        f"workspaces/{instance.workspace_id}/generations/{instance.pk}/"
        f"{uuid.uuid4().hex}-{filename}"
    )


class ReviewStatus(models.TextChoices):
    """Where a clip is in its sign-off (the rules of moving between them: sharing.review)."""

    DRAFT = "draft", "Draft"
    IN_REVIEW = "in_review", "In review"
    CHANGES_REQUESTED = "changes_requested", "Changes requested"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"


class Generation(models.Model):
    WORKSPACE_PATH = "workspace"  # how workspaces.access reaches the workspace

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    workspace = models.ForeignKey(
        "workspaces.Workspace", on_delete=models.CASCADE, related_name="generations"
    )
    project = models.ForeignKey(
        "workspaces.Project", on_delete=models.PROTECT, related_name="generations"
    )
    # Who made it. A deleted account leaves the team's clips in place.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="created by",
        null=True,
        on_delete=models.SET_NULL,
        related_name="generations",
    )
    mode = models.CharField(max_length=20, choices=Mode.choices, default=Mode.TEXT)
    model = models.CharField("tier", max_length=40)
    prompt = models.TextField()
    duration = models.PositiveSmallIntegerField()
    aspect_ratio = models.CharField(max_length=5, choices=AspectRatio.choices)
    generate_audio = models.BooleanField(default=False)
    # Always explicit (a random one when the user leaves it blank) so a re-run can repeat
    # the look and an unknown-outcome submission can be recognised upstream.
    seed = models.BigIntegerField()
    watermark = models.BooleanField(default=False)
    camera_fixed = models.BooleanField(default=False)
    return_last_frame = models.BooleanField(default=False)
    estimated_cost = models.DecimalField(max_digits=10, decimal_places=4, default=0)
    starred = models.BooleanField(default=False)
    # Until when a live share link exists (the latest expiry; SHARED_FOREVER when one never
    # expires), kept by the share services so the gallery needs no per-card subquery.
    shared_until = models.DateTimeField(null=True, blank=True)
    # Generations made together ("Make all formats") share a group id.
    group = models.UUIDField(null=True, blank=True, db_index=True)
    review_status = models.CharField(
        max_length=20, choices=ReviewStatus.choices, default=ReviewStatus.DRAFT
    )
    # The version stack: a clip made by "Edit and run" or "Run again" joins its source's
    # stack with the next number (services.versions); a new clip starts one of its own,
    # named by its own id, as v1.
    stack = models.UUIDField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    status = models.CharField(
        max_length=12, choices=Status.choices, default=Status.QUEUED, db_index=True
    )
    progress = models.PositiveSmallIntegerField(default=0)
    upstream_task_id = models.CharField(max_length=100, blank=True)
    upstream_status = models.CharField(max_length=30, blank=True)
    error_code = models.CharField(max_length=80, blank=True)
    error_message = models.TextField(blank=True)
    charged = models.CharField(
        max_length=10,
        blank=True,
        help_text="Whether the provider is believed to have billed a failure: yes/no/maybe.",
    )

    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    # No index of its own: every reader asks per workspace (gen_ws_updated), and a global one
    # tempted PostgreSQL into scanning other workspaces' newest changes for one's latest.
    updated_at = models.DateTimeField(default=timezone.now)
    submitted_at = models.DateTimeField(null=True, blank=True)
    upstream_completed_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # The row is the outbox: when the next action (submit or poll) is due, and the
    # deadline after which the generation is failed as timed out.
    next_poll_at = models.DateTimeField(null=True, blank=True, db_index=True)
    deadline_at = models.DateTimeField(null=True, blank=True)
    submit_attempts = models.PositiveSmallIntegerField(default=0)
    save_attempts = models.PositiveSmallIntegerField(default=0)
    # Upstream result links, kept only until the files are copied; never shown to anyone.
    result_url = models.TextField(blank=True)
    result_last_frame_url = models.TextField(blank=True)
    poll_count = models.PositiveIntegerField(default=0)
    # What is wrong with polling a sent task right now (a key in errors.PROBLEMS: a refused
    # key, an unknown task, a spent quota, no answer, a finish without a link) and since
    # when; cleared by the next good answer. Polling goes on until the deadline meanwhile.
    upstream_problem = models.CharField(max_length=20, blank=True, db_index=True)
    upstream_problem_since = models.DateTimeField(null=True, blank=True)
    # Consecutive polls that met the current problem (its backoff, and how often a
    # "completed" without a link is asked again before it counts as a failure).
    poll_failures = models.PositiveSmallIntegerField(default=0)

    video = models.FileField(upload_to=_result_path, max_length=300, blank=True)
    poster = models.FileField(upload_to=_result_path, max_length=300, blank=True)
    last_frame = models.FileField(upload_to=_result_path, max_length=300, blank=True)
    video_bytes = models.BigIntegerField(null=True, blank=True)
    video_sha256 = models.CharField(max_length=64, blank=True)
    video_width = models.PositiveIntegerField(null=True, blank=True)
    video_height = models.PositiveIntegerField(null=True, blank=True)
    video_duration = models.FloatField(null=True, blank=True)
    video_has_audio = models.BooleanField(null=True, blank=True)
    video_frames = models.PositiveIntegerField(null=True, blank=True)
    # The last frame was asked for but could not be fetched: the video was saved anyway.
    last_frame_missing = models.BooleanField(default=False)
    # What the provider bills (usage.completion_tokens), when it says; and the settled cost,
    # from those tokens or else from the probed output (docs/provider.md, "Billing").
    usage_tokens = models.PositiveBigIntegerField(null=True, blank=True)
    settled_cost = models.DecimalField(max_digits=10, decimal_places=4, null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            # The gallery's keyset order, tie-break included, so a page never sorts the
            # workspace's whole history; and the same within one project.
            models.Index(fields=["workspace", "-created_at", "-id"], name="gen_ws_created_id"),
            models.Index(fields=["project", "-created_at", "-id"], name="gen_project_created_id"),
            # "Is anything of this workspace still running?" on every gallery load.
            models.Index(fields=["workspace", "status"], name="gen_ws_status"),
            # The per-member limits count a member's recent and unfinished clips.
            models.Index(fields=["user", "status"], name="gen_user_status"),
            models.Index(fields=["user", "created_at"], name="gen_user_created"),
            # Poll timing learns from a tier's latest successes on every poll.
            models.Index(
                fields=["model", "status", "-upstream_completed_at"], name="gen_model_finished"
            ),
            # The live refresh asks for a workspace's newest change every 2 s per open tab.
            models.Index(fields=["workspace", "updated_at"], name="gen_ws_updated"),
            models.Index(fields=["workspace", "review_status"], name="gen_ws_review"),
            # A project review link lists a project's clips that are In review.
            models.Index(fields=["project", "review_status"], name="gen_project_review"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(duration__gte=5) & Q(duration__lte=15), name="gen_duration_5_15"
            ),
            models.CheckConstraint(condition=Q(progress__lte=100), name="gen_progress_le_100"),
            # Two versions of one stack never share a number, however the race goes; the
            # unique index also serves the stack's listing.
            models.UniqueConstraint(fields=["stack", "version"], name="gen_stack_version"),
        ]

    def __str__(self) -> str:
        return f"{self.model} · {self.prompt[:40]}"

    def get_absolute_url(self) -> str:
        return self.url

    @cached_property
    def url(self) -> str:
        """The clip's page; its actions and files live below it (``<url>poster/`` …).

        Cards use it instead of one ``{% url %}`` per link: reversing is the costliest part
        of rendering a gallery page (benchmarks/, gallery_time figure).
        """
        return reverse("generations:detail", args=[self.pk])

    @property
    def shared(self) -> bool:
        """Whether a live share link exists now (the gallery's page statement asks the same
        in SQL: ``shared_until > now``)."""
        return self.shared_until is not None and self.shared_until > timezone.now()

    @property
    def stack_key(self) -> uuid.UUID:
        """The stack this clip belongs to (its own id for a clip made before stacks)."""
        return self.stack or self.pk

    @property
    def cost(self) -> Decimal:
        """The settled cost where known, else the estimate: what limits and totals count."""
        return self.settled_cost if self.settled_cost is not None else self.estimated_cost

    @property
    def cost_gap(self) -> Decimal | None:
        """Settled minus estimated (positive: it cost more than estimated), once settled."""
        if self.settled_cost is None:
            return None
        return self.settled_cost - self.estimated_cost

    @property
    def problem_message(self) -> str:
        """The honest sentence for ``upstream_problem`` while the clip is unfinished."""
        from studiolib.errors import PROBLEMS

        return PROBLEMS.get(self.upstream_problem, "") if self.is_running else ""

    @property
    def is_finished(self) -> bool:
        return self.status in TERMINAL

    @property
    def is_running(self) -> bool:
        return self.status in UNFINISHED

    @property
    def elapsed_seconds(self) -> int:
        end = self.finished_at or timezone.now()
        return max(0, int((end - self.created_at).total_seconds()))


class Event(models.Model):
    """One line of a generation's status history, written in the transition's transaction."""

    WORKSPACE_PATH = "generation__workspace"

    generation = models.ForeignKey(Generation, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=12, choices=Status.choices)
    message = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.at:%H:%M:%S} {self.status}"


class ReferenceRole(models.TextChoices):
    FIRST_FRAME = "first_frame", "First frame"
    LAST_FRAME = "last_frame", "Last frame"
    IMAGE = "image", "Reference image"
    VIDEO = "video", "Reference video"
    AUDIO = "audio", "Reference audio"
    SOURCE_VIDEO = "source_video", "Source video"


def _reference_path(instance: Reference, filename: str) -> str:
    return f"workspaces/{instance.generation.workspace_id}/references/{uuid.uuid4().hex}-{filename}"


class Reference(models.Model):
    """A reference file of a generation, stored under an unguessable key.

    Created in the same transaction as its generation, so there is never a generation
    without its references. A reused earlier output is copied, so deleting the earlier
    clip never breaks this one.
    """

    WORKSPACE_PATH = "generation__workspace"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    generation = models.ForeignKey(Generation, on_delete=models.CASCADE, related_name="references")
    role = models.CharField(max_length=20, choices=ReferenceRole.choices)
    kind = models.CharField(max_length=10)  # image | video | audio
    position = models.PositiveSmallIntegerField(default=0)
    file = models.FileField(upload_to=_reference_path, max_length=300)
    content_type = models.CharField(max_length=50)
    size = models.BigIntegerField()
    sha256 = models.CharField(max_length=64)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    duration = models.FloatField(null=True, blank=True)
    original_name = models.CharField(max_length=200, blank=True)
    source_generation = models.ForeignKey(
        Generation, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["role", "position"]

    def __str__(self) -> str:
        return f"{self.get_role_display()} {self.position + 1}"
