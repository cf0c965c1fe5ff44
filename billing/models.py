"""Budgets and the spend ledger.

A ``LedgerEntry`` is written for every clip in the transaction that creates it (its
estimate) and settled when its real cost is known. It names the clip by id only, so spend
history outlives deleted clips. ``SpendDay`` keeps the same money summed per workspace, UTC
day and one dimension (all, member, project, tier): the budget check and the usage report
add up a month of those few rows instead of every clip of the month.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q


class Budget(models.Model):
    """A monthly budget for the whole workspace (``project`` empty) or for one project."""

    WORKSPACE_PATH = "workspace"  # how workspaces.access reaches the workspace
    workspace = models.ForeignKey(
        "workspaces.Workspace", on_delete=models.CASCADE, related_name="budgets"
    )
    project = models.ForeignKey(
        "workspaces.Project",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="budgets",
    )
    amount = models.DecimalField(max_digits=10, decimal_places=2)
    alert_percent = models.PositiveSmallIntegerField(default=80)
    hard_stop = models.BooleanField(default=True)
    # The first day of the month whose soft alert was last sent: one alert per month.
    alerted_month = models.DateField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workspace"],
                condition=Q(project__isnull=True),
                name="budget_one_per_workspace",
            ),
            models.UniqueConstraint(
                fields=["workspace", "project"],
                condition=Q(project__isnull=False),
                name="budget_one_per_project",
            ),
            models.CheckConstraint(condition=Q(amount__gte=0), name="budget_amount_not_negative"),
            models.CheckConstraint(
                condition=Q(alert_percent__gte=1, alert_percent__lte=100),
                name="budget_alert_percent_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} budget"

    @property
    def name(self) -> str:
        return f"project {self.project.name}" if self.project_id else "workspace"

    @property
    def alert_at(self):
        return self.amount * self.alert_percent / 100


class LedgerEntry(models.Model):
    WORKSPACE_PATH = "workspace"  # how workspaces.access reaches the workspace
    workspace = models.ForeignKey(
        "workspaces.Workspace", on_delete=models.CASCADE, related_name="ledger"
    )
    project = models.ForeignKey(
        "workspaces.Project", on_delete=models.PROTECT, related_name="ledger"
    )
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    generation_id = models.UUIDField(unique=True, default=uuid.uuid4)
    model = models.CharField("tier", max_length=40)
    created_at = models.DateTimeField()
    estimated = models.DecimalField(max_digits=10, decimal_places=4)
    # The provider's real charge once known; 0 for a failure that was never sent.
    settled = models.DecimalField(max_digits=10, decimal_places=4, null=True, blank=True)
    settled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["workspace", "created_at"], name="ledger_ws_created")]

    def __str__(self) -> str:
        return (
            f"{self.generation_id}: {self.settled if self.settled is not None else self.estimated}"
        )

    @property
    def spend(self):
        return self.settled if self.settled is not None else self.estimated


class Dimension(models.TextChoices):
    ALL = "all", "Workspace"
    MEMBER = "member", "Member"
    PROJECT = "project", "Project"
    TIER = "tier", "Tier"


class SpendDay(models.Model):
    """The ledger summed per workspace, UTC day and dimension value (``key``: a user id, a
    project id, a tier's model name, or "" for ALL and for a deleted member)."""

    WORKSPACE_PATH = "workspace"  # how workspaces.access reaches the workspace
    workspace = models.ForeignKey(
        "workspaces.Workspace", on_delete=models.CASCADE, related_name="+"
    )
    day = models.DateField()
    dimension = models.CharField(max_length=10, choices=Dimension.choices)
    key = models.CharField(max_length=64, blank=True)
    clips = models.PositiveIntegerField(default=0)
    estimated = models.DecimalField(max_digits=14, decimal_places=4, default=0)
    settled_clips = models.PositiveIntegerField(default=0)
    settled = models.DecimalField(max_digits=14, decimal_places=4, default=0)
    # Settled cost where known, else the estimate: what the budgets count.
    spend = models.DecimalField(max_digits=14, decimal_places=4, default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "dimension", "day", "key"], name="spendday_once"
            )
        ]
        # The usage report reads every dimension of a period: without it, the unique index
        # above would walk the workspace's whole history for a month.
        indexes = [
            models.Index(fields=["workspace", "day"], name="spendday_ws_day"),
            # A member's spend limits count their days in every workspace.
            models.Index(
                fields=["key", "day"],
                condition=Q(dimension=Dimension.MEMBER),
                name="spendday_member_day",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.dimension}={self.key}: {self.spend}"
