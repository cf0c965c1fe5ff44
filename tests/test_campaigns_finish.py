"""Applying the brand kit to a batch without a broker: which cells are queued and which
refused (and why), each format's own preset or one for all, captions filled in per row,
one form submitted twice, the form's errors next to its fields, export progress in the
grid and its live stamp, and the ZIP with the finished exports named by the kit."""

from __future__ import annotations

import csv
import hashlib
import io
import re
import uuid
import zipfile

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from brandkits.finish import Choices
from campaigns import download, selectors, services
from campaigns.models import Batch, BatchExport, BatchItem, BatchRow
from exports.models import Export, ExportStatus
from generations.models import Generation, ReviewStatus, Status
from tests import exports_support as es
from tests.factories import GenerationFactory

pytestmark = pytest.mark.django_db

HOOKS = ["Wait for it", "Stop scrolling", "New drop"]


def make_batch(user, *, rows: int = 3, formats=("9:16", "16:9"), finished: bool = True) -> Batch:
    """A batch whose cells hold finished clips with real (small) videos."""
    first = GenerationFactory(user=user)
    batch = Batch.objects.create(
        workspace=first.workspace,
        project=first.project,
        created_by=user,
        name="Spring hooks",
        template="{{hook}}: a product shot",
        columns=["hook", "product"],
        formats=list(formats),
        tiers=["seedance2.0-480p"],
        settings={"duration": 5},
        form_token=uuid.uuid4(),
    )
    first.delete()
    for number in range(1, rows + 1):
        hook = HOOKS[(number - 1) % len(HOOKS)]
        row = BatchRow.objects.create(
            batch=batch,
            number=number,
            variables={"hook": hook, "product": "a lamp"},
            prompt=f"{hook}: a product shot",
        )
        for ratio in formats:
            if finished:
                clip = es.clip(user, seconds=2.0, aspect_ratio=ratio)
                with clip.video.open("rb") as stored:
                    body = stored.read()
                clip.video_sha256 = hashlib.sha256(body).hexdigest()
                clip.save(update_fields=["video_sha256"])
            else:
                clip = GenerationFactory(user=user, aspect_ratio=ratio)
            BatchItem.objects.create(
                batch=batch, row=row, aspect_ratio=ratio, model=clip.model, generation=clip
            )
    return batch


def cell(batch: Batch, number: int, ratio: str) -> BatchItem:
    return BatchItem.objects.select_related("generation").get(
        batch=batch, row__number=number, aspect_ratio=ratio
    )


def test_each_format_gets_its_own_preset_and_the_nearest_for_others():
    assert services.preset_for("9:16") == "tiktok"
    assert services.preset_for("1:1") == "feed_square"
    assert services.preset_for("16:9") == "youtube"
    assert services.preset_for("4:5") == "feed_portrait"
    assert services.preset_for("21:9") == "youtube"
    assert services.preset_for("3:4") == "feed_portrait"
    assert services.preset_for("nonsense") == "youtube"


def test_every_finished_cell_is_queued_with_its_rows_captions(
    user, local_media, published, django_capture_on_commit_callbacks
):
    batch = make_batch(user)
    es.full_kit(batch.workspace)
    with django_capture_on_commit_callbacks(execute=True):
        applied = services.batch_export(
            batch=batch,
            actor=user,
            token=uuid.uuid4(),
            caption_template="{{hook}}\nTap to shop",
            options=Choices(logo=True, end_card=True, ai_label=True),
        )
    assert (applied.queued, applied.refused) == (6, [])
    exports = Export.objects.select_related("generation").all()
    assert len(exports) == 6 and len(published) == 6
    for export in exports:
        item = BatchItem.objects.select_related("row").get(generation=export.generation)
        expected = {"9:16": "tiktok", "16:9": "youtube"}[item.aspect_ratio]
        assert export.preset == expected and export.status == ExportStatus.QUEUED
        texts = [cue["text"] for cue in export.captions]
        assert texts == [item.row.variables["hook"], "Tap to shop"]
        assert export.captions[-1]["end"] == pytest.approx(2.0, abs=0.01)  # the clip's length
        assert export.use_logo and export.use_end_card and export.use_ai_label


def test_some_of_semantics_refused_cells_are_named_with_their_reasons(user, local_media, published):
    batch = make_batch(user)
    failed = cell(batch, 1, "9:16").generation
    Generation.objects.filter(pk=failed.pk).update(status=Status.FAILED)
    cell(batch, 2, "16:9").generation.delete()
    gated = cell(batch, 3, "9:16").generation
    batch.project.approved_only = True
    batch.project.save(update_fields=["approved_only"])
    Generation.objects.exclude(pk=gated.pk).update(review_status=ReviewStatus.APPROVED)
    applied = services.batch_export(batch=batch, actor=user, token=uuid.uuid4(), preset="linkedin")
    assert applied.queued == 3
    assert {e.preset for e in Export.objects.all()} == {"linkedin"}
    assert Export.objects.filter(generation=gated).count() == 0
    reasons = {(r["row"], r["format"]): r["reason"] for r in applied.refused}
    assert set(reasons) == {(1, "9:16"), (2, "16:9"), (3, "9:16")}
    assert "finished clip" in reasons[(1, "9:16")]
    assert reasons[(2, "16:9")] == "The clip was deleted."
    assert "approved" in reasons[(3, "9:16")]
    # The kit lacks every part: none is used whatever was asked.
    assert not Export.objects.filter(use_logo=True).exists()


def test_a_row_whose_captions_come_out_empty_is_refused_alone(user, local_media, published):
    batch = make_batch(user, rows=2)
    BatchRow.objects.filter(batch=batch, number=2).update(variables={"hook": " ", "product": "x"})
    applied = services.batch_export(
        batch=batch, actor=user, token=uuid.uuid4(), caption_template="{{hook}}"
    )
    assert applied.queued == 2
    assert [(r["row"], r["reason"]) for r in applied.refused] == [
        (2, "Captions: Type at least one line of caption text."),
        (2, "Captions: Type at least one line of caption text."),
    ]


def test_the_same_form_twice_queues_once_and_a_new_form_again(
    user, local_media, published, django_capture_on_commit_callbacks
):
    batch = make_batch(user, rows=1)
    token = uuid.uuid4()
    with django_capture_on_commit_callbacks(execute=True):
        first = services.batch_export(batch=batch, actor=user, token=token)
    with django_capture_on_commit_callbacks(execute=True):
        again = services.batch_export(batch=batch, actor=user, token=token)
    assert again.pk == first.pk and Export.objects.count() == 2 and len(published) == 2
    services.batch_export(batch=batch, actor=user, token=uuid.uuid4())
    assert Export.objects.count() == 4 and BatchExport.objects.count() == 2
    other = make_batch(user, rows=1)
    with pytest.raises(services.BatchRefused):
        services.batch_export(batch=other, actor=user, token=token)


def finish_data(**overrides) -> dict:
    return {
        "token": str(uuid.uuid4()),
        "preset": "",
        "fit": "pad",
        "caption_template": "{{hook}}",
        **overrides,
    }


def test_the_form_names_a_bad_caption_template_next_to_the_field(
    client, user, local_media, published
):
    batch = make_batch(user, rows=1)
    client.force_login(user)
    url = reverse("campaigns:finish", args=[batch.pk])
    for template, message in (
        ("{{colour}}", "The batch has no column “colour”"),
        ("{{hook}", "A {{ has no }}"),
    ):
        response = client.post(url, finish_data(caption_template=template))
        assert response.status_code == 200
        errors = response.context["finish_form"].errors["caption_template"]
        assert message in errors[0]
        assert message.split("“")[0] in response.content.decode()
    assert not Export.objects.exists() and not BatchExport.objects.exists()


def test_a_double_submitted_form_queues_once_and_the_page_lists_refusals(
    client, user, local_media, published
):
    batch = make_batch(user, rows=1)
    Generation.objects.filter(pk=cell(batch, 1, "16:9").generation_id).update(status=Status.FAILED)
    client.force_login(user)
    url = reverse("campaigns:finish", args=[batch.pk])
    data = finish_data(use_logo="on")  # the kit has no logo: the box is disabled
    for _ in range(2):
        response = client.post(url, data, follow=True)
        assert response.status_code == 200
    page = response.content.decode()
    assert "Queued 1 export with the brand kit." in page
    assert "Row 1, 16:9: Only a finished clip" in page
    assert Export.objects.count() == 1 and not Export.objects.get().use_logo
    logo_box = re.search(r'<input[^>]*id="id_use_logo"[^>]*>', page).group(0)
    assert "disabled" in logo_box and "checked" not in logo_box


def test_the_grid_shows_export_progress_in_a_constant_number_of_queries(
    client, user, local_media, published
):
    client.force_login(user)
    small, large = make_batch(user, rows=1), make_batch(user, rows=3)
    for batch in (small, large):
        services.batch_export(batch=batch, actor=user, token=uuid.uuid4())
    client.get(reverse("campaigns:detail", args=[small.pk]))  # the session's first visit
    counts = []
    for batch in (small, large):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("campaigns:detail", args=[batch.pk])).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]
    export = Export.objects.filter(generation=cell(large, 2, "9:16").generation).get()
    Export.objects.filter(pk=export.pk).update(status=ExportStatus.RENDERING, progress=40)
    page = client.get(reverse("campaigns:detail", args=[large.pk])).content.decode()
    assert "Export: rendering 40%" in page and "Export: queued" in page
    assert 'hx-trigger="every' in page  # every clip is finished; the exports keep it live


def test_the_live_stamp_moves_with_export_progress(user, local_media, published):
    batch = make_batch(user, rows=1)
    before = selectors.live_stamp(batch)
    services.batch_export(batch=batch, actor=user, token=uuid.uuid4())
    requested = selectors.live_stamp(batch)
    export = Export.objects.first()
    Export.objects.filter(pk=export.pk).update(status=ExportStatus.RENDERING, progress=10)
    ten = selectors.live_stamp(batch)
    Export.objects.filter(pk=export.pk).update(progress=55)
    fifty_five = selectors.live_stamp(batch)
    Export.objects.update(status=ExportStatus.DONE, progress=100)
    done = selectors.live_stamp(batch)
    assert len({before, requested, ten, fifty_five, done}) == 5
    assert selectors.grid(batch).live is False


def finish_export(generation: Generation, *, captions: bool = True, **fields) -> Export:
    export = Export(
        workspace_id=generation.workspace_id,
        generation=generation,
        preset=fields.pop("preset", "tiktok"),
        status=ExportStatus.DONE,
        progress=100,
        c2pa=True,
        source_sha256=generation.video_sha256,
        finished_at=timezone.now(),
        **fields,
    )
    body = f"export of {generation.pk}".encode() * 100
    export.sha256 = hashlib.sha256(body).hexdigest()
    export.file.save("export.mp4", ContentFile(body), save=False)
    if captions:
        export.srt.save("c.srt", ContentFile(b"1\n00:00:00,000 --> 00:00:01,000\nHi\n"), False)
        export.vtt.save("c.vtt", ContentFile(b"WEBVTT\n\n00:00.000 --> 00:01.000\nHi\n"), False)
    export.save()
    return export


def read_zip(client, batch: Batch) -> tuple[zipfile.ZipFile, list[dict]]:
    response = client.get(reverse("campaigns:download", args=[batch.pk]))
    assert response.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    text = archive.read("manifest.csv").decode("utf-8-sig")
    return archive, list(csv.DictReader(io.StringIO(text)))


def test_the_zip_holds_the_exports_named_by_the_kit_and_the_originals_beside(
    client, user, local_media
):
    batch = make_batch(user, rows=2)
    es.full_kit(batch.workspace, file_name_template="{brand}-{campaign}-{row}-{preset}-{ratio}")
    exported = {}
    for number, ratio in ((1, "9:16"), (1, "16:9"), (2, "9:16")):
        generation = cell(batch, number, ratio).generation
        preset = services.preset_for(ratio)
        exported[(number, ratio)] = finish_export(generation, preset=preset)
    # Row 2's 16:9: a finished export, then a newer one that failed.
    late = cell(batch, 2, "16:9").generation
    kept = finish_export(late, preset="youtube", captions=False)
    Export.objects.create(
        workspace_id=late.workspace_id,
        generation=late,
        preset="youtube",
        status=ExportStatus.FAILED,
        error="ffmpeg stopped",
    )
    exported[(2, "16:9")] = kept
    client.force_login(user)
    archive, lines = read_zip(client, batch)
    names = archive.namelist()
    assert len(lines) == 4 and len(names) == 4 + 3 * 2 + 4 + 1, names
    for line in lines:
        export = exported[(int(line["row"]), line["format"])]
        ratio = "9x16" if line["format"] == "9:16" else "16x9"
        stem = f"Acme-Spring-hooks-{int(line['row']):03d}-{export.preset}-{ratio}"
        assert line["export_file"] == f"{stem}.mp4"
        assert archive.read(line["export_file"]) == export.file.open("rb").read()
        assert (
            hashlib.sha256(archive.read(line["export_file"])).hexdigest() == line["export_sha256"]
        )
        assert (line["preset"], line["c2pa"]) == (export.preset, "yes")
        assert line["file"] == f"originals/Acme-Spring-hooks-{int(line['row']):03d}-{ratio}.mp4"
        original = archive.read(line["file"])
        assert hashlib.sha256(original).hexdigest() == line["sha256"] == line["source_sha256"]
        if export.srt:
            assert archive.read(f"{stem}.srt").startswith(b"1\n")
            assert archive.read(f"{stem}.vtt").startswith(b"WEBVTT")
    late_line = next(line for line in lines if (line["row"], line["format"]) == ("2", "16:9"))
    assert late_line["note"] == ("export failed: ffmpeg stopped (an earlier export is included)")
    assert f"{late_line['export_file'][:-4]}.srt" not in names


def test_cells_without_a_finished_export_are_named_in_the_note(client, user, local_media):
    batch = make_batch(user, rows=1, formats=("9:16", "16:9", "1:1"))
    tall, wide, square = (cell(batch, 1, r).generation for r in ("9:16", "16:9", "1:1"))
    finish_export(tall)
    Export.objects.create(
        workspace_id=wide.workspace_id,
        generation=wide,
        preset="youtube",
        status=ExportStatus.RENDERING,
        progress=30,
    )
    client.force_login(user)
    archive, lines = read_zip(client, batch)
    notes = {line["format"]: line["note"] for line in lines}
    assert notes == {
        "9:16": "",
        "16:9": "export not finished: rendering 30%",
        "1:1": "no export",
    }
    assert [line["export_file"] != "" for line in lines] == [True, False, False]
    # Without any export the manifest says nothing about exports.
    assert not {line["note"] for line in read_zip(client, make_batch(user, rows=1))[1]} - {""}


def test_a_gated_clip_leaves_its_export_out_too(client, user, local_media):
    batch = make_batch(user, rows=1, formats=("9:16",))
    finish_export(cell(batch, 1, "9:16").generation)
    batch.project.approved_only = True
    batch.project.save(update_fields=["approved_only"])
    client.force_login(user)
    archive, lines = read_zip(client, batch)
    assert archive.namelist() == ["manifest.csv"]
    assert lines[0]["export_file"] == "" and lines[0]["note"] == download.GATED
