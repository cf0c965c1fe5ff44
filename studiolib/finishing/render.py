"""One ffmpeg run that turns the provider's clip into a finished export.

Scale and pad (brand colour) or crop to the preset, the logo in a corner, an optional
"AI-generated" label, captions burned in from an ASS file, then an end card (background
colour, logo, call to action) with silent audio, all in one filter graph and one encode:
H.264 High + AAC, yuv420p, ``+faststart``. A clip without audio gets a silent track, so
every export has one and exports concatenate cleanly.

ffmpeg (the binary imageio-ffmpeg ships, as the tests' media factory uses) runs as a
child with a wall-clock timeout and a cap on its address space; its scratch files live in
one temporary folder that is removed however the run ends. ``studiolib.sandbox`` runs the
media probe, not arbitrary commands, so it does not fit here.
"""

from __future__ import annotations

import resource
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import imageio_ffmpeg
from PIL import Image

from studiolib.finishing import fonts
from studiolib.finishing.captions import HEX_COLOUR
from studiolib.finishing.errors import FinishingError
from studiolib.finishing.presets import Preset, check_fit

MAX_LOGO_SIDE = 4096
CORNERS = ("top_left", "top_right", "bottom_left", "bottom_right")
# Encoder settings shared with the benchmark's bare transcode, so the two are comparable.
VIDEO_CODEC = ["-c:v", "libx264", "-profile:v", "high", "-preset", "veryfast", "-crf", "20"]
AUDIO_CODEC = ["-c:a", "aac", "-b:a", "160k", "-ar", "48000", "-ac", "2"]
CONTAINER = ["-pix_fmt", "yuv420p", "-movflags", "+faststart"]
SILENCE = "anullsrc=r=48000:cl=stereo"
AUDIO_FORMAT = "aformat=sample_fmts=fltp:sample_rates=48000:channel_layouts=stereo"


class RenderError(Exception):
    """The render did not finish: ``reason`` is ``timeout``, ``memory`` or ``failed``."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class Logo:
    path: Path  # a PNG; its transparency is kept
    corner: str = "top_right"
    scale: float = 0.18  # logo width as a share of the frame width


@dataclass(frozen=True)
class EndCard:
    seconds: float
    background: str = "#000000"
    text: str = ""
    text_colour: str = "#FFFFFF"
    logo: Path | None = None


@dataclass(frozen=True)
class FinishSpec:
    preset: Preset
    fit: str = "pad"
    pad_colour: str = "#000000"
    captions_ass: Path | None = None
    logo: Logo | None = None
    end_card: EndCard | None = None
    ai_label: str = ""  # shown at the top of the safe zone when set
    font: Path | None = None  # the brand font file; a bundled font when None

    def check(self) -> None:
        check_fit(self.fit)
        for field, value in (("pad_colour", self.pad_colour),) + (
            (
                ("end_card_background", self.end_card.background),
                ("end_card_text_colour", self.end_card.text_colour),
            )
            if self.end_card
            else ()
        ):
            if not HEX_COLOUR.match(value):
                raise FinishingError(field, "Give the colour as #RRGGBB.")
        if self.logo and self.logo.corner not in CORNERS:
            raise FinishingError("logo_corner", "Choose a corner for the logo.")
        if self.logo and not 0.02 <= self.logo.scale <= 0.6:
            raise FinishingError("logo_scale", "The logo must be 2–60% of the frame width.")
        if self.end_card and not 0.5 <= self.end_card.seconds <= 10:
            raise FinishingError("end_card_seconds", "The end card lasts 0.5 to 10 seconds.")
        if self.logo:
            check_logo(self.logo.path)
        if self.end_card and self.end_card.logo:
            check_logo(self.end_card.logo)


def check_logo(path: Path) -> None:
    """A logo is a PNG of sane size (its alpha channel is what lets it sit on the picture);
    anything else would only fail later, inside ffmpeg, with an unhelpful message."""
    try:
        with Image.open(path, formats=["PNG"]) as image:
            size = image.size
            image.verify()
    except Exception:  # Pillow raises many types for files that are not PNGs
        raise FinishingError("logo", "The logo must be a PNG file.") from None
    if max(size) > MAX_LOGO_SIDE:
        raise FinishingError(
            "logo", f"The logo must be at most {MAX_LOGO_SIDE} pixels wide and high."
        )


@dataclass(frozen=True)
class Clip:
    duration: float
    rate: Fraction
    has_audio: bool


def probe(path: Path) -> Clip:
    """What the graph needs to know about the provider's clip (already checked on save)."""
    with av.open(str(path), format="mov", options={"protocol_whitelist": "file"}) as container:
        stream = container.streams.video[0]
        if stream.duration is not None and stream.time_base is not None:
            duration = float(stream.duration * stream.time_base)
        else:
            duration = container.duration / av.time_base
        rate = stream.average_rate or Fraction(30)
        return Clip(duration=duration, rate=Fraction(rate), has_audio=bool(container.streams.audio))


def _colour(value: str) -> str:
    return "0x" + value.lstrip("#")


def _fit(preset: Preset, fit: str, pad_colour: str) -> str:
    w, h = preset.width, preset.height
    if fit == "crop":
        return f"scale={w}:{h}:force_original_aspect_ratio=increase,crop={w}:{h}"
    return (
        f"scale={w}:{h}:force_original_aspect_ratio=decrease,"
        f"pad={w}:{h}:(ow-iw)/2:(oh-ih)/2:color={_colour(pad_colour)}"
    )


def _corner(corner: str, preset: Preset) -> str:
    s = preset.safe
    x = f"{s.left}" if corner.endswith("left") else f"W-w-{s.right}"
    y = f"{s.top}" if corner.startswith("top") else f"H-h-{s.bottom}"
    return f"x={x}:y={y}"


def _text(textfile: Path, font: Path, size: int, colour: str, x: str, y: str) -> str:
    # The text comes from a file and is drawn as it is (no %{...} expansion): nothing a
    # user types is parsed as filter syntax.
    return (
        f"drawtext=fontfile={font}:textfile={textfile}:expansion=none:fontsize={size}:fontcolor={colour}:"
        f"x={x}:y={y}:borderw={max(1, size // 14)}:bordercolor=black@0.6"
    )


def build_command(source: Path, out: Path, spec: FinishSpec, clip: Clip, work: Path) -> list[str]:
    """The ffmpeg arguments; text and the caption file are copied into ``work`` first."""
    p = spec.preset
    # The font is copied under a plain name: a path is part of the filter syntax.
    fontdir = work / "fonts"
    fontdir.mkdir()
    font = fontdir / ("brand" + (spec.font or fonts.default_font()).suffix.lower())
    shutil.copy(spec.font or fonts.default_font(), font)
    rate = f"{clip.rate.numerator}/{clip.rate.denominator}"
    inputs = ["-i", str(source)]
    graph = [f"[0:v]{_fit(p, spec.fit, spec.pad_colour)},setsar=1,fps={rate},format=yuv420p[v0]"]
    last = "v0"
    if spec.logo:
        inputs += ["-i", str(spec.logo.path)]
        width = max(2, round(p.width * spec.logo.scale / 2) * 2)
        graph.append(f"[1:v]scale={width}:-1,format=rgba[logo]")
        graph.append(f"[{last}][logo]overlay={_corner(spec.logo.corner, p)}:format=auto[v1]")
        last = "v1"
    if spec.ai_label:
        label = work / "label.txt"
        label.write_text(spec.ai_label, encoding="utf-8")
        size = max(8, round(min(p.width, p.height) * 0.03))
        graph.append(
            f"[{last}]{_text(label, font, size, 'white', f'{p.safe.left}', f'{p.safe.top}')}[v2]"
        )
        last = "v2"
    if spec.captions_ass:
        shutil.copy(spec.captions_ass, work / "captions.ass")
        graph.append(f"[{last}]ass=filename={work / 'captions.ass'}:fontsdir={fontdir}[v3]")
        last = "v3"
    graph.append(f"[{last}]format=yuv420p[main]")
    if clip.has_audio:
        graph.append(f"[0:a]{AUDIO_FORMAT},apad,atrim=0:{clip.duration:.3f}[amain]")
    else:
        graph.append(f"{SILENCE},atrim=0:{clip.duration:.3f}[amain]")
    if spec.end_card:
        graph += _end_card(spec, font, rate, inputs, work)
        graph.append("[main][amain][card][acard]concat=n=2:v=1:a=1[vout][aout]")
        outputs = ["-map", "[vout]", "-map", "[aout]"]
    else:
        outputs = ["-map", "[main]", "-map", "[amain]"]
    return [
        imageio_ffmpeg.get_ffmpeg_exe(),
        "-hide_banner",
        "-nostdin",
        "-nostats",
        "-v",
        "error",
        "-y",
        "-protocol_whitelist",
        "file,pipe",
        *inputs,
        "-filter_complex",
        ";".join(graph),
        *outputs,
        *VIDEO_CODEC,
        *AUDIO_CODEC,
        *CONTAINER,
        "-progress",
        "pipe:1",
        str(out),
    ]


def _end_card(spec: FinishSpec, font: Path, rate: str, inputs: list[str], work: Path) -> list[str]:
    p, card = spec.preset, spec.end_card
    assert card is not None
    graph = [
        f"color=c={_colour(card.background)}:s={p.width}x{p.height}:r={rate}:d={card.seconds}[bg]"
    ]
    last = "bg"
    if card.logo:
        index = inputs.count("-i")
        inputs += ["-i", str(card.logo)]
        width = max(2, round(p.width * 0.4 / 2) * 2)
        graph.append(f"[{index}:v]scale={width}:-1,format=rgba[cardlogo]")
        graph.append(f"[{last}][cardlogo]overlay=x=(W-w)/2:y=(H-h)/2-H/10:format=auto[c1]")
        last = "c1"
    if card.text:
        cta = work / "cta.txt"
        cta.write_text(card.text, encoding="utf-8")
        size = max(8, round(min(p.width, p.height) * 0.06))
        colour = _colour(card.text_colour)
        graph.append(f"[{last}]{_text(cta, font, size, colour, '(w-text_w)/2', 'h*0.62')}[c2]")
        last = "c2"
    graph.append(f"[{last}]setsar=1,format=yuv420p[card]")
    graph.append(f"{SILENCE},atrim=0:{card.seconds}[acard]")
    return graph


def _limit_memory(memory_mb: int) -> Callable[[], None]:
    def limit() -> None:
        cap = memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    return limit


def render(
    source: Path,
    out: Path,
    spec: FinishSpec,
    *,
    timeout: float = 600,
    memory_mb: int = 2048,
    progress: Callable[[float], None] | None = None,
) -> Path:
    """Write the finished export to ``out``; ``progress`` gets 0.0–1.0 as ffmpeg reports."""
    spec.check()
    clip = probe(source)
    total = clip.duration + (spec.end_card.seconds if spec.end_card else 0)
    with tempfile.TemporaryDirectory(prefix="finish-") as folder:
        work = Path(folder)
        target = work / "export.mp4"
        command = build_command(source, target, spec, clip, work)
        _run(command, work, timeout=timeout, memory_mb=memory_mb, total=total, progress=progress)
        shutil.move(target, out)
    return out


def _run(command, work, *, timeout, memory_mb, total, progress) -> None:
    with (work / "stderr.txt").open("w+b") as errors:
        child = subprocess.Popen(  # noqa: S603 - fixed binary, arguments built here
            command,
            stdout=subprocess.PIPE,
            stderr=errors,
            stdin=subprocess.DEVNULL,
            cwd=work,
            env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"},
            preexec_fn=_limit_memory(memory_mb),  # only setrlimit runs between fork and exec
        )
        timed_out = threading.Event()

        def kill() -> None:
            timed_out.set()
            child.kill()

        timer = threading.Timer(timeout, kill)
        timer.start()
        try:
            assert child.stdout is not None
            for line in child.stdout:
                key, _, value = line.decode(errors="replace").strip().partition("=")
                if progress and key == "out_time_us" and value.isdigit():
                    progress(min(1.0, int(value) / 1e6 / total))
            child.wait()
        finally:
            timer.cancel()
            if child.poll() is None:
                child.kill()
                child.wait()
        if timed_out.is_set():
            raise RenderError("timeout", f"the render took longer than {timeout:g} s")
        if child.returncode != 0:
            errors.seek(0)
            detail = errors.read()[-2000:].decode(errors="replace")
            memory = any(sign in detail for sign in ("Cannot allocate memory", "malloc"))
            raise RenderError("memory" if memory else "failed", detail.strip())
    if progress:
        progress(1.0)
