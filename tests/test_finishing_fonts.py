"""Brand fonts: real TrueType/OpenType files only; the system's open fonts are offered."""

from __future__ import annotations

import pytest

from studiolib.finishing import fonts
from studiolib.finishing.errors import FinishingError
from tests import media_factory as mf


def test_bundled_fonts_are_found_and_checked():
    found = fonts.bundled_fonts()
    assert any(f.family == "DejaVu Sans" and f.style == "Bold" for f in found)
    assert fonts.default_font().name == "DejaVuSans-Bold.ttf"


def test_a_real_font_passes(tmp_path):
    upload = tmp_path / "brand.ttf"
    upload.write_bytes(fonts.default_font().read_bytes())
    info = fonts.check_font(upload)
    assert (info.family, info.style) == ("DejaVu Sans", "Bold")


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (mf.png(8, 8), "not a TrueType or OpenType font"),
        (b"wOFF" + b"\x00" * 100, "web font"),
        (b"ttcf" + b"\x00" * 100, "font collection"),
        (b"\x00\x01\x00\x00" + b"\x00" * 100, "incomplete"),
    ],
)
def test_fakes_and_damaged_fonts_are_refused(tmp_path, data, words):
    upload = tmp_path / "brand.ttf"
    upload.write_bytes(data)
    with pytest.raises(FinishingError) as caught:
        fonts.check_font(upload)
    assert caught.value.field == "font"
    assert words in caught.value.message


def test_a_truncated_font_is_refused(tmp_path):
    upload = tmp_path / "brand.ttf"
    upload.write_bytes(fonts.default_font().read_bytes()[:4000])
    with pytest.raises(FinishingError):
        fonts.check_font(upload)
