"""The finishing render with the real ffmpeg on tiny clips: every export is probed (size,
H.264 High + AAC, yuv420p, moov before mdat, duration = clip + end card, audio present)."""

from __future__ import annotations

import os
import struct
import tempfile
from pathlib import Path

import av
import pytest
from PIL import Image, ImageChops, ImageDraw, ImageStat

from studiolib.finishing import captions, presets, provenance, render
from studiolib.finishing.errors import FinishingError
from tests import media_factory as mf

VERTICAL = presets.get("tiktok").scaled(320)  # 320×568, the real layout scaled down


@pytest.fixture
def clip(tmp_path) -> Path:
    path = tmp_path / "provider.mp4"
    path.write_bytes(mf.mp4(seconds=2.0, size="320x180", audio=True))
    return path


@pytest.fixture
def silent_clip(tmp_path) -> Path:
    path = tmp_path / "silent.mp4"
    path.write_bytes(mf.mp4(seconds=2.0, size="320x180"))
    return path


@pytest.fixture
def logo(tmp_path) -> Path:
    image = Image.new("RGBA", (120, 60), (0, 0, 0, 0))
    ImageDraw.Draw(image).ellipse((0, 0, 119, 59), fill=(255, 200, 0, 255))
    path = tmp_path / "logo.png"
    image.save(path)
    return path


def caption_file(tmp_path: Path, preset: presets.Preset) -> Path:
    path = tmp_path / "captions.ass"
    cues = captions.from_text("Big summer sale\nTap to shop", clip_seconds=2.0)
    captions.write_ass(cues, path, preset=preset, style=captions.CaptionStyle("DejaVu Sans"))
    return path


def top_level_boxes(path: Path) -> list[str]:
    boxes, data = [], path.read_bytes()
    offset = 0
    while offset + 8 <= len(data):
        size, kind = struct.unpack(">I4s", data[offset : offset + 8])
        if size == 1:
            size = struct.unpack(">Q", data[offset + 8 : offset + 16])[0]
        boxes.append(kind.decode("latin-1"))
        if size < 8:
            break
        offset += size
    return boxes


def probe(path: Path) -> dict:
    with av.open(str(path)) as container:
        video, audio = container.streams.video[0], container.streams.audio
        return {
            "size": (video.codec_context.width, video.codec_context.height),
            "video": (video.codec_context.name, video.codec_context.profile),
            "pix_fmt": video.codec_context.pix_fmt,
            "audio": audio[0].codec_context.name if audio else None,
            "audio_seconds": float(audio[0].duration * audio[0].time_base) if audio else 0,
            "duration": container.duration / av.time_base,
            "boxes": top_level_boxes(path),
        }


def assert_deliverable(path: Path, preset: presets.Preset, seconds: float) -> None:
    facts = probe(path)
    assert facts["size"] == (preset.width, preset.height)
    assert facts["video"] == ("h264", "High")
    assert facts["pix_fmt"] == "yuv420p"
    assert facts["audio"] == "aac"
    assert facts["duration"] == pytest.approx(seconds, abs=0.1)
    assert facts["audio_seconds"] == pytest.approx(seconds, abs=0.1)  # sound to the last frame
    assert facts["boxes"].index("moov") < facts["boxes"].index("mdat")  # +faststart


def frame_at(path: Path, seconds: float) -> Image.Image:
    with av.open(str(path)) as container:
        for frame in container.decode(video=0):
            if frame.time >= seconds:
                return frame.to_image()
    raise AssertionError("no frame")


def test_full_finish_probes_right_and_signs(tmp_path, clip, logo, clean_tmp):
    spec = render.FinishSpec(
        preset=VERTICAL,
        fit="pad",
        pad_colour="#224488",
        captions_ass=caption_file(tmp_path, VERTICAL),
        logo=render.Logo(logo, corner="top_right", scale=0.25),
        end_card=render.EndCard(seconds=1.5, background="#112233", text="Shop now →", logo=logo),
        ai_label="AI-generated",
    )
    seen: list[float] = []
    out = render.render(clip, tmp_path / "export.mp4", spec, timeout=60, progress=seen.append)
    assert_deliverable(out, VERTICAL, 2.0 + 1.5)
    assert len(seen) >= 2 and seen == sorted(seen) and seen[-1] == 1.0  # ffmpeg's, then done
    # the end card: its background colour where the clip was
    card = frame_at(out, 3.0).convert("RGB")
    assert card.getpixel((10, VERTICAL.height // 2)) == pytest.approx((0x11, 0x22, 0x33), abs=6)
    # the logo in the top-right corner of the safe zone, over the brand-coloured bar
    main = frame_at(out, 0.5).convert("RGB")
    x = VERTICAL.width - VERTICAL.safe.right - 40
    r, g, b = main.getpixel((x, VERTICAL.safe.top + 20))
    assert r > 200 and g > 160 and b < 80
    # the "AI-generated" label: white text at the top-left of the safe zone, on the bar
    left, top = VERTICAL.safe.left, VERTICAL.safe.top
    label = main.crop((left, top, left + 60, top + 14)).convert("L")
    assert label.getextrema()[1] > 200
    assert main.crop((left, top + 30, left + 60, top + 44)).convert("L").getextrema()[1] < 120
    assert list(clean_tmp.iterdir()) == []

    sha = provenance.embed_manifest(export=out, original=clip, title="export.mp4")
    assert sha == provenance.sha256_file(out)
    assert_deliverable(out, VERTICAL, 3.5)  # still faststart and playable once signed
    manifest = provenance.read_manifest(out)
    assert [i["title"] for i in manifest["ingredients"]] == ["provider.mp4"]
    assert list(clean_tmp.iterdir()) == []


def test_captions_are_burned_into_the_caption_band(tmp_path, clip):
    bare = render.FinishSpec(preset=VERTICAL, fit="pad")
    with_captions = render.FinishSpec(
        preset=VERTICAL, fit="pad", captions_ass=caption_file(tmp_path, VERTICAL)
    )
    plain = frame_at(render.render(clip, tmp_path / "a.mp4", bare), 0.5).convert("L")
    captioned = frame_at(render.render(clip, tmp_path / "b.mp4", with_captions), 0.5).convert("L")
    diff = ImageChops.difference(plain, captioned)
    bottom = VERTICAL.height - VERTICAL.safe.bottom
    band = diff.crop((0, bottom - 40, VERTICAL.width, bottom))
    below = diff.crop((0, bottom + 4, VERTICAL.width, VERTICAL.height))
    assert ImageStat.Stat(band).mean[0] > 5  # text drawn above the bottom margin
    assert ImageStat.Stat(below).mean[0] < 1  # and nothing inside the margin


def test_crop_fills_the_frame_and_a_silent_clip_gets_audio(tmp_path, silent_clip):
    spec = render.FinishSpec(preset=VERTICAL, fit="crop", end_card=render.EndCard(seconds=1.0))
    out = render.render(silent_clip, tmp_path / "export.mp4", spec)
    assert_deliverable(out, VERTICAL, 3.0)
    top = frame_at(out, 0.5).convert("RGB").crop((0, 0, VERTICAL.width, 20))
    assert ImageStat.Stat(top).stddev[0] > 10  # picture, not a plain pad bar


@pytest.mark.parametrize("source", ["clip", "silent_clip"])
def test_landscape_preset_without_end_card(tmp_path, source, request):
    preset = presets.get("youtube").scaled(320)
    source_path = request.getfixturevalue(source)
    out = render.render(source_path, tmp_path / "export.mp4", render.FinishSpec(preset=preset))
    assert_deliverable(out, preset, 2.0)


def test_timeout_kills_ffmpeg_and_leaves_nothing(tmp_path, clip, clean_tmp):
    spec = render.FinishSpec(preset=presets.get("tiktok"), end_card=render.EndCard(seconds=8))
    out = tmp_path / "export.mp4"
    with pytest.raises(render.RenderError) as caught:
        render.render(clip, out, spec, timeout=0.3)
    assert caught.value.reason == "timeout"
    assert not out.exists()
    assert list(clean_tmp.iterdir()) == []


def test_memory_cap_stops_the_render(tmp_path, clip, clean_tmp):
    """A full-size encode needs more than 500 MB of address space: under that cap the
    encoder cannot start, and the render fails instead of growing."""
    spec = render.FinishSpec(preset=presets.get("tiktok"))
    with pytest.raises(render.RenderError) as caught:
        render.render(clip, tmp_path / "export.mp4", spec, memory_mb=500)
    assert caught.value.reason in {"memory", "failed"}
    assert not (tmp_path / "export.mp4").exists()
    assert list(clean_tmp.iterdir()) == []


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        (lambda d: {"fit": "stretch"}, "fit"),
        (lambda d: {"pad_colour": "red"}, "pad_colour"),
        (lambda d: {"end_card": render.EndCard(seconds=60)}, "end_card_seconds"),
        (
            lambda d: {"end_card": render.EndCard(seconds=2, background="#12345")},
            "end_card_background",
        ),
        (lambda d: {"logo": render.Logo(d / "logo.png", corner="middle")}, "logo_corner"),
        (lambda d: {"logo": render.Logo(d / "logo.png", scale=0.9)}, "logo_scale"),
        (lambda d: {"logo": render.Logo(d / "fake.png")}, "logo"),
        (lambda d: {"end_card": render.EndCard(seconds=2, logo=d / "fake.png")}, "logo"),
    ],
)
def test_bad_spec_is_a_field_error_before_ffmpeg_runs(tmp_path, clip, logo, changes, field):
    (tmp_path / "fake.png").write_bytes(mf.mp4(seconds=2.0, size="320x180"))
    spec = render.FinishSpec(preset=VERTICAL, **changes(tmp_path))
    with pytest.raises(FinishingError) as caught:
        render.render(clip, tmp_path / "export.mp4", spec)
    assert caught.value.field == field
    assert not (tmp_path / "export.mp4").exists()


def test_user_text_is_never_filter_syntax(tmp_path, clip, clean_tmp):
    tricky = "50% off: [0:v]; drawtext=text='x' \\ , ok"
    spec = render.FinishSpec(
        preset=VERTICAL, ai_label=tricky, end_card=render.EndCard(seconds=1, text=tricky)
    )
    out = render.render(clip, tmp_path / "export.mp4", spec)
    assert_deliverable(out, VERTICAL, 3.0)
    assert os.listdir(tempfile.gettempdir()) == []
