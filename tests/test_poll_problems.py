"""How polls of a sent task react to refused or odd answers, and the settled cost. The
upstream client is replaced at its one seam (``get_client``); everything else is real.
The same behaviours against the simulator over HTTP are in test_provider_behaviour.py."""

from __future__ import annotations

import logging
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import transaction
from django.utils import timezone

from billing.services import check_and_record, settle
from generations import selectors, services
from generations.models import Generation, Status
from generations.services import limits
from generations.services.results import MAX_EMPTY_COMPLETIONS
from studiolib import errors
from studiolib.seedance import (
    POLL_REFUSED_AUTH,
    POLL_REFUSED_NOT_FOUND,
    POLL_REFUSED_QUOTA,
    SeedanceError,
    TaskStatus,
)
from tests.factories import GenerationFactory, UserFactory
from tests.test_services import fake, queued  # noqa: F401 - fixtures
from workspaces.services import default_project, workspace_create

REFUSALS = {
    "auth": SeedanceError("no", 401, "AuthenticationError", poll_refused=POLL_REFUSED_AUTH),
    "not_found": SeedanceError("no", 400, "task_not_exist", poll_refused=POLL_REFUSED_NOT_FOUND),
    "quota": SeedanceError("no", 429, "QuotaExceeded", poll_refused=POLL_REFUSED_QUOTA),
    "unreachable": SeedanceError("down", 502, kind="server_error"),
}


def _running(generation, fake):  # noqa: F811
    services.generation_submit(generation.pk)
    _due(generation)


def _due(generation):
    Generation.objects.filter(pk=generation.pk).update(next_poll_at=timezone.now())


@pytest.mark.parametrize("problem", list(REFUSALS))
def test_a_refused_poll_never_fails_a_sent_generation_early(queued, fake, caplog, problem):  # noqa: F811
    _running(queued, fake)
    fake.task = REFUSALS[problem]
    with caplog.at_level(logging.WARNING, logger="generations"):
        for _ in range(12):
            assert services.generation_refresh(queued.pk).action == "poll"
            _due(queued)
    queued.refresh_from_db()
    assert queued.status == Status.RUNNING
    assert queued.upstream_problem == problem and queued.upstream_problem_since
    assert queued.poll_failures == 12
    assert "being made and billed" in queued.problem_message
    assert f"generation={queued.pk}" in caplog.text and f"problem={problem}" in caplog.text
    summary = selectors.provider_problem_summary()
    assert (summary.problem, summary.generations) == (problem, 1)
    # The sweep leaves a sent clip alone; only the last poll after the deadline ends it,
    # saying why the outcome is unknown, and never as "not charged".
    Generation.objects.filter(pk=queued.pk).update(deadline_at=timezone.now())
    services.generation_sweep()
    queued.refresh_from_db()
    assert queued.status == Status.RUNNING
    _due(queued)
    assert services.generation_refresh(queued.pk) is None
    queued.refresh_from_db()
    assert queued.status == Status.FAILED and queued.charged == "maybe"
    assert "could not learn the outcome" in queued.error_message
    assert errors.PROBLEMS[problem].split(";")[0].split(" — ")[0].rstrip(".") in (
        queued.error_message
    )
    assert "not charged" not in queued.error_message


def test_the_key_refusal_says_what_to_fix_and_clears_when_answered(queued, fake, client):  # noqa: F811
    _running(queued, fake)
    since = timezone.now()
    fake.task = REFUSALS["auth"]
    services.generation_refresh(queued.pk)
    _due(queued)
    services.generation_refresh(queued.pk)
    queued.refresh_from_db()
    assert queued.upstream_problem_since >= since  # kept from the first refusal
    first_since = queued.upstream_problem_since
    client.force_login(queued.user)
    page = client.get("/").content.decode()
    assert "fix SEEDANCE_API_KEY" in page and "billed" in page
    _due(queued)
    fake.task = TaskStatus("task_abc", "running", "running", progress=50)
    services.generation_refresh(queued.pk)
    queued.refresh_from_db()
    assert queued.upstream_problem == "" and queued.upstream_problem_since is None
    assert first_since is not None
    assert selectors.provider_problem_summary() is None
    assert "fix SEEDANCE_API_KEY" not in client.get("/").content.decode()


def test_a_completed_without_a_link_is_asked_again_before_it_fails(queued, fake):  # noqa: F811
    _running(queued, fake)
    fake.task = TaskStatus("task_abc", "completed", "completed", progress=100)
    for _ in range(MAX_EMPTY_COMPLETIONS - 1):
        assert services.generation_refresh(queued.pk).action == "poll"
        _due(queued)
    queued.refresh_from_db()
    assert queued.status == Status.RUNNING and queued.upstream_problem == "no_url"
    fake.task = TaskStatus("task_abc", "completed", "completed", 100, "http://x/v.mp4")
    services.generation_refresh(queued.pk)
    queued.refresh_from_db()
    assert queued.status == Status.SAVING and queued.upstream_problem == ""


def test_a_completed_that_never_brings_a_link_fails_as_maybe_charged(queued, fake):  # noqa: F811
    _running(queued, fake)
    fake.task = TaskStatus("task_abc", "completed", "completed", progress=100)
    for _ in range(MAX_EMPTY_COMPLETIONS):
        services.generation_refresh(queued.pk)
        _due(queued)
    queued.refresh_from_db()
    assert queued.status == Status.FAILED
    assert queued.charged != "no" and "never sent a video link" in queued.error_message


def test_usage_tokens_are_kept_when_the_provider_finishes(queued, fake):  # noqa: F811
    _running(queued, fake)
    fake.task = TaskStatus(
        "task_abc", "completed", "succeeded", 100, "http://x/v.mp4", usage_tokens=123_456
    )
    services.generation_refresh(queued.pk)
    queued.refresh_from_db()
    assert queued.usage_tokens == 123_456


def _spend(user, cost: str, workspace=None):
    """A clip of ``user`` entered in the spend ledger, as generation_create enters it."""
    clip = GenerationFactory(
        user=user,
        status=Status.SUCCEEDED,
        estimated_cost=Decimal(cost),
        **({"workspace": workspace, "project": default_project(workspace)} if workspace else {}),
    )
    with transaction.atomic():
        check_and_record(
            workspace_id=clip.workspace_id,
            project_id=clip.project_id,
            user=user,
            entries=[(clip.pk, clip.model, Decimal(cost))],
            now=timezone.now(),
        )
    return clip


def test_spend_limits_count_the_settled_cost_where_known(user, settings):
    settings.STUDIO_MAX_SPEND_PER_DAY = 10
    clip = _spend(user, "1")
    settle(generation_id=clip.pk, cost=Decimal("9.5"))
    with pytest.raises(limits.LimitExceeded):
        limits.check_limits(user=user, cost=Decimal("1"), now=timezone.now())
    settle(generation_id=clip.pk, cost=Decimal("0.5"))
    limits.check_limits(user=user, cost=Decimal("8"), now=timezone.now())


def test_spend_limits_count_every_workspace_of_the_user_and_no_one_else(user, settings):
    settings.STUDIO_MAX_SPEND_PER_MONTH = 10
    _spend(user, "4")
    _spend(user, "4", workspace=workspace_create(user=user, name="Side job"))
    _spend(UserFactory(), "9")  # someone else's spend is theirs
    limits.check_limits(user=user, cost=Decimal("2"), now=timezone.now())
    with pytest.raises(limits.LimitExceeded, match=r"\$8\.00 used"):
        limits.check_limits(user=user, cost=Decimal("2.01"), now=timezone.now())


def test_the_card_and_detail_show_settled_against_estimated(client, user):
    generation = GenerationFactory(
        user=user,
        status=Status.SUCCEEDED,
        estimated_cost=Decimal("0.40"),
        settled_cost=Decimal("0.4250"),
        usage_tokens=55_000,
        return_last_frame=True,
        last_frame_missing=True,
        finished_at=timezone.now() - timedelta(seconds=1),
    )
    client.force_login(user)
    card = client.get("/").content.decode()
    assert "settled $0.43 (estimated $0.40)" in card and "Last frame missing" in card
    detail = client.get(generation.url).content.decode()
    assert "Settled cost" in detail and "55000 tokens" in detail
    assert "settled − estimated: $0.0250" in detail
    assert "The last frame is missing" in detail
    unsettled = GenerationFactory(user=user, estimated_cost=Decimal("0.40"))
    assert "estimated ~$0.40" in client.get("/").content.decode()
    assert "not yet known" in client.get(unsettled.url).content.decode()
