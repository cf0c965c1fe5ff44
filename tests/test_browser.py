"""A person in real Chromium: log in, generate, and watch the card turn into a playable
video without reloading the page."""

from __future__ import annotations

import pytest

from tests.browser import login

pytestmark = [pytest.mark.browser, pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_generate_and_watch_the_card_become_a_playable_video(stack, live_server, browser, user):
    context = browser.new_context()
    page = context.new_page()
    console_errors: list[str] = []
    page.on("console", lambda msg: msg.type == "error" and console_errors.append(msg.text))
    navigations: list[str] = []
    login(page, live_server.url, user.username, "correct horse battery")
    page.on("framenavigated", lambda frame: navigations.append(frame.url))

    form = page.locator("#new-form")
    form.get_by_role("radio", name="480p Standard").check()
    form.get_by_label("Prompt").fill("Browser test: a paper boat on a pond")
    form.get_by_role("radio", name="16:9").check()
    form.get_by_role("button", name="Generate").click()

    card = page.locator("#gallery article.card").first
    card.wait_for()
    assert "paper boat" in card.inner_text()
    assert card.get_attribute("data-status") in {"queued", "submitting", "running"}
    page.locator("#gallery article.card[data-status=succeeded] .thumb").wait_for(timeout=90_000)

    page.locator("#gallery article.card[data-status=succeeded] .thumb").first.click()
    video = page.locator("#viewer-video")
    played = video.evaluate(
        """v => new Promise(resolve => {
            v.muted = true;
            v.preload = 'auto';
            v.play().then(() => setTimeout(() => resolve(v.currentTime), 1200))
                    .catch(err => resolve('error: ' + err));
        })"""
    )
    assert isinstance(played, float) and played > 0.3, played
    assert navigations == []  # no reload: everything arrived through htmx
    assert console_errors == []
    context.close()


def _mean_color(path) -> tuple[float, float, float]:
    import av
    from PIL import ImageStat

    with av.open(str(path)) as container:
        frames = [f.to_image() for f in container.decode(video=0)]
    first, last = frames[0], frames[-1]
    return tuple(ImageStat.Stat(first).mean), tuple(ImageStat.Stat(last).mean)


def test_first_and_last_frame_mode_in_the_browser(stack, live_server, browser, user, tmp_path):
    from generations.models import Generation, Status
    from tests import media_factory as mf

    red, blue = tmp_path / "red.png", tmp_path / "blue.png"
    red.write_bytes(mf.png(1280, 720, (230, 20, 20)))
    blue.write_bytes(mf.png(1280, 720, (20, 20, 230)))

    context = browser.new_context()
    page = context.new_page()
    login(page, live_server.url, user.username, "correct horse battery")
    form = page.locator("#new-form")
    form.get_by_role("radio", name="480p Standard").check()
    estimate_before = page.locator("#estimate").inner_text()
    form.get_by_label("First + last frame").check()
    form.get_by_label("Last frame:", exact=True).wait_for()
    form.get_by_label("Prompt").fill("Browser test: red fades to blue")
    form.get_by_label("First frame:", exact=True).set_input_files(str(red))
    form.get_by_label("Last frame:", exact=True).set_input_files(str(blue))
    form.get_by_label("Duration").fill("10")  # a slider: Playwright sets its value
    form.get_by_label("Duration").dispatch_event("change")
    page.wait_for_function(
        "before => document.querySelector('#estimate').innerText !== before", arg=estimate_before
    )
    form.get_by_role("button", name="Generate").click()
    page.locator("#gallery article.card[data-status=succeeded] .thumb").wait_for(timeout=120_000)

    generation = Generation.objects.get(prompt="Browser test: red fades to blue")
    assert generation.status == Status.SUCCEEDED
    assert generation.mode == "first_last"
    first, last = _mean_color(generation.video.path)
    assert first[0] > first[2] + 60, first  # starts red
    assert last[2] > last[0] + 60, last  # ends blue
    context.close()
