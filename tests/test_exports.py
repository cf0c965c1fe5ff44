"""Exports without a broker: requesting (the download rules, captions checked against the
clip), the render service called as the task calls it (real ffmpeg, C2PA, storage), its
failure and lost-claim paths, and the sweeper's recovery."""

from __future__ import annotations

from datetime import timedelta

import av
import pytest
from django.utils import timezone

from brandkits.finish import Choices
from exports import rendering, selectors, services
from exports.models import Export, ExportStatus
from generations.models import ReviewStatus, Status
from studiolib.finishing import captions, provenance
from tests import exports_support as es
from tests.factories import GenerationFactory
from workspaces.models import Project

pytestmark = pytest.mark.django_db


def stored(root) -> list:
    return sorted(p for p in root.rglob("*") if p.is_file() and "/exports/" in str(p))


def test_only_a_finished_clip_may_be_exported(user, local_media, published):
    running = GenerationFactory(user=user, status=Status.RUNNING)
    with pytest.raises(services.ExportRefused, match="finished clip"):
        services.request_export(actor=user, generation=running, preset="tiktok")
    assert not Export.objects.exists()


def test_a_gated_clip_is_refused_like_a_download(user, local_media, published):
    made = es.clip(user)
    Project.objects.filter(pk=made.project_id).update(approved_only=True)
    made.refresh_from_db()
    with pytest.raises(services.ExportRefused, match="approved clips only"):
        services.request_export(actor=user, generation=made, preset="tiktok")
    made.review_status = ReviewStatus.APPROVED
    made.save()
    services.request_export(actor=user, generation=made, preset="tiktok")
    assert Export.objects.count() == 1


def test_captions_longer_than_the_clip_are_refused(user, local_media, published):
    made = es.clip(user, seconds=2.0)
    cues = [captions.Cue(0.0, 1.0, "Hi"), captions.Cue(1.0, 4.0, "Too long")]
    with pytest.raises(captions.FinishingError, match="runs past the end"):
        services.request_export(actor=user, generation=made, preset="tiktok", captions=cues)


def test_request_many_queues_the_good_and_names_the_refused(
    user, local_media, published, django_capture_on_commit_callbacks
):
    good, other = es.clip(user), es.clip(user)
    bad = GenerationFactory(user=user, status=Status.FAILED)
    with django_capture_on_commit_callbacks(execute=True):
        made, refused = services.request_many(
            actor=user, generations=[good, bad, other], preset="feed_square", fit="crop"
        )
    assert [e.generation_id for e in made] == [good.pk, other.pk]
    assert [(g.pk, "finished clip" in why) for g, why in refused] == [(bad.pk, True)]
    assert published == [(services.RENDER_TASK, (str(e.pk),)) for e in made]


def test_the_render_makes_a_signed_branded_export_with_sidecars(
    user, local_media, published, clean_tmp
):
    made = es.clip(user, seconds=2.0)
    es.full_kit(made.workspace)
    cues = captions.from_text("Big summer sale\nTap to shop", clip_seconds=2.0)
    export = services.request_export(
        actor=user,
        generation=made,
        preset="tiktok",
        captions=cues,
        options=Choices(logo=True, end_card=True, ai_label=True),
    )
    assert rendering.export_render(str(export.pk)) == ExportStatus.DONE
    export.refresh_from_db()
    assert (export.status, export.progress, export.attempts) == ("done", 100, 1)
    assert (export.width, export.height) == (1080, 1920)
    assert export.duration == pytest.approx(3.0, abs=0.15)  # the clip + a 1 s end card
    path = local_media / export.file.name
    assert export.sha256 == provenance.sha256_file(path)
    assert export.source_sha256 == provenance.sha256_file(local_media / made.video.name)
    manifest = provenance.read_manifest(path)
    assert manifest and manifest["ingredients"][0]["relationship"] == "parentOf"
    assert export.c2pa
    assert "Tap to shop" in (local_media / export.srt.name).read_text()
    assert (local_media / export.vtt.name).read_text().startswith("WEBVTT")
    with av.open(str(path)) as container:
        video = container.streams.video[0]
        assert video.codec_context.name == "h264" and video.codec_context.profile == "High"
        assert video.codec_context.pix_fmt == "yuv420p"
        assert container.streams.audio[0].codec_context.name == "aac"
    assert list(clean_tmp.iterdir()) == []
    assert selectors.latest_done([made.pk]) == {made.pk: export}


def test_a_render_over_its_time_fails_with_a_reason_and_leaves_nothing(
    user, local_media, published, clean_tmp, settings
):
    settings.EXPORT_RENDER_TIMEOUT = 0.05
    made = es.clip(user, seconds=2.0)
    export = services.request_export(actor=user, generation=made, preset="youtube")
    assert rendering.export_render(str(export.pk)) == ExportStatus.FAILED
    export.refresh_from_db()
    assert export.status == "failed" and "longer than the studio allows" in export.error
    assert list(clean_tmp.iterdir()) == [] and stored(local_media) == []
    # A redelivered task finds it finished and does nothing.
    assert rendering.export_render(str(export.pk)) is None


def test_a_render_whose_claim_was_lost_stores_nothing(user, local_media, published, clean_tmp):
    made = es.clip(user, seconds=1.0)
    export = services.request_export(actor=user, generation=made, preset="feed_square")
    claimed = services.claim(export.pk)
    # The sweeper gave it to another render meanwhile: its first progress write misses,
    # which stops ffmpeg before anything is stored.
    Export.objects.filter(pk=export.pk).update(attempts=claimed.attempts + 1)
    with pytest.raises(rendering.LostClaim):
        rendering.produce(claimed)
    assert stored(local_media) == [] and list(clean_tmp.iterdir()) == []
    Export.objects.filter(pk=export.pk).delete()


def test_deleting_a_clip_deletes_its_export_files(
    user, local_media, published, django_capture_on_commit_callbacks
):
    from generations.services import library

    made = es.clip(user, seconds=1.0)
    export = services.request_export(actor=user, generation=made, preset="feed_square")
    rendering.export_render(str(export.pk))
    assert stored(local_media)
    with django_capture_on_commit_callbacks(execute=True):
        library.generation_delete(generation=made, actor=user)
    assert stored(local_media) == []


def test_the_sweeper_requeues_lost_renders_fails_repeat_losses_and_republishes(
    user, local_media, published, settings
):
    settings.EXPORT_MAX_ATTEMPTS = 2
    made = es.clip(user, seconds=1.0)
    past = timezone.now() - timedelta(seconds=1)
    lost = Export.objects.create(
        workspace=made.workspace,
        generation=made,
        preset="tiktok",
        status=ExportStatus.RENDERING,
        attempts=1,
        lease_until=past,
        progress=40,
    )
    hopeless = Export.objects.create(
        workspace=made.workspace,
        generation=made,
        preset="tiktok",
        status=ExportStatus.RENDERING,
        attempts=2,
        lease_until=past,
    )
    flushed = Export.objects.create(
        workspace=made.workspace, generation=made, preset="tiktok", lease_until=past
    )
    alive = Export.objects.create(
        workspace=made.workspace,
        generation=made,
        preset="tiktok",
        status=ExportStatus.RENDERING,
        attempts=1,
        lease_until=timezone.now() + timedelta(seconds=30),
    )
    counts = services.export_sweep()
    assert counts == {"requeued": 1, "failed": 1, "republished": 1}
    states = {e.pk: (e.status, e.progress) for e in Export.objects.all()}
    assert states[lost.pk] == ("queued", 0)
    assert states[hopeless.pk][0] == "failed"
    assert "stopped 2 times" in Export.objects.get(pk=hopeless.pk).error
    assert states[alive.pk][0] == "rendering"
    assert sorted(args[0] for _, args in published) == sorted([str(lost.pk), str(flushed.pk)])
    # Nothing is due again until the new lease passes.
    assert services.export_sweep() == {"requeued": 0, "failed": 0, "republished": 0}
    # The requeued render runs to the end.
    assert rendering.export_render(str(lost.pk)) == ExportStatus.DONE


def test_a_clip_deleted_while_its_export_is_stored_leaves_no_files(
    user, local_media, published, clean_tmp, monkeypatch
):
    made = es.clip(user, seconds=1.0)
    export = services.request_export(actor=user, generation=made, preset="feed_square")
    real_probe = rendering.probe

    def deleted_meanwhile(path):
        # The clip (and its export row) is deleted after the render, before it is stored.
        made.delete()
        return real_probe(path)

    monkeypatch.setattr(rendering, "probe", deleted_meanwhile)
    assert rendering.export_render(str(export.pk)) is None
    assert stored(local_media) == [] and list(clean_tmp.iterdir()) == []


def test_the_kit_font_is_the_uploaded_one_else_the_chosen_bundled_one(user, local_media, tmp_path):
    from django.core.files.base import ContentFile

    from brandkits import finish
    from brandkits.models import BrandKit
    from studiolib.finishing import fonts

    kit = BrandKit(workspace=es.clip(user).workspace, bundled_font="DejaVuSans.ttf")
    path, family = finish.font(kit, tmp_path)
    assert (path.name, family) == ("DejaVuSans.ttf", "DejaVu Sans")
    kit.font.save("brand.ttf", ContentFile(fonts.default_font().read_bytes()), save=False)
    kit.font_family = "DejaVu Sans"
    path, family = finish.font(kit, tmp_path)
    assert path.parent == tmp_path and path.read_bytes() == fonts.default_font().read_bytes()


def test_a_starting_worker_removes_only_old_render_folders(clean_tmp):
    import os
    import time

    old, new = clean_tmp / "export-old", clean_tmp / "finish-new"
    old.mkdir()
    new.mkdir()
    (old / "original.mp4").write_bytes(b"x")
    past = time.time() - 3600
    os.utime(old, (past, past))
    assert rendering.remove_stale_folders(older_than=600) == 1
    assert not old.exists() and new.exists()
