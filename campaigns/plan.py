"""What a batch will make, once its form is valid: the rows, formats, tiers and settings,
how many generations that is and what they are estimated to cost."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from campaigns.rows import Table

# The per-clip settings a batch shares, as the studio's text-to-video form names them.
SETTINGS = ("duration", "generate_audio", "seed", "watermark", "camera_fixed", "return_last_frame")


@dataclass(frozen=True)
class Plan:
    name: str
    template: str
    table: Table
    formats: list[str]
    tiers: list[str]
    settings: dict[str, Any]
    project: Any  # a Project of the workspace, or None for its default project
    # The estimate of one clip of each (format, tier): every row costs the same (text only).
    per_clip: dict[tuple[str, str], Decimal]

    @property
    def count(self) -> int:
        return len(self.table.rows) * len(self.formats) * len(self.tiers)

    @property
    def total(self) -> Decimal:
        return sum(self.per_clip.values(), Decimal(0)) * len(self.table.rows)

    def cells(self) -> list[tuple[str, str]]:
        """(format, tier) in the order the batch page shows them."""
        return [(ratio, model) for ratio in self.formats for model in self.tiers]

    def data(self, *, prompt: str, ratio: str, model: str) -> dict[str, Any]:
        """``generation_create``'s data for one clip."""
        return {
            **self.settings,
            "mode": "text",
            "prompt": prompt,
            "aspect_ratio": ratio,
            "model": model,
        }

    @property
    def digest(self) -> str:
        """A fingerprint of everything that would be sent: a submission whose plan differs
        from the preview the member saw is shown again rather than sent."""
        content = {
            "prompts": [row.prompt for row in self.table.rows],
            "formats": self.formats,
            "tiers": self.tiers,
            "settings": self.settings,
            "project": str(getattr(self.project, "pk", "")),
        }
        return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()[:32]
