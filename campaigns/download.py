"""A batch as one ZIP: every finished clip it may hand out, each cell's latest finished
export (its mp4 and, with captions, its .srt and .vtt) and ``manifest.csv``, one line per
cell, saying what each is and why one is not in the archive.

The exports are the ad set, at the top of the archive; every original clip is kept under
``originals/``. All names come from the brand kit's file-name template
(``campaigns.naming``). ``archive_files`` is where the ZIP's file list is made from the
``Entry`` of each cell. The files are streamed from storage by ``studiolib.files`` one
chunk at a time; the manifest is small and made in memory.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime

from django.db.models.fields.files import FieldFile
from django.urls import reverse
from django.utils import timezone

from billing.views import safe_cell
from brandkits.models import BrandKit
from campaigns.models import Batch, BatchItem
from campaigns.naming import NameParts, zip_name
from campaigns.selectors import latest_exports
from exports.models import Export, ExportStatus
from exports.selectors import latest_done
from generations import gate
from generations.models import Status
from sharing.models import ShareLink
from sharing.tokens import token_for
from studiolib.finishing import presets

MANIFEST = "manifest.csv"
ORIGINALS = "originals/"
COLUMNS = (
    "row",
    "variables",
    "prompt",
    "format",
    "tier",
    "seed",
    "estimated_cost_usd",
    "settled_cost_usd",
    "status",
    "share_link",
    "file",
    "sha256",
    "export_file",
    "export_sha256",
    "source_sha256",
    "preset",
    "c2pa",
    "note",
)
GATED = "left out: its project allows downloading approved clips only"
MISSING = "left out: the file is missing from storage"
EXPORT_MISSING = "export left out: its file is missing from storage"


@dataclass
class Entry:
    """One cell of the batch and what the archive does with it."""

    item: BatchItem
    name: str = ""  # the original's name in the ZIP, "" when it is not in it
    notes: list[str] = field(default_factory=list)
    export: Export | None = None  # the cell's latest finished export, when in the ZIP
    # {"file" | "srt" | "vtt": name in the ZIP} of the export's files
    export_names: dict[str, str] = field(default_factory=dict)

    @property
    def note(self) -> str:
        return "; ".join(self.notes)


def brand_of(batch: Batch, kit: BrandKit) -> str:
    """The {brand} of the batch's names: the kit's brand name, else the workspace's."""
    return kit.brand_name or batch.workspace.name


def entries(batch: Batch, cells: Iterable[BatchItem], *, kit: BrandKit) -> list[Entry]:
    """Each cell with its names in the ZIP when its clip is finished and may be
    downloaded (``generations.gate``), its latest finished export with it; otherwise
    with why not. Two queries for the exports of all cells."""
    cells = list(cells)
    ids = [item.generation_id for item in cells if item.generation_id]
    done, latest = latest_done(ids), latest_exports(ids)
    taken: set[str] = {MANIFEST}
    found = []
    for item in cells:
        generation = item.generation
        entry = Entry(item)
        found.append(entry)
        if generation is None:
            entry.notes.append("left out: the clip was deleted")
        elif generation.status != Status.SUCCEEDED or not generation.video:
            entry.notes.append("not finished")
        elif gate.blocked(generation):
            entry.notes.append(GATED)
        else:
            parts = NameParts(
                brand=brand_of(batch, kit),
                campaign=batch.name,
                row=item.row.number,
                ratio=item.aspect_ratio,
                day=timezone.localdate(generation.created_at),
                version=generation.version,
                tier=item.model,
                clip_id=str(generation.pk),
                project=generation.project.name,
            )
            template = kit.file_name_template
            entry.name = zip_name(parts, taken=taken, template=template, folder=ORIGINALS)
            _add_export(entry, done.get(generation.pk), parts, taken=taken, template=template)
            _note_export(entry, latest.get(generation.pk), any_exports=bool(latest))
    return found


def _add_export(
    entry: Entry, export: Export | None, parts: NameParts, *, taken: set[str], template: str
) -> None:
    if export is None:
        return
    preset = presets.PRESETS.get(export.preset)
    ratio = preset.ratio if preset else parts.ratio
    named = replace(parts, preset=export.preset, ratio=ratio)
    name = zip_name(named, taken=taken, template=template)
    stem = name.removesuffix(".mp4")
    entry.export, entry.export_names = export, {"file": name}
    for kind in ("srt", "vtt"):
        if getattr(export, kind):
            entry.export_names[kind] = f"{stem}.{kind}"
            taken.add(f"{stem}.{kind}")


def _note_export(entry: Entry, latest: Export | None, *, any_exports: bool) -> None:
    """Say why a cell's newest export is not the one in the ZIP (or that it has none, once
    any cell of the batch has one)."""
    if latest is None:
        if any_exports:
            entry.notes.append("no export")
        return
    if latest.status == ExportStatus.DONE:
        return
    kept = " (an earlier export is included)" if entry.export else ""
    if latest.status == ExportStatus.FAILED:
        entry.notes.append(f"export failed: {latest.error or 'no reason given'}{kept}")
    elif latest.status == ExportStatus.RENDERING:
        entry.notes.append(f"export not finished: rendering {latest.progress}%{kept}")
    else:
        entry.notes.append(f"export not finished: queued{kept}")


def archive_files(found: list[Entry]) -> list[tuple[str, FieldFile]]:
    """The (name in the ZIP, stored file) pairs of the archive: the exports first (the ad
    set), then the originals."""
    pairs: list[tuple[str, FieldFile]] = []
    for entry in found:
        for kind, name in entry.export_names.items():
            pairs.append((name, getattr(entry.export, kind)))
    return pairs + [(e.name, e.item.generation.video) for e in found if e.name]


def mark_missing(found: list[Entry], stored: set[str]) -> None:
    """Files storage no longer has are left out, and the manifest says so (an export
    whose video is gone is left out with its captions)."""
    for entry in found:
        if entry.name and entry.name not in stored:
            entry.name = ""
            entry.notes.append(MISSING)
        if entry.export_names and not set(entry.export_names.values()) <= stored:
            entry.export, entry.export_names = None, {}
            entry.notes.append(EXPORT_MISSING)


def share_urls(
    found: list[Entry], *, absolute: Callable[[str], str], now: datetime | None = None
) -> dict[object, str]:
    """The newest live share link of each clip that has one, as a full URL (one query)."""
    now = now or timezone.now()
    ids = [e.item.generation_id for e in found if e.item.generation and e.item.generation.shared]
    if not ids:
        return {}
    links = ShareLink.objects.filter(generation_id__in=ids, revoked_at__isnull=True)
    urls: dict[object, str] = {}
    for link in links.order_by("created_at"):
        if link.is_live(now):
            urls[link.generation_id] = absolute(reverse("share", args=[token_for(link)]))
    return urls


def manifest(found: list[Entry], *, link_url: dict[object, str]) -> bytes:
    """The manifest as UTF-8 CSV (with a byte-order mark, so spreadsheets read it as
    UTF-8), every text cell made formula-safe."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for entry in found:
        item, generation = entry.item, entry.item.generation
        writer.writerow(
            [
                item.row.number,
                safe_cell(json.dumps(item.row.variables, ensure_ascii=False)),
                safe_cell(item.row.prompt),
                item.aspect_ratio,
                safe_cell(item.model),
                generation.seed if generation else "",
                generation.estimated_cost if generation else "",
                _settled(generation),
                generation.status if generation else "deleted",
                link_url.get(item.generation_id, ""),
                entry.name,
                (generation.video_sha256 if generation and entry.name else ""),
                *_export_cells(entry),
                safe_cell(entry.note or (generation.error_message if generation else "")),
            ]
        )
    return out.getvalue().encode()


def _export_cells(entry: Entry) -> list[object]:
    """export_file, export_sha256, source_sha256, preset, c2pa."""
    export = entry.export
    if export is None:
        return ["", "", "", "", ""]
    name = entry.export_names["file"]
    c2pa = "yes" if export.c2pa else "no"
    return [name, export.sha256, export.source_sha256, export.preset, c2pa]


def _settled(generation: object) -> object:
    cost = getattr(generation, "settled_cost", None)
    return "" if cost is None else cost
