"""The "New video" form. Every rule of the seed page is enforced here, before anything is
sent upstream, with the error next to the field it concerns."""

from __future__ import annotations

from typing import Any

from django import forms

from generations import tiers
from generations.models import AspectRatio, Mode

SEED_MIN, SEED_MAX = -1, 2**32 - 1
PROMPT_MAX = 2000


class GenerationForm(forms.Form):
    mode = forms.ChoiceField(
        choices=[(Mode.TEXT.value, Mode.TEXT.label)], initial=Mode.TEXT, widget=forms.HiddenInput
    )
    model = forms.ChoiceField(label="Tier", initial=tiers.DEFAULT_MODEL)
    prompt = forms.CharField(
        label="Prompt",
        max_length=PROMPT_MAX,
        strip=True,
        widget=forms.Textarea(
            attrs={"rows": 4, "placeholder": "A clean product shot, slow camera move…"}
        ),
        help_text="Describe the scene, subject, motion and style.",
        error_messages={"required": "Write a prompt: the provider needs one for every video."},
    )
    duration = forms.IntegerField(
        label="Duration (seconds)",
        min_value=tiers.DURATION_MIN,
        max_value=tiers.DURATION_MAX,
        initial=5,
        help_text="5 to 15 seconds.",
        error_messages={
            "min_value": "Duration must be at least 5 seconds.",
            "max_value": "Duration can be at most 15 seconds.",
            "invalid": "Duration must be a whole number of seconds (5 to 15).",
            "required": "Choose a duration between 5 and 15 seconds.",
        },
    )
    aspect_ratio = forms.ChoiceField(
        label="Aspect ratio", choices=AspectRatio.choices, initial=AspectRatio.LANDSCAPE
    )
    generate_audio = forms.BooleanField(label="Generate audio", required=False)
    seed = forms.IntegerField(
        label="Seed",
        required=False,
        min_value=SEED_MIN,
        max_value=SEED_MAX,
        help_text="Leave blank (or -1) for a random seed; reuse a seed to repeat a look.",
        error_messages={
            "min_value": "Seed must be -1 or a whole number from 0 to 4294967295.",
            "max_value": "Seed must be at most 4294967295.",
            "invalid": "Seed must be a whole number.",
        },
    )
    watermark = forms.BooleanField(label="Watermark", required=False)
    camera_fixed = forms.BooleanField(label="Fixed camera", required=False)
    return_last_frame = forms.BooleanField(
        label="Return last frame",
        required=False,
        help_text="Keep the final frame as an image, e.g. to continue the clip.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["model"].choices = [(t.model, t.label) for t in tiers.enabled_tiers()]
        self.fields["model"].error_messages["invalid_choice"] = (
            "That tier is not available in this studio."
        )

    def clean_duration(self) -> int:
        # IntegerField accepts "5.0"; the contract wants whole seconds only.
        raw = str(self.data.get(self.add_prefix("duration"), "")).strip()
        if raw and not raw.lstrip("+").isdigit():
            raise forms.ValidationError("Duration must be a whole number of seconds (5 to 15).")
        return self.cleaned_data["duration"]

    def estimate(self) -> float | None:
        """The live cost estimate for whatever is valid so far (None until it can be known)."""
        data = self.data
        model = data.get("model") or tiers.DEFAULT_MODEL
        aspect = data.get("aspect_ratio") or AspectRatio.LANDSCAPE
        try:
            duration = int(data.get("duration") or 5)
        except ValueError:
            return None
        if model not in tiers.TIERS_BY_MODEL or not tiers.get_tier(model).enabled:
            return None
        if aspect not in tiers.ASPECT_RATIOS or not (
            tiers.DURATION_MIN <= duration <= tiers.DURATION_MAX
        ):
            return None
        return tiers.estimate_cost(model=model, aspect_ratio=aspect, duration=duration)
