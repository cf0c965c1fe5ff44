"""Nothing leaks on a failure path: every way a result copy can fail (against the simulator
over HTTP) leaves the temporary directory empty, stored files nobody records are deleted,
and deleting a clip while its result is being stored leaves no file behind."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from celery.exceptions import SoftTimeLimitExceeded
from django.db import OperationalError, connection

from generations import services
from generations.models import Generation, Status
from generations.services import library
from studiolib import media
from tests.inprocess import due, saving

pytestmark = pytest.mark.django_db(transaction=True)


def stored_files(sim) -> list[Path]:
    return [path for path in sim.media.rglob("*") if path.is_file()]


def result_files(sim) -> list[Path]:
    return [path for path in stored_files(sim) if "/generations/" in str(path)]


def save_once(generation: Generation) -> Generation:
    due(generation.pk)
    services.generation_refresh(generation.pk)
    return Generation.objects.get(pk=generation.pk)


def test_a_broken_download_leaves_no_temp_file(sim, user, clean_tmp):
    generation = saving(sim, user)
    sim.faults(result_truncate=1.0)
    after = save_once(generation)
    assert after.status == Status.SAVING  # retried later
    assert list(clean_tmp.iterdir()) == []
    assert result_files(sim) == []


def test_an_overstated_content_length_leaves_no_temp_file(sim, user, clean_tmp):
    generation = saving(sim, user)
    sim.faults(result_bad_length=1.0)
    after = save_once(generation)
    assert after.status == Status.SAVING
    assert list(clean_tmp.iterdir()) == []


def test_a_result_over_the_size_cap_leaves_no_temp_file(sim, user, clean_tmp, settings):
    generation = saving(sim, user)
    settings.SEEDANCE_RESULT_MAX_BYTES = 1000
    after = save_once(generation)
    assert after.status == Status.FAILED
    assert list(clean_tmp.iterdir()) == []


def test_a_result_that_does_not_decode_leaves_no_temp_file(sim, user, clean_tmp):
    generation = saving(sim, user)
    sim.faults(result_corrupt=1.0)
    after = save_once(generation)
    assert after.status == Status.FAILED
    assert "broken" in after.error_message
    assert list(clean_tmp.iterdir()) == []
    assert result_files(sim) == []


def test_a_failed_last_frame_leaves_no_temp_file(sim, user, clean_tmp):
    generation = saving(sim, user, return_last_frame=True)
    assert generation.result_last_frame_url
    # The provider's last-frame link is gone (expired, purged) while the video is fine.
    Generation.objects.filter(pk=generation.pk).update(
        result_last_frame_url=f"{sim.url}/files/gone/last_frame.png"
    )
    save_once(generation)
    assert list(clean_tmp.iterdir()) == []


def test_a_last_frame_that_is_not_an_image_leaves_no_temp_file(sim, user, clean_tmp):
    generation = saving(sim, user, return_last_frame=True)
    Generation.objects.filter(pk=generation.pk).update(
        result_last_frame_url=generation.result_url  # an MP4 where a PNG belongs
    )
    save_once(generation)
    assert list(clean_tmp.iterdir()) == []


def test_the_soft_time_limit_leaves_no_temp_file(sim, user, clean_tmp, monkeypatch):
    generation = saving(sim, user)

    def out_of_time(path: Path) -> bytes:
        raise SoftTimeLimitExceeded()  # what Celery raises wherever the task happens to be

    monkeypatch.setattr(media, "poster_jpeg", out_of_time)
    with pytest.raises(SoftTimeLimitExceeded):
        save_once(generation)
    assert list(clean_tmp.iterdir()) == []
    assert Generation.objects.get(pk=generation.pk).status == Status.SAVING  # retried later


def test_stored_files_are_deleted_when_the_database_write_after_them_fails(sim, user, clean_tmp):
    generation = saving(sim, user, return_last_frame=True)

    def refuse_success(execute, sql, params, many, context):
        if sql.startswith("UPDATE") and "video_sha256" in sql:
            raise OperationalError("database went away")
        return execute(sql, params, many, context)

    with connection.execute_wrapper(refuse_success), pytest.raises(OperationalError):
        save_once(generation)
    assert result_files(sim) == []
    assert list(clean_tmp.iterdir()) == []
    after = save_once(generation)  # the next attempt stores them for real
    assert after.status == Status.SUCCEEDED
    assert len(result_files(sim)) == 3  # video, poster, last frame


def test_deleting_while_the_result_is_being_recorded_leaves_no_file(sim, user, clean_tmp):
    """The saver has written its files and is about to record them when the user deletes
    the clip: the saver must find the row gone and remove what it wrote."""
    generation = saving(sim, user)
    stale = Generation.objects.get(pk=generation.pk)  # what the delete view loaded
    about_to_record = threading.Event()
    deleted = threading.Event()

    def pause_before_recording(execute, sql, params, many, context):
        # Before the recording transaction takes any lock: SQLite (here in IMMEDIATE mode)
        # locks at BEGIN, PostgreSQL at the UPDATE.
        recording = sql.startswith("BEGIN") or (sql.startswith("UPDATE") and "video_sha256" in sql)
        if recording and not about_to_record.is_set():
            about_to_record.set()
            assert deleted.wait(30)
        return execute(sql, params, many, context)

    outcome = {}

    def saver() -> None:
        due(generation.pk)
        with connection.execute_wrapper(pause_before_recording):
            outcome["next"] = services.generation_refresh(generation.pk)
        connection.close()

    thread = threading.Thread(target=saver)
    thread.start()
    assert about_to_record.wait(60)
    assert result_files(sim)  # written, not yet recorded
    library.generation_delete(generation=stale)
    deleted.set()
    thread.join(30)
    assert outcome == {"next": None}  # the saver finished without an error
    assert not Generation.objects.filter(pk=generation.pk).exists()
    assert result_files(sim) == []
    assert list(clean_tmp.iterdir()) == []


def test_deleting_just_after_the_result_was_recorded_leaves_no_file(sim, user):
    """The delete view loaded the clip while it was saving; the saver recorded its files
    before the delete ran. The delete must remove the files the row names now."""
    generation = saving(sim, user, return_last_frame=True)
    stale = Generation.objects.get(pk=generation.pk)
    assert save_once(generation).status == Status.SUCCEEDED
    assert len(result_files(sim)) == 3
    library.generation_delete(generation=stale)
    assert not Generation.objects.filter(pk=generation.pk).exists()
    assert result_files(sim) == []
