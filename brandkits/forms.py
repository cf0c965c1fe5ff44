"""The brand kit form: every refusal is a message next to its field, and checking an upload
never leaves a file behind (the checks read the upload's own temporary file, or a copy in a
temporary folder removed at once)."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import RegexValidator
from PIL import Image

from brandkits import naming
from brandkits.finish import Choices
from brandkits.models import END_CARD_MAX_SECONDS, END_CARD_MIN_SECONDS, BrandKit, Corner
from studiolib.finishing import fonts, render
from studiolib.finishing.errors import FinishingError

MAX_LOGO_BYTES = 5 * 1024 * 1024
HEX = RegexValidator(r"^#[0-9A-Fa-f]{6}$", "Give the colour as #RRGGBB, for example #1A2B3C.")
T = TypeVar("T")


def with_path(upload: UploadedFile, suffix: str, check: Callable[[Path], T]) -> T:
    """Run ``check`` on the upload as a file on disk."""
    if hasattr(upload, "temporary_file_path"):
        return check(Path(upload.temporary_file_path()))
    with tempfile.TemporaryDirectory(prefix="brand-") as folder:
        path = Path(folder) / f"upload{suffix}"
        upload.seek(0)
        with path.open("wb") as handle:
            shutil.copyfileobj(upload, handle)
        return check(path)


def check_logo_file(path: Path) -> tuple[int, int]:
    """A real PNG with an alpha channel (a logo without one would cover the picture with
    its background), within the renderer's size limit."""
    render.check_logo(path)
    with Image.open(path, formats=["PNG"]) as image:
        transparent = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
        size = image.size
    if not transparent:
        raise FinishingError(
            "logo",
            "The logo has no transparency (alpha channel); save it as a PNG with a "
            "transparent background.",
        )
    return size


def bundled_choices() -> list[tuple[str, str]]:
    return [("", "Default (DejaVu Sans Bold)")] + [
        (info.path.name, f"{info.family} {info.style}") for info in fonts.bundled_fonts()
    ]


def colour_field(label: str) -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=7,
        validators=[HEX],
        widget=forms.TextInput(attrs={"pattern": "#[0-9A-Fa-f]{6}", "size": 8}),
    )


class BrandKitForm(forms.Form):
    brand_name = forms.CharField(label="Brand name", max_length=60, required=False)
    logo_upload = forms.FileField(label="Logo (PNG with transparency)", required=False)
    remove_logo = forms.BooleanField(label="Remove the logo", required=False)
    logo_corner = forms.ChoiceField(label="Logo corner", choices=Corner.choices)
    pad_colour = colour_field("Pad colour (bars around a clip that does not fill the frame)")
    caption_colour = colour_field("Caption text colour")
    caption_box_colour = colour_field("Caption outline colour")
    font_upload = forms.FileField(label="Brand font (.ttf or .otf)", required=False)
    remove_font = forms.BooleanField(label="Remove the uploaded font", required=False)
    bundled_font = forms.ChoiceField(label="Font when none is uploaded", required=False)
    end_card = forms.BooleanField(label="End card", required=False)
    end_card_text = forms.CharField(label="Call to action", max_length=80, required=False)
    end_card_colour = colour_field("End card background")
    end_card_seconds = forms.FloatField(
        label="End card length (seconds)",
        min_value=END_CARD_MIN_SECONDS,
        max_value=END_CARD_MAX_SECONDS,
    )
    end_card_logo = forms.BooleanField(label="Show the logo on the end card", required=False)
    ai_label = forms.BooleanField(label="Visible “AI-generated” label", required=False)
    ai_label_text = forms.CharField(label="Label text", max_length=40, required=False)
    file_name_template = forms.CharField(
        label="Export file name",
        max_length=naming.MAX_TEMPLATE,
        help_text="Tokens: " + " ".join("{" + t + "}" for t in naming.TOKENS),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["bundled_font"].choices = bundled_choices()
        self.font_family = ""

    @classmethod
    def for_kit(cls, kit: BrandKit) -> BrandKitForm:
        names = [n for n in cls.base_fields if n not in ("logo_upload", "font_upload")]
        return cls(initial={n: getattr(kit, n) for n in names if hasattr(kit, n)})

    def clean_logo_upload(self) -> UploadedFile | None:
        upload = self.cleaned_data.get("logo_upload")
        if not upload:
            return None
        if upload.size > MAX_LOGO_BYTES:
            raise forms.ValidationError("The logo file is larger than 5 MB.")
        try:
            with_path(upload, ".png", check_logo_file)
        except FinishingError as exc:
            raise forms.ValidationError(exc.message) from None
        return upload

    def clean_font_upload(self) -> UploadedFile | None:
        upload = self.cleaned_data.get("font_upload")
        if not upload:
            return None
        try:
            info = with_path(upload, ".ttf", fonts.check_font)
        except FinishingError as exc:
            raise forms.ValidationError(exc.message) from None
        self.font_family = info.family
        return upload

    def clean_file_name_template(self) -> str:
        template = self.cleaned_data["file_name_template"].strip()
        naming.check_template(template)
        return template

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        text = (data.get("end_card_text") or "").strip()
        if data.get("end_card") and not text and not data.get("end_card_logo"):
            self.add_error("end_card_text", "An end card needs a call to action or the logo.")
        if data.get("ai_label") and not (data.get("ai_label_text") or "").strip():
            self.add_error("ai_label_text", "Give the label's text, for example AI-generated.")
        for name in ("pad_colour", "caption_colour", "caption_box_colour", "end_card_colour"):
            if data.get(name):
                data[name] = data[name].upper()
        return data


class KitParts(forms.Form):
    """The brand kit's parts one export may use: the clip page's Export form and a batch's
    "Apply the brand kit" form. A part the kit lacks cannot be chosen (``offer``)."""

    use_logo = forms.BooleanField(label="Logo", required=False)
    use_end_card = forms.BooleanField(label="End card", required=False)
    use_ai_label = forms.BooleanField(label="“AI-generated” label", required=False)

    def offer(self, kit: BrandKit) -> None:
        for name, present in (
            ("use_logo", kit.has_logo),
            ("use_end_card", kit.has_end_card),
            ("use_ai_label", kit.has_ai_label),
        ):
            self.fields[name].disabled = not present
            self.fields[name].initial = present

    @property
    def choices(self) -> Choices:
        data = self.cleaned_data
        return Choices(
            logo=bool(data.get("use_logo")),
            end_card=bool(data.get("use_end_card")),
            ai_label=bool(data.get("use_ai_label")),
        )
