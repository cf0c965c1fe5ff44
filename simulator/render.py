"""Fetching references and rendering a real H.264 MP4 for a task with ffmpeg.

The look depends on the seed (colours and motion), the prompt is drawn on the frames, and
the references are visibly used: image mode pans over the first frame, first+last frame
cross-fades from one to the other, reference mode shows the images and video frames in
turn, edit/extend start from the source video.
"""

from __future__ import annotations

import base64
import random
import subprocess
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

import av
import imageio_ffmpeg
import requests
from PIL import Image, ImageDraw, ImageFont

from simulator.rules import Invalid, Spec

FFMPEG = imageio_ffmpeg.get_ffmpeg_exe()
FPS = 24
MAX_REFERENCE_BYTES = 60 * 1024 * 1024


@dataclass
class Inputs:
    image: Path | None = None
    last_image: Path | None = None
    images: list[Path] = field(default_factory=list)
    videos: list[Path] = field(default_factory=list)
    audios: list[Path] = field(default_factory=list)


def _fetch(param: str, url: str, target: Path) -> Path:
    if url.startswith("data:"):
        target.write_bytes(base64.b64decode(url.split(";base64,", 1)[1]))
        return target
    try:
        with requests.get(url, stream=True, timeout=(3.05, 15)) as response:
            if response.status_code != 200:
                raise Invalid(
                    param,
                    f"could not download {param}: HTTP {response.status_code}",
                    "InvalidParameter",
                )
            size = 0
            with target.open("wb") as handle:
                for chunk in response.iter_content(256 * 1024):
                    size += len(chunk)
                    if size > MAX_REFERENCE_BYTES:
                        raise Invalid(param, f"{param} is too large", "InvalidParameter")
                    handle.write(chunk)
    except requests.RequestException as exc:
        raise Invalid(
            param, f"could not download {param}: {type(exc).__name__}", "InvalidParameter"
        ) from None
    return target


def _check_image(param: str, path: Path) -> None:
    try:
        with Image.open(path) as image:
            image.verify()
    except Exception:
        raise Invalid(param, f"{param} is not a decodable image", "InvalidParameter") from None


def probe_seconds(path: Path) -> float:
    with av.open(str(path), options={"protocol_whitelist": "file"}) as container:
        if container.duration is not None:
            return container.duration / av.time_base
        stream = (container.streams.video or container.streams.audio)[0]
        return float(stream.duration * stream.time_base)


def fetch_inputs(spec: Spec, folder: Path) -> Inputs:
    """Download and check every reference, as the provider does before accepting a task."""
    folder.mkdir(parents=True, exist_ok=True)
    inputs = Inputs()
    if spec.image:
        inputs.image = _fetch("image", spec.image, folder / "image")
        _check_image("image", inputs.image)
    if spec.last_image:
        inputs.last_image = _fetch("last_image", spec.last_image, folder / "last_image")
        _check_image("last_image", inputs.last_image)
    for i, url in enumerate(spec.images):
        path = _fetch(f"images[{i}]", url, folder / f"images-{i}")
        _check_image(f"images[{i}]", path)
        inputs.images.append(path)
    for kind in ("videos", "audios"):
        total = 0.0
        for i, url in enumerate(getattr(spec, kind)):
            path = _fetch(f"{kind}[{i}]", url, folder / f"{kind}-{i}")
            try:
                seconds = probe_seconds(path)
            except Exception:
                raise Invalid(
                    f"{kind}[{i}]", f"{kind}[{i}] cannot be decoded", "InvalidParameter"
                ) from None
            if not 2 <= seconds <= 15:
                raise Invalid(
                    f"{kind}[{i}]",
                    f"{kind}[{i}] is {seconds:.1f}s; each must be 2-15s",
                    "InvalidParameter",
                )
            total += seconds
            getattr(inputs, kind).append(path)
        if total > 15.0 + 0.05:
            raise Invalid(kind, f"{kind} total {total:.1f}s; at most 15s", "InvalidParameter")
    return inputs


def _overlay(spec: Spec, seed: int, path: Path) -> None:
    """The prompt (and the watermark when asked) on a transparent layer."""
    width, height = spec.width, spec.height
    layer = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    size = max(14, min(width, height) // 22)
    font = ImageFont.load_default(size=size)
    chars = max(12, int(width / (size * 0.55)))
    lines = textwrap.wrap(spec.prompt, chars)[:3]
    band = (len(lines) + 1) * int(size * 1.3)
    draw.rectangle([0, height - band, width, height], fill=(0, 0, 0, 140))
    y = height - band + size // 2
    for line in lines:
        draw.text((size, y), line, font=font, fill=(255, 255, 255, 255))
        y += int(size * 1.3)
    draw.text((size, size), f"seed {seed}", font=font, fill=(255, 255, 255, 160))
    if spec.watermark:
        mark = "Seedance · AI generated"
        box = draw.textbbox((0, 0), mark, font=font)
        x = width - (box[2] - box[0]) - size
        draw.rectangle(
            [x - 8, size - 6, width - size + 8, size + (box[3] - box[1]) + 10], fill=(0, 0, 0, 160)
        )
        draw.text((x, size), mark, font=font, fill=(255, 255, 255, 255))
    layer.save(path)


def _cover(label: str, width: int, height: int, pan: str = "0") -> str:
    """Scale to cover the frame (a little larger, so there is room to pan), then crop."""
    big_w, big_h = int(width * 1.15) // 2 * 2, int(height * 1.15) // 2 * 2
    return (
        f"[{label}]scale={big_w}:{big_h}:force_original_aspect_ratio=increase,"
        f"crop={width}:{height}:x='(in_w-{width})*{pan}':y='(in_h-{height})/2',"
        f"setsar=1,fps={FPS},format=yuv420p"
    )


def render(spec: Spec, inputs: Inputs, seed: int, folder: Path) -> tuple[Path, Path | None]:
    """Render the MP4 (and the last frame PNG when asked). Returns their paths."""
    rng = random.Random(seed)
    width, height, seconds = spec.width, spec.height, spec.duration
    overlay = folder / "overlay.png"
    _overlay(spec, seed, overlay)
    args: list[str] = [FFMPEG, "-v", "error", "-y"]
    filters: list[str] = []
    n = 0

    def add(*input_args: str) -> int:
        nonlocal n
        args.extend(input_args)
        n += 1
        return n - 1

    pan = f"(t/{seconds})"
    if inputs.image and inputs.last_image:
        a = add("-loop", "1", "-t", str(seconds), "-i", str(inputs.image))
        b = add("-loop", "1", "-t", str(seconds), "-i", str(inputs.last_image))
        filters += [
            _cover(f"{a}:v", width, height) + "[a]",
            _cover(f"{b}:v", width, height) + "[b]",
            f"[a][b]xfade=transition=fade:offset=0.1:duration={seconds - 0.4}[bg0]",
            f"[bg0]trim=duration={seconds}[bg]",
        ]
    elif inputs.image:
        a = add("-loop", "1", "-t", str(seconds), "-i", str(inputs.image))
        filters.append(_cover(f"{a}:v", width, height, pan) + "[bg]")
    elif inputs.images or inputs.videos:
        parts = inputs.images + inputs.videos
        segment = seconds / len(parts)
        labels = []
        for i, path in enumerate(parts):
            if path in inputs.images:
                k = add("-loop", "1", "-t", f"{segment:.3f}", "-i", str(path))
            else:
                k = add("-stream_loop", "-1", "-t", f"{segment:.3f}", "-i", str(path))
            filters.append(
                _cover(f"{k}:v", width, height) + f",trim=duration={segment:.3f},"
                f"setpts=PTS-STARTPTS[s{i}]"
            )
            labels.append(f"[s{i}]")
        filters.append(f"{''.join(labels)}concat=n={len(labels)}:v=1:a=0[bg0]")
        filters.append(f"[bg0]trim=duration={seconds}[bg]")
    elif spec.videos:  # edit / extend with a source video
        source = inputs.videos[0]
        if spec.operation == "extend_video":
            k = add("-i", str(source))
            filters.append(
                _cover(f"{k}:v", width, height) + f",tpad=stop_mode=clone:"
                f"stop_duration={seconds},trim=duration={seconds}[bg]"
            )
        else:
            k = add("-stream_loop", "-1", "-t", str(seconds), "-i", str(source))
            filters.append(
                _cover(f"{k}:v", width, height) + ",hue=H=2*PI*t/8:s=1.3,"
                f"trim=duration={seconds}[bg]"
            )
    else:
        colors = [f"0x{rng.randrange(0x1000000):06x}" for _ in range(3)]
        k = add(
            "-f",
            "lavfi",
            "-i",
            f"gradients=s={width}x{height}:r={FPS}:d={seconds}:"
            f"c0={colors[0]}:c1={colors[1]}:c2={colors[2]}:n=3:"
            f"speed={0.01 + rng.random() * 0.03:.4f}:seed={seed % 2**31}",
        )
        filters.append(f"[{k}:v]format=yuv420p[bg]")
    o = add("-loop", "1", "-t", str(seconds), "-i", str(overlay))
    filters.append(f"[bg][{o}:v]overlay=0:0:shortest=1,format=yuv420p[v]")
    maps = ["-map", "[v]"]
    if spec.generate_audio:
        tone = 180 + rng.randrange(400)
        t = add("-f", "lavfi", "-i", f"sine=frequency={tone}:duration={seconds}:sample_rate=44100")
        sources = [f"[{t}:a]volume=0.3[tone]"]
        mix = ["[tone]"]
        for i, path in enumerate(inputs.audios):
            k = add("-i", str(path))
            sources.append(f"[{k}:a]aresample=44100,apad[r{i}]")
            mix.append(f"[r{i}]")
        filters += sources
        filters.append(
            f"{''.join(mix)}amix=inputs={len(mix)}:duration=first,atrim=duration={seconds}[aud]"
        )
        maps += ["-map", "[aud]", "-c:a", "aac", "-b:a", "96k"]
    video = folder / "video.mp4"
    args += [
        "-filter_complex",
        ";".join(filters),
        *maps,
        "-t",
        str(seconds),
        "-r",
        str(FPS),
        "-c:v",
        "libx264",
        "-preset",
        "ultrafast",
        "-pix_fmt",
        "yuv420p",
        "-movflags",
        "+faststart",
        "-threads",
        "2",
        str(video),
    ]
    subprocess.run(args, check=True, timeout=600, capture_output=True)
    last_frame = None
    if spec.return_last_frame:
        last_frame = folder / "last_frame.png"
        subprocess.run(
            [
                FFMPEG,
                "-v",
                "error",
                "-y",
                "-sseof",
                "-0.5",
                "-i",
                str(video),
                "-update",
                "1",
                str(last_frame),
            ],
            check=True,
            timeout=120,
            capture_output=True,
        )
    return video, last_frame
