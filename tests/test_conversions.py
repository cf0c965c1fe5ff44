"""Files marketers actually have: BMP/TIFF/HEIC/GIF become PNG, M4A/AAC/Ogg/FLAC become WAV,
judged by the same caps and rules afterwards, with a note next to the field."""

from __future__ import annotations

import io
import wave

import pytest
from django.urls import reverse
from PIL import Image

from generations.models import Generation, Reference
from studiolib import mediarules, uploads
from tests import media_factory as mf
from tests.test_hostile_uploads import animated_gif, ffmpeg_file, image_bytes


def tone(suffix: str, seconds: float = 3) -> bytes:
    return ffmpeg_file(["-f", "lavfi", "-i", f"sine=duration={seconds}"], suffix)


@pytest.mark.parametrize(
    ("label", "data"),
    [
        ("BMP", image_bytes("BMP", (640, 480))),
        ("TIFF", image_bytes("TIFF", (640, 480))),
        ("HEIC", mf.heic((640, 480))),
        ("GIF", image_bytes("GIF", (640, 480))),
    ],
)
def test_images_the_provider_refuses_become_png(label, data, clean_tmp):
    # Named .jpg on purpose: the type comes from the content.
    checked = uploads.check_image(mf.upload("photo.jpg", data))
    assert (checked.content_type, checked.extension) == ("image/png", "png")
    assert checked.converted_from == label
    with Image.open(checked.path) as stored:
        assert stored.format == "PNG" and stored.size == (640, 480)
    checked.path.unlink()
    assert list(clean_tmp.iterdir()) == []


def test_an_animated_gif_gives_its_first_frame(clean_tmp):
    checked = uploads.check_image(mf.upload("loop.gif", animated_gif()))
    with Image.open(checked.path) as stored:
        assert stored.convert("RGB").getpixel((10, 10)) == (255, 0, 0)  # frame 1 is red
    checked.path.unlink()


@pytest.mark.parametrize(("suffix", "label"), [(".m4a", "M4A"), (".aac", "AAC"), (".ogg", "Ogg")])
def test_audio_the_provider_refuses_becomes_wav(suffix, label, clean_tmp):
    checked = uploads.check_audio(mf.upload(f"voiceover{suffix}", tone(suffix)))
    assert (checked.content_type, checked.extension, checked.converted_from) == (
        "audio/wav",
        "wav",
        label,
    )
    assert checked.duration == pytest.approx(3, abs=0.1)
    with wave.open(str(checked.path)) as stored:
        assert stored.getsampwidth() == 2
        assert stored.getnframes() / stored.getframerate() == pytest.approx(3, abs=0.1)
    checked.path.unlink()
    assert list(clean_tmp.iterdir()) == []


def test_flac_becomes_wav(clean_tmp):
    checked = uploads.check_audio(mf.upload("take.flac", tone(".flac")))
    assert checked.converted_from == "FLAC" and checked.extension == "wav"
    checked.path.unlink()


def test_a_conversion_that_outgrows_the_cap_is_refused_and_leaves_nothing(clean_tmp, monkeypatch):
    monkeypatch.setitem(mediarules.LIMITS["audio"], "max_bytes", 1024 * 1024)
    m4a = tone(".m4a", 14)  # about 100 KB of AAC; 2.5 MB of WAV
    assert len(m4a) < 1024 * 1024
    with pytest.raises(uploads.UploadRejected) as caught:
        uploads.check_audio(mf.upload("long.m4a", m4a))
    assert "“long.m4a” would be over 1 MB once converted" in caught.value.message
    assert list(clean_tmp.iterdir()) == []


def form_post(client, **fields):
    data = {
        "mode": "reference",
        "model": "seedance2.0-480p",
        "prompt": "voice over",
        "duration": "5",
        "aspect_ratio": "16:9",
        **fields,
    }
    return client.post(reverse("generations:create"), data, HTTP_HX_REQUEST="true")


@pytest.mark.django_db
def test_the_form_says_which_file_was_converted(client, user, local_media, no_broker):
    client.force_login(user)
    response = form_post(
        client,
        images=[mf.upload("logo.bmp", image_bytes("BMP", (640, 640)))],
        audios=[mf.upload("voiceover.m4a", tone(".m4a"))],
    )
    html = response.content.decode()
    assert "voiceover.m4a was converted to WAV." in html
    assert "logo.bmp was converted to PNG." in html
    audio = Reference.objects.get(kind="audio")
    assert (audio.content_type, audio.original_name) == ("audio/wav", "voiceover.m4a")
    assert audio.file.name.endswith(".wav")
    assert Reference.objects.get(kind="image").content_type == "image/png"


@pytest.mark.django_db
def test_the_note_stays_when_another_field_is_wrong(client, user, local_media, no_broker):
    client.force_login(user)
    response = form_post(
        client, prompt="", audios=[mf.upload("voiceover.m4a", tone(".m4a"))], images=[]
    )
    html = response.content.decode()
    assert "Write a prompt" in html
    assert "voiceover.m4a was converted to WAV." in html
    assert Generation.objects.count() == 0
    assert not local_media.exists() or not any(p.is_file() for p in local_media.rglob("*"))


def test_a_converted_image_is_still_bound_by_the_image_rules(clean_tmp):
    buffer = io.BytesIO()
    Image.new("RGB", (1300, 500)).save(buffer, "BMP")
    with pytest.raises(uploads.UploadRejected) as caught:
        uploads.check_image(mf.upload("wide.bmp", buffer.getvalue()))
    assert "ratio of 2.60" in caught.value.message
    assert list(clean_tmp.iterdir()) == []
