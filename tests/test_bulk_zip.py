"""The bulk ZIP streams: it starts before the files are read and holds one chunk at a time."""

from __future__ import annotations

import io
import tracemalloc
import zipfile

from django.core.files.base import ContentFile
from django.urls import reverse

from generations.models import Status
from studiolib.files import download_name
from tests.factories import GenerationFactory

SIZE = 6 * 1024 * 1024


def _finished(user, fill: bytes):
    generation = GenerationFactory(user=user, status=Status.SUCCEEDED)
    generation.video.save("v.mp4", ContentFile(fill * SIZE))
    return generation


def test_the_zip_streams_its_files_as_it_goes(client, user, local_media, no_broker, tmp_path):
    first, second = _finished(user, b"a"), _finished(user, b"b")
    client.force_login(user)
    response = client.post(
        reverse("generations:bulk"), {"action": "download", "ids": [first.pk, second.pk]}
    )
    assert response.streaming
    assert response["Content-Disposition"].startswith("attachment")
    chunks = iter(response.streaming_content)
    received = tmp_path / "received.zip"
    out = received.open("wb")
    out.write(next(chunks))
    # The response has begun; the second file has not been read yet, so what it holds
    # now is what the archive carries (same size: the length was announced).
    with open(second.video.path, "wb") as handle:
        handle.write(b"c" * SIZE)
    tracemalloc.start()
    try:
        for chunk in chunks:
            out.write(chunk)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
        out.close()
    assert received.stat().st_size == int(response["Content-Length"])
    with zipfile.ZipFile(received) as archive:
        contents = {archive.read(name)[:1] for name in archive.namelist()}
    assert contents == {b"a", b"c"}
    # 12 MB went through while the server held about one chunk at a time.
    assert peak < 2 * 1024 * 1024


def test_a_file_missing_from_storage_is_left_out(client, user, local_media, no_broker):
    kept, lost = _finished(user, b"a"), _finished(user, b"b")
    lost.video.storage.delete(lost.video.name)
    client.force_login(user)
    response = client.post(
        reverse("generations:bulk"), {"action": "download", "ids": [kept.pk, lost.pk]}
    )
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    assert archive.namelist() == [download_name(kept)]


def test_zip_entries_are_named_like_downloads_and_never_collide(
    client, user, local_media, no_broker
):
    twins = [_finished(user, b"a"), _finished(user, b"b")]  # same prompt, day, ratio and seed
    for twin in twins:
        twin.seed = 7
        twin.save(update_fields=["seed"])
    client.force_login(user)
    response = client.post(
        reverse("generations:bulk"), {"action": "download", "ids": [g.pk for g in twins]}
    )
    names = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content))).namelist()
    assert len(set(names)) == 2
    assert download_name(twins[0]) in names or download_name(twins[1]) in names
    assert all(name.endswith(".mp4") and "_seed7" in name for name in names)
