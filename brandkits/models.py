"""One brand kit per workspace: what every export of the workspace is finished with."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from brandkits.naming import DEFAULT_TEMPLATE


class Corner(models.TextChoices):
    TOP_LEFT = "top_left", "Top left"
    TOP_RIGHT = "top_right", "Top right"
    BOTTOM_LEFT = "bottom_left", "Bottom left"
    BOTTOM_RIGHT = "bottom_right", "Bottom right"


END_CARD_MIN_SECONDS = 1.0
END_CARD_MAX_SECONDS = 5.0


class BrandKit(models.Model):
    """Files live in storage under ``workspaces/<id>/brand/`` (brandkits.services saves and
    replaces them); a workspace without a row has the defaults of an unsaved one."""

    WORKSPACE_PATH = "workspace"  # how workspaces.access reaches the workspace

    workspace = models.OneToOneField(
        "workspaces.Workspace", on_delete=models.CASCADE, related_name="brand_kit"
    )
    brand_name = models.CharField(max_length=60, blank=True)
    logo = models.FileField(max_length=300, blank=True)
    logo_corner = models.CharField(max_length=12, choices=Corner.choices, default=Corner.TOP_RIGHT)
    pad_colour = models.CharField("pad colour", max_length=7, default="#000000")
    caption_colour = models.CharField("caption text colour", max_length=7, default="#FFFFFF")
    caption_box_colour = models.CharField("caption outline colour", max_length=7, default="#000000")
    # An uploaded font (checked by studiolib.finishing.fonts) wins over a bundled one;
    # neither means the bundled default.
    font = models.FileField(max_length=300, blank=True)
    font_family = models.CharField(max_length=100, blank=True)
    bundled_font = models.CharField(max_length=100, blank=True)
    end_card = models.BooleanField("end card", default=False)
    end_card_text = models.CharField("call to action", max_length=80, blank=True)
    end_card_colour = models.CharField("end card background", max_length=7, default="#000000")
    end_card_seconds = models.FloatField(
        "end card length (seconds)",
        default=2.0,
        validators=[
            MinValueValidator(END_CARD_MIN_SECONDS),
            MaxValueValidator(END_CARD_MAX_SECONDS),
        ],
    )
    end_card_logo = models.BooleanField("show the logo on the end card", default=True)
    ai_label = models.BooleanField("visible AI-generated label", default=False)
    ai_label_text = models.CharField("label text", max_length=40, default="AI-generated")
    file_name_template = models.CharField(max_length=200, default=DEFAULT_TEMPLATE)
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(end_card_seconds__gte=END_CARD_MIN_SECONDS)
                & Q(end_card_seconds__lte=END_CARD_MAX_SECONDS),
                name="brandkit_end_card_seconds",
            ),
        ]

    def __str__(self) -> str:
        return self.brand_name or f"brand kit of {self.workspace_id}"

    @property
    def has_logo(self) -> bool:
        return bool(self.logo)

    @property
    def has_end_card(self) -> bool:
        return self.end_card

    @property
    def has_ai_label(self) -> bool:
        return self.ai_label and bool(self.ai_label_text.strip())
