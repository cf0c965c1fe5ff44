"""A finished export against a bare transcode of the same clip, side by side in one run.

The clip is 15 s of 1080×1920 with sound (as a provider returns it). The finished export
adds captions, a logo, the "AI-generated" label, a 2 s end card and the signed C2PA
manifest; the bare transcode only re-encodes to the same size with the same encoder
settings. The two alternate, three times each, and the medians are compared.
"""

from __future__ import annotations

import resource
import statistics
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import imageio_ffmpeg
from PIL import Image, ImageDraw

from studiolib.finishing import captions, presets, provenance, render

SECONDS = 15
ROUNDS = 3
TARGET = 1.5


def sample_clip(path: Path, size: str, seconds: float) -> Path:
    """A clip with moving pictures and a tone at ``size`` (WxH), as a provider returns one."""
    subprocess.run(
        [
            imageio_ffmpeg.get_ffmpeg_exe(),
            "-v",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            f"testsrc2=size={size}:rate=24:duration={seconds}",
            "-f",
            "lavfi",
            "-i",
            f"sine=frequency=330:duration={seconds}",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-pix_fmt",
            "yuv420p",
            "-c:a",
            "aac",
            "-shortest",
            str(path),
        ],
        check=True,
        timeout=300,
    )
    return path


def _bare(source: Path, out: Path) -> None:
    subprocess.run(
        [
            imageio_ffmpeg.get_ffmpeg_exe(),
            "-v",
            "error",
            "-y",
            "-i",
            str(source),
            "-vf",
            "scale=1080:1920",
            *render.VIDEO_CODEC,
            *render.AUDIO_CODEC,
            *render.CONTAINER,
            str(out),
        ],
        check=True,
        timeout=600,
    )


def _spec(work: Path) -> render.FinishSpec:
    preset = presets.get("tiktok")
    logo = work / "logo.png"
    image = Image.new("RGBA", (600, 300), (0, 0, 0, 0))
    ImageDraw.Draw(image).ellipse((0, 0, 599, 299), fill=(255, 200, 0, 255))
    image.save(logo)
    lines = "\n".join(f"Caption line {n}: the offer, spelled out" for n in range(1, 7))
    ass = work / "captions.ass"
    captions.write_ass(
        captions.from_text(lines, clip_seconds=SECONDS),
        ass,
        preset=preset,
        style=captions.CaptionStyle("DejaVu Sans"),
    )
    return render.FinishSpec(
        preset=preset,
        fit="pad",
        captions_ass=ass,
        logo=render.Logo(logo),
        end_card=render.EndCard(seconds=2, background="#112233", text="Shop now", logo=logo),
        ai_label="AI-generated",
    )


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _timed(run: Callable[[], object]) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the ffmpeg children): the CPU figure shows the work
    itself when other processes share the machine and stretch the wall clock."""
    cpu, started = _children_cpu(), time.perf_counter()
    run()
    return time.perf_counter() - started, _children_cpu() - cpu


def _finish(source: Path, out: Path, spec: render.FinishSpec) -> None:
    render.render(source, out, spec)
    provenance.embed_manifest(export=out, original=source, title=out.name)


def figures(report: Callable[..., None], work: Path) -> None:
    folder = work / "finishing"
    folder.mkdir(exist_ok=True)
    source = sample_clip(folder / "provider-15s.mp4", "1080x1920", SECONDS)
    spec = _spec(folder)
    bare, finished = [], []
    for _ in range(ROUNDS):
        bare.append(_timed(lambda: _bare(source, folder / "bare.mp4")))
        finished.append(_timed(lambda: _finish(source, folder / "finished.mp4", spec)))
    wall = [statistics.median(t[0] for t in runs) for runs in (finished, bare)]
    cpu = [statistics.median(t[1] for t in runs) for runs in (finished, bare)]
    ratio = wall[0] / wall[1]
    report(
        "finished_export_vs_bare_transcode_15s_1080x1920",
        f"{ratio:.2f}× (finished {wall[0]:.1f} s, bare {wall[1]:.1f} s, median of {ROUNDS}; "
        f"CPU time {cpu[0] / cpu[1]:.2f}×)",
        f"≤ {TARGET}×",
        ratio <= TARGET,
    )
