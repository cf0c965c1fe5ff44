"""What an export's files are called: the workspace's brand-kit template, filled in."""

from __future__ import annotations

from brandkits import naming
from brandkits.models import BrandKit
from exports.models import Export
from studiolib.finishing import presets


def tokens(export: Export, kit: BrandKit) -> dict[str, object]:
    generation = export.generation
    preset = presets.PRESETS.get(export.preset)
    return {
        "brand": kit.brand_name or "brand",
        "campaign": "",
        "row": "",
        "ratio": preset.ratio if preset else "",
        "preset": export.preset,
        "project": generation.project.name,
        "date": f"{export.created_at:%Y-%m-%d}",
        "n": export.number,
        "clip": str(generation.pk)[:8],
    }


def stem(export: Export, kit: BrandKit, **extra: object) -> str:
    """The file name without extension (the mp4, .srt and .vtt share it); ``extra`` fills
    tokens only the caller knows (campaigns pass ``campaign=`` and ``row=``)."""
    return naming.file_name(kit.file_name_template, {**tokens(export, kit), **extra})
