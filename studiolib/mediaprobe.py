"""The child process that decodes untrusted uploads (``python -m studiolib.mediaprobe``).

A hostile file can make a decoder spin or allocate without end, so the web process never
decodes one itself: ``studiolib.sandbox`` starts this program with a wall-clock timeout,
and the program caps its own address space, CPU time and output size before it imports a
decoder or reads a byte of the file. It reads one JSON job on stdin, works only on the local
paths named there (PyAV with a forced demuxer and only the ``file`` protocol, Pillow with an
allowlist of formats and a pixel budget), and prints one JSON answer:
``{"facts": {...}}`` or ``{"rejected": "sentence for the user"}`` or ``{"damaged": true}``
or ``{"memory": true}`` or ``{"too_big": true}`` (the output outgrew its cap). No Django
here: it starts in a fraction of a second.
"""

from __future__ import annotations

import errno
import json
import resource
import signal
import sys
import warnings
from typing import Any

from studiolib import mediarules

# What Pillow may open per job kind: the provider's own formats are re-encoded as they
# are; the others are converted to PNG (first frame or page only).
PASS_THROUGH = {"JPEG": "JPEG", "PNG": "PNG", "WEBP": "WEBP"}
CONVERTED = ("BMP", "TIFF", "GIF", "HEIF")
AV_OPTIONS = {"protocol_whitelist": "file", "probesize": "5000000"}


class Rejected(Exception):
    """A rule the file breaks, in words for the user."""


def limit_self(memory_mb: int, cpu_seconds: int, output_bytes: int) -> None:
    """Caps that hold before anything untrusted is touched (also for the decoders' own
    threads and allocations, which Python cannot see). A write past ``output_bytes``
    fails with EFBIG instead of killing the process, so it can be reported."""
    memory = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1))
    resource.setrlimit(resource.RLIMIT_FSIZE, (output_bytes + 1, output_bytes + 1))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)


# --- images ---------------------------------------------------------------------------


def check_image(job: dict[str, Any]) -> dict[str, Any]:
    from PIL import Image, ImageOps

    Image.MAX_IMAGE_PIXELS = mediarules.MAX_IMAGE_PIXELS
    subject = job["subject"]
    formats = list(PASS_THROUGH) + (list(CONVERTED) if job.get("convert") else [])
    if "HEIF" in formats:
        import pillow_heif

        pillow_heif.register_heif_opener()
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(job["path"], formats=formats)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise Rejected(f"{subject} has too many pixels to be a safe image.") from None
        with image:
            # Sizes from the header first: a bomb is refused before a pixel is decoded.
            problem = mediarules.image_problem(subject, *image.size)
            if problem:
                raise Rejected(problem)
            if image.format in PASS_THROUGH and getattr(image, "n_frames", 1) > 1:
                raise Rejected(f"{subject} is animated; use a still image.")
            image.seek(0)  # GIF, TIFF and HEIF: the first frame, page or picture
            image.load()
            # In place: one copy of the pixels in memory, not two.
            ImageOps.exif_transpose(image, in_place=True)
            facts = {"width": image.width, "height": image.height, "format": image.format}
            if job.get("out"):
                facts["saved_as"] = _save_clean(image, job["out"])
    return facts


def _save_clean(image: Any, out: str) -> str:
    """Re-encode without EXIF, XMP or GPS (orientation is already baked in); the provider's
    own formats stay as they are, the others become PNG."""
    target = PASS_THROUGH.get(image.format, "PNG")
    if target == "JPEG":
        (image if image.mode == "RGB" else image.convert("RGB")).save(out, "JPEG", quality=92)
    elif target == "WEBP":
        image.save(out, "WEBP", quality=92)
    else:
        if image.mode not in {"1", "L", "LA", "I", "I;16", "P", "RGB", "RGBA"}:
            image = image.convert("RGBA" if "A" in image.getbands() else "RGB")
        image.save(out, "PNG")
    return target


# --- video and audio ------------------------------------------------------------------


def _seconds(container: Any, stream: Any, subject: str) -> float:
    import av

    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    if container.duration is not None:
        return container.duration / av.time_base
    raise Rejected(f"{subject} has no duration: it is damaged or cannot be played.")


def check_video(job: dict[str, Any]) -> dict[str, Any]:
    import av

    subject = job["subject"]
    with av.open(job["path"], format=job["demuxer"], options=AV_OPTIONS) as container:
        if not container.streams.video:
            raise Rejected(f"{subject} has no video picture, only sound.")
        stream = container.streams.video[0]
        stream.thread_count = 1  # one decoder thread: memory use does not scale with cores
        width, height = stream.codec_context.width, stream.codec_context.height
        seconds = _seconds(container, stream, subject)
        fps = float(stream.average_rate or stream.guessed_rate or 0)
        # Facts from the header are checked before anything is decoded.
        problem = mediarules.video_problem(
            subject, seconds=seconds, width=width, height=height, fps=fps
        )
        if problem:
            raise Rejected(problem)
        if next(container.decode(stream), None) is None:
            raise Rejected(f"{subject} has no frames that can be played.")
        return {
            "duration": seconds,
            "fps": fps,
            "width": width,
            "height": height,
            "has_audio": bool(container.streams.audio),
        }


def check_audio(job: dict[str, Any]) -> dict[str, Any]:
    import av

    subject = job["subject"]
    with av.open(job["path"], format=job["demuxer"], options=AV_OPTIONS) as container:
        if not container.streams.audio:
            raise Rejected(f"{subject} has no sound in it.")
        cover = av.stream.Disposition.attached_pic  # album art is fine; moving pictures not
        if any(not stream.disposition & cover for stream in container.streams.video):
            raise Rejected(f"{subject} is a video, not an audio file.")
        stream = container.streams.audio[0]
        seconds = _seconds(container, stream, subject)
        problem = mediarules.length_problem(subject, seconds, "audio")
        if problem:
            raise Rejected(problem)
        if job.get("out"):
            seconds = _to_wav(container, stream, job["out"], subject)
            problem = mediarules.length_problem(subject, seconds, "audio")
            if problem:
                raise Rejected(problem)
        return {"duration": seconds}


def _to_wav(container: Any, stream: Any, out: str, subject: str) -> float:
    """Decode to 16-bit PCM WAV; returns the seconds written. Stops as soon as the sound
    runs past the longest accepted clip, whatever the header claimed."""
    import av

    stream.thread_count = 1
    channels = stream.codec_context.layout.nb_channels
    layout = "mono" if channels == 1 else "stereo"
    rate = min(stream.codec_context.sample_rate or 48000, 48000)
    most = int((mediarules.LIMITS["audio"]["max_seconds"] + 1) * rate)
    resampler = av.AudioResampler(format="s16", layout=layout, rate=rate)
    written = 0
    with av.open(out, "w", format="wav") as target:
        encoder = target.add_stream("pcm_s16le", rate=rate, layout=layout)
        for frame in [*container.decode(stream), None]:
            for chunk in resampler.resample(frame):
                written += chunk.samples
                target.mux(encoder.encode(chunk))
            if written > most:
                raise Rejected(f"{subject} is longer than 15 s; each audio clip must be 2–15 s.")
        target.mux(encoder.encode(None))
    if not written:
        raise Rejected(f"{subject} has no sound that can be played.")
    return written / rate


JOBS = {"image": check_image, "video": check_video, "audio": check_audio}


def run(job: dict[str, Any]) -> dict[str, Any]:
    try:
        return {"facts": JOBS[job["kind"]](job)}
    except Rejected as exc:
        return {"rejected": str(exc)}
    except MemoryError:
        return {"memory": True}
    except OSError as exc:
        if exc.errno == errno.EFBIG:
            return {"too_big": True}
        return {"damaged": True}
    except Exception:  # decoders raise many types for broken or hostile files
        return {"damaged": True}


def main() -> None:
    memory_mb, cpu_seconds, output_bytes = (int(value) for value in sys.argv[1:4])
    limit_self(memory_mb, cpu_seconds, output_bytes)
    answer = run(json.load(sys.stdin))
    sys.stdout.write(json.dumps(answer))


if __name__ == "__main__":
    main()
