"""The compare view in real Chromium: one control plays, pauses and seeks both versions,
and while they play their positions stay within 0.1 s of each other, even after one of
them is knocked off by half a second."""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

from generations.models import Generation, Status
from tests import media_factory as mf
from tests.factories import GenerationFactory
from tests.test_browser_studio import page  # noqa: F401 - a fixture, registered by import

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SAMPLE = """() => { const [a, b] = document.querySelectorAll('[data-compare] video');
  return [a.currentTime, b.currentTime, a.paused, b.paused, a.duration, b.duration]; }"""
TOLERANCE = 0.1


def version(user, seconds: float, stack=None, number: int = 1) -> Generation:
    clip = GenerationFactory(
        user=user, status=Status.SUCCEEDED, finished_at=timezone.now(), version=number
    )
    clip.video.save("video.mp4", ContentFile(mf.mp4(seconds, "320x180")), save=False)
    clip.poster.save("poster.png", ContentFile(mf.png(320, 180)), save=False)
    clip.stack = stack or clip.pk
    clip.save()
    return clip


def samples(tab, seconds: float) -> list[list]:
    taken = []
    for _ in range(int(seconds / 0.1)):
        taken.append(tab.evaluate(SAMPLE))
        tab.wait_for_timeout(100)
    return taken


def worst_drift(taken: list[list]) -> float:
    return max(abs(a - b) for a, b, *_ in taken)


def test_compare_keeps_two_versions_within_a_tenth_of_a_second(page, live_server, user):  # noqa: F811
    first = version(user, 8)
    second = version(user, 7, stack=first.pk, number=2)
    page.goto(live_server.url + reverse("generations:compare", args=[second.pk, first.pk]))
    page.wait_for_function(
        "() => [...document.querySelectorAll('[data-compare] video')].every(v => v.readyState >= 3)"
    )
    page.get_by_role("button", name="Play both").click()
    page.wait_for_function("() => document.querySelector('[data-compare] video').currentTime > 0.3")
    playing = samples(page, 2.0)
    assert all(not a_paused and not b_paused for _, _, a_paused, b_paused, *_ in playing)
    assert playing[-1][0] - playing[0][0] > 1.2, "the videos did not play"
    assert worst_drift(playing) <= TOLERANCE, playing

    # Knock the shorter (following) video half a second ahead, as a stall would.
    page.evaluate(
        """() => { const vs = [...document.querySelectorAll('[data-compare] video')];
        const follower = vs[0].duration < vs[1].duration ? vs[0] : vs[1];
        follower.currentTime += 0.5; }"""
    )
    page.wait_for_timeout(700)
    recovered = samples(page, 1.5)
    assert worst_drift(recovered) <= TOLERANCE, recovered

    page.get_by_role("button", name="Pause both").click()
    page.wait_for_timeout(200)
    a, b, a_paused, b_paused, *_ = page.evaluate(SAMPLE)
    assert a_paused and b_paused and abs(a - b) <= TOLERANCE

    page.locator("[data-compare-seek]").evaluate(
        "s => { s.value = '1.5'; s.dispatchEvent(new Event('input', {bubbles: true})); }"
    )
    page.wait_for_timeout(300)
    a, b, *_ = page.evaluate(SAMPLE)
    assert abs(a - 1.5) < 0.05 and abs(b - 1.5) < 0.05
    assert page.errors == []
