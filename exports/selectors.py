"""Reads of exports. ``latest_done`` is public: campaigns show each clip's newest finished
export."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import QuerySet

from exports.models import UNFINISHED, Export, ExportStatus


def for_clip(generation: Any) -> QuerySet[Export]:
    """A clip's exports, newest first (the clip was read through workspaces.access)."""
    return (
        Export.objects.filter(generation=generation)
        .select_related("generation__project")
        .order_by("-created_at")
    )


def any_running(exports: Iterable[Export]) -> bool:
    return any(e.status in UNFINISHED for e in exports)


def latest_done(generation_ids: Iterable[Any], preset: str | None = None) -> dict[Any, Export]:
    """{generation id: its newest finished export} (of ``preset`` when given), one query;
    pass ids of clips already read through workspaces.access."""
    rows = Export.objects.filter(generation_id__in=list(generation_ids), status=ExportStatus.DONE)
    if preset:
        rows = rows.filter(preset=preset)
    latest: dict[Any, Export] = {}
    for export in rows.order_by("generation_id", "-created_at"):
        latest.setdefault(export.generation_id, export)
    return latest


def stored_files(generation: Any) -> list[str]:
    """Every stored file of a clip's exports (deleted with the clip)."""
    names: list[str] = []
    for row in Export.objects.filter(generation=generation).values_list("file", "srt", "vtt"):
        names += [name for name in row if name]
    return names
