"""The batch form: a prompt template, rows (a CSV file or typed), formats, tiers and the
per-clip settings of the studio's text-to-video form.

The studio's form decides what is allowed: every (format, tier) pair is validated by a real
``generations.forms.TextForm`` and every rendered prompt by that form's own prompt cleaning,
so a batch can never send what the New video form would refuse. Nothing here repeats a
rule of the provider page."""

from __future__ import annotations

import copy
from typing import Any

from django import forms
from django.conf import settings
from django.db.models import QuerySet

from brandkits.forms import KitParts
from brandkits.models import BrandKit
from campaigns import rows
from campaigns.models import Batch
from campaigns.plan import SETTINGS, Plan
from exports.forms import FIT_CHOICES
from generations.forms import BaseGenerationForm, TextForm
from generations.models import Generation
from generations.services.lifecycle import estimate
from studiolib import tiers as tier_table
from studiolib.finishing.presets import PRESETS
from workspaces.models import Project

# Where an error of the studio's form belongs on this one.
FIELD_OF = {"model": "tiers", "aspect_ratio": "formats", "prompt": "template"}


def _studio_field(name: str) -> forms.Field:
    return copy.deepcopy(TextForm.base_fields[name])


class BatchForm(forms.Form):
    name = forms.CharField(label="Batch name", max_length=80)
    template = forms.CharField(
        label="Prompt template",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Write {{column}} where a row's value goes, e.g. "
        "“{{hook}}: a product shot of {{product}}”.",
    )
    rows_file = forms.FileField(
        label="CSV file",
        required=False,
        help_text="UTF-8 CSV with a header line naming the columns.",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )
    rows_text = forms.CharField(
        label="Or type the rows (CSV)",
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 6, "placeholder": "hook,product\nWait for it,shoes"}),
        help_text="The first line names the columns; rows are numbered from 1 below it.",
    )
    # No field-wide null-character check: the studio's prompt check refuses one in the rows
    # that use it, naming the row (a column the template does not use is never sent).
    rows_text.validators = []
    formats = forms.MultipleChoiceField(
        label="Formats",
        choices=TextForm.base_fields["aspect_ratio"].choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one format."},
    )
    tiers = forms.MultipleChoiceField(
        label="Tiers",
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one tier."},
    )
    duration = _studio_field("duration")
    # A number box rather than the studio's slider: this page has no script to show its value.
    duration.widget = forms.NumberInput(
        attrs={"min": tier_table.DURATION_MIN, "max": tier_table.DURATION_MAX}
    )
    generate_audio = _studio_field("generate_audio")
    seed = _studio_field("seed")
    watermark = _studio_field("watermark")
    camera_fixed = _studio_field("camera_fixed")
    return_last_frame = _studio_field("return_last_frame")
    project = _studio_field("project")
    token = forms.UUIDField(
        widget=forms.HiddenInput,
        error_messages={
            "required": "This page has expired: reload it and try again.",
            "invalid": "This page has expired: reload it and try again.",
        },
    )
    digest = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, projects: QuerySet[Project], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["project"].queryset = projects.filter(archived_at__isnull=True)
        self.fields["tiers"].choices = [(t.model, t.label) for t in tier_table.enabled_tiers()]
        self.fields["tiers"].error_messages["invalid_choice"] = (
            "That tier is not available in this studio."
        )
        self.projects = projects
        self.plan: Plan | None = None
        self.rows_from = ""  # the uploaded file's name, once its rows are in the text box

    @property
    def project_options(self) -> list[tuple[str, str, bool]]:
        """(id, name, chosen) of each open project, read in one light query: the page
        draws the select itself (a workspace may have many projects, and the widget renders
        a template per option)."""
        chosen = str(self["project"].value() or "")
        return [
            (str(pk), name, str(pk) == chosen)
            for pk, name in self.fields["project"].queryset.values_list("pk", "name")
        ]

    @property
    def choice_fields(self) -> list[forms.BoundField]:
        return [self["formats"], self["tiers"]]

    @property
    def switch_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in ("generate_audio", "watermark", "camera_fixed")]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        template = cleaned.get("template") or ""
        for problem in rows.template_problems(template) if template else []:
            self.add_error("template", problem)
        text = self._rows_text(cleaned)
        if self.errors or text is None:
            return cleaned
        studio = self._studio_forms(cleaned, template)
        if studio is None:
            return cleaned
        first = next(iter(studio.values()))
        try:
            table = rows.parse(
                text,
                template=template,
                max_rows=settings.CAMPAIGN_MAX_ROWS,
                check_prompt=lambda prompt: prompt_check(first, prompt),
            )
        except rows.RowsError as exc:
            for message in exc.messages:
                self.add_error("rows_text" if not self.rows_from else "rows_file", message)
            return cleaned
        self.plan = Plan(
            name=cleaned["name"],
            template=template,
            table=table,
            formats=cleaned["formats"],
            tiers=cleaned["tiers"],
            settings={name: first.cleaned_data.get(name) for name in SETTINGS},
            project=cleaned.get("project"),
            per_clip={
                pair: estimate(data=form.generation_data(), references=[])
                for pair, form in studio.items()
            },
        )
        return cleaned

    def _rows_text(self, cleaned: dict[str, Any]) -> str | None:
        """The rows as text, from the file when one was given (it then moves into the text
        box, so the preview page submits the same rows without uploading them again)."""
        limit = settings.CAMPAIGN_MAX_CSV_BYTES
        upload = cleaned.get("rows_file")
        if upload:
            if upload.size > limit:
                self.add_error("rows_file", _too_large(upload.size, limit))
                return None
            try:
                text = rows.decode(upload.read())
            except rows.RowsError as exc:
                self.add_error("rows_file", exc.messages[0])
                return None
            self.rows_from = upload.name
            self.data = self.data.copy()
            self.data["rows_text"] = text
            return text
        text = cleaned.get("rows_text") or ""
        if not text.strip():
            self.add_error("rows_text", "Upload a CSV file or type the rows.")
            return None
        size = len(text.encode())
        if size > limit:
            self.add_error("rows_text", _too_large(size, limit))
            return None
        return text.lstrip("\ufeff")

    def _studio_forms(
        self, cleaned: dict[str, Any], template: str
    ) -> dict[tuple[str, str], BaseGenerationForm] | None:
        """A valid studio form per (format, tier), or None with its errors copied here."""
        made: dict[tuple[str, str], BaseGenerationForm] = {}
        project = cleaned.get("project")
        for ratio in cleaned["formats"]:
            for model in cleaned["tiers"]:
                data = {
                    **{name: self.data.get(name) for name in SETTINGS if self.data.get(name)},
                    "mode": "text",
                    "model": model,
                    "aspect_ratio": ratio,
                    "prompt": template,
                    "project": str(project.pk) if project else "",
                }
                form = TextForm(data, clips=Generation.objects.none(), projects=self.projects)
                if not form.is_valid():
                    for field, errors in form.errors.items():
                        name = FIELD_OF.get(field, field)
                        for error in errors:
                            if error not in self.errors.get(name, []):
                                self.add_error(None if name == "__all__" else name, error)
                    return None
                made[(ratio, model)] = form
        return made


def prompt_check(form: BaseGenerationForm, prompt: str) -> str:
    """One rendered prompt through the studio form's own prompt cleaning (its field, and
    its ``clean_prompt`` when the mode has one); ``ValueError`` with its reason if refused."""
    try:
        value = form.fields["prompt"].clean(prompt)
        hook = getattr(form, "clean_prompt", None)
        if hook is not None:
            form.cleaned_data = {**form.cleaned_data, "prompt": value}
            value = hook()
    except forms.ValidationError as exc:
        raise ValueError(" ".join(exc.messages)) from None
    return value


def _too_large(size: int, limit: int) -> str:
    return (
        f"The rows are {size / 1024:,.0f} KB; a batch takes at most {limit / 1024:,.0f} KB. "
        "Split them into several batches."
    )


class RecipeForm(forms.Form):
    name = forms.CharField(label="Recipe name", max_length=80)


class FinishForm(KitParts):
    """Apply the brand kit to a batch: the export preset (each format's own, or one for
    all), fit, captions from a template of the batch's {{variables}}, and the kit's parts
    (a part the kit lacks cannot be chosen)."""

    token = forms.UUIDField(
        widget=forms.HiddenInput,
        error_messages={
            "required": "This page has expired: reload it and try again.",
            "invalid": "This page has expired: reload it and try again.",
        },
    )
    preset = forms.ChoiceField(
        label="Export format",
        required=False,
        choices=[("", "Each format's own (9:16 → TikTok/Reels/Shorts, 1:1 → Feed, 16:9 → YouTube)")]
        + [(key, p.label) for key, p in PRESETS.items()],
    )
    fit = forms.ChoiceField(
        label="Fit", choices=FIT_CHOICES, initial="pad", widget=forms.RadioSelect
    )
    caption_template = forms.CharField(
        label="Captions",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": "{{hook}}"}),
        help_text="Optional. One line per caption, timed over the clip; write {{column}} "
        "where each row's value goes.",
    )

    def __init__(self, *args: Any, batch: Batch, kit: BrandKit, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.batch = batch
        self.offer(kit)

    def clean_caption_template(self) -> str:
        template = self.cleaned_data.get("caption_template", "").strip()
        if "{{" in rows.VARIABLE.sub("", template) or "}}" in rows.VARIABLE.sub("", template):
            raise forms.ValidationError("A {{ has no }} (or the other way round).")
        unknown = [name for name in rows.variables(template) if name not in self.batch.columns]
        if unknown:
            raise forms.ValidationError(
                f"The batch has no column “{unknown[0]}”; use "
                + ", ".join("{{" + column + "}}" for column in self.batch.columns)
                + "."
            )
        return template
