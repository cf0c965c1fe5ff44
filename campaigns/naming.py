"""File names for a batch's clips in its ZIP, from one template,
``{brand}_{campaign}_{row}_{ratio}_{date}_v{n}``: e.g.
``acme_spring-hooks_007_9x16_2026-11-30_v1.mp4``.

``zip_name`` is the one place a name is made, so a brand kit's own template can replace
``TEMPLATE`` by passing ``template=``. Each part is ASCII and bounded (slugified), so every
ZIP tool and file system keeps the names.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.utils.text import slugify

TEMPLATE = "{brand}_{campaign}_{row}_{ratio}_{date}_v{n}"
PART_CHARS = 40


@dataclass(frozen=True)
class NameParts:
    """What a clip's name may say about it."""

    brand: str  # the workspace's name, until brand kits name brands
    campaign: str  # the batch's name
    row: int
    ratio: str  # "9:16"
    day: date
    version: int
    tier: str  # the model, used only to tell apart clips that would share a name
    clip_id: str


def _slug(text: str, fallback: str) -> str:
    return slugify(text)[:PART_CHARS].strip("-") or fallback


def zip_name(
    parts: NameParts, *, taken: set[str], template: str = TEMPLATE, extension: str = "mp4"
) -> str:
    """The clip's name in the ZIP, never one already in ``taken`` (which it joins): a
    second tier of the same row and format adds its tier, and a name still taken adds the
    clip's short id."""
    stem = template.format(
        brand=_slug(parts.brand, "brand"),
        campaign=_slug(parts.campaign, "campaign"),
        row=f"{parts.row:03d}",
        ratio=parts.ratio.replace(":", "x"),
        date=f"{parts.day:%Y-%m-%d}",
        n=parts.version,
    )
    for candidate in (
        stem,
        f"{stem}_{_slug(parts.tier, 'tier')}",
        f"{stem}_{_slug(parts.tier, 'tier')}_{parts.clip_id[:8]}",
    ):
        name = f"{candidate}.{extension}"
        if name not in taken:
            taken.add(name)
            return name
    raise ValueError(f"{name} is taken twice")
