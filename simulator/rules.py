"""Every rule of the seed page, checked the way the gateway checks it: HTTP 400 naming the
parameter. Returns a normalised request the renderer can use."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from studiolib import sizes

MODELS = {
    "seedance2.0-480p": 480,
    "seedance2.0-720p": 720,
    "seedance2.0-1080p": 1080,
    "seedance2.0-4k": 2160,
    "seedance2.0-fast-480p": 480,
    "seedance2.0-fast-720p": 720,
    "seedance2.0-mini-480p": 480,
    "seedance2.0-mini-720p": 720,
}
ASPECT_RATIOS = ("16:9", "9:16", "1:1")
OPERATIONS = ("reference_to_video", "edit_video", "extend_video", "first_last_frame")
SEED_MIN, SEED_MAX = -1, 2**32 - 1


class Invalid(Exception):
    def __init__(self, param: str, message: str, code: str = "invalid_request") -> None:
        super().__init__(message)
        self.param = param
        self.message = message
        self.code = code


@dataclass
class Spec:
    model: str
    prompt: str
    duration: int
    aspect_ratio: str
    width: int
    height: int
    generate_audio: bool
    seed: int | None
    watermark: bool
    camera_fixed: bool
    return_last_frame: bool
    operation: str | None
    image: str | None = None
    last_image: str | None = None
    images: list[str] = field(default_factory=list)
    videos: list[str] = field(default_factory=list)
    audios: list[str] = field(default_factory=list)


def output_size(
    model: str, aspect_ratio: str, overrides: Mapping[int, Mapping[str, tuple[int, int]]] | None
) -> tuple[int, int]:
    """What the provider renders: the studio's one size table (``studiolib.sizes``)."""
    return sizes.output_size(MODELS[model], aspect_ratio, overrides)


def _flag(extra: dict[str, Any], name: str, default: bool) -> bool:
    value = extra.get(name, default)
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in {"true", "false"}:
        return value.lower() == "true"
    raise Invalid(f"extra_body.{name}", f"extra_body.{name} must be a boolean")


def _urls(body: dict[str, Any], name: str, limit: int) -> list[str]:
    value = body.get(name)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise Invalid(name, f"{name} must be an array of URL strings")
    if len(value) > limit:
        raise Invalid(name, f"{name} accepts at most {limit} items, got {len(value)}")
    for url in value:
        _check_url(name, url, images_only=name == "images")
    return value


def _check_url(param: str, url: str, *, images_only: bool) -> None:
    if url.startswith(("http://", "https://")):
        return
    if images_only and url.startswith("data:image/") and ";base64," in url:
        return
    raise Invalid(param, f"{param} must be an http(s) URL")


def _duration(body: dict[str, Any]) -> int:
    value = body.get("duration", 5)
    if isinstance(value, bool):
        raise Invalid("duration", "duration must be an integer from 5 to 15")
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        value = int(value.strip())
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, int):
        raise Invalid("duration", "duration must be an integer from 5 to 15")
    if not 5 <= value <= 15:
        raise Invalid("duration", f"duration must be from 5 to 15, got {value}")
    return value


def validate(
    body: Any, output_sizes: Mapping[int, Mapping[str, tuple[int, int]]] | None = None
) -> Spec:
    if not isinstance(body, dict):
        raise Invalid("body", "the request body must be a JSON object")
    model = body.get("model")
    if model not in MODELS:
        raise Invalid("model", f"model must be one of {', '.join(MODELS)}", "model_not_found")
    prompt = body.get("prompt")
    if not isinstance(prompt, str) or not prompt.strip():
        raise Invalid("prompt", "prompt is required")
    duration = _duration(body)
    aspect_ratio = body.get("aspect_ratio", "16:9")
    if aspect_ratio not in ASPECT_RATIOS:
        raise Invalid("aspect_ratio", f"aspect_ratio must be one of {', '.join(ASPECT_RATIOS)}")
    image, last_image = body.get("image"), body.get("last_image")
    for name, value in (("image", image), ("last_image", last_image)):
        if value is not None:
            if not isinstance(value, str) or not value:
                raise Invalid(name, f"{name} must be a URL string")
            _check_url(name, value, images_only=True)
    if last_image and not image:
        raise Invalid("last_image", "last_image can only be used together with image")
    images = _urls(body, "images", 9)
    videos = _urls(body, "videos", 3)
    audios = _urls(body, "audios", 3)
    if (image or last_image) and (images or videos):
        raise Invalid("image", "image/last_image cannot be mixed with images/videos references")
    if len(images) + len(videos) + len(audios) + bool(image) + bool(last_image) > 12:
        raise Invalid("images", "at most 12 reference files in all")
    if audios and not (images or videos or image):
        raise Invalid("audios", "audio references need at least one image or video")
    extra = body.get("extra_body") or {}
    if not isinstance(extra, dict):
        raise Invalid("extra_body", "extra_body must be an object")
    operation = extra.get("operation")
    if operation is not None:
        if operation not in OPERATIONS:
            raise Invalid(
                "extra_body.operation", f"operation must be one of {', '.join(OPERATIONS)}"
            )
        conflict = (
            (operation == "first_last_frame" and not (image and last_image))
            or (operation in {"edit_video", "extend_video"} and (not videos or image))
            or (operation == "reference_to_video" and not (images or videos))
        )
        if conflict:
            raise Invalid("extra_body.operation", "conflicting operation hints for these inputs")
    seed = extra.get("seed")
    if seed is not None and (
        isinstance(seed, bool) or not isinstance(seed, int) or not SEED_MIN <= seed <= SEED_MAX
    ):
        raise Invalid(
            "extra_body.seed", f"extra_body.seed must be an integer from -1 to {SEED_MAX}"
        )
    width, height = output_size(model, aspect_ratio, output_sizes)
    return Spec(
        model=model,
        prompt=prompt,
        duration=duration,
        aspect_ratio=aspect_ratio,
        width=width,
        height=height,
        generate_audio=_flag(extra, "generate_audio", True),
        seed=None if seed in (None, -1) else seed,
        watermark=_flag(extra, "watermark", False),
        camera_fixed=_flag(extra, "camera_fixed", False),
        return_last_frame=_flag(extra, "return_last_frame", False),
        operation=operation,
        image=image,
        last_image=last_image,
        images=images,
        videos=videos,
        audios=audios,
    )
