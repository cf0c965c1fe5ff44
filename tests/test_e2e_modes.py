"""One end-to-end run per mode with a real worker: references are stored, served to the
simulator over signed URLs, fetched and used, and the result is stored."""

from __future__ import annotations

import pytest
from PIL import ImageStat

from generations import forms
from generations.models import Status
from tests import media_factory as mf
from tests.factories import create_from_form, scoped
from tests.test_e2e import probe, wait_until_finished

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def png(color):
    return mf.upload("ref.png", mf.png(960, 540, color), "image/png")


def clip(seconds):
    return mf.upload("ref.mp4", mf.mp4(seconds), "video/mp4")


CASES = {
    "image": (forms.ImageForm, lambda: {"first_frame": png((230, 20, 20))}),
    "first_last": (
        forms.FirstLastForm,
        lambda: {"first_frame": png((230, 20, 20)), "last_frame": png((20, 20, 230))},
    ),
    "reference": (
        forms.ReferenceForm,
        lambda: {
            "images": [png((20, 200, 20)), png((200, 200, 20))],
            "videos": [clip(3)],
            "audios": [mf.upload("a.wav", mf.wav(3), "audio/wav")],
        },
    ),
    "edit": (forms.EditForm, lambda: {"source_video": clip(4)}),
    "extend": (forms.ExtendForm, lambda: {"source_video": clip(4)}),
}


def first_frame_mean(path):
    import av

    with av.open(str(path)) as container:
        frame = next(container.decode(video=0))
    return ImageStat.Stat(frame.to_image()).mean


@pytest.mark.parametrize("mode", sorted(CASES))
def test_each_mode_runs_end_to_end(stack, user, sim_stats, mode):
    form_class, files = CASES[mode]
    prompt = f"E2E mode {mode}"
    form = form_class(
        data={
            "mode": mode,
            "model": "seedance2.0-480p",
            "prompt": prompt,
            "duration": "5",
            "aspect_ratio": "16:9",
            "generate_audio": "on",
        },
        files=files(),
        **scoped(user),
    )
    done = wait_until_finished(create_from_form(form, user).pk, timeout=120)
    assert done.status == Status.SUCCEEDED, done.error_message
    width, height, duration, has_audio = probe(done.video.path)
    assert (width, height) == (864, 480)
    assert duration == pytest.approx(5, abs=0.2)
    assert has_audio
    assert sim_stats()["creates_by_prompt"][prompt] == 1
    if mode in {"image", "first_last"}:
        red, _, blue = first_frame_mean(done.video.path)
        assert red > blue + 60  # the clip starts from the red first frame
