"""Export presets: each platform's frame size and the safe zone its own interface leaves free.

The safe-zone margins are the studio's own conservative margins (pixels at the preset's full
size), wide enough to keep captions and logos clear of each app's buttons, captions and
account line; the preview overlay and caption placement both read them from here.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from math import gcd

from studiolib.finishing.errors import FinishingError

FITS = ("pad", "crop")  # pad: scale to fit and fill with the brand colour; crop: scale to fill


@dataclass(frozen=True)
class SafeZone:
    top: int
    bottom: int
    left: int
    right: int


@dataclass(frozen=True)
class Preset:
    key: str
    label: str
    width: int
    height: int
    safe: SafeZone

    @property
    def ratio(self) -> str:
        """``9x16`` and the like, for file names."""
        d = gcd(self.width, self.height)
        return f"{self.width // d}x{self.height // d}"

    def scaled(self, width: int) -> Preset:
        """The same preset at ``width`` pixels wide (even sizes, margins in proportion):
        tests render small frames with the real layout."""
        factor = width / self.width

        def even(value: float) -> int:
            return max(2, round(value / 2) * 2)

        return replace(
            self,
            width=even(self.width * factor),
            height=even(self.height * factor),
            safe=SafeZone(
                *(
                    round(m * factor)
                    for m in (self.safe.top, self.safe.bottom, self.safe.left, self.safe.right)
                )
            ),
        )


_VERTICAL = (1080, 1920)
PRESETS: dict[str, Preset] = {
    p.key: p
    for p in (
        Preset(
            "tiktok", "TikTok 9:16", *_VERTICAL, SafeZone(top=160, bottom=480, left=60, right=140)
        ),
        Preset(
            "reels",
            "Instagram Reels 9:16",
            *_VERTICAL,
            SafeZone(top=220, bottom=420, left=60, right=120),
        ),
        Preset(
            "shorts",
            "YouTube Shorts 9:16",
            *_VERTICAL,
            SafeZone(top=160, bottom=400, left=60, right=120),
        ),
        Preset(
            "feed_square", "Feed 1:1", 1080, 1080, SafeZone(top=60, bottom=60, left=60, right=60)
        ),
        Preset(
            "feed_portrait", "Feed 4:5", 1080, 1350, SafeZone(top=80, bottom=80, left=60, right=60)
        ),
        Preset(
            "youtube", "YouTube 16:9", 1920, 1080, SafeZone(top=60, bottom=100, left=96, right=96)
        ),
        Preset(
            "linkedin", "LinkedIn 16:9", 1920, 1080, SafeZone(top=60, bottom=60, left=96, right=96)
        ),
    )
}


def get(key: str) -> Preset:
    try:
        return PRESETS[key]
    except KeyError:
        raise FinishingError("preset", f"Unknown export format {key!r}.") from None


def check_fit(fit: str) -> str:
    if fit not in FITS:
        raise FinishingError("fit", "Choose pad (fit inside, brand-colour bars) or crop.")
    return fit
