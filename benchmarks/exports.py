"""Renders beside polls: 200 generations in flight against the simulator at real speed
(40 users with 5 each), and meanwhile 10 exports of a 10 s 720p clip to TikTok 1080×1920
with captions, logo, "AI-generated" label, end card and C2PA, on the exporter worker (the
Procfile's, one at a time on the ``exports`` queue) beside the default worker (2
processes) and beat, on one machine.

The figure: p95 lateness of the upstream polls that started while an export was rendering
(from the first render's start to the last one's end), measured as in the fleet figure
(benchmarks/fleet_worker.py). Renders must not starve polling.
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from django.core.files.base import ContentFile
from django.test import override_settings
from django.utils import timezone

from benchmarks.finishing import sample_clip
from benchmarks.fleet import create_clips, fleet_users, read_lateness, stack
from brandkits.finish import Choices
from brandkits.models import BrandKit
from exports import services
from exports.models import Export
from generations.models import Generation, Status
from studiolib.finishing import captions
from tests import support
from tests.exports_support import logo_png
from tests.factories import GenerationFactory
from workspaces.services import personal_workspace

USERS = 40
PER_USER = 5
EXPORTS = 10
SECONDS = 10
TARGET = 2.0


def _clips(user, data: bytes) -> list[Generation]:
    workspace = personal_workspace(user)
    kit, _ = BrandKit.objects.get_or_create(workspace=workspace)
    kit.brand_name, kit.end_card, kit.end_card_text, kit.ai_label = "Bench", True, "Shop", True
    kit.logo.save("logo.png", ContentFile(logo_png()))
    made = []
    for n in range(EXPORTS):
        clip = GenerationFactory(
            user=user,
            workspace=workspace,
            prompt=f"export source {n}",
            status=Status.SUCCEEDED,
            duration=SECONDS,
            video_duration=SECONDS,
            finished_at=timezone.now(),
        )
        clip.video.save("video.mp4", ContentFile(data))
        made.append(clip)
    return made


def figures(report: Callable[..., None], work: Path) -> None:
    logs = work / "exports"
    logs.mkdir(exist_ok=True)
    source = sample_clip(logs / "source-720p.mp4", "1280x720", SECONDS).read_bytes()
    sim, sim_url, redis, redis_url, env, celery = stack(logs)
    quiet = ["--loglevel", "WARNING"]
    procs = [
        support.Proc(
            "exports-worker", [*celery, "worker", "--concurrency", "2", *quiet], env, logs
        ),
        support.Proc(
            "exports-exporter",
            [*celery, "worker", "-Q", "exports", "--concurrency", "1", "-n", "exporter@%h", *quiet],
            env,
            logs,
        ),
        support.Proc(
            "exports-beat", [*celery, "beat", "--schedule", str(logs / "beat")], env, logs
        ),
    ]
    os.environ.update(REDIS_URL=redis_url, SEEDANCE_BASE_URL=sim_url)
    from studio.celery import app

    support.point_celery_at(app, redis_url)
    users = fleet_users(USERS)
    # The export sources count as the first user's clips of this minute.
    settings = override_settings(
        SEEDANCE_BASE_URL=sim_url,
        STUDIO_MAX_SPEND_PER_DAY=0,
        STUDIO_MAX_SPEND_PER_MONTH=0,
        STUDIO_MAX_PER_MINUTE=0,
    )
    cues = captions.from_text("The offer\nSpelled out\nShop now", clip_seconds=SECONDS)
    try:
        with settings:
            sources = _clips(users[0], source)
            fleet = create_clips(users, PER_USER, seed=31)
            time.sleep(15)  # the fleet's first polls are under way
            exports = [
                services.request_export(
                    actor=users[0],
                    generation=clip,
                    preset="tiktok",
                    captions=cues,
                    options=Choices(logo=True, end_card=True, ai_label=True),
                ).pk
                for clip in sources
            ]
            rows = Export.objects.filter(pk__in=exports)
            deadline = time.monotonic() + 20 * 60
            while time.monotonic() < deadline and rows.filter(status__in=("queued", "rendering")):
                time.sleep(2)
    finally:
        for proc in procs:
            proc.stop()
        sim.stop()
        redis.stop()

    done = list(rows.filter(status="done"))
    in_flight = Generation.objects.filter(pk__in=fleet).count()
    if not done:
        report("poll_lateness_p95_while_10_exports_render", "no export finished", "≤ 2 s", False)
        return
    start = min(e.started_at for e in done).timestamp()
    end = max(e.finished_at for e in done).timestamp()
    during = sorted(late for at, late in read_lateness(logs / "lateness") if start <= at <= end)
    p95 = during[int(len(during) * 0.95)] if during else float("inf")
    renders = [(e.finished_at - e.started_at).total_seconds() for e in done]
    report(
        "poll_lateness_p95_while_10_exports_render",
        f"{p95:.2f} s (max {max(during, default=0):.1f} s over {len(during)} polls during "
        f"{end - start:.0f} s of rendering; {len(done)} of {EXPORTS} exports done, render "
        f"median {statistics.median(renders):.1f} s; {in_flight} generations in flight)",
        f"≤ {TARGET:g} s",
        len(done) == EXPORTS and len(during) > 0 and p95 <= TARGET,
    )
