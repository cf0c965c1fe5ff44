"""Captions: uploaded SRT/VTT or typed text → checked cues → SRT/VTT sidecars and an ASS
file placed in the preset's safe zone."""

from __future__ import annotations

import pysubs2
import pytest

from studiolib.finishing import captions, presets
from studiolib.finishing.errors import FinishingError

SRT = (
    "\ufeff1\n00:00:00,000 --> 00:00:01,200\nHello <i>world</i>\n\n"
    "2\n00:00:01,200 --> 00:00:02,500\nSecond line\nwraps here\n"
).encode()
VTT = b"WEBVTT\n\nNOTE a comment\n\n00:00.500 --> 00:02.000 align:start\nCaf\xc3\xa9 open\n"


def test_srt_becomes_plain_cues():
    cues = captions.parse_file(SRT, clip_seconds=3)
    assert cues == [
        captions.Cue(0.0, 1.2, "Hello world"),
        captions.Cue(1.2, 2.5, "Second line\nwraps here"),
    ]


def test_vtt_with_cue_settings_and_notes():
    assert captions.parse_file(VTT, clip_seconds=3) == [captions.Cue(0.5, 2.0, "Café open")]


@pytest.mark.parametrize(
    ("data", "words"),
    [
        ("1\n00:00:00,000 --> 00:00:01,000\nCafé\n".encode("latin-1"), "not UTF-8"),
        (b"", "no captions"),
        (b"just some words, no timings\n", "no captions"),
        (b"1\n00:00:00,000 --> 00:00:09,000\nToo long\n", "Caption 1 (00:00.000 → 00:09.000)"),
    ],
)
def test_bad_files_get_a_clear_message(data, words):
    with pytest.raises(FinishingError) as caught:
        captions.parse_file(data, clip_seconds=3)
    assert caught.value.field == "captions"
    assert words in caught.value.message


def test_a_cue_may_end_a_frame_after_the_clip():
    data = b"1\n00:00:00,000 --> 00:00:03,040\nEnds on the last frame\n"
    assert captions.parse_file(data, clip_seconds=3)[0].end == pytest.approx(3.04)


def test_typed_text_is_spread_over_the_clip_by_length():
    cues = captions.from_text("Short\n\nA much longer second line", clip_seconds=3)
    assert [c.text for c in cues] == ["Short", "A much longer second line"]
    assert cues[0].start == 0 and cues[-1].end == pytest.approx(3)
    assert cues[0].end == cues[1].start
    assert cues[1].end - cues[1].start > 3 * (cues[0].end - cues[0].start)
    with pytest.raises(FinishingError):
        captions.from_text("  \n ", clip_seconds=3)


def test_sidecars_parse_back(tmp_path):
    cues = captions.parse_file(SRT, clip_seconds=3) + [captions.Cue(2.5, 2.9, "{braces} \\N kept")]
    captions.write_srt(cues, tmp_path / "c.srt")
    captions.write_vtt(cues, tmp_path / "c.vtt")
    assert (tmp_path / "c.vtt").read_text().startswith("WEBVTT")
    for name in ("c.srt", "c.vtt"):
        again = captions.parse_file((tmp_path / name).read_bytes(), clip_seconds=3)
        assert [(c.start, c.end) for c in again] == [(c.start, c.end) for c in cues]
        assert [c.text for c in again][:2] == [c.text for c in cues][:2]


def test_ass_sits_inside_the_safe_zone_in_the_brand_style(tmp_path):
    preset = presets.get("tiktok")
    style = captions.CaptionStyle("DejaVu Sans", text_colour="#FFCC00", outline_colour="#101010")
    captions.write_ass(
        captions.from_text("Hi", clip_seconds=2), tmp_path / "c.ass", preset=preset, style=style
    )
    subs = pysubs2.load(str(tmp_path / "c.ass"))
    assert (subs.info["PlayResX"], subs.info["PlayResY"]) == ("1080", "1920")
    default = subs.styles["Default"]
    assert default.fontname == "DejaVu Sans"
    assert (default.primarycolor.r, default.primarycolor.g, default.primarycolor.b) == (255, 204, 0)
    assert default.marginv == preset.safe.bottom
    assert (default.marginl, default.marginr) == (preset.safe.left, preset.safe.right)
    assert default.alignment == pysubs2.Alignment.BOTTOM_CENTER
    with pytest.raises(FinishingError) as caught:
        captions.write_ass(
            [],
            tmp_path / "x.ass",
            preset=preset,
            style=captions.CaptionStyle("DejaVu Sans", text_colour="yellow"),
        )
    assert caught.value.field == "caption_colour"


def test_presets_and_their_safe_zones():
    sizes = {key: (p.width, p.height) for key, p in presets.PRESETS.items()}
    assert sizes["tiktok"] == sizes["reels"] == sizes["shorts"] == (1080, 1920)
    assert sizes["feed_square"] == (1080, 1080) and sizes["feed_portrait"] == (1080, 1350)
    assert sizes["youtube"] == sizes["linkedin"] == (1920, 1080)
    for preset in presets.PRESETS.values():
        s = preset.safe
        assert s.top + s.bottom < preset.height / 2 and s.left + s.right < preset.width / 2
    small = presets.get("tiktok").scaled(320)
    assert (small.width, small.height, small.ratio) == (320, 568, "40x71")
    assert presets.get("tiktok").ratio == "9x16"
    assert small.safe.bottom == round(presets.get("tiktok").safe.bottom * 320 / 1080)
    with pytest.raises(FinishingError):
        presets.get("myspace")
    with pytest.raises(FinishingError):
        presets.check_fit("stretch")
