"""Every mode's form: valid edges pass, every rule of the seed page fails next to its field,
and a rejected submission leaves nothing in storage."""

from __future__ import annotations

import tempfile

import pytest
from django.core.files.storage import default_storage
from django.urls import reverse

from generations import forms, services
from generations.models import Generation, Reference, ReferenceRole, Status
from generations.services import library
from tests import media_factory as mf
from tests.factories import GenerationFactory, create_from_form, scoped

COMMON = {
    "model": "seedance2.0-720p",
    "prompt": "Product on a table",
    "duration": "6",
    "aspect_ratio": "16:9",
}


@pytest.fixture(autouse=True)
def local_storage(local_media, no_broker):
    return local_media


@pytest.fixture(autouse=True)
def private_tmp(tmp_path, monkeypatch):
    """Checked uploads of forms a test never submits stay in this test's own folder."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))


def stored_files(root) -> list:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def make(form_class, user=None, files=None, **data):
    form = form_class(
        data={**COMMON, "mode": form_class.mode_value, **data},
        files=files or {},
        **(scoped(user) if user else {}),
    )
    form.is_valid()
    return form


def image(color=(200, 30, 30), w=640, h=640):
    return mf.upload("frame.png", mf.png(w, h, color), "image/png")


def video(seconds=3.0):
    return mf.upload("clip.mp4", mf.mp4(seconds), "video/mp4")


def test_image_mode_needs_a_first_frame(db):
    form = make(forms.ImageForm)
    assert "first frame" in form.errors["first_frame"][0]


def test_image_mode_accepts_an_image(db):
    form = make(forms.ImageForm, files={"first_frame": image()})
    assert form.errors == {}
    assert [p.role for p in form.pending] == [ReferenceRole.FIRST_FRAME]
    form.discard()


def test_first_last_needs_both_frames(db):
    form = make(forms.FirstLastForm, files={"first_frame": image()})
    assert "last frame" in form.errors["last_frame"][0]
    form.discard()
    form = make(forms.FirstLastForm, files={"last_frame": image()})
    assert "first frame" in form.errors["first_frame"][0]
    form.discard()


def test_reference_mode_counts(db):
    nine = {"images": [image() for _ in range(9)]}
    form = make(forms.ReferenceForm, files=nine)
    assert form.errors == {}
    form.discard()
    ten = {"images": [image() for _ in range(10)]}
    assert "At most 9 images" in make(forms.ReferenceForm, files=ten).errors["images"][0]
    four = {"videos": [video(2) for _ in range(4)]}
    assert "At most 3 videos" in make(forms.ReferenceForm, files=four).errors["videos"][0]


def test_reference_videos_each_2_to_15_and_together_at_most_15(db):
    ok = make(forms.ReferenceForm, files={"videos": [video(7), video(8)]})
    assert ok.errors == {}, ok.errors
    assert ok.input_video_seconds() == pytest.approx(15, abs=0.2)
    ok.discard()
    over = make(forms.ReferenceForm, files={"videos": [video(8), video(8)]})
    assert "total must be at most 15 s" in over.errors["videos"][0]
    short = make(forms.ReferenceForm, files={"videos": [video(1.5)]})
    assert "2–15 s" in short.errors["videos"][0]


def test_audio_needs_an_image_or_video(db):
    audio = {"audios": [mf.upload("a.wav", mf.wav(3), "audio/wav")]}
    form = make(forms.ReferenceForm, files=audio)
    assert "at least one reference image or video" in form.errors["audios"][0]
    with_image = make(forms.ReferenceForm, files={**audio, "images": [image()]})
    assert with_image.errors == {}
    with_image.discard()


def test_mini_tiers_refuse_video_references(db):
    form = make(forms.ReferenceForm, files={"videos": [video(3)]}, model="seedance2.0-mini-480p")
    assert "does not accept reference videos" in form.errors["model"][0]


def test_edit_needs_a_source_video_and_extend_gets_a_default_prompt(db):
    assert "source video" in make(forms.EditForm).errors["source_video"][0]
    form = make(forms.ExtendForm, files={"source_video": video(4)}, prompt="")
    assert form.errors == {}
    assert form.cleaned_data["prompt"] == forms.EXTEND_DEFAULT_PROMPT
    form.discard()


def test_a_file_that_lies_about_its_type_is_refused(db):
    fake = mf.upload("frame.png", b"\x89PNG\r\n\x1a\n<html><script>alert(1)</script>", "image/png")
    form = make(forms.ImageForm, files={"first_frame": fake})
    assert "first_frame" in form.errors


def test_reference_video_seconds_raise_the_estimate(db):
    text = make(forms.TextForm).estimate()
    form = make(forms.ReferenceForm, files={"videos": [video(5)]})
    assert form.estimate() > text
    form.discard()


def test_a_rejected_submission_stores_nothing(client, user, local_storage):
    client.force_login(user)
    files = {"images": [image(), mf.upload("x.png", b"not an image", "image/png")]}
    response = client.post(
        reverse("generations:create"),
        {**COMMON, "mode": "reference", **files},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert "errorlist" in response.content.decode()
    assert Generation.objects.count() == 0
    assert stored_files(local_storage) == []


def test_a_valid_submission_stores_generation_and_references_together(client, user, local_storage):
    client.force_login(user)
    response = client.post(
        reverse("generations:create"),
        {
            **COMMON,
            "mode": "first_last",
            "first_frame": image((255, 0, 0)),
            "last_frame": image((0, 0, 255)),
        },
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    generation = Generation.objects.get()
    refs = list(generation.references.order_by("role"))
    assert [r.role for r in refs] == [ReferenceRole.FIRST_FRAME, ReferenceRole.LAST_FRAME]
    assert len(stored_files(local_storage)) == 2
    assert all("frame.png" not in r.file.name.split("/")[-1][:9] for r in refs)
    request = services.build_request(generation)
    assert request.image and request.last_image and request.operation is None


def test_a_failed_database_write_leaves_no_files(user, local_storage, monkeypatch):
    form = make(forms.ImageForm, files={"first_frame": image()}, user=user)
    assert form.errors == {}

    def explode(*args, **kwargs):
        raise RuntimeError("database down")

    monkeypatch.setattr(Reference.objects, "bulk_create", explode)
    with pytest.raises(RuntimeError):
        create_from_form(form, user)
    assert Generation.objects.count() == 0
    assert stored_files(local_storage) == []


def test_an_earlier_output_can_be_reused_without_uploading(
    user, local_storage, django_capture_on_commit_callbacks
):
    from django.core.files.base import ContentFile

    earlier = GenerationFactory(user=user, prompt="earlier", status=Status.SUCCEEDED)
    earlier.last_frame.save("last.png", ContentFile(mf.png(640, 360)), save=True)
    form = make(forms.ImageForm, user=user, first_frame_from=str(earlier.pk))
    generation = create_from_form(form, user)
    ref = generation.references.get()
    assert ref.source_generation == earlier
    assert ref.file.name != earlier.last_frame.name  # a copy, not a shared file
    assert default_storage.exists(earlier.last_frame.name)
    with django_capture_on_commit_callbacks(execute=True):
        library.generation_delete(generation=earlier)  # removes the earlier clip's files
    assert not default_storage.exists(earlier.last_frame.name)
    assert default_storage.exists(ref.file.name)


def test_the_reuse_picker_lists_the_newest_clips_and_keeps_an_older_choice(user):
    from datetime import timedelta

    from django.core.files.base import ContentFile
    from django.utils import timezone

    from generations.formfields import PICKER_SIZE

    default_storage.save("x/last.png", ContentFile(mf.png()))  # reused frames are checked
    now = timezone.now()
    clips = [
        GenerationFactory(
            user=user,
            prompt=f"clip {i}",
            status=Status.SUCCEEDED,
            last_frame="x/last.png",
            created_at=now - timedelta(minutes=i),
        )
        for i in range(PICKER_SIZE + 10)
    ]
    html = str(forms.ImageForm(**scoped(user))["first_frame_from"])
    assert html.count("<option") == PICKER_SIZE + 1  # the newest, plus "none"
    assert f'value="{clips[0].pk}"' in html and f'value="{clips[-1].pk}"' not in html
    oldest = str(clips[-1].pk)
    chosen = forms.ImageForm(initial={"first_frame_from": oldest}, **scoped(user))
    assert f'value="{oldest}" selected' in str(chosen["first_frame_from"])
    assert (
        "first_frame_from" not in make(forms.ImageForm, user=user, first_frame_from=oldest).errors
    )


def test_another_users_output_cannot_be_reused(user, other_user):
    theirs = GenerationFactory(
        user=other_user, prompt="theirs", status=Status.SUCCEEDED, last_frame="x/last.png"
    )
    form = make(forms.ImageForm, user=user, first_frame_from=str(theirs.pk))
    assert "first_frame_from" in form.errors


def test_signed_reference_urls_expire_and_name_one_file(client, user, local_storage, settings):
    generation = create_from_form(
        make(forms.ImageForm, files={"first_frame": image()}, user=user), user
    )
    url = services.build_request(generation).image
    path = url.removeprefix(settings.STUDIO_PUBLIC_URL)
    response = client.get(path)
    assert response.status_code == 200
    assert b"".join(response.streaming_content)[:4] == b"\x89PNG"
    assert client.get(path[:-3] + "xx/").status_code == 404
