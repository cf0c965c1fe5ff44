"""The one table of output sizes: what the provider really renders per resolution and ratio.

No Django here, so the simulator (``python -m simulator``) reads the same table as the
studio's estimate. The provider does not render "short side × short side": the pixel count
stays roughly constant across ratios (docs/provider.md, "Output sizes"), so a square clip
costs about as much as a wide one. Operators override entries with SEEDANCE_OUTPUT_SIZES.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

# Resolution ("p" value of the tier) → ratio → (width, height). 480p–1080p are the sizes
# reported for Seedance (docs/provider.md); 4K is not published, so it is 1080p doubled on
# each side (the same ratios and pixel-count balance), an assumption operators can override.
DEFAULT_OUTPUT_SIZES: dict[int, dict[str, tuple[int, int]]] = {
    480: {"16:9": (864, 480), "1:1": (640, 640), "9:16": (480, 864)},
    720: {"16:9": (1248, 704), "1:1": (960, 960), "9:16": (704, 1248)},
    1080: {"16:9": (1920, 1088), "1:1": (1440, 1440), "9:16": (1088, 1920)},
    2160: {"16:9": (3840, 2176), "1:1": (2880, 2880), "9:16": (2176, 3840)},
}
RESOLUTION_NAMES = {"480p": 480, "720p": 720, "1080p": 1080, "4k": 2160, "2160p": 2160}


class SizeTableError(ValueError):
    """SEEDANCE_OUTPUT_SIZES is not a valid override of the table."""


def parse_overrides(text: str) -> dict[int, dict[str, tuple[int, int]]]:
    """``{"720p": {"1:1": [960, 960]}}`` → ``{720: {"1:1": (960, 960)}}``, checked strictly
    so a typo stops the process instead of silently estimating with the default."""
    try:
        raw = json.loads(text or "{}")
    except ValueError:
        raise SizeTableError("SEEDANCE_OUTPUT_SIZES must be JSON") from None
    if not isinstance(raw, dict):
        raise SizeTableError("SEEDANCE_OUTPUT_SIZES must be a JSON object")
    table: dict[int, dict[str, tuple[int, int]]] = {}
    for name, ratios in raw.items():
        resolution = RESOLUTION_NAMES.get(str(name).lower())
        if resolution is None or not isinstance(ratios, dict):
            raise SizeTableError(f"SEEDANCE_OUTPUT_SIZES: unknown resolution {name!r}")
        for ratio, size in ratios.items():
            ok = isinstance(size, list) and len(size) == 2
            if not ok or not all(isinstance(v, int) and 16 <= v <= 8192 for v in size):
                raise SizeTableError(
                    f"SEEDANCE_OUTPUT_SIZES[{name!r}][{ratio!r}] must be [width, height]"
                )
            table.setdefault(resolution, {})[str(ratio)] = (size[0], size[1])
    return table


def output_size(
    resolution: int,
    aspect_ratio: str,
    overrides: Mapping[int, Mapping[str, tuple[int, int]]] | None = None,
) -> tuple[int, int]:
    """Width × height the provider renders for a tier's resolution and a ratio."""
    override = (overrides or {}).get(resolution, {}).get(aspect_ratio)
    return override or DEFAULT_OUTPUT_SIZES[resolution][aspect_ratio]


def completion_tokens(width: int, height: int, seconds: float) -> int:
    """The provider's token formula (docs/provider.md, "Billing"): width × height ×
    (24 × seconds + 1) ÷ 1024, where seconds counts the output and any input video."""
    return int(width * height * (24 * seconds + 1) / 1024)
