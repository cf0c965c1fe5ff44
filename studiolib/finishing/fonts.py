"""Brand fonts: an uploaded font must be a real TrueType/OpenType file, or one of the open
fonts installed with the system (Debian's fonts-dejavu-core, which CI installs), found at
run time so a machine without them simply offers none."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from fontTools.ttLib import TTFont

from studiolib.finishing.errors import FinishingError

BUNDLED_DIRS = (Path("/usr/share/fonts/truetype/dejavu"),)
DEFAULT_FONT_FILE = "DejaVuSans-Bold.ttf"
MAX_FONT_BYTES = 20 * 1024 * 1024
# sfnt version tags: TrueType outlines (two spellings) and OpenType with CFF outlines.
SFNT_TAGS = (b"\x00\x01\x00\x00", b"true", b"OTTO")
REQUIRED_TABLES = ("cmap", "head", "hhea", "hmtx", "maxp", "name")


@dataclass(frozen=True)
class FontInfo:
    family: str
    style: str
    path: Path


def check_font(path: Path) -> FontInfo:
    """The font's family and style, or a FinishingError saying why it is not a usable font
    (web fonts and collections are refused: the renderer needs one plain font file)."""
    size = path.stat().st_size
    if size > MAX_FONT_BYTES:
        raise FinishingError("font", "The font file is larger than 20 MB.")
    with path.open("rb") as handle:
        tag = handle.read(4)
    if tag in (b"wOFF", b"wOF2"):
        raise FinishingError("font", "This is a web font (WOFF); upload the .ttf or .otf file.")
    if tag == b"ttcf":
        raise FinishingError("font", "This is a font collection; upload a single .ttf or .otf.")
    if tag not in SFNT_TAGS:
        raise FinishingError("font", "The file is not a TrueType or OpenType font.")
    try:
        with TTFont(str(path), lazy=False) as font:
            missing = [t for t in REQUIRED_TABLES if t not in font]
            if missing or ("glyf" not in font and "CFF " not in font and "CFF2" not in font):
                raise FinishingError("font", "The font file is incomplete (tables missing).")
            if not font.getBestCmap():
                raise FinishingError("font", "The font maps no characters.")
            names = font["name"]
            family = names.getBestFamilyName() or ""
            style = names.getBestSubFamilyName() or "Regular"
    except FinishingError:
        raise
    except (
        Exception
    ) as exc:  # fontTools raises many types (TTLibError among them) for damaged files
        raise FinishingError("font", f"The font file is damaged ({type(exc).__name__}).") from None
    if not family:
        raise FinishingError("font", "The font has no family name.")
    return FontInfo(family=family, style=style, path=path)


def bundled_fonts() -> list[FontInfo]:
    """The open fonts on this machine, sorted by family and style."""
    found = []
    for folder in BUNDLED_DIRS:
        for path in sorted(folder.glob("*.ttf")) if folder.is_dir() else ():
            try:
                found.append(check_font(path))
            except FinishingError:
                continue
    return sorted(found, key=lambda f: (f.family, f.style))


def default_font() -> Path:
    for folder in BUNDLED_DIRS:
        if (folder / DEFAULT_FONT_FILE).is_file():
            return folder / DEFAULT_FONT_FILE
    raise FinishingError("font", "No bundled font is installed; upload a brand font.")
