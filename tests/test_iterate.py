"""Iterating on a clip: "Make all formats" is one decision about three paid generations
(all fit the limits or none is made), and "Run again" refuses a tier switched off since."""

from __future__ import annotations

import pytest
from django.urls import reverse

from generations.models import Generation, Reference
from studiolib import tiers
from tests import media_factory as mf
from tests.factories import GenerationFactory

pytestmark = pytest.mark.django_db

BRIEF = {
    "mode": "image",
    "model": "seedance2.0-480p",
    "prompt": "three formats of one brief",
    "duration": "5",
    "aspect_ratio": "16:9",
    "all_formats": "1",
}


@pytest.fixture(autouse=True)
def _storage(local_media, no_broker):
    return local_media


def stored_files(root) -> list:
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


def make_all_formats(client):
    frame = mf.upload("frame.png", mf.png(), "image/png")
    return client.post(
        reverse("generations:create"), {**BRIEF, "first_frame": frame}, HTTP_HX_REQUEST="true"
    )


def three_formats_cost() -> float:
    return sum(
        tiers.estimate_cost(
            model="seedance2.0-480p", aspect_ratio=ratio, duration=5, input_video_seconds=0
        )
        for ratio in ("9:16", "1:1", "16:9")
    )


@pytest.mark.parametrize(
    "limits",
    [
        {"STUDIO_MAX_IN_FLIGHT": 2},
        {"STUDIO_MAX_PER_MINUTE": 2},
        {"STUDIO_MAX_SPEND_PER_DAY": "two of three"},
    ],
    ids=["in flight", "per minute", "spend per day"],
)
def test_make_all_formats_makes_none_when_only_two_would_fit(
    client, user, settings, local_media, limits
):
    settings.STUDIO_MAX_IN_FLIGHT = 0
    settings.STUDIO_MAX_PER_MINUTE = 0
    settings.STUDIO_MAX_SPEND_PER_MONTH = 0
    settings.STUDIO_MAX_SPEND_PER_DAY = 0
    for name, value in limits.items():
        setattr(settings, name, three_formats_cost() * 0.8 if value == "two of three" else value)
    client.force_login(user)
    response = make_all_formats(client)
    assert response.status_code == 200
    assert "errorlist" in response.content.decode()
    assert Generation.objects.count() == 0
    assert Reference.objects.count() == 0
    assert stored_files(local_media) == []


def test_make_all_formats_makes_all_three_when_they_fit(client, user, settings, local_media):
    settings.STUDIO_MAX_IN_FLIGHT = 3
    settings.STUDIO_MAX_PER_MINUTE = 3
    settings.STUDIO_MAX_SPEND_PER_DAY = three_formats_cost() * 1.01
    client.force_login(user)
    make_all_formats(client)
    made = Generation.objects.filter(prompt=BRIEF["prompt"])
    assert sorted(made.values_list("aspect_ratio", flat=True)) == ["16:9", "1:1", "9:16"]
    assert Reference.objects.filter(generation__in=made).count() == 3
    assert len(stored_files(local_media)) == 3  # one copy of the frame per generation


def test_run_again_refuses_a_tier_that_is_now_disabled(client, user, settings):
    settings.SEEDANCE_ENABLE_4K = True
    generation = GenerationFactory(user=user, model="seedance2.0-4k", status="succeeded")
    settings.SEEDANCE_ENABLE_4K = False
    client.force_login(user)
    response = client.post(reverse("generations:rerun", args=[generation.pk]), follow=True)
    assert response.status_code == 200
    assert Generation.objects.count() == 1
    page = response.content.decode()
    assert "Seedance 2.0 · 4K is not available on this studio now" in page
    assert response.redirect_chain[-1][0] == reverse("generations:detail", args=[generation.pk])


def test_run_again_works_while_the_tier_is_enabled(client, user, settings):
    settings.SEEDANCE_ENABLE_4K = True
    generation = GenerationFactory(user=user, model="seedance2.0-4k", status="succeeded")
    client.force_login(user)
    client.post(reverse("generations:rerun", args=[generation.pk]))
    again = Generation.objects.exclude(pk=generation.pk).get()
    assert again.model == "seedance2.0-4k" and again.seed == generation.seed
