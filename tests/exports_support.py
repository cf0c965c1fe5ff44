"""What the export tests share: a finished clip with a real video, and a full brand kit."""

from __future__ import annotations

import io

from django.core.files.base import ContentFile
from django.utils import timezone
from PIL import Image, ImageDraw

from brandkits.models import BrandKit
from generations.models import Generation, Status
from tests import media_factory as mf
from tests.factories import GenerationFactory


def clip(user=None, *, seconds: float = 2.0, size: str = "320x180", **fields) -> Generation:
    made = GenerationFactory(
        **({"user": user} if user else {}),
        status=Status.SUCCEEDED,
        progress=100,
        finished_at=timezone.now(),
        video_duration=seconds,
        **fields,
    )
    made.video.save("video.mp4", ContentFile(mf.mp4(seconds, size, audio=True)), save=False)
    made.poster.save("poster.png", ContentFile(mf.png(320, 180)))
    return made


def logo_png() -> bytes:
    image = Image.new("RGBA", (120, 60), (0, 0, 0, 0))
    ImageDraw.Draw(image).ellipse((0, 0, 119, 59), fill=(255, 200, 0, 255))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def full_kit(workspace, **fields) -> BrandKit:
    kit = BrandKit(
        workspace=workspace,
        brand_name="Acme",
        end_card=True,
        end_card_text="Shop now",
        end_card_seconds=1.0,
        ai_label=True,
        **fields,
    )
    kit.logo.save("logo.png", ContentFile(logo_png()))
    return kit
