"""File names in a batch's ZIP, from the workspace brand kit's file-name template (the
same ``brandkits.naming.file_name`` that names a clip's exports), by default
``{brand}_{campaign}_{row}_{ratio}_{date}_v{n}``: e.g.
``Acme_Spring-hooks_007_9x16_2026-11-30_v1.mp4``.

``zip_name`` is the one place a name is made, for the originals and the finished exports
alike, so both follow the kit's template. Every part is ASCII and bounded
(``brandkits.naming``), so every ZIP tool and file system keeps the names.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from brandkits.naming import DEFAULT_TEMPLATE, file_name, safe_part


@dataclass(frozen=True)
class NameParts:
    """What a file's name may say about its clip."""

    brand: str  # the kit's brand name, else the workspace's name
    campaign: str  # the batch's name
    row: int
    ratio: str  # "9:16" (an export's frame: its preset's, "9x16")
    day: date  # the clip's day, so an export and its original share a name
    version: int  # the clip's version
    tier: str  # the model, used only to tell apart clips that would share a name
    clip_id: str
    project: str = ""
    preset: str = ""  # the export preset; "" for an original


def tokens(parts: NameParts) -> dict[str, object]:
    """The template's tokens (``brandkits.naming.TOKENS``) for one file."""
    return {
        "brand": parts.brand,
        "campaign": parts.campaign,
        "row": f"{parts.row:03d}",
        "ratio": parts.ratio.replace(":", "x"),
        "preset": parts.preset,
        "project": parts.project,
        "date": f"{parts.day:%Y-%m-%d}",
        "n": parts.version,
        "clip": parts.clip_id[:8],
    }


def zip_name(
    parts: NameParts,
    *,
    taken: set[str],
    template: str = DEFAULT_TEMPLATE,
    extension: str = "mp4",
    folder: str = "",
) -> str:
    """The file's name in the ZIP (under ``folder``), never one already in ``taken``
    (which it joins): a second tier of the same row and format adds its tier, and a name
    still taken adds the clip's short id."""
    stem = file_name(template, tokens(parts))
    tier = safe_part(parts.tier) or "tier"
    for candidate in (stem, f"{stem}_{tier}", f"{stem}_{tier}_{parts.clip_id[:8]}"):
        name = f"{folder}{candidate}.{extension}"
        if name not in taken:
            taken.add(name)
            return name
    raise ValueError(f"{name} is taken twice")
