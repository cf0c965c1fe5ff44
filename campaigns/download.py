"""A batch as one ZIP: every finished clip it may hand out plus ``manifest.csv``, one line
per cell, saying what each is and why one is not in the archive.

``archive_files`` is where the ZIP's file list is made: each (name in the ZIP, stored file)
pair comes from one ``Entry``; more kinds of file (finished renders, captions) join the
archive by adding entries there. The files are streamed from storage by
``studiolib.files`` one chunk at a time; the manifest is small and made in memory.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db.models.fields.files import FieldFile
from django.urls import reverse
from django.utils import timezone

from billing.views import safe_cell
from campaigns.models import Batch, BatchItem
from campaigns.naming import NameParts, zip_name
from generations import gate
from generations.models import Status
from sharing.models import ShareLink
from sharing.tokens import token_for

MANIFEST = "manifest.csv"
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
    "note",
)
GATED = "left out: its project allows downloading approved clips only"
MISSING = "left out: the file is missing from storage"


@dataclass
class Entry:
    """One cell of the batch and what the archive does with it."""

    item: BatchItem
    name: str = ""  # the file's name in the ZIP, "" when it is not in it
    note: str = ""


def entries(batch: Batch, cells: Iterable[BatchItem], *, brand: str) -> list[Entry]:
    """Each cell with its name in the ZIP when its clip is finished and may be downloaded
    (``generations.gate``); otherwise with why not."""
    taken: set[str] = {MANIFEST}
    found = []
    for item in cells:
        generation = item.generation
        if generation is None:
            found.append(Entry(item, note="left out: the clip was deleted"))
        elif generation.status != Status.SUCCEEDED or not generation.video:
            found.append(Entry(item, note="not finished"))
        elif gate.blocked(generation):
            found.append(Entry(item, note=GATED))
        else:
            parts = NameParts(
                brand=brand,
                campaign=batch.name,
                row=item.row.number,
                ratio=item.aspect_ratio,
                day=timezone.localdate(generation.created_at),
                version=generation.version,
                tier=item.model,
                clip_id=str(generation.pk),
            )
            found.append(Entry(item, name=zip_name(parts, taken=taken)))
    return found


def archive_files(found: list[Entry]) -> list[tuple[str, FieldFile]]:
    """The (name in the ZIP, stored file) pairs of the archive."""
    return [(entry.name, entry.item.generation.video) for entry in found if entry.name]


def mark_missing(found: list[Entry], stored: set[str]) -> None:
    """Entries whose file storage no longer has are left out, and the manifest says so."""
    for entry in found:
        if entry.name and entry.name not in stored:
            entry.name, entry.note = "", MISSING


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
                safe_cell(entry.note or (generation.error_message if generation else "")),
            ]
        )
    return out.getvalue().encode()


def _settled(generation: object) -> object:
    cost = getattr(generation, "settled_cost", None)
    return "" if cost is None else cost
