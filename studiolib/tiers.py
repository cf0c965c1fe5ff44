"""The one table of Seedance tiers: which exist, which are enabled, what each produces.

Everything that depends on a tier (form choices, validation, output size, price, expected
run time) reads this table, so adding or disabling a tier is a one-line change.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings

from studiolib import sizes

ASPECT_RATIOS = ("16:9", "9:16", "1:1")
DURATION_MIN = 5
DURATION_MAX = 15


@dataclass(frozen=True)
class Tier:
    model: str
    label: str
    family: str  # "standard" | "fast" | "mini"
    height: int  # the short side of the output, in pixels ("p" value)
    price_per_m_tokens: float  # USD per million tokens, text/image input
    price_per_m_tokens_video_in: float  # USD per million tokens when a video is an input
    accepts_video_refs: bool = True
    accepts_audio_refs: bool = True
    base_seconds: float = 40.0  # expected run time = base + per_output_second × duration
    per_output_second: float = 6.0

    @property
    def enabled(self) -> bool:
        return self.model != "seedance2.0-4k" or settings.SEEDANCE_ENABLE_4K

    def size(self, aspect_ratio: str) -> tuple[int, int]:
        """Output width × height as the provider renders it (``studiolib.sizes``)."""
        return sizes.output_size(self.height, aspect_ratio, settings.SEEDANCE_OUTPUT_SIZES)


# Prices: BytePlus international list (api-notes.md); mini and 4K are not published, so
# these are placeholders an operator overrides. The provider's settlement record is final.
TIERS: tuple[Tier, ...] = (
    Tier(
        "seedance2.0-480p",
        "Seedance 2.0 · 480p",
        "standard",
        480,
        7.7,
        4.7,
        base_seconds=30,
        per_output_second=3,
    ),
    Tier("seedance2.0-720p", "Seedance 2.0 · 720p", "standard", 720, 7.7, 4.7),
    Tier(
        "seedance2.0-1080p",
        "Seedance 2.0 · 1080p",
        "standard",
        1080,
        8.5,
        5.2,
        base_seconds=60,
        per_output_second=12,
    ),
    Tier(
        "seedance2.0-4k",
        "Seedance 2.0 · 4K",
        "standard",
        2160,
        10.0,
        6.0,
        base_seconds=90,
        per_output_second=14,
    ),
    Tier(
        "seedance2.0-fast-480p",
        "Seedance 2.0 Fast · 480p",
        "fast",
        480,
        5.6,
        3.3,
        base_seconds=30,
        per_output_second=3,
    ),
    Tier("seedance2.0-fast-720p", "Seedance 2.0 Fast · 720p", "fast", 720, 5.6, 3.3),
    Tier(
        "seedance2.0-mini-480p",
        "Seedance 2.0 Mini · 480p",
        "mini",
        480,
        4.0,
        2.4,
        accepts_video_refs=False,
        accepts_audio_refs=False,
        base_seconds=30,
        per_output_second=3,
    ),
    Tier(
        "seedance2.0-mini-720p",
        "Seedance 2.0 Mini · 720p",
        "mini",
        720,
        4.0,
        2.4,
        accepts_video_refs=False,
        accepts_audio_refs=False,
    ),
)
TIERS_BY_MODEL = {tier.model: tier for tier in TIERS}
DEFAULT_MODEL = "seedance2.0-720p"


def _price(tier: Tier) -> tuple[float, float]:
    """(per million tokens, per million tokens with video input), overridable by operators
    with SEEDANCE_PRICES, e.g. {"seedance2.0-mini-480p": [3.0, 1.8]}."""
    override = settings.SEEDANCE_PRICES.get(tier.model)
    if override:
        return float(override[0]), float(override[1])
    return tier.price_per_m_tokens, tier.price_per_m_tokens_video_in


def enabled_tiers() -> list[Tier]:
    return [tier for tier in TIERS if tier.enabled]


def get_tier(model: str) -> Tier:
    return TIERS_BY_MODEL[model]


def estimate_cost(
    *, model: str, aspect_ratio: str, duration: int, input_video_seconds: float = 0.0
) -> float:
    """Estimated USD, from the provider's token formula on the size it renders
    (docs/provider.md, "Billing" and "Output sizes")."""
    width, height = get_tier(model).size(aspect_ratio)
    tokens = sizes.completion_tokens(width, height, duration + input_video_seconds)
    return cost_of_tokens(model=model, tokens=tokens, video_input=bool(input_video_seconds))


def cost_of_tokens(*, model: str, tokens: int, video_input: bool) -> float:
    """USD for ``tokens`` at the tier's price (the video-input price when a video was sent)."""
    text_rate, video_rate = _price(get_tier(model))
    return round(tokens / 1_000_000 * (video_rate if video_input else text_rate), 4)


# api-notes.md: a real task sat about 6 s in the queue before it ran.
QUEUE_SECONDS = 6.0


def expected_run_seconds(*, model: str, duration: int) -> float:
    """Submission to finish, before any history: queue wait plus the tier's run time."""
    tier = get_tier(model)
    return QUEUE_SECONDS + tier.base_seconds + tier.per_output_second * duration
