"""Form fields and the value objects the New video forms produce."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.forms.models import ModelChoiceIterator

from generations.models import Generation, Reference
from studiolib import uploads


@dataclass
class PendingReference:
    """A reference that passed its checks: a new upload or an earlier output to copy."""

    role: str
    position: int
    checked: uploads.CheckedFile | None = None
    source: Generation | None = None
    source_field: str = ""  # "video" | "last_frame" when copied from an earlier output
    copy_of: Reference | None = None  # a re-run copies the original's references
    original_name: str = ""
    known_duration: float | None = None  # an earlier output's length, as probed

    @property
    def duration(self) -> float:
        if self.known_duration is not None:
            return self.known_duration
        if self.checked is not None:
            return self.checked.duration or 0.0
        if self.copy_of is not None:
            return self.copy_of.duration or 0.0
        return (self.source.video_duration or 0.0) if self.source_field == "video" else 0.0


class RangeInput(forms.NumberInput):
    """A slider; the field's min/max/step still bound it, and the server checks the value."""

    input_type = "range"


@dataclass(frozen=True)
class TierCard:
    """One tier radio and the facts its card shows."""

    radio: Any
    name: str
    resolution: str
    speed: str
    price_per_second: float

    @classmethod
    def build(cls, radio: Any) -> TierCard:
        from studiolib import tiers

        model = str(radio.data["value"])
        tier = tiers.get_tier(model)
        # Per second of a 16:9 clip without video input: the formula is linear in duration,
        # so ten seconds divided by ten drops the one-frame constant.
        per_second = tiers.estimate_cost(model=model, aspect_ratio="16:9", duration=10) / 10
        seconds = tiers.expected_run_seconds(model=model, duration=5)
        speed = f"~{round(seconds / 60)} min" if seconds >= 90 else f"~{round(seconds)} s"
        name = {"standard": "Standard", "fast": "Fast", "mini": "Mini"}[tier.family]
        resolution = "4K" if tier.height == 2160 else f"{tier.height}p"
        return cls(radio, name, resolution, speed, per_second)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        files = data if isinstance(data, list | tuple) else ([data] if data else [])
        return [super(MultipleFileField, self).clean(item, initial) for item in files]


def limits_help(kind: str) -> str:
    return uploads.LIMITS[kind]["help"]


PICKER_SIZE = 30


class _RecentOutputs(ModelChoiceIterator):
    """The newest clips only (a user may have thousands: listing them all made every form
    with a picker megabytes of HTML), plus the one already chosen, wherever it is."""

    def __iter__(self) -> Iterator[tuple[Any, str]]:
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        shown = list(self.queryset[:PICKER_SIZE])
        chosen = self.field.chosen
        if chosen and all(str(obj.pk) != str(chosen) for obj in shown):
            # Not an id: the field's own validation says so.
            with contextlib.suppress(ValueError, ValidationError):
                shown += list(self.queryset.filter(pk=chosen))
        for obj in shown:
            yield self.choice(obj)

    def __len__(self) -> int:
        return sum(1 for _ in self)


class OutputChoiceField(forms.ModelChoiceField):
    """Pick one of your earlier outputs (its video or its last frame) as a reference.
    Any of your clips validates; the list shows the newest (see ``_RecentOutputs``)."""

    iterator = _RecentOutputs

    def __init__(self, output_kind: str, **kwargs: Any) -> None:
        self.output_kind = output_kind
        self.chosen: Any = None
        kwargs.setdefault("required", False)
        kwargs.setdefault("empty_label", "— or reuse one of your clips —")
        super().__init__(queryset=Generation.objects.none(), **kwargs)

    def label_from_instance(self, obj: Generation) -> str:
        return f"{obj.prompt[:50]} ({obj.created_at:%Y-%m-%d %H:%M})"


def image_field(label: str) -> forms.FileField:
    return forms.FileField(
        label=label,
        required=False,
        help_text=limits_help("image"),
        widget=forms.ClearableFileInput(attrs={"accept": "image/*"}),
    )


def video_field(label: str) -> forms.FileField:
    return forms.FileField(
        label=label,
        required=False,
        help_text=limits_help("video"),
        widget=forms.ClearableFileInput(attrs={"accept": "video/*"}),
    )
