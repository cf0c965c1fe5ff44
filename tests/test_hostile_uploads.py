"""Hostile and broken uploads: each is refused with a clear message, no temporary file is
left behind, and a submission containing one stores nothing."""

from __future__ import annotations

import io
import struct
import tempfile
import zlib
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from generations.models import Generation
from studiolib import uploads
from tests import media_factory as mf


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def bomb_png(side: int = 20000) -> bytes:
    """A valid PNG header claiming side×side pixels, a few KB in all."""
    header = struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0)
    row = b"\x00" + b"\x00" * side * 3
    data = zlib.compress(row * 4, 9)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", data)
        + _png_chunk(b"IEND", b"")
    )


def image_bytes(fmt: str, size=(640, 480), **save) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (10, 120, 200)).save(buffer, fmt, **save)
    return buffer.getvalue()


def animated_gif() -> bytes:
    buffer = io.BytesIO()
    frames = [Image.new("RGB", (400, 400), c) for c in ((255, 0, 0), (0, 255, 0))]
    frames[0].save(buffer, "GIF", save_all=True, append_images=frames[1:])
    return buffer.getvalue()


def animated_webp() -> bytes:
    buffer = io.BytesIO()
    frames = [Image.new("RGB", (400, 400), c) for c in ((255, 0, 0), (0, 255, 0))]
    frames[0].save(buffer, "WEBP", save_all=True, append_images=frames[1:])
    return buffer.getvalue()


def zip_bytes() -> bytes:
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("x.png", mf.png())
    return buffer.getvalue()


def ffmpeg_file(args: list[str], suffix: str) -> bytes:
    import subprocess

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / f"out{suffix}"
        subprocess.run([mf.FFMPEG, "-v", "error", *args, str(out)], check=True, timeout=60)
        return out.read_bytes()


PNG = mf.png()
HOSTILE_IMAGES = {
    "png header then html": (b"\x89PNG\r\n\x1a\n<html><script>alert(1)</script></html>", "damaged"),
    "html named png": (b"<!doctype html><html><script>alert(1)</script>", "HTML"),
    "svg with script": (
        b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        "SVG",
    ),
    "decompression bomb": (bomb_png(), "pixels"),
    "299 px square": (image_bytes("PNG", (299, 299)), "at least 300"),
    "6001 px wide": (image_bytes("PNG", (6001, 2401)), "6000"),
    "ratio 0.39": (image_bytes("PNG", (390, 1000)), "ratio"),
    "ratio 2.6": (image_bytes("PNG", (1300, 500)), "ratio"),
    "animated webp": (animated_webp(), "animated"),
    # Formats converted to PNG meet the same rules, before a pixel is decoded.
    "tiff bomb": (mf.tiff_bomb(), "pixels"),
    "bmp bomb": (mf.bmp_bomb(), "pixels"),
    "heic too small": (mf.heic((200, 200)), "at least 300"),
    "heic ratio 3": (mf.heic((1200, 400)), "ratio"),
    "gif 299 px": (image_bytes("GIF", (299, 400)), "at least 300"),
    "truncated tiff": (image_bytes("TIFF")[:200], "damaged"),
    "truncated gif": (image_bytes("GIF")[:30], "damaged"),
    "heic brand then garbage": (b"\x00\x00\x00\x18ftypheic" + b"\x00" * 200, "damaged"),
    "truncated png": (PNG[: len(PNG) // 2], "damaged"),
    "truncated jpeg": (image_bytes("JPEG")[:300], "damaged"),
    "zero bytes": (b"", "empty"),
    "pdf": (b"%PDF-1.4\n1 0 obj<<>>endobj\n", "PDF"),
    "zip polyglot": (zip_bytes(), "ZIP"),
    "plain text": (b"just some text, not an image", "not a JPEG"),
    "31 MB image": (PNG + b"\x00" * (31 * 1024 * 1024), "30 MB"),
}


@pytest.fixture(scope="module")
def videos():
    lavfi = ["-f", "lavfi", "-i"]
    return {
        "hls playlist named mp4": (
            b"#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:10,\nhttp://127.0.0.1:6379/x.ts\n",
            "playlist",
        ),
        "text named mp4": (b"hello, this is not a video", "not an MP4"),
        "truncated mp4": (mf.mp4(3)[:2048], "damaged"),
        "16 second mp4": (mf.mp4(16, size="320x320"), "16.0 s"),
        "1.5 second mp4": (mf.mp4(1.5), "1.5 s"),
        "320x320 mp4": (
            mf.mp4(2, size="320x320"),
            "320×320 (102,400 pixels per frame); reference videos must have "
            "409,600–927,408 pixels per frame",
        ),
        "1920x1088 mp4": (mf.mp4(2, size="1920x1088"), "1920×1088 (2,088,960 pixels"),
        "640x638 mp4": (mf.mp4(2, size="640x638"), "408,320 pixels per frame"),
        "ratio 2.6 mp4": (mf.mp4(2, size="1300x500"), "ratio of 2.60"),
        "avi": (
            ffmpeg_file(
                [*lavfi, "testsrc=size=320x240:rate=24:duration=3", "-c:v", "mjpeg"], ".avi"
            ),
            "AVI",
        ),
        "mkv": (
            ffmpeg_file(
                [
                    *lavfi,
                    "testsrc=size=320x240:rate=24:duration=3",
                    "-c:v",
                    "libx264",
                    "-preset",
                    "ultrafast",
                ],
                ".mkv",
            ),
            "WebM/MKV",
        ),
        "audio-only mp4": (
            ffmpeg_file([*lavfi, "sine=duration=3", "-c:a", "aac"], ".mp4"),
            "no video",
        ),
        "10 fps mp4": (
            ffmpeg_file(
                [
                    *lavfi,
                    "testsrc=size=320x240:rate=10:duration=3",
                    "-c:v",
                    "libx264",
                    "-preset",
                    "ultrafast",
                    "-pix_fmt",
                    "yuv420p",
                ],
                ".mp4",
            ),
            "frames per second",
        ),
        "png named mp4": (PNG, "not an MP4"),
        "zero-byte video": (b"", "empty"),
    }


@pytest.fixture(scope="module")
def audios():
    return {
        "1 second wav": (mf.wav(1), "1.0 s"),
        "16 second wav": (mf.wav(16), "16.0 s"),
        "png named mp3": (PNG, "not a WAV or MP3"),
        "truncated wav": (mf.wav(3)[:40], "damaged"),
        # Converted formats (M4A, AAC, Ogg, FLAC → WAV) are sniffed and checked alike.
        "ogg header then zeros": (b"OggS\x00\x02" + b"\x00" * 100, "damaged"),
        "m4a that is really a video": (mf.mp4(3, audio=True), "is a video"),
        "m4a that is a silent video": (mf.mp4(3), "no sound"),
        "m4a brand then garbage": (b"\x00\x00\x00\x18ftypM4A " + b"\x01" * 300, "damaged"),
        "16 second m4a": (ffmpeg_file(["-f", "lavfi", "-i", "sine=duration=16"], ".m4a"), "16."),
        "1 second aac": (ffmpeg_file(["-f", "lavfi", "-i", "sine=duration=1"], ".aac"), "1.0 s"),
        "adts sync then html": (b"\xff\xf1" + b"<html><script>alert(1)</script>" * 4, "damaged"),
        "html named m4a": (b"<!doctype html><html>", "HTML"),
    }


def upload(name, data):
    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


@pytest.mark.parametrize("case", sorted(HOSTILE_IMAGES))
def test_hostile_images_are_refused_and_leave_nothing(case, clean_tmp):
    data, words = HOSTILE_IMAGES[case]
    with pytest.raises(uploads.UploadRejected) as caught:
        uploads.check_image(upload("evil.png", data))
    assert words in caught.value.message
    assert list(clean_tmp.iterdir()) == []


def test_hostile_videos_are_refused_and_leave_nothing(videos, clean_tmp):
    for case, (data, words) in videos.items():
        with pytest.raises(uploads.UploadRejected) as caught:
            uploads.check_video(upload("evil.mp4", data))
            pytest.fail(f"{case} was accepted")
        assert words in caught.value.message, (case, caught.value.message)
    assert list(clean_tmp.iterdir()) == []


def test_hostile_audio_is_refused_and_leaves_nothing(audios, clean_tmp):
    for case, (data, words) in audios.items():
        with pytest.raises(uploads.UploadRejected) as caught:
            uploads.check_audio(upload("evil.wav", data))
            pytest.fail(f"{case} was accepted")
        assert words in caught.value.message, (case, caught.value.message)
    assert list(clean_tmp.iterdir()) == []


def test_the_corpus_has_at_least_30_hostile_files(videos, audios):
    assert len(HOSTILE_IMAGES) + len(videos) + len(audios) >= 30


def test_a_path_in_the_name_is_never_echoed():
    with pytest.raises(uploads.UploadRejected) as caught:
        uploads.check_image(upload("../../x.png", b"nope"))
    assert "“x.png”" in caught.value.message
    assert ".." not in caught.value.message


@pytest.mark.parametrize(
    ("size", "fmt"),
    [((300, 300), "PNG"), ((6000, 2400), "PNG"), ((400, 1000), "JPEG"), ((1000, 400), "WEBP")],
)
def test_valid_image_edges_pass(size, fmt):
    checked = uploads.check_image(upload("ok", image_bytes(fmt, size)))
    assert (checked.width, checked.height) == size
    checked.path.unlink()


def test_exif_and_gps_are_stripped_and_orientation_applied():
    image = Image.new("RGB", (600, 400), (200, 0, 0))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° on display
    exif[0x8825] = {1: "N", 2: (52.0, 22.0, 0.0)}  # GPS
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif)
    checked = uploads.check_image(upload("gps.jpg", buffer.getvalue()))
    with Image.open(checked.path) as stored:
        assert stored.size == (400, 600)
        assert not stored.getexif()
    checked.path.unlink()


@pytest.mark.parametrize("size", ["640x640", "834x1112", "1112x834"])
def test_reference_video_pixel_range_edges_pass(size):
    checked = uploads.check_video(upload("ok.mp4", mf.mp4(2, size=size)))
    assert f"{checked.width}x{checked.height}" == size
    checked.path.unlink()


@pytest.mark.parametrize("seconds", [2.0, 15.0])
def test_valid_video_edges_pass(seconds):
    checked = uploads.check_video(upload("ok.mp4", mf.mp4(seconds)))
    assert checked.duration == pytest.approx(seconds, abs=0.1)
    checked.path.unlink()


def test_mov_and_audio_pass():
    mov = ffmpeg_file(
        [
            "-f",
            "lavfi",
            "-i",
            "testsrc=size=640x640:rate=24:duration=3",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-pix_fmt",
            "yuv420p",
        ],
        ".mov",
    )
    checked = uploads.check_video(upload("ok.mov", mov))
    assert checked.extension == "mov"
    checked.path.unlink()
    wav = uploads.check_audio(upload("ok.wav", mf.wav(2)))
    assert wav.duration == pytest.approx(2, abs=0.1)
    wav.path.unlink()
    mp3 = uploads.check_audio(
        upload("ok.mp3", ffmpeg_file(["-f", "lavfi", "-i", "sine=duration=3"], ".mp3"))
    )
    assert mp3.extension == "mp3"
    mp3.path.unlink()


@pytest.mark.django_db
def test_mixed_valid_and_invalid_files_store_nothing(client, user, local_media, no_broker):
    media = local_media
    client.force_login(user)
    response = client.post(
        reverse("generations:create"),
        {
            "mode": "reference",
            "model": "seedance2.0-480p",
            "prompt": "mixed",
            "duration": "5",
            "aspect_ratio": "16:9",
            "images": [
                upload("a.png", mf.png()),
                upload("b.png", bomb_png()),
                upload("c.png", b"<html>"),
            ],
            "videos": [upload("v.mp4", mf.mp4(3))],
        },
        HTTP_HX_REQUEST="true",
    )
    html = response.content.decode()
    assert "pixels" in html and "HTML" in html
    assert Generation.objects.count() == 0
    assert not media.exists() or not any(p.is_file() for p in media.rglob("*"))


@pytest.mark.django_db
def test_caps_are_enforced_while_streaming(client, user, settings):
    settings.UPLOAD_MAX_REQUEST_BYTES = 200 * 1024
    client.force_login(user)
    big = upload("big.png", PNG + b"\x00" * (400 * 1024))
    response = client.post(
        reverse("generations:create"),
        {
            "mode": "image",
            "model": "seedance2.0-480p",
            "prompt": "too big",
            "duration": "5",
            "aspect_ratio": "16:9",
            "first_frame": big,
        },
        HTTP_HX_REQUEST="true",
    )
    assert "at most 200 KB can be sent at once" in response.content.decode()
    assert Generation.objects.count() == 0


@pytest.mark.django_db
def test_too_many_files_are_refused(client, user, settings):
    settings.UPLOAD_MAX_FILES = 3
    client.force_login(user)
    response = client.post(
        reverse("generations:create"),
        {
            "mode": "reference",
            "model": "seedance2.0-480p",
            "prompt": "many",
            "duration": "5",
            "aspect_ratio": "16:9",
            "images": [upload(f"{i}.png", mf.png()) for i in range(5)],
        },
        HTTP_HX_REQUEST="true",
    )
    assert "At most 3 files" in response.content.decode()
    assert Generation.objects.count() == 0
