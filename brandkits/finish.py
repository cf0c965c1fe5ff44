"""A brand kit as the finishing library's inputs: the stored logo and font are copied into
the render's temporary folder, so a kit changed mid-render never changes files under it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from brandkits.models import BrandKit
from brandkits.services import local_copy
from studiolib.finishing import fonts
from studiolib.finishing.captions import CaptionStyle
from studiolib.finishing.presets import Preset
from studiolib.finishing.render import EndCard, FinishSpec, Logo


@dataclass(frozen=True)
class Choices:
    """Which parts of the kit one export uses (each only when the kit has it)."""

    logo: bool = False
    end_card: bool = False
    ai_label: bool = False


def font(kit: BrandKit, folder: Path) -> tuple[Path, str]:
    """The font file to render with and its family name (for the caption style)."""
    if kit.font:
        path = local_copy(kit.font.name, folder, "brand-font")
        return path, kit.font_family or fonts.check_font(path).family
    for info in fonts.bundled_fonts():
        if kit.bundled_font and info.path.name == kit.bundled_font:
            return info.path, info.family
    default = fonts.default_font()
    return default, fonts.check_font(default).family


def caption_style(kit: BrandKit, family: str) -> CaptionStyle:
    return CaptionStyle(
        font_family=family, text_colour=kit.caption_colour, outline_colour=kit.caption_box_colour
    )


def spec(
    kit: BrandKit,
    *,
    preset: Preset,
    fit: str,
    folder: Path,
    choices: Choices,
    font_path: Path,
    captions_ass: Path | None,
) -> FinishSpec:
    logo = local_copy(kit.logo.name, folder, "brand-logo") if kit.logo else None
    end_card = None
    if choices.end_card and kit.has_end_card:
        end_card = EndCard(
            seconds=kit.end_card_seconds,
            background=kit.end_card_colour,
            text=kit.end_card_text,
            text_colour=kit.caption_colour,
            logo=logo if kit.end_card_logo else None,
        )
    return FinishSpec(
        preset=preset,
        fit=fit,
        pad_colour=kit.pad_colour,
        captions_ass=captions_ass,
        logo=Logo(path=logo, corner=kit.logo_corner) if logo and choices.logo else None,
        end_card=end_card,
        ai_label=kit.ai_label_text.strip() if choices.ai_label and kit.has_ai_label else "",
        font=font_path,
    )
