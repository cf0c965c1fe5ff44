"""Captions: an uploaded SRT/VTT file or typed text becomes timed cues, checked against the
clip; the cues are written back as SRT and VTT sidecars and as an ASS file in the brand's
font and colours, placed inside the preset's safe zone, for the renderer to burn in.

Subtitle parsing and writing is pysubs2's: hand-written SRT/VTT parsers get the edge cases
(BOMs, comma/period times, cue settings, styling tags) wrong.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pysubs2

from studiolib.finishing.errors import FinishingError
from studiolib.finishing.presets import Preset

MAX_CAPTION_BYTES = 512 * 1024
MAX_CUES = 2000
# A cue may end this much after the clip (frame rounding in editors), not more.
END_TOLERANCE = 0.1
HEX_COLOUR = re.compile(r"^#([0-9a-fA-F]{6})$")


@dataclass(frozen=True)
class Cue:
    start: float  # seconds
    end: float
    text: str


@dataclass(frozen=True)
class CaptionStyle:
    font_family: str
    text_colour: str = "#FFFFFF"
    outline_colour: str = "#000000"
    size_ratio: float = 0.055  # font size as a share of the frame's shorter side


def parse_file(data: bytes, *, clip_seconds: float) -> list[Cue]:
    """Cues from an uploaded SRT or WebVTT file."""
    if len(data) > MAX_CAPTION_BYTES:
        raise FinishingError("captions", "The caption file is larger than 512 KB.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise FinishingError(
            "captions", "The caption file is not UTF-8 text; save it as UTF-8."
        ) from None
    stripped = text.lstrip()
    kind = "vtt" if stripped.startswith("WEBVTT") else "srt"
    try:
        subs = pysubs2.SSAFile.from_string(text, format_=kind)
    except (pysubs2.Pysubs2Error, ValueError) as exc:
        raise FinishingError("captions", f"The caption file cannot be read ({exc}).") from None
    cues = [
        Cue(start=event.start / 1000, end=event.end / 1000, text=event.plaintext.strip())
        for event in subs
        if not event.is_comment and event.plaintext.strip()
    ]
    return validate(cues, clip_seconds=clip_seconds)


def from_text(text: str, *, clip_seconds: float) -> list[Cue]:
    """Typed captions: one cue per non-empty line, each shown for a share of the clip in
    proportion to its length (longer lines need longer to read)."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines:
        raise FinishingError("captions", "Type at least one line of caption text.")
    total = sum(len(line) for line in lines)
    cues, start = [], 0.0
    for line in lines:
        end = start + clip_seconds * len(line) / total
        cues.append(Cue(start=round(start, 3), end=round(end, 3), text=line))
        start = end
    return validate(cues, clip_seconds=clip_seconds)


def validate(cues: list[Cue], *, clip_seconds: float) -> list[Cue]:
    if not cues:
        raise FinishingError("captions", "The caption file has no captions in it.")
    if len(cues) > MAX_CUES:
        raise FinishingError("captions", f"The caption file has more than {MAX_CUES} captions.")
    for number, cue in enumerate(cues, start=1):
        if cue.start < 0 or cue.end <= cue.start:
            raise FinishingError(
                "captions", f"Caption {number} ends before it starts ({_clock(cue.start)})."
            )
        if cue.end > clip_seconds + END_TOLERANCE:
            raise FinishingError(
                "captions",
                f"Caption {number} ({_clock(cue.start)} → {_clock(cue.end)}) runs past the "
                f"end of the clip at {_clock(clip_seconds)}.",
            )
    return sorted(cues, key=lambda c: c.start)


def _clock(seconds: float) -> str:
    minutes, rest = divmod(seconds, 60)
    return f"{int(minutes):02d}:{rest:06.3f}"


def _subs(cues: list[Cue]) -> pysubs2.SSAFile:
    subs = pysubs2.SSAFile()
    for cue in cues:
        subs.append(
            pysubs2.SSAEvent(
                start=round(cue.start * 1000), end=round(cue.end * 1000), text=cue.text
            )
        )
    for event in subs:
        # Plain text, not ASS markup: braces and backslashes the user typed stay literal.
        event.plaintext = event.text
    return subs


def write_srt(cues: list[Cue], path: Path) -> None:
    _subs(cues).save(str(path), format_="srt", encoding="utf-8")


def write_vtt(cues: list[Cue], path: Path) -> None:
    _subs(cues).save(str(path), format_="vtt", encoding="utf-8")


def colour(value: str, field: str) -> pysubs2.Color:
    match = HEX_COLOUR.match(value or "")
    if not match:
        raise FinishingError(field, "Give the colour as #RRGGBB.")
    rgb = bytes.fromhex(match.group(1))
    return pysubs2.Color(rgb[0], rgb[1], rgb[2], 0)


def write_ass(cues: list[Cue], path: Path, *, preset: Preset, style: CaptionStyle) -> None:
    """Burn-in captions at the bottom centre of the safe zone, at the preset's own pixel
    scale (PlayRes = frame size), so the margins are exact pixels."""
    subs = _subs(cues)
    subs.info["PlayResX"] = str(preset.width)
    subs.info["PlayResY"] = str(preset.height)
    subs.info["WrapStyle"] = "0"  # smart wrapping, lines of even width
    subs.info["ScaledBorderAndShadow"] = "yes"
    size = max(8, round(min(preset.width, preset.height) * style.size_ratio))
    subs.styles["Default"] = pysubs2.SSAStyle(
        fontname=style.font_family,
        fontsize=size,
        primarycolor=colour(style.text_colour, "caption_colour"),
        outlinecolor=colour(style.outline_colour, "caption_outline_colour"),
        backcolor=pysubs2.Color(0, 0, 0, 128),
        bold=False,
        borderstyle=1,
        outline=max(1, size / 12),
        shadow=0,
        alignment=pysubs2.Alignment.BOTTOM_CENTER,
        marginl=preset.safe.left,
        marginr=preset.safe.right,
        marginv=preset.safe.bottom,
    )
    subs.save(str(path), format_="ass", encoding="utf-8")
