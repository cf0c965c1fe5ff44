"""Reads for the batch pages: a batch's cells with their latest clips and exports, its
progress, and the stamp the live refresh compares. Each takes a fixed number of queries
(the grid two: cells, then the exports of all of them), however many rows a batch has."""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Max, Q, QuerySet, Sum

from campaigns.models import Batch, BatchExport, BatchItem
from exports.models import UNFINISHED, Export, ExportStatus
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
    exports: Counter[str] = field(default_factory=Counter)  # the cells' latest, by status

    @property
    def exporting(self) -> bool:
        """An export of a cell is queued or rendering: the page keeps polling."""
        return any(self.exports[status] for status in UNFINISHED)

    @property
    def live(self) -> bool:
        return not self.progress.done or self.exporting


def latest_exports(generation_ids: Iterable[Any]) -> dict[Any, Export]:
    """{clip id: its newest export, whatever its status}, one query: the grid's export
    column (``exports.selectors.latest_done`` is the ZIP's)."""
    found: dict[Any, Export] = {}
    rows = Export.objects.filter(generation_id__in=[pk for pk in generation_ids if pk])
    for export in rows.order_by("generation_id", "-created_at"):
        found.setdefault(export.generation_id, export)
    return found


def grid(batch: Batch) -> Grid:
    """The cells row by row, each with ``export`` (its clip's newest export or None): two
    queries, however many cells."""
    cells = list(items(batch))
    latest = latest_exports(item.generation_id for item in cells)
    for item in cells:
        item.export = latest.get(item.generation_id)
    pairs = [(ratio, model) for ratio in batch.formats for model in batch.tiers]
    index = {pair: n for n, pair in enumerate(pairs)}
    rows: dict[int, GridRow] = {}
    for item in cells:
        line = rows.setdefault(item.row_id, GridRow(item.row, [None] * len(pairs)))
        line.cells[index[(item.aspect_ratio, item.model)]] = item
    labels = [(ratio, _tier_label(model)) for ratio, model in pairs]
    exports = Counter(export.status for export in latest.values())
    return Grid(labels, list(rows.values()), progress_of(cells), exports)


def _tier_label(model: str) -> str:
    tier = tiers.TIERS_BY_MODEL.get(model)
    return tier.label if tier else model


def live_stamp(batch: Batch) -> str:
    """What the live refresh compares, one query: it changes when a clip of the batch
    changes, when a cell points at another clip (a retry), and when an export of a cell is
    requested, moves on, or finishes."""
    found = BatchItem.objects.filter(batch=batch).aggregate(
        newest=Max("generation__updated_at"),
        clips=Count("generation", distinct=True),
        exports=Count("generation__exports", distinct=True),
        progress=Sum("generation__exports__progress"),
        rendering=Count(
            "generation__exports",
            filter=Q(generation__exports__status=ExportStatus.RENDERING),
            distinct=True,
        ),
        finished=Count(
            "generation__exports",
            filter=Q(generation__exports__status__in=(ExportStatus.DONE, ExportStatus.FAILED)),
            distinct=True,
        ),
    )
    text = "|".join(str(found[key]) for key in sorted(found))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def applied(batch: Batch) -> BatchExport | None:
    """The latest time the brand kit was applied to the batch."""
    return BatchExport.objects.filter(batch=batch).first()


def batches(scoped: QuerySet[Batch]) -> QuerySet[Batch]:
    """The list page: each batch with its cell count and how many of them are finished."""
    return scoped.select_related("project", "created_by").annotate(
        cells=Count("items"),
        finished=Count(
            "items",
            filter=Q(items__generation__status__in=TERMINAL) | Q(items__generation__isnull=True),
        ),
    )
