"""Reads for the batch pages: a batch's cells with their latest clips, its progress, and
the token the live refresh compares. Each is one query, however many rows a batch has."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Max, Q, QuerySet

from campaigns.models import Batch, BatchItem
from generations import selectors as clip_selectors
from generations.models import TERMINAL, Status
from studiolib import tiers


def items(batch: Batch) -> QuerySet[BatchItem]:
    """The batch's cells with their row and latest clip (and the clip's project, for the
    approved-only gate), row by row: what naming, the grid and the ZIP read."""
    return (
        BatchItem.objects.filter(batch=batch)
        .select_related("row", "generation", "generation__project")
        .order_by("row__number", "pk")
    )


@dataclass(frozen=True)
class Progress:
    counts: dict[str, int]

    def __getattr__(self, name: str) -> int:
        if name in {"queued", "running", "succeeded", "failed", "cancelled", "missing"}:
            return self.counts.get(name, 0)
        raise AttributeError(name)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def done(self) -> bool:
        """Every cell is final: nothing to poll for."""
        return not (self.queued or self.running)


def progress_of(cells: list[BatchItem]) -> Progress:
    """queued (not yet sent), running (submitting, generating, saving), succeeded, failed,
    cancelled, and missing (the clip was deleted)."""
    counts: Counter[str] = Counter()
    for item in cells:
        status = item.generation.status if item.generation else "missing"
        if status == Status.QUEUED:
            counts["queued"] += 1
        elif status in TERMINAL or status == "missing":
            counts[status] += 1
        else:
            counts["running"] += 1
    return Progress(dict(counts))


@dataclass
class GridRow:
    row: Any
    cells: list[BatchItem | None] = field(default_factory=list)


@dataclass(frozen=True)
class Grid:
    columns: list[tuple[str, str]]  # (format, tier label)
    rows: list[GridRow]
    progress: Progress


def grid(batch: Batch) -> Grid:
    cells = list(items(batch))
    pairs = [(ratio, model) for ratio in batch.formats for model in batch.tiers]
    index = {pair: n for n, pair in enumerate(pairs)}
    rows: dict[int, GridRow] = {}
    for item in cells:
        line = rows.setdefault(item.row_id, GridRow(item.row, [None] * len(pairs)))
        line.cells[index[(item.aspect_ratio, item.model)]] = item
    labels = [(ratio, _tier_label(model)) for ratio, model in pairs]
    return Grid(columns=labels, rows=list(rows.values()), progress=progress_of(cells))


def _tier_label(model: str) -> str:
    tier = tiers.TIERS_BY_MODEL.get(model)
    return tier.label if tier else model


def live_version(batch: Batch) -> int:
    """The newest change among the batch's clips (and how many cells point at one, so a
    retry that swaps in a new clip changes it too), as integer microseconds."""
    found = BatchItem.objects.filter(batch=batch).aggregate(
        newest=Max("generation__updated_at"), clips=Count("generation")
    )
    newest = found["newest"]
    return (clip_selectors.micros(newest) if newest else 0) + found["clips"]


def batches(scoped: QuerySet[Batch]) -> QuerySet[Batch]:
    """The list page: each batch with its cell count and how many of them are finished."""
    return scoped.select_related("project", "created_by").annotate(
        cells=Count("items"),
        finished=Count(
            "items",
            filter=Q(items__generation__status__in=TERMINAL) | Q(items__generation__isnull=True),
        ),
    )
