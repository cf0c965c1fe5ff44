"""Download names say what the clip is instead of a random key."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.core.files.base import ContentFile

from generations.models import Status
from studiolib.files import download_name
from tests import media_factory as mf
from tests.factories import GenerationFactory

pytestmark = pytest.mark.django_db


def test_the_name_has_date_prompt_words_ratio_and_seed(user):
    generation = GenerationFactory(
        user=user,
        prompt="Sunset over the dunes, slow drone orbit at golden hour",
        aspect_ratio="16:9",
        seed=123,
    )
    generation.created_at = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)
    assert download_name(generation) == "2026-11-29_sunset-over-the-dunes-slow_16x9_seed123.mp4"
    assert download_name(generation, "last-frame", "png").endswith("_seed123_last-frame.png")


def test_the_name_is_ascii_and_bounded_whatever_the_prompt(user):
    generation = GenerationFactory(
        user=user, prompt="Crème brûlée 🍮 " + "x" * 500, aspect_ratio="9:16", seed=-1
    )
    name = download_name(generation)
    assert name.isascii()
    assert len(name) <= 80
    assert "creme-brulee" in name and "_9x16.mp4" in name and "seed" not in name
    only_emoji = GenerationFactory(user=user, prompt="🎬🎬", aspect_ratio="1:1", seed=7)
    assert "_clip_1x1_seed7.mp4" in download_name(only_emoji)


def test_the_video_download_carries_the_name(client, user, local_media):
    generation = GenerationFactory(
        user=user, prompt="Neon city rain", status=Status.SUCCEEDED, aspect_ratio="1:1", seed=9
    )
    generation.video.save("video.mp4", ContentFile(mf.mp4(1)), save=True)
    client.force_login(user)
    response = client.get(f"/generations/{generation.pk}/video/?download=1")
    assert response.status_code == 200
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert (
        f'filename="{generation.created_at:%Y-%m-%d}_neon-city-rain_1x1_seed9.mp4"' in disposition
    )
