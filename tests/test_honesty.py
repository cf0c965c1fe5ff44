"""Lifecycle honesty against the simulator over HTTP: what the studio says about money is
true of what happened, the deadline never throws away a paid result, and a cancel racing
a worker's create call tells the truth and keeps what is paid for."""

from __future__ import annotations

import logging
import re
import threading
import time
from datetime import timedelta

import pytest
from django.db import OperationalError, connection
from django.utils import timezone

from generations import services
from generations.models import Event, Generation, Status
from tests.inprocess import due, finished_upstream, make, running, saving

pytestmark = pytest.mark.django_db(transaction=True)


def _past_deadline(pk) -> None:
    Generation.objects.filter(pk=pk).update(deadline_at=timezone.now() - timedelta(seconds=1))


# --- "You were not charged" only when nothing was sent ----------------------------------------


def test_a_refused_create_does_not_promise_no_charge(sim, user):
    generation = make(user, prompt="a refused prompt [[reject-input]]")
    services.generation_submit(generation.pk)
    generation.refresh_from_db()
    assert generation.status == Status.FAILED
    assert "content filter flagged the prompt" in generation.error_message
    assert generation.charged == "maybe"
    assert "not charged" not in generation.error_message


def test_a_task_failed_upstream_does_not_promise_no_charge(sim, user):
    generation = running(user, prompt="a clip that fails upstream [[fail]]")
    finished_upstream(sim, generation.upstream_task_id, status="failed")
    due(generation.pk)
    services.generation_refresh(generation.pk)
    generation.refresh_from_db()
    assert generation.status == Status.FAILED
    assert generation.charged == "maybe"
    assert "not charged" not in generation.error_message


def test_a_provider_that_stays_busy_does_not_promise_no_charge(sim, user, settings):
    settings.SEEDANCE_MAX_SUBMIT_ATTEMPTS = 2
    sim.faults(create_503=1.0)
    generation = make(user)
    for _ in range(3):
        due(generation.pk)
        services.generation_submit(generation.pk)
    generation.refresh_from_db()
    assert sim.stats()["creates_by_prompt"][generation.prompt] == 2
    assert generation.status == Status.FAILED
    assert generation.charged == "maybe"
    assert "not charged" not in generation.error_message


def test_only_a_generation_never_sent_is_told_it_was_not_charged(sim, user, settings):
    never_sent = make(user)
    sim.faults(create_503=1.0)
    tried = make(user)
    services.generation_submit(tried.pk)  # refused as busy, back to queued
    tried.refresh_from_db()
    assert tried.status == Status.QUEUED and tried.submit_attempts == 1
    for generation in (never_sent, tried):
        _past_deadline(generation.pk)
    assert services.generation_sweep()["timed_out"] == 2
    never_sent.refresh_from_db()
    tried.refresh_from_db()
    assert never_sent.charged == "no" and never_sent.error_message.endswith("not charged.")
    assert tried.charged == "maybe" and "not charged" not in tried.error_message


def test_cancelling_a_queued_generation_after_a_refused_try_does_not_promise_no_charge(sim, user):
    sim.faults(create_503=1.0)
    generation = make(user)
    services.generation_submit(generation.pk)
    assert services.generation_cancel(generation=generation)
    generation.refresh_from_db()
    assert generation.status == Status.CANCELLED
    assert generation.charged == "maybe"
    assert "not charged" not in generation.events.last().message


# --- the deadline ------------------------------------------------------------------------------


def test_the_deadline_never_fails_a_generation_that_is_saving(sim, user):
    generation = saving(sim, user)
    _past_deadline(generation.pk)
    assert services.generation_sweep()["timed_out"] == 0
    due(generation.pk)
    services.generation_refresh(generation.pk)
    generation.refresh_from_db()
    assert generation.status == Status.SUCCEEDED
    assert (sim.media / generation.video.name).exists()


def test_a_running_generation_gets_a_last_poll_that_can_still_save_it(sim, user):
    generation = running(user)
    finished_upstream(sim, generation.upstream_task_id)
    _past_deadline(generation.pk)
    services.generation_sweep()
    generation.refresh_from_db()
    assert generation.status == Status.RUNNING
    due(generation.pk)
    services.generation_refresh(generation.pk)  # the last poll sees it finished
    generation.refresh_from_db()
    assert generation.status == Status.SAVING
    services.generation_refresh(generation.pk)
    generation.refresh_from_db()
    assert generation.status == Status.SUCCEEDED


def test_a_generation_still_running_at_the_deadline_fails_after_a_last_poll(sim, user, settings):
    settings.SEEDANCE_DEADLINE_MINUTES = 30
    # About a task the provider shows as running: not one it does not show yet (a fresh
    # task is briefly unknown; test_poll_problems covers that ending).
    sim.faults(poll_not_exist_after_create_seconds=0)
    generation = running(user, model="seedance2.0-1080p", duration=15)  # minutes at speed 1
    _past_deadline(generation.pk)
    services.generation_sweep()
    assert Generation.objects.get(pk=generation.pk).status == Status.RUNNING
    due(generation.pk)
    assert services.generation_refresh(generation.pk) is None
    generation.refresh_from_db()
    assert sim.stats()["polls_by_task"][generation.upstream_task_id] == 1
    assert generation.status == Status.FAILED
    assert generation.error_code == "timed_out"
    assert re.fullmatch(
        r"Still not finished at the provider after 30 minutes \(its last status there: "
        r"(queued|in_progress)\), so the studio stopped waiting\. It was not resent\. You may "
        r"have been charged; press Try again for a new attempt\.",
        generation.error_message,
    )
    assert generation.charged == "maybe"


# --- the create call and the moment it returns -------------------------------------------------


def test_the_task_id_is_logged_as_soon_as_the_create_call_returns(sim, user, caplog):
    generation = make(user)

    def refuse_running(execute, sql, params, many, context):
        if sql.startswith("UPDATE") and "upstream_task_id" in sql:
            raise OperationalError("database went away")
        return execute(sql, params, many, context)

    with (
        caplog.at_level(logging.INFO, logger="generations"),
        connection.execute_wrapper(refuse_running),
        pytest.raises(OperationalError),
    ):
        services.generation_submit(generation.pk)
    logged = [r for r in caplog.records if "created upstream" in r.getMessage()]
    assert len(logged) == 1 and logged[0].levelno == logging.INFO
    task_id = re.search(r"task=(\S+)", logged[0].getMessage()).group(1)
    assert task_id in sim.stats()["tasks"]
    assert str(generation.pk) in logged[0].getMessage()


def test_cancel_while_the_create_call_is_out_says_maybe_and_keeps_the_clip(sim, user):
    """The worker's create call is held by the simulator after it accepted the task; the
    user cancels in that window. The cancel must not say "not charged", and when the call
    returns, the task is recorded and its clip kept, because the provider bills it."""
    sim.faults(create_slow=1.0, slow_seconds=2)
    generation = make(user)
    outcome = {}

    def submit() -> None:
        outcome["next"] = services.generation_submit(generation.pk)
        connection.close()  # this thread's own connection

    worker = threading.Thread(target=submit)
    worker.start()
    deadline = timezone.now() + timedelta(seconds=20)
    while sim.stats()["accepted_by_prompt"].get(generation.prompt) != 1:
        assert timezone.now() < deadline, "the create call never reached the simulator"
        time.sleep(0.05)
    assert services.generation_cancel(generation=generation)  # the page still says "queued"
    cancelled = Generation.objects.get(pk=generation.pk)
    assert cancelled.status == Status.CANCELLED
    assert cancelled.charged == "maybe"
    message = cancelled.events.last().message
    assert "not charged" not in message and "may have accepted" in message
    worker.join(30)
    sim.faults()
    assert outcome["next"].action == "poll"
    generation.refresh_from_db()
    assert generation.status == Status.RUNNING
    assert generation.upstream_task_id in sim.stats()["tasks"]
    assert "keeps the clip" in generation.events.last().message
    finished_upstream(sim, generation.upstream_task_id)
    due(generation.pk)
    services.generation_refresh(generation.pk)
    services.generation_refresh(generation.pk)
    generation.refresh_from_db()
    assert generation.status == Status.SUCCEEDED
    assert sim.stats()["creates_by_prompt"][generation.prompt] == 1


def test_cancel_never_throws_away_a_clip_that_is_being_saved(sim, user):
    generation = saving(sim, user)
    assert not services.generation_cancel(generation=generation)
    services.generation_refresh(generation.pk)
    assert Generation.objects.get(pk=generation.pk).status == Status.SUCCEEDED
    assert not Event.objects.filter(generation=generation, status=Status.CANCELLED).exists()
