"""Earlier clips reused as references (and references an "Edit and run" copies) meet the
same rules as an upload, checked before anything is stored or paid for, with the error
next to the field: duration, fps, pixels per frame, aspect and size."""

from __future__ import annotations

import tempfile

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from generations import forms
from generations.models import Generation, Reference, ReferenceRole, Status
from tests import media_factory as mf
from tests.factories import GenerationFactory, scoped
from tests.test_hostile_uploads import ffmpeg_file
from tests.test_storage_s3 import s3_endpoint, s3_settings  # noqa: F401 (fixtures)

RANGE = "reference videos must have 409,600–927,408 pixels per frame"
COMMON = {"model": "seedance2.0-480p", "prompt": "reuse", "duration": "5", "aspect_ratio": "16:9"}


@pytest.fixture(autouse=True)
def storage(local_media, no_broker):
    return local_media


def clip(user, data: bytes, *, width=None, height=None, seconds=None) -> Generation:
    """A finished clip whose stored facts are ``width``/``height``/``seconds``."""
    generation = GenerationFactory(
        user=user,
        status=Status.SUCCEEDED,
        video_width=width,
        video_height=height,
        video_duration=seconds,
    )
    generation.video.save("out.mp4", ContentFile(data), save=True)
    return generation


def make(form_class, user, files=None, **data):
    form = form_class(
        data={**COMMON, "mode": form_class.mode_value, **data},
        files=files or {},
        **scoped(user),
    )
    form.is_valid()
    return form


def test_a_1080p_clip_is_refused_with_its_size_and_the_range(client, user, no_broker):
    big = clip(user, mf.mp4(2, size="1920x1088"), width=1920, height=1088, seconds=2.0)
    client.force_login(user)
    response = client.post(
        reverse("generations:create"),
        {**COMMON, "mode": "reference", "videos_from": str(big.pk)},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert f"This clip is 1920×1088 (2,088,960 pixels per frame); {RANGE}." in (
        response.content.decode()
    )
    assert Generation.objects.count() == 1  # only the earlier clip: nothing created or sent
    assert no_broker == []


def test_a_clip_to_edit_is_checked_too(user):
    big = clip(user, mf.mp4(2, size="1920x1088"), width=1920, height=1088, seconds=2.0)
    form = make(forms.EditForm, user, source_video_from=str(big.pk))
    assert form.errors["source_video_from"] == [
        f"This clip is 1920×1088 (2,088,960 pixels per frame); {RANGE}."
    ]
    assert "source_video" not in form.errors  # no second, misleading "add a video"


def test_a_480p_clip_passes_and_its_probed_length_counts(user):
    small = clip(user, mf.mp4(3, size="864x480"), width=864, height=480, seconds=3.0)
    form = make(forms.ReferenceForm, user, videos_from=str(small.pk))
    assert form.errors == {}
    assert form.input_video_seconds() == pytest.approx(3.0, abs=0.1)


def test_without_stored_facts_the_stored_file_is_probed(user):
    tiny = clip(user, mf.mp4(2, size="320x320"))
    form = make(forms.ReferenceForm, user, videos_from=str(tiny.pk))
    assert form.errors["videos_from"] == [
        f"This clip is 320×320 (102,400 pixels per frame); {RANGE}."
    ]


def test_fps_comes_from_the_stored_file(user):
    slow = ffmpeg_file(
        ["-f", "lavfi", "-i", "testsrc=size=864x480:rate=10:duration=3"]
        + ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"],
        ".mp4",
    )
    generation = clip(user, slow, width=864, height=480, seconds=3.0)
    form = make(forms.ReferenceForm, user, videos_from=str(generation.pk))
    assert "This clip runs at 10 frames per second" in form.errors["videos_from"][0]


def test_a_reused_clip_counts_toward_the_15_second_total(user):
    long = clip(user, mf.mp4(10, size="864x480"), width=864, height=480, seconds=10.0)
    form = make(
        forms.ReferenceForm,
        user,
        files={"videos": [mf.upload("six.mp4", mf.mp4(6))]},
        videos_from=str(long.pk),
    )
    assert "together are 16.0 s" in form.errors["videos"][0]
    form.discard()


def test_a_reused_last_frame_meets_the_image_rules(user):
    earlier = GenerationFactory(user=user, status=Status.SUCCEEDED)
    earlier.last_frame.save("last.png", ContentFile(mf.png(200, 200)), save=True)
    form = make(forms.ImageForm, user, first_frame_from=str(earlier.pk))
    assert form.errors["first_frame_from"] == [
        "This last frame is 200×200 pixels; each side must be at least 300 px."
    ]
    assert "first_frame" not in form.errors


def test_a_clip_whose_file_is_gone_is_a_form_error(client, user, storage):
    gone = clip(user, mf.mp4(3, size="864x480"), width=864, height=480, seconds=3.0)
    (storage / gone.video.name).unlink()
    client.force_login(user)
    response = client.post(
        reverse("generations:create"),
        {**COMMON, "mode": "edit", "source_video_from": str(gone.pk)},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert "That clip&#x27;s video is no longer in storage" in response.content.decode()


def earlier_edit_of_a_1080p_video(user) -> Generation:
    earlier = GenerationFactory(user=user, mode="edit", status=Status.SUCCEEDED)
    Reference.objects.create(
        generation=earlier,
        role=ReferenceRole.SOURCE_VIDEO,
        kind="video",
        file="x/old.mp4",
        content_type="video/mp4",
        size=1000,
        sha256="0" * 64,
        width=1920,
        height=1080,
        duration=4.0,
        original_name="old.mp4",
    )
    return earlier


def test_edit_and_run_checks_the_references_it_copies(user):
    earlier = earlier_edit_of_a_1080p_video(user)
    form = make(forms.EditForm, user, copy_references_from=str(earlier.pk))
    assert form.errors["copy_references_from"] == [
        f"“old.mp4” is 1920×1080 (2,073,600 pixels per frame); {RANGE}."
    ]
    assert form.pending == []


def test_run_again_checks_the_references_it_copies(client, user):
    """ "Run again" re-sends stored references: one that broke a rule tightened since the
    upload is refused on the clip's page, with no new generation and nothing queued."""
    earlier = earlier_edit_of_a_1080p_video(user)
    client.force_login(user)
    response = client.post(reverse("generations:rerun", args=[earlier.pk]), follow=True)
    assert response.status_code == 200
    assert Generation.objects.count() == 1
    assert f"“old.mp4” is 1920×1080 (2,073,600 pixels per frame); {RANGE}." in (
        response.content.decode()
    )


def test_a_copied_reference_replaced_by_a_new_upload_is_not_held_against_the_form(user):
    earlier = earlier_edit_of_a_1080p_video(user)
    form = make(
        forms.EditForm,
        user,
        files={"source_video": mf.upload("new.mp4", mf.mp4(3))},
        copy_references_from=str(earlier.pk),
    )
    assert form.errors == {}
    assert [p.checked is not None for p in form.pending] == [True]
    form.discard()


@pytest.mark.usefixtures("s3_settings")
def test_a_reused_clip_on_object_storage_leaves_no_temporary_copy(user, tmp_path, monkeypatch):
    """S3 has no local path: the stored file is copied to a temporary file for the probe."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    small = clip(user, mf.mp4(3, size="864x480"))
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    form = make(forms.EditForm, user, source_video_from=str(small.pk))
    assert form.errors == {}
    assert form.input_video_seconds() == pytest.approx(3.0, abs=0.1)
    assert list(folder.iterdir()) == []
