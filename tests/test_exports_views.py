"""The Export panel's requests: caption problems shown next to the captions and nothing
queued, the kit's missing parts disabled with a hint, the approval gate for requesting and
downloading, and the live list that asks again only while something renders."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from exports.models import Export, ExportStatus
from generations.models import ReviewStatus
from tests import exports_support as es
from tests.matrix_world import done_export
from workspaces.models import Project

pytestmark = pytest.mark.django_db


@pytest.fixture
def clip(user, local_media, client):
    client.force_login(user)
    return es.clip(user, seconds=2.0)


def post(client, clip, **data):
    return client.post(
        reverse("exports:create", args=[clip.pk]),
        {"preset": "tiktok", "fit": "pad", **data},
        headers={"HX-Request": "true"},
    )


@pytest.mark.parametrize(
    ("data", "field", "words"),
    [
        ({"captions_text": "   "}, None, None),
        (
            {
                "captions_file": SimpleUploadedFile(
                    "c.srt", b"1\n00:00:00,000 --> 00:00:09,000\nToo long\n"
                )
            },
            "captions_file",
            "runs past the end of the clip",
        ),
        (
            {"captions_file": SimpleUploadedFile("c.srt", "Grüße".encode("latin-1"))},
            "captions_file",
            "not UTF-8",
        ),
        ({"preset": "myspace"}, "preset", "Select a valid choice"),
        ({"fit": "stretch"}, "fit", "Select a valid choice"),
    ],
)
def test_bad_input_is_shown_next_to_its_field_and_nothing_is_queued(
    client, clip, data, field, words
):
    response = post(client, clip, **data)
    assert response.status_code == 200
    if field is None:  # blank captions are simply no captions
        assert Export.objects.get().captions == []
        return
    body = response.content.decode().replace("&#x27;", "'")
    # The message sits in the field's own row, after its control and before the next row.
    row = body[body.index(f'id="id_{field}') :]
    assert words in row.split('class="field', 1)[0]
    assert not Export.objects.exists()


def test_a_request_with_an_srt_file_queues_its_cues_and_the_list_polls(client, clip):
    srt = b"1\n00:00:00,000 --> 00:00:01,500\nHello there\n"
    response = post(client, clip, captions_file=SimpleUploadedFile("c.srt", srt))
    export = Export.objects.get()
    assert export.captions == [{"start": 0.0, "end": 1.5, "text": "Hello there"}]
    body = response.content.decode()
    assert 'hx-trigger="every 2s"' in body and "Queued" in body
    # Parts the kit lacks cannot be chosen, and the panel says where to add them.
    assert export.use_logo is False
    assert "no logo in the" in body and 'name="use_logo"' in body and "disabled" in body
    Export.objects.filter(pk=export.pk).update(status=ExportStatus.FAILED, error="Boom")
    listing = client.get(reverse("exports:list", args=[clip.pk])).content.decode()
    assert "Boom" in listing and "every 2s" not in listing


def test_the_gate_holds_back_requests_and_downloads(client, clip):
    export = done_export(clip)
    Project.objects.filter(pk=clip.project_id).update(approved_only=True)
    response = post(client, clip)
    assert "approved clips only" in response.content.decode()
    assert Export.objects.count() == 1
    download = client.get(reverse("exports:file", args=[export.pk, "mp4"]))
    assert download.status_code == 403 and "not approved yet" in download.content.decode()
    clip.review_status = ReviewStatus.APPROVED
    clip.save()
    download = client.get(reverse("exports:file", args=[export.pk, "vtt"]))
    assert download.status_code == 200 and download["Content-Disposition"].endswith('.vtt"')


def test_without_javascript_a_refusal_comes_back_on_the_clip_page(client, clip):
    response = client.post(
        reverse("exports:create", args=[clip.pk]),
        {"preset": "tiktok", "fit": "pad", "captions_text": ""},
    )
    assert response.status_code == 302 and Export.objects.count() == 1
    response = client.post(
        reverse("exports:create", args=[clip.pk]),
        {"preset": "nope", "fit": "pad"},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == reverse("generations:detail", args=[clip.pk])
    assert "Select a valid choice" in response.content.decode()
    assert Export.objects.count() == 1
