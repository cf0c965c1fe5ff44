"""Service transitions. The upstream client is replaced at its one seam (``get_client``) so
each outcome of the paid create call can be forced; everything else is real."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from generations import scheduling, services
from generations.models import Event, Generation, Status
from generations.services import lifecycle
from studiolib.seedance import SeedanceError, TaskStatus
from tests.factories import workspace_of

DATA = {
    "mode": "text",
    "model": "seedance2.0-480p",
    "prompt": "A red balloon",
    "duration": 5,
    "aspect_ratio": "16:9",
    "generate_audio": False,
    "seed": 7,
    "watermark": False,
    "camera_fixed": False,
    "return_last_frame": False,
}


class FakeClient:
    def __init__(self, create_result=None, task=None):
        self.creates = 0
        self.polls = 0
        self.create_result = create_result if create_result is not None else "task_abc"
        self.task = task

    def create_task(self, request):
        self.creates += 1
        if isinstance(self.create_result, Exception):
            raise self.create_result
        return self.create_result

    def get_task(self, task_id):
        self.polls += 1
        if isinstance(self.task, Exception):
            raise self.task
        return self.task


@pytest.fixture
def fake(monkeypatch):
    client = FakeClient()
    monkeypatch.setattr(lifecycle, "get_client", lambda **_: client)
    return client


@pytest.fixture
def queued(user, django_capture_on_commit_callbacks, monkeypatch):
    published = []
    monkeypatch.setattr(scheduling, "publish", lambda pk, action, delay: published.append(action))
    with django_capture_on_commit_callbacks(execute=True):
        generation = services.generation_create(user=user, data=DATA)
    assert published == ["submit"]
    return generation


def test_create_enqueues_submit_only_after_commit(
    user, django_capture_on_commit_callbacks, monkeypatch
):
    published = []
    monkeypatch.setattr(scheduling, "publish", lambda pk, action, delay: published.append(pk))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        generation = services.generation_create(user=user, data=DATA)
    assert published == []  # nothing is sent before the row is committed
    callbacks[0]()
    assert published == [str(generation.pk)]
    assert generation.status == Status.QUEUED
    assert generation.estimated_cost > 0
    assert Event.objects.filter(generation=generation, status=Status.QUEUED).exists()


def test_a_blank_seed_is_replaced_by_an_explicit_random_one(user, monkeypatch):
    monkeypatch.setattr(scheduling, "publish", lambda *args: None)
    generation = services.generation_create(user=user, data={**DATA, "seed": None})
    assert 0 <= generation.seed < 2**32


def test_it_submits_once_even_when_the_task_is_redelivered(queued, fake):
    first = services.generation_submit(queued.pk)
    second = services.generation_submit(queued.pk)
    assert first.action == "poll"
    assert second is None
    assert fake.creates == 1
    queued.refresh_from_db()
    assert queued.status == Status.RUNNING
    assert queued.upstream_task_id == "task_abc"


@pytest.mark.parametrize(
    "error",
    [
        SeedanceError("could not connect", kind="connect"),
        SeedanceError("rate limited", 429, kind="rate_limited", retry_after=7),
        SeedanceError("unavailable", 503, kind="unavailable"),
    ],
)
def test_a_create_that_certainly_was_not_accepted_is_retried_later(queued, fake, error):
    fake.create_result = error
    next_step = services.generation_submit(queued.pk)
    assert next_step.action == "submit"
    if error.retry_after:
        assert next_step.delay >= 7
    queued.refresh_from_db()
    assert queued.status == Status.QUEUED
    assert queued.next_poll_at > timezone.now()
    # Not due yet: a duplicate message does nothing.
    assert services.generation_submit(queued.pk) is None
    assert fake.creates == 1


@pytest.mark.parametrize("kind", ["timeout", "dropped", "malformed", "server_error"])
def test_an_unknown_outcome_is_never_resent(queued, fake, kind):
    fake.create_result = SeedanceError(
        "x", 500 if kind == "server_error" else None, kind=kind, maybe_accepted=True
    )
    assert services.generation_submit(queued.pk) is None
    queued.refresh_from_db()
    assert queued.status == Status.FAILED
    assert "not resent" in queued.error_message
    assert queued.charged == "maybe"
    Generation.objects.filter(pk=queued.pk).update(status=Status.QUEUED)  # even if redelivered
    services.generation_submit(queued.pk)
    assert fake.creates == 1


def test_a_refused_request_fails_with_a_human_reason(queued, fake):
    fake.create_result = SeedanceError(
        "prompt flagged", 400, "InputTextSensitiveContentDetected", permanent=True
    )
    services.generation_submit(queued.pk)
    queued.refresh_from_db()
    assert queued.status == Status.FAILED
    assert "content filter flagged the prompt" in queued.error_message
    # It was sent: only a request that never left may promise "not charged".
    assert "may have been charged" in queued.error_message
    assert "not charged" not in queued.error_message
    assert "{" not in queued.error_message


def test_submit_gives_up_after_the_attempt_limit(queued, fake, settings):
    settings.SEEDANCE_MAX_SUBMIT_ATTEMPTS = 2
    fake.create_result = SeedanceError("unavailable", 503, kind="unavailable")
    for _ in range(3):
        Generation.objects.filter(pk=queued.pk).update(next_poll_at=timezone.now())
        services.generation_submit(queued.pk)
    queued.refresh_from_db()
    assert queued.status == Status.FAILED
    assert fake.creates == 2


def _running(queued, fake):
    services.generation_submit(queued.pk)
    Generation.objects.filter(pk=queued.pk).update(next_poll_at=timezone.now())


def test_a_poll_updates_progress_and_schedules_the_next(queued, fake):
    _running(queued, fake)
    fake.task = TaskStatus("task_abc", "running", "in_progress", progress=50)
    next_step = services.generation_refresh(queued.pk)
    assert next_step.action == "poll"
    queued.refresh_from_db()
    assert queued.progress == 50
    assert services.generation_refresh(queued.pk) is None  # not due: duplicate does nothing
    assert fake.polls == 1


def test_a_transient_poll_error_backs_off(queued, fake):
    _running(queued, fake)
    fake.task = SeedanceError("boom", 500, kind="server_error")
    next_step = services.generation_refresh(queued.pk)
    assert next_step.action == "poll"
    queued.refresh_from_db()
    assert queued.status == Status.RUNNING


def test_a_moderated_task_fails_with_a_human_reason(queued, fake):
    _running(queued, fake)
    fake.task = TaskStatus(
        "task_abc",
        "failed",
        "failed",
        error_code="OutputVideoSensitiveContentDetected",
        error_message="x",
    )
    services.generation_refresh(queued.pk)
    queued.refresh_from_db()
    assert queued.status == Status.FAILED
    assert "content filter" in queued.error_message


def test_cancel_before_submission_means_it_is_never_sent(queued, fake):
    assert services.generation_cancel(generation=queued)
    assert services.generation_submit(queued.pk) is None
    assert fake.creates == 0
    queued.refresh_from_db()
    assert queued.status == Status.CANCELLED
    assert queued.charged == "no"


def test_cancel_while_running_stops_polling(queued, fake):
    _running(queued, fake)
    queued.refresh_from_db()
    services.generation_cancel(generation=queued)
    fake.task = TaskStatus("task_abc", "running", "in_progress", progress=50)
    assert services.generation_refresh(queued.pk) is None
    assert fake.polls == 0


def test_sweeper_republishes_overdue_actions(queued, monkeypatch):
    published = []
    monkeypatch.setattr(scheduling, "publish", lambda pk, action, delay: published.append(action))
    Generation.objects.filter(pk=queued.pk).update(
        next_poll_at=timezone.now() - timedelta(minutes=5)
    )
    counts = services.generation_sweep()
    assert counts["submit"] == 1
    assert published == ["submit"]


def test_sweeper_fails_a_submission_whose_worker_died(queued, fake):
    Generation.objects.filter(pk=queued.pk).update(
        status=Status.SUBMITTING, next_poll_at=timezone.now() - timedelta(seconds=1)
    )
    assert services.generation_sweep()["unknown_outcome"] == 1
    queued.refresh_from_db()
    assert queued.status == Status.FAILED
    assert "not resent" in queued.error_message
    assert fake.creates == 0


def test_sweeper_ends_unsent_generations_past_their_deadline(queued, fake):
    Generation.objects.filter(pk=queued.pk).update(deadline_at=timezone.now())
    assert services.generation_sweep()["timed_out"] == 1
    queued.refresh_from_db()
    assert queued.status == Status.FAILED
    assert queued.error_message == "Could not be sent within 60 minutes. You were not charged."
    assert queued.charged == "no"
    assert fake.creates == 0


def test_a_running_generation_past_its_deadline_ends_at_its_next_poll(queued, fake):
    _running(queued, fake)
    Generation.objects.filter(pk=queued.pk).update(deadline_at=timezone.now())
    assert services.generation_sweep()["timed_out"] == 0  # not without a last look
    fake.task = TaskStatus("task_abc", "running", "in_progress", progress=50)
    assert services.generation_refresh(queued.pk) is None
    assert fake.polls == 1
    queued.refresh_from_db()
    assert queued.status == Status.FAILED
    assert queued.error_message.startswith("Still not finished at the provider after 60 min")


def test_try_again_is_a_new_generation(queued, fake, monkeypatch):
    again = services.generation_rerun(generation=queued)
    assert again.pk != queued.pk
    assert again.seed == queued.seed
    assert services.generation_rerun(generation=queued, same_seed=False).prompt == queued.prompt


def test_polling_is_sparse_early_and_dense_near_the_expected_finish(queued, settings):
    settings.SEEDANCE_POLL_MIN_SECONDS = 2
    settings.SEEDANCE_POLL_MAX_SECONDS = 60
    early = services.poll_delay(queued, elapsed=0)
    near = services.poll_delay(queued, elapsed=50)  # 480p 5 s: 6 s queue + 45 s run
    late = services.poll_delay(queued, elapsed=200)
    assert early > near
    assert near == 2
    assert late > near


def test_poll_timing_learns_each_tier_from_its_finished_clips(user):
    from django.core.cache import cache

    from generations.services.timing import expected_finish

    default, spread = expected_finish("seedance2.0-720p", 10)
    assert default == 6 + 40 + 6 * 10 and spread == pytest.approx(0.05 * default)
    now = timezone.now()
    # Three earlier 720p clips of other durations ran 20 % longer than the defaults say.
    for duration, late in ((5, 0.0), (8, 0.5), (15, 1.0)):
        run = 1.2 * (6 + 40 + 6 * duration) + late
        Generation.objects.create(
            user=user,
            workspace=workspace_of(user)[0],
            project=workspace_of(user)[1],
            model="seedance2.0-720p",
            prompt="p",
            duration=duration,
            aspect_ratio="16:9",
            seed=1,
            status=Status.SUCCEEDED,
            submitted_at=now - timedelta(seconds=run),
            upstream_completed_at=now,
        )
    cache.clear()  # what a process learned is kept for LEARNED_TTL seconds
    learned, spread = expected_finish("seedance2.0-720p", 10)
    assert learned == pytest.approx(1.2 * default, rel=0.01)
    assert spread < 1.5  # they agree closely, so the dense window is narrow
    assert expected_finish("seedance2.0-480p", 10)[0] == 6 + 30 + 3 * 10  # per tier


def test_the_providers_finish_time_is_kept_not_when_we_saw_it(queued, fake):
    sent = timezone.now() - timedelta(seconds=60)
    Generation.objects.filter(pk=queued.pk).update(
        status=Status.RUNNING, upstream_task_id="t1", submitted_at=sent, next_poll_at=sent
    )
    finished = (sent + timedelta(seconds=51)).timestamp()
    fake.task = TaskStatus(
        "t1", "completed", "completed", 100, "http://x/v.mp4", completed_at=finished
    )
    services.generation_refresh(queued.pk)
    queued.refresh_from_db()
    assert queued.status == Status.SAVING
    assert queued.upstream_completed_at.timestamp() == pytest.approx(finished, abs=0.01)


def test_a_clip_is_never_made_in_an_archived_project(user, no_broker):
    from workspaces.services import project_archive

    workspace, project = workspace_of(user)
    project_archive(project=project, actor=user, archived=True)
    project.refresh_from_db()
    with pytest.raises(services.LimitExceeded, match="archived"):
        services.generation_create(user=user, data=DATA, workspace=workspace, project=project)
    assert not Generation.objects.exists()
    assert no_broker == []


def test_a_clip_lands_in_the_project_it_was_made_in(user, no_broker):
    from workspaces.services import project_create

    workspace, _ = workspace_of(user)
    client_a = project_create(workspace=workspace, actor=user, name="Client A")
    made = services.generation_create(user=user, data=DATA, project=client_a)
    assert (made.workspace_id, made.project_id) == (workspace.pk, client_a.pk)
