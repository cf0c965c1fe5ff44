"""Small real media files for tests, made with Pillow and the ffmpeg that imageio-ffmpeg
ships (no network, no checked-in binaries)."""

from __future__ import annotations

import functools
import io
import struct
import subprocess
import tempfile
from pathlib import Path

import imageio_ffmpeg
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

FFMPEG = imageio_ffmpeg.get_ffmpeg_exe()


def png(width: int = 640, height: int = 640, color: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buffer, "PNG")
    return buffer.getvalue()


@functools.cache
def mp4(seconds: float = 3.0, size: str = "640x640", audio: bool = False) -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "clip.mp4"
        args = [
            FFMPEG,
            "-v",
            "error",
            "-f",
            "lavfi",
            "-i",
            f"testsrc2=size={size}:rate=24:duration={seconds}",
        ]
        if audio:
            args += ["-f", "lavfi", "-i", f"sine=frequency=330:duration={seconds}", "-c:a", "aac"]
        args += [
            "-pix_fmt",
            "yuv420p",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-movflags",
            "+faststart",
            str(out),
        ]
        subprocess.run(args, check=True, timeout=60)
        return out.read_bytes()


@functools.cache
def wav(seconds: float = 3.0) -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "clip.wav"
        subprocess.run(
            [
                FFMPEG,
                "-v",
                "error",
                "-f",
                "lavfi",
                "-i",
                f"sine=frequency=440:duration={seconds}",
                str(out),
            ],
            check=True,
            timeout=60,
        )
        return out.read_bytes()


def upload(name: str, data: bytes, content_type: str = "application/octet-stream"):
    return SimpleUploadedFile(name, data, content_type=content_type)


def tiff_bomb(side: int = 100000) -> bytes:
    """A little-endian TIFF header whose IFD claims side×side pixels, a few hundred bytes."""
    entries = [
        (256, 4, 1, side),  # ImageWidth
        (257, 4, 1, side),  # ImageLength
        (258, 3, 1, 8),  # BitsPerSample
        (259, 3, 1, 1),  # no compression
        (262, 3, 1, 1),  # BlackIsZero
        (273, 4, 1, 8),  # StripOffsets
        (277, 3, 1, 1),  # SamplesPerPixel
        (278, 4, 1, side),  # RowsPerStrip
        (279, 4, 1, min(side * side, 2**32 - 1)),  # StripByteCounts
    ]
    ifd = struct.pack("<H", len(entries))
    for tag, kind, count, value in entries:
        packed = struct.pack("<HI", value, 0)[:4] if kind == 3 else struct.pack("<I", value)
        ifd += struct.pack("<HHI", tag, kind, count) + packed
    return b"II*\x00" + struct.pack("<I", 8) + ifd + b"\x00\x00\x00\x00"


def bmp_bomb(side: int = 60000) -> bytes:
    """A BMP header claiming side×side pixels, with almost no pixel data."""
    info = struct.pack("<IiiHHIIiiII", 40, side, side, 1, 24, 0, 0, 2835, 2835, 0, 0)
    return b"BM" + struct.pack("<IHHI", 14 + len(info) + 64, 0, 0, 54) + info + b"\x00" * 64


def heic(size=(640, 480)) -> bytes:
    import pillow_heif

    pillow_heif.register_heif_opener()
    buffer = io.BytesIO()
    Image.new("RGB", size, (10, 120, 200)).save(buffer, "HEIF")
    return buffer.getvalue()
