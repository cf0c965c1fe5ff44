"""What a finished clip really cost, recorded when it is saved.

The provider bills ``usage.completion_tokens`` when it reports them; otherwise the settled
cost is the token formula on what was really delivered: the probed width × height and its
frames (docs/provider.md, "Billing"). The estimate stays on the row, so the gap shows.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from generations.models import Generation, ReferenceRole
from studiolib import media, sizes, tiers

# The provider renders at 24 frames per second (docs/provider.md, "Billing").
FPS = 24


def settled_fields(
    generation: Generation, info: media.VideoInfo, *, last_frame_missing: bool
) -> dict[str, Any]:
    """The settlement columns for the saving transition's update."""
    frames = round(info.duration * FPS)
    input_seconds = sum(
        ref.duration or 0
        for ref in generation.references.all()
        if ref.role in {ReferenceRole.VIDEO, ReferenceRole.SOURCE_VIDEO}
    )
    tokens = generation.usage_tokens or sizes.completion_tokens(
        info.width, info.height, frames / FPS + input_seconds
    )
    video_input = input_seconds > 0
    cost = tiers.cost_of_tokens(model=generation.model, tokens=tokens, video_input=video_input)
    return {
        "video_frames": frames,
        "settled_cost": Decimal(str(cost)),
        "last_frame_missing": last_frame_missing,
    }
