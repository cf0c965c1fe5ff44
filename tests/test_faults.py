"""The fault suite: many generations against the simulator with every fault switched on,
while the Celery worker is SIGKILLed and Redis is restarted with its data gone.

It must end with every generation terminal, zero duplicate create calls, every success
backed by a playable stored file, every failure carrying a human reason, no stored file
that no row names, nothing left in the worker's temporary directory, and no "not charged"
claim on a generation whose create call was sent.
``make test`` runs a small version; ``make faults`` runs 100+ (FAULT_GENERATIONS).
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from collections import Counter

import av
import pytest
import requests
from django.test.utils import override_settings

from generations import services
from generations.models import Generation, Status
from tests import support

pytestmark = [pytest.mark.e2e, pytest.mark.faults, pytest.mark.django_db(transaction=True)]

FAULTS = {
    "seed": 1234,
    "create_429": 0.10,
    "retry_after": 1,
    "create_500": 0.03,
    "create_502": 0.03,
    "create_503": 0.05,
    "create_slow": 0.03,
    "slow_seconds": 4,
    "create_drop": 0.03,
    "create_malformed": 0.02,
    "poll_429": 0.05,
    "poll_500": 0.05,
    "poll_503": 0.05,
    "poll_slow": 0.02,
    "poll_malformed": 0.02,
    "task_fail": 0.04,
    "task_moderate": 0.04,
    "result_expire_early": 0.03,
    "result_truncate": 0.10,
    "result_redirect": 0.5,
    "result_bad_length": 0.05,
    "result_corrupt": 0.03,
    # The provider's own behaviours (docs/provider.md): refused polls, a finish without a
    # link, a failing last frame, no usage, audio moderation. A fresh task being unknown
    # for a moment is on by default.
    "poll_401": 0.02,
    "poll_403": 0.02,
    "poll_404": 0.02,
    "poll_429_quota": 0.02,
    "completed_without_url": 0.10,
    "last_frame_fail": 0.25,
    "usage_missing": 0.20,
    "task_moderate_audio": 0.03,
}
# Halfway through, the simulator answers in a gateway's relay of Ark's dialect, where an
# upstream expiry is visible (a plain gateway leaves it running until the deadline).
FAULTS_RELAY = {**FAULTS, "dialect": "relay", "task_expire": 0.03}


def _restart_redis(proc: support.Proc, url: str, log_dir) -> support.Proc:
    """Kill redis-server and start an empty one on the same port: a flushed broker."""
    proc.stop(signal.SIGKILL)
    port = int(url.rsplit(":", 1)[1].split("/")[0])
    fresh, _ = support.start_redis(log_dir, port=port)
    return fresh


def _playable(path: str) -> bool:
    try:
        with av.open(path) as container:
            return next(container.decode(video=0), None) is not None
    except Exception:
        return False


def _orphaned_files(media_root, rows) -> list:
    """Files in storage that no generation (or reference) points at."""
    known = {name for g in rows for name in (g.video.name, g.poster.name, g.last_frame.name)}
    known |= {ref.file.name for g in rows for ref in g.references.all()}
    return [
        path
        for path in media_root.rglob("*")
        if path.is_file() and str(path.relative_to(media_root)) not in known
    ]


def test_no_job_lost_none_paid_twice(django_db_setup, django_db_blocker, user, proc_logs, tmp_path):
    from studio.celery import app

    count = int(os.environ.get("FAULT_GENERATIONS", "12"))
    redis_proc, redis_url = support.start_redis(proc_logs)
    sim_proc, sim_url = support.start_simulator(
        proc_logs, SIMULATOR_FAULTS=json.dumps(FAULTS), SIMULATOR_SPEED="120"
    )
    media_root = tmp_path / "media"
    temp_dir = tmp_path / "worker-tmp"  # the worker's temp files, to prove none are left
    temp_dir.mkdir()
    env = support.worker_env(
        database_url=support.database_url_for_current_test_db(),
        redis_url=redis_url,
        seedance_url=sim_url,
        media_root=str(media_root),
    )
    env.update(
        SEEDANCE_READ_TIMEOUT="2",
        SEEDANCE_SWEEP_SECONDS="1",
        SEEDANCE_DOWNLOAD_SECONDS="20",
        SEEDANCE_DEADLINE_MINUTES="4",
        TMPDIR=str(temp_dir),
    )
    previous_broker = app.conf.broker_url
    support.point_celery_at(app, redis_url)
    worker = support.start_worker(proc_logs, env, name="fault-worker")
    beat = support.Proc(
        "fault-beat",
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "studio",
            "beat",
            "--loglevel",
            "INFO",
            "--schedule",
            str(tmp_path / "beat-schedule"),
        ],
        env,
        proc_logs,
    )
    kills = 0
    redis_restarts = 0
    try:
        with override_settings(
            SEEDANCE_BASE_URL=sim_url,
            REDIS_URL=redis_url,
            STUDIO_MAX_IN_FLIGHT=0,
            STUDIO_MAX_PER_MINUTE=0,
            STUDIO_MAX_SPEND_PER_DAY=0,
            STUDIO_MAX_SPEND_PER_MONTH=0,
        ):
            pks = []
            for i in range(count):
                generation = services.generation_create(
                    user=user,
                    data={
                        "mode": "text",
                        "model": "seedance2.0-480p",
                        "prompt": f"fault suite clip {i}",
                        "duration": 5,
                        "aspect_ratio": ("16:9", "9:16", "1:1")[i % 3],
                        "generate_audio": i % 2 == 0,
                        "seed": i,
                        "watermark": False,
                        "camera_fixed": False,
                        "return_last_frame": i % 4 == 0,
                    },
                )
                pks.append(generation.pk)
                if i == count // 3 or i == (2 * count) // 3:
                    worker.stop(signal.SIGKILL)
                    kills += 1
                    worker = support.start_worker(proc_logs, env, name=f"fault-worker-{kills}")
                if i == count // 2:
                    redis_proc = _restart_redis(redis_proc, redis_url, proc_logs)
                    redis_restarts += 1
                    requests.post(f"{sim_url}/_sim/faults", json=FAULTS_RELAY, timeout=5)
            # The budget grows while generations keep finishing (a machine shared with
            # other work renders slowly) but never past the hard cap: a stuck one fails it.
            deadline = time.monotonic() + 120 + count * 4
            hard_cap = time.monotonic() + 120 + count * 12
            finished = 0
            while time.monotonic() < min(deadline, hard_cap):
                unfinished = (
                    Generation.objects.filter(pk__in=pks)
                    .exclude(status__in=[Status.SUCCEEDED, Status.FAILED, Status.CANCELLED])
                    .count()
                )
                if not unfinished:
                    break
                if count - unfinished > finished:
                    finished = count - unfinished
                    deadline = max(deadline, time.monotonic() + 120)
                time.sleep(1)
        stats = requests.get(f"{sim_url}/_sim/stats", timeout=5).json()
        rows = list(Generation.objects.filter(pk__in=pks))
        terminal = [g for g in rows if g.is_finished]
        succeeded = [g for g in rows if g.status == Status.SUCCEEDED]
        failed = [g for g in rows if g.status == Status.FAILED]
        # A create refused with 429/503 is safely sent again; a duplicate charge is a prompt
        # the provider ACCEPTED more than once.
        accepted_dupes = sum(max(0, n - 1) for n in stats["accepted_by_prompt"].values())
        playable = [g for g in succeeded if _playable(str(media_root / g.video.name))]
        reasons = [g for g in failed if g.error_message.strip()]
        worker.stop()  # before counting temp files: nothing may be mid-download
        orphans = _orphaned_files(media_root, rows)
        # multiprocessing's own pymp-* folders belong to the worker pool (a SIGKILLed pool
        # cannot remove them); every other file there would be ours.
        left_in_temp = [
            path
            for path in temp_dir.rglob("*")
            if not path.is_dir() and not path.relative_to(temp_dir).parts[0].startswith("pymp-")
        ]
        # Sent = a create call went out for it (it may have been accepted and billed).
        sent = [g for g in rows if g.submit_attempts > 0]
        not_charged = [
            g
            for g in sent
            if g.charged == "no"
            or "not charged" in g.error_message
            or any("not charged" in e.message for e in g.events.all())
        ]
        settled = [g for g in succeeded if g.settled_cost is not None]
        print(
            f"\nfault suite: generations={len(rows)} terminal={len(terminal)} "
            f"succeeded={len(succeeded)} failed={len(failed)} "
            f"playable={len(playable)}/{len(succeeded)} failures_with_reason="
            f"{len(reasons)}/{len(failed)} create_requests={stats['creates_total']} "
            f"accepted={stats['accepted_total']} duplicate_accepted_creates={accepted_dupes} "
            f"orphaned_files={len(orphans)} files_left_in_temp={len(left_in_temp)} "
            f"not_charged_claims_on_sent={len(not_charged)} settled={len(settled)}/"
            f"{len(succeeded)} last_frame_missing={sum(g.last_frame_missing for g in rows)} "
            f"worker_sigkills={kills} redis_restarts={redis_restarts}\n"
            f"failure reasons: {dict(Counter(g.error_code for g in failed))}"
        )
        assert len(terminal) == len(rows), [
            (g.status, g.error_message) for g in rows if not g.is_finished
        ]
        assert accepted_dupes == 0
        assert len(playable) == len(succeeded)
        assert len(reasons) == len(failed)
        assert orphans == [] and left_in_temp == []
        assert not_charged == [], [(g.prompt, g.error_message) for g in not_charged]
        assert len(settled) == len(succeeded)
        assert succeeded, "with these rates most generations should succeed"
        assert kills >= 2 and redis_restarts == 1
    finally:
        beat.stop()
        worker.stop()
        sim_proc.stop()
        redis_proc.stop()
        support.point_celery_at(app, previous_broker)
