"""The "New video" forms: one per mode, sharing a base. Every rule of the seed page is
enforced here, before anything is stored or sent upstream, with the error next to the field
it concerns. Files are checked by content (``uploads``) while the form cleans."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet

from generations.formfields import (
    MultipleFileField,
    OutputChoiceField,
    PendingReference,
    RangeInput,
    image_field,
    limits_help,
    video_field,
)
from generations.formlayout import StudioLayout
from generations.formrefs import ReferenceCollector
from generations.models import AspectRatio, Generation, Mode, ReferenceRole, Status
from studiolib import tiers, uploads
from workspaces.models import Project

SEED_MIN, SEED_MAX = -1, 2**32 - 1
PROMPT_MAX = 2000
MAX_IMAGES, MAX_VIDEOS, MAX_AUDIOS, MAX_REFERENCES = 9, 3, 3, 12
EXTEND_DEFAULT_PROMPT = "Continue this video seamlessly, keeping its subject and style."


class BaseGenerationForm(StudioLayout, ReferenceCollector, forms.Form):
    mode_value = Mode.TEXT
    prompt_required = True
    roles: tuple[str, ...] = ()  # the reference roles this mode sends

    mode = forms.CharField(widget=forms.HiddenInput)
    project = forms.ModelChoiceField(
        label="Project",
        queryset=Project.objects.none(),
        required=False,
        empty_label="Default project",
        error_messages={"invalid_choice": "That project is not open in this workspace."},
    )
    # "Edit and run": the earlier generation whose references are copied unless replaced.
    copy_references_from = forms.UUIDField(required=False, widget=forms.HiddenInput)
    # "Edit and run": the clip whose version stack the new clip joins as the next version.
    version_of = forms.UUIDField(required=False, widget=forms.HiddenInput)
    # Radio groups, not selects: the studio draws them as tier cards and ratio chips that
    # show the choice at a glance (templates/generations/gallery.html, "new_form_fields").
    model = forms.ChoiceField(label="Tier", initial=tiers.DEFAULT_MODEL, widget=forms.RadioSelect)
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
        widget=RangeInput,
        help_text="5 to 15 seconds.",
        error_messages={
            "min_value": "Duration must be at least 5 seconds.",
            "max_value": "Duration can be at most 15 seconds.",
            "invalid": "Duration must be a whole number of seconds (5 to 15).",
            "required": "Choose a duration between 5 and 15 seconds.",
        },
    )
    aspect_ratio = forms.ChoiceField(
        label="Aspect ratio",
        choices=AspectRatio.choices,
        initial=AspectRatio.LANDSCAPE,
        widget=forms.RadioSelect,
    )
    generate_audio = forms.BooleanField(label="Generate audio", required=False)
    seed = forms.IntegerField(
        label="Seed",
        required=False,
        min_value=SEED_MIN,
        max_value=SEED_MAX,
        help_text="Blank or -1: random. Reuse a seed to repeat a look.",
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

    def __init__(
        self,
        *args: Any,
        clips: QuerySet[Generation] | None = None,
        projects: QuerySet[Project] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        # The clips and projects of the member's workspace, from workspaces.access: what
        # may be reused as a reference, and where the new clip may go.
        self.clips = clips if clips is not None else Generation.objects.none()
        self.fields["project"].queryset = (
            projects.filter(archived_at__isnull=True)
            if projects is not None
            else Project.objects.none()
        )
        self.pending: list[PendingReference] = []
        # Field name → "voiceover.m4a was converted to WAV." notes shown beside the field.
        self.notes: dict[str, list[str]] = {}
        self.fields["mode"].initial = self.mode_value
        self.fields["model"].choices = [(t.model, t.label) for t in tiers.enabled_tiers()]
        self.fields["model"].error_messages["invalid_choice"] = (
            "That tier is not available in this studio."
        )
        self.fields["prompt"].required = self.prompt_required
        for name, field in self.fields.items():
            if isinstance(field, OutputChoiceField):
                field.queryset = self._outputs(field.output_kind)
                field.chosen = self.data.get(name) or self.initial.get(name)

    def show_projects(self, projects: list[Project]) -> None:
        """Render the project select from a list the page has already read (the gallery's
        filter bar reads the same projects), instead of querying them again."""
        field = self.fields["project"]
        field.choices = [("", field.empty_label)] + [(p.pk, p.name) for p in projects]

    def _outputs(self, kind: str) -> QuerySet[Generation]:
        mine = self.clips.filter(status=Status.SUCCEEDED)
        return mine.exclude(last_frame="") if kind == "last_frame" else mine.exclude(video="")

    @property
    def reference_fields(self) -> list[forms.BoundField]:
        """The mode's own fields (files, reuse pickers), shown under the prompt."""
        return [
            self[name]
            for name in self.fields
            if name not in BaseGenerationForm.base_fields
            and name not in {"copy_references_from", "version_of"}
        ]

    @property
    def modes(self) -> list[tuple[str, str, bool]]:
        return [(mode.value, mode.label, mode == self.mode_value) for mode in Mode]

    def clean_version_of(self) -> Generation | None:
        source_id = self.cleaned_data.get("version_of")
        if not source_id:
            return None
        source = self.clips.filter(pk=source_id).first()
        if source is None:
            raise forms.ValidationError("That earlier version is not available.")
        return source

    def clean_duration(self) -> int:
        # IntegerField accepts "5.0"; the contract wants whole seconds only.
        raw = str(self.data.get(self.add_prefix("duration"), "")).strip()
        if raw and not raw.lstrip("+").isdigit():
            raise forms.ValidationError("Duration must be a whole number of seconds (5 to 15).")
        return self.cleaned_data["duration"]

    # -- references --------------------------------------------------------------------

    def clean_references(self) -> None:
        """Subclasses check their files and rules here."""

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        self._copy_references(cleaned.get("copy_references_from"))
        self.clean_references()
        self._check_copies()
        model = cleaned.get("model")
        if (
            model
            and not tiers.get_tier(model).accepts_video_refs
            and any(
                p.role in {ReferenceRole.VIDEO, ReferenceRole.SOURCE_VIDEO} for p in self.pending
            )
        ):
            self.add_error("model", "This tier does not accept reference videos.")
        if (
            model
            and not tiers.get_tier(model).accepts_audio_refs
            and self._of_role(ReferenceRole.AUDIO)
        ):
            self.add_error("model", "This tier does not accept reference audio.")
        if len(self.pending) > MAX_REFERENCES:
            raise forms.ValidationError(
                f"At most {MAX_REFERENCES} reference files in all ({len(self.pending)} given)."
            )
        return cleaned

    def generation_data(self) -> dict[str, Any]:
        """What ``generation_create`` takes as ``data`` for this valid form (the project
        is passed to it on its own)."""
        data = {**self.cleaned_data, "mode": self.mode_value}
        data.pop("project", None)
        data.pop("version_of", None)  # passed to generation_create on its own
        return data

    def input_video_seconds(self) -> float:
        return sum(
            p.duration
            for p in self.pending
            if p.role in {ReferenceRole.VIDEO, ReferenceRole.SOURCE_VIDEO}
        )

    def discard(self) -> None:
        """Delete the temporary files of checked uploads (an invalid form stores nothing)."""
        for pending in self.pending:
            if pending.checked is not None:
                pending.checked.path.unlink(missing_ok=True)
        self.pending = []

    def estimate(self) -> float | None:
        """The live cost estimate for whatever is valid so far (None until it can be known).
        An unbound form (the fresh one after a submit keeps the chosen tier, ratio and
        duration as initial values) is estimated from those, not from the defaults."""
        data = self.data if self.is_bound else self.initial
        model = data.get("model") or tiers.DEFAULT_MODEL
        aspect = data.get("aspect_ratio") or AspectRatio.LANDSCAPE
        try:
            duration = int(data.get("duration") or 5)
            input_seconds = float(data.get("input_video_seconds") or 0)
        except ValueError:
            return None
        if model not in tiers.TIERS_BY_MODEL or not tiers.get_tier(model).enabled:
            return None
        if aspect not in tiers.ASPECT_RATIOS or not (
            tiers.DURATION_MIN <= duration <= tiers.DURATION_MAX
        ):
            return None
        input_seconds = self.input_video_seconds() or max(0.0, min(input_seconds, 45.0))
        return tiers.estimate_cost(
            model=model, aspect_ratio=aspect, duration=duration, input_video_seconds=input_seconds
        )


class TextForm(BaseGenerationForm):
    mode_value = Mode.TEXT


class ImageForm(BaseGenerationForm):
    mode_value = Mode.IMAGE
    roles = (ReferenceRole.FIRST_FRAME,)
    first_frame = image_field("First frame")
    first_frame_from = OutputChoiceField("last_frame", label="Reuse a last frame")

    def clean_references(self) -> None:
        self._check(
            "first_frame",
            ReferenceRole.FIRST_FRAME,
            uploads.check_image,
            [f for f in [self.cleaned_data.get("first_frame")] if f],
        )
        self._reuse("first_frame_from", ReferenceRole.FIRST_FRAME)
        if len(self._of_role(ReferenceRole.FIRST_FRAME)) > 1:
            self.add_error("first_frame_from", "Give one first frame: upload or reuse, not both.")
        self._require_one("first_frame", ReferenceRole.FIRST_FRAME, "a first frame")


class FirstLastForm(ImageForm):
    mode_value = Mode.FIRST_LAST
    roles = (ReferenceRole.FIRST_FRAME, ReferenceRole.LAST_FRAME)
    last_frame = image_field("Last frame")
    last_frame_from = OutputChoiceField("last_frame", label="Reuse a last frame")

    def clean_references(self) -> None:
        super().clean_references()
        self._check(
            "last_frame",
            ReferenceRole.LAST_FRAME,
            uploads.check_image,
            [f for f in [self.cleaned_data.get("last_frame")] if f],
        )
        self._reuse("last_frame_from", ReferenceRole.LAST_FRAME)
        if len(self._of_role(ReferenceRole.LAST_FRAME)) > 1:
            self.add_error("last_frame_from", "Give one last frame: upload or reuse, not both.")
        self._require_one("last_frame", ReferenceRole.LAST_FRAME, "a last frame")


class ReferenceForm(BaseGenerationForm):
    mode_value = Mode.REFERENCE
    roles = (ReferenceRole.IMAGE, ReferenceRole.VIDEO, ReferenceRole.AUDIO)
    images = MultipleFileField(
        label="Reference images", help_text=(f"Up to {MAX_IMAGES}. " + limits_help("image"))
    )
    videos = MultipleFileField(
        label="Reference videos",
        help_text=(
            f"Up to {MAX_VIDEOS}, each 2–15 s, together at most 15 s. " + limits_help("video")
        ),
    )
    videos_from = OutputChoiceField("video", label="Reuse one of your clips as a video")
    audios = MultipleFileField(
        label="Reference audio",
        help_text=(
            f"Up to {MAX_AUDIOS}, with at least one image or video. " + limits_help("audio")
        ),
    )

    def clean_references(self) -> None:
        images = self.cleaned_data.get("images") or []
        videos = self.cleaned_data.get("videos") or []
        audios = self.cleaned_data.get("audios") or []
        if len(images) > MAX_IMAGES:
            self.add_error("images", f"At most {MAX_IMAGES} images ({len(images)} given).")
        else:
            self._check("images", ReferenceRole.IMAGE, uploads.check_image, images)
        if len(videos) + bool(self.cleaned_data.get("videos_from")) > MAX_VIDEOS:
            self.add_error("videos", f"At most {MAX_VIDEOS} videos.")
        else:
            self._check("videos", ReferenceRole.VIDEO, uploads.check_video, videos)
            self._reuse("videos_from", ReferenceRole.VIDEO)
            self._total_at_most_15("videos", ReferenceRole.VIDEO, "Reference videos")
        if len(audios) > MAX_AUDIOS:
            self.add_error("audios", f"At most {MAX_AUDIOS} audio clips ({len(audios)} given).")
        else:
            self._check("audios", ReferenceRole.AUDIO, uploads.check_audio, audios)
            self._total_at_most_15("audios", ReferenceRole.AUDIO, "Reference audio clips")
        has_visual = self._of_role(ReferenceRole.IMAGE) or self._of_role(ReferenceRole.VIDEO)
        if audios and not has_visual and "audios" not in self.errors:
            self.add_error("audios", "Audio needs at least one reference image or video.")
        if not self.pending and not self.errors:
            self.add_error("images", "Add at least one reference image or video.")

    def _total_at_most_15(self, field: str, role: str, what: str) -> None:
        total = sum(p.duration for p in self._of_role(role))
        if total > 15.0 + 1e-6 and field not in self.errors:
            self.add_error(
                field, f"{what} together are {total:.1f} s; the total must be at most 15 s."
            )


class EditForm(BaseGenerationForm):
    mode_value = Mode.EDIT
    roles = (ReferenceRole.SOURCE_VIDEO,)
    operation = "edit_video"
    source_video = video_field("Source video")
    source_video_from = OutputChoiceField("video", label="Or edit one of your clips")

    def clean_references(self) -> None:
        self._check(
            "source_video",
            ReferenceRole.SOURCE_VIDEO,
            uploads.check_video,
            [f for f in [self.cleaned_data.get("source_video")] if f],
        )
        self._reuse("source_video_from", ReferenceRole.SOURCE_VIDEO)
        if len(self._of_role(ReferenceRole.SOURCE_VIDEO)) > 1:
            self.add_error("source_video_from", "Give one source video: upload or reuse.")
        self._require_one("source_video", ReferenceRole.SOURCE_VIDEO, "a source video")


class ExtendForm(EditForm):
    mode_value = Mode.EXTEND
    operation = "extend_video"
    prompt_required = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["prompt"].help_text = "Optional: how the video should continue."
        self.fields["source_video_from"].label = "Or extend one of your clips"

    def clean_prompt(self) -> str:
        # The provider requires a prompt; an empty one gets a neutral instruction.
        return self.cleaned_data.get("prompt") or EXTEND_DEFAULT_PROMPT


FORMS: dict[str, type[BaseGenerationForm]] = {
    form.mode_value: form
    for form in (TextForm, ImageForm, FirstLastForm, ReferenceForm, EditForm, ExtendForm)
}


def form_for(mode: str | None) -> type[BaseGenerationForm]:
    return FORMS.get(mode or Mode.TEXT, TextForm)
