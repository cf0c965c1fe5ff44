"""A thousand generations in flight at once, live, against the simulator at real speed
(30 s to 5 min by tier and duration; stock clips, so rendering is not the bottleneck),
200 users with 5 each (the per-user in-flight limit's default):

- one Celery worker with 2 processes (and beat, as in the Procfile) keeps them on
  schedule: p95 lateness of each upstream poll against the time it was scheduled for,
  and the worker's RSS sampled throughout;
- upstream polls per generation, from the simulator's counters;
- finish → playable: the simulator's finish time against the moment a card turns into
  a video in a real Chromium gallery. Four of the users watch during the fleet, then
  make five more clips each with nothing else running (typical load, the figure).
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests
from django.contrib.auth import get_user_model
from django.test import override_settings

from benchmarks.browser import PASSWORD, login
from benchmarks.server import children, gunicorn, rss_kb
from generations.forms import form_for
from generations.models import TERMINAL, Generation, Status
from tests import support
from tests.browser import CHROMIUM, CHROMIUM_ARGS
from tests.factories import create_from_form

USERS = int(os.environ.get("BENCH_FLEET_USERS", "200"))
PER_USER = 5
WATCHED = 4
# Records, in each watched page, when every card first shows a finished video.
OBSERVER = """() => {
window.__playable = {};
const seen = () => document.querySelectorAll('article.card[data-status="succeeded"]').forEach(
  (card) => { window.__playable[card.id.slice(5)] ??= Date.now() / 1000; });
new MutationObserver(seen).observe(document, {subtree: true, childList: true});
seen();
}"""


def _rss_mb(pid: int) -> float:
    """The worker's main process and its pool processes together."""
    return sum(rss_kb(each) for each in [pid, *children(pid)]) / 1024


def fleet_users(count: int = USERS) -> list:
    model = get_user_model()
    users = []
    for i in range(count):
        user, _ = model.objects.get_or_create(username=f"fleet{i:03d}")
        if i < WATCHED:
            user.set_password(PASSWORD)
            user.save()
        users.append(user)
    return users


def create_clips(users: list, per_user: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    tiers = [value for value, _ in form_for("text")().fields["model"].choices]
    made = []
    for user in users:
        for n in range(per_user):
            data = {
                "mode": "text",
                "model": rng.choice(tiers),
                "prompt": f"fleet {user.username} clip {seed}-{n}",
                "duration": str(rng.randint(5, 15)),
                "aspect_ratio": rng.choice(["16:9", "9:16", "1:1"]),
            }
            made.append(str(create_from_form(form_for("text")(data), user).pk))
    return made


def _watch(browser: Any, base: str, users: list) -> list:
    pages = []
    for user in users:
        page = browser.new_context().new_page()
        login(page, base, user.username)
        page.evaluate(OBSERVER)
        pages.append(page)
    return pages


def _drain(ids: list[str], pages: list, sample: Callable[[], None]) -> dict[str, float]:
    """Wait until every generation in ``ids`` has ended; when each card became playable."""
    pending = Generation.objects.filter(pk__in=ids).exclude(status__in=TERMINAL)
    deadline = time.monotonic() + 15 * 60
    while time.monotonic() < deadline and pending.exists():
        sample()
        pages[0].wait_for_timeout(2000)  # lets every page's htmx run meanwhile
    pages[0].wait_for_timeout(6000)  # the last cards' refresh
    playable: dict[str, float] = {}
    for page in pages:
        playable.update(page.evaluate("window.__playable"))
    return playable


def read_lateness(prefix: Path) -> list[tuple[float, float]]:
    """(when the poll started, how late it was) from fleet_worker's per-process logs."""
    found = []
    for path in prefix.parent.glob(f"{prefix.name}.*"):
        for line in path.read_text().splitlines():
            at, late = line.split()
            found.append((float(at), max(0.0, float(late))))
    return found


def _p50_p95(values: list[float]) -> str:
    values = sorted(values)
    if not values:
        return "none"
    return f"{statistics.median(values):.1f} s / {values[int(len(values) * 0.95)]:.1f} s"


def stack(logs: Path) -> tuple[Any, str, Any, str, dict[str, str], list[str]]:
    """The simulator at real speed with stock clips and a Redis of its own (each process and
    its URL), the workers' environment with the production poll schedule and sweep (not the
    tests' fast ones) and a lateness log in ``logs``, and the Celery command line of the
    instrumented worker app (benchmarks/fleet_worker.py)."""
    sim, sim_url = support.start_simulator(logs, SIMULATOR_SPEED="1", SIMULATOR_STOCK="1")
    redis, redis_url = support.start_redis(logs)
    env = support.worker_env(
        database_url=os.environ["DATABASE_URL"],
        redis_url=redis_url,
        seedance_url=sim_url,
        media_root=os.environ["MEDIA_ROOT"],
    )
    for name in ("SEEDANCE_POLL_MIN_SECONDS", "SEEDANCE_POLL_MAX_SECONDS"):
        env.pop(name)
    env.pop("SEEDANCE_SWEEP_SECONDS")
    env["BENCH_LATENESS_LOG"] = str(logs / "lateness")
    celery = [sys.executable, "-m", "celery", "-A", "benchmarks.fleet_worker"]
    return sim, sim_url, redis, redis_url, env, celery


def figures(report: Callable[..., None], work: Path) -> None:
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the ORM calls made meanwhile
    # are still plain synchronous calls, so Django's async-context guard does not apply.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    logs = work / "fleet"
    logs.mkdir(exist_ok=True)
    sim, sim_url, redis, redis_url, env, celery = stack(logs)
    worker = support.Proc(
        "fleet-worker",
        [*celery, "worker", "--concurrency", "2", "--loglevel", "WARNING"],
        env,
        logs,
    )
    beat = support.Proc(
        "fleet-beat", [*celery, "beat", "--schedule", str(logs / "beat")], env, logs
    )
    os.environ.update(REDIS_URL=redis_url, SEEDANCE_BASE_URL=sim_url)
    from studio.celery import app

    support.point_celery_at(app, redis_url)
    users = fleet_users()
    settings = override_settings(
        SEEDANCE_BASE_URL=sim_url, STUDIO_MAX_SPEND_PER_DAY=0, STUDIO_MAX_SPEND_PER_MONTH=0
    )
    rss: list[float] = []
    try:
        with settings, gunicorn(workers=2, debug=True) as (port, _), sync_playwright() as pw:
            base = f"http://127.0.0.1:{port}"
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            # 1. The fleet: a thousand at once, four of their owners watching.
            start = time.monotonic()
            fleet = create_clips(users, PER_USER, seed=11)
            created = time.monotonic() - start
            pages = _watch(browser, base, users[:WATCHED])
            under_load = _drain(fleet, pages, lambda: rss.append(_rss_mb(worker.popen.pid)))
            # 2. Typical use: the same four make five clips each with nothing else running.
            typical = create_clips(users[:WATCHED], PER_USER, seed=12)
            for page in pages:
                page.reload()
                page.evaluate(OBSERVER)
            shown = _drain(typical, pages, lambda: None)
            browser.close()
    finally:
        worker.stop()
        beat.stop()
        sim_stats = requests.get(f"{sim_url}/_sim/stats", timeout=10).json()
        sim.stop()
        redis.stop()

    finish = sim_stats["done_at"]
    rows = {
        str(pk): (status, task, finished)
        for pk, status, task, finished in Generation.objects.filter(
            pk__in=fleet + typical
        ).values_list("id", "status", "upstream_task_id", "finished_at")
    }

    def stored(ids: list[str]) -> list[float]:
        return [
            rows[pk][2].timestamp() - finish[rows[pk][1]]
            for pk in ids
            if rows[pk][0] == Status.SUCCEEDED
        ]

    def playable(ids: list[str], seen: dict[str, float]) -> list[float]:
        return [seen[pk] - finish[rows[pk][1]] for pk in ids if pk in seen]

    succeeded = sum(rows[pk][0] == Status.SUCCEEDED for pk in fleet)
    lateness = sorted(late for _, late in read_lateness(logs / "lateness"))
    p95_late = lateness[int(len(lateness) * 0.95)] if lateness else float("inf")
    (logs / "worker-rss.txt").write_text("\n".join(f"{mb:.1f}" for mb in rss))
    third = max(1, len(rss) // 3)
    early, late = max(rss[:third]), max(rss[-third:])
    report(
        "in_flight_1000_one_worker_on_schedule",
        f"{len(fleet)} generations ({succeeded} succeeded) created in {created:.0f} s; "
        f"poll lateness p95 {p95_late:.2f} s, max {max(lateness, default=0):.1f} s over "
        f"{len(lateness)} polls; worker RSS {early:.0f} MB → {late:.0f} MB (first vs last "
        f"third); finish → stored {_p50_p95(stored(fleet))} under this load",
        "p95 poll lateness ≤ 2 s, worker RSS flat",
        succeeded == len(fleet) and p95_late <= 2 and late <= early * 1.1,
    )

    polls = [sim_stats["polls_by_task"].get(rows[pk][1], 0) for pk in fleet]
    report(
        "upstream_polls_per_generation_median",
        f"{statistics.median(polls):.0f} (max {max(polls)}, {len(polls)} generations, live)",
        "≤ 6",
        statistics.median(polls) <= 6,
    )

    seen = sorted(playable(typical, shown))
    median = statistics.median(seen) if seen else float("inf")
    p95 = seen[int(len(seen) * 0.95)] if seen else float("inf")
    report(
        "finish_to_playable_median_p95",
        f"{median:.1f} s / {p95:.1f} s ({len(seen)} of {len(typical)} cards watched in "
        f"Chromium, typical load; with the 1,000 in flight: "
        f"{_p50_p95(playable(fleet, under_load))})",
        "≤ 3 s / ≤ 6 s",
        len(seen) == len(typical) and median <= 3 and p95 <= 6,
    )
