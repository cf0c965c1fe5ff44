"""The Export form on a clip's page: format, fit, captions (typed or an SRT/VTT file) and
which parts of the brand kit to use. Caption problems are shown next to the captions."""

from __future__ import annotations

from typing import Any

from django import forms

from brandkits.forms import KitParts
from brandkits.models import BrandKit
from exports.services import clip_seconds
from generations.models import Generation
from studiolib.finishing import captions
from studiolib.finishing.errors import FinishingError
from studiolib.finishing.presets import PRESETS

FIT_CHOICES = [
    ("pad", "Fit inside (bars in the brand's pad colour)"),
    ("crop", "Fill the frame (crop the edges)"),
]


class ExportForm(KitParts):
    preset = forms.ChoiceField(
        label="Format", choices=[(key, p.label) for key, p in PRESETS.items()]
    )
    fit = forms.ChoiceField(
        label="Fit", choices=FIT_CHOICES, initial="pad", widget=forms.RadioSelect
    )
    captions_text = forms.CharField(
        label="Captions (one line per caption)",
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    captions_file = forms.FileField(label="…or a caption file (.srt or .vtt)", required=False)

    def __init__(self, *args: Any, generation: Generation, kit: BrandKit, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.generation = generation
        self.cues: list[captions.Cue] = []
        self.offer(kit)  # the panel says where to add a part the kit lacks

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        upload = data.get("captions_file")
        text = (data.get("captions_text") or "").strip()
        seconds = clip_seconds(self.generation)
        try:
            if upload:
                data_bytes = upload.read(captions.MAX_CAPTION_BYTES + 1)
                self.cues = captions.parse_file(data_bytes, clip_seconds=seconds)
            elif text:
                self.cues = captions.from_text(text, clip_seconds=seconds)
        except FinishingError as exc:
            self.add_error("captions_file" if upload else "captions_text", exc.message)
        return data
