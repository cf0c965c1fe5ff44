"""How the New video form is drawn: tier cards, option switches and reference slots.

Kept apart from the rules in ``forms`` so each module stays about one topic; the base form
mixes this in and the template (``gallery.html``, "new_form_fields") reads these."""

from __future__ import annotations

from typing import Any

from django import forms

from generations.formfields import MultipleFileField, OutputChoiceField, TierCard

SWITCHES = ("generate_audio", "watermark", "camera_fixed", "return_last_frame")
# What each upload slot takes (its drop zone refuses other kinds before anything is sent).
SLOT_KINDS = {
    "first_frame": "image",
    "last_frame": "image",
    "images": "image",
    "videos": "video",
    "audios": "audio",
    "source_video": "video",
}


class StudioLayout:
    """Mixed into ``BaseGenerationForm``: ``self[name]``, ``fields`` and
    ``reference_fields`` are the form's."""

    @property
    def tier_cards(self) -> list[TierCard]:
        """The tier radios with what a person weighs: resolution, speed, price per second."""
        return [TierCard.build(radio) for radio in self["model"]]

    @property
    def switch_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in SWITCHES]

    @property
    def reference_slots(self) -> list[dict[str, Any]]:
        """Each upload field with its "reuse one of your clips" picker (``<name>_from``), so
        the page can draw one slot that takes a drop, a paste, a file or a gallery clip."""
        slots = []
        for bound in self.reference_fields:
            if isinstance(bound.field, OutputChoiceField):
                continue
            reuse = f"{bound.name}_from"
            kind = SLOT_KINDS.get(bound.name) or "image"
            slots.append(
                {
                    "field": bound,
                    "reuse": self[reuse] if reuse in self.fields else None,
                    "kind": kind,
                    "multiple": isinstance(bound.field, MultipleFileField),
                    # Files converted on the way in (ReferenceCollector.notes), said here.
                    "notes": self.notes.get(bound.name, []),
                }
            )
        return slots
