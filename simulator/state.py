"""The simulator's tasks and how it reports them: the task clock, per-task outcomes, purging
after the retention period, and the three response dialects (docs/provider.md, "Dialects").
"""

from __future__ import annotations

import random
import shutil
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from simulator import render
from simulator.config import Config
from simulator.rules import Spec

QUEUE_SECONDS = 6.0
STOCK_SIZE = {"16:9": (320, 180), "9:16": (180, 320), "1:1": (240, 240)}
# What the provider really does, on unless a test switches it off (docs/provider.md,
# "Refused polls"): a fresh task is unknown to the query endpoint for a few seconds.
DEFAULT_FAULTS = {"poll_not_exist_after_create_seconds": 3.0}
# Moderation codes as each dialect spells them: Ark adds a sub-reason after a dot.
MODERATION = {
    "moderate": ("OutputVideoSensitiveContentDetected", ".PrivacyInformation"),
    "moderate_audio": ("OutputAudioSensitiveContentDetected", ""),
}


@dataclass
class Task:
    id: str
    spec: Spec
    seed: int
    created: float
    run_seconds: float
    token: str
    folder: Path | None = None
    rendered: threading.Event = field(default_factory=threading.Event)
    render_error: str = ""
    video: Path | None = None
    last_frame: Path | None = None
    completed_at: float | None = None
    rendered_at: float = 0.0
    outcome: str = "ok"  # ok | fail | moderate | moderate_audio | expire
    expire_early: bool = False
    usage_tokens: int | None = None
    withhold_url: bool = False  # the first "completed" answer comes without any URL
    last_frame_fails: bool = False
    redirect: bool = False  # the result link is on the API host, which 302s to the CDN


@dataclass(frozen=True)
class Report:
    """A task's state in the simulator's own terms, before a dialect shapes it."""

    phase: str  # queued | running | completed | failed | expired
    progress: int
    video_url: str = ""
    last_frame_url: str = ""
    error: tuple[str, str] | None = None


class State:
    def __init__(self, config: Config) -> None:
        self.config = config
        self.lock = threading.Lock()
        self.tasks: dict[str, Task] = {}
        self.by_token: dict[str, Task] = {}
        self.set_faults(config.faults)
        self.pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="render")
        self.stock_lock = threading.Lock()
        self.stock: dict[tuple[object, ...], tuple[Path, Path | None]] = {}
        self.cdn_url = ""  # set by the server once the CDN listens
        self.reset_stats()

    def set_faults(self, faults: dict[str, Any]) -> None:
        """Fault rates, plus ``"dialect"`` to switch the answer shape while running."""
        self.faults: dict[str, Any] = {**DEFAULT_FAULTS, **faults}
        self.random = random.Random(self.faults.get("seed"))
        self.dialect = str(self.faults.get("dialect") or self.config.dialect)

    def stock_clip(self, spec: Spec) -> tuple[Path, Path | None]:
        """A small stand-in of the right duration, rendered once per shape and reused."""
        key = (spec.duration, spec.aspect_ratio, spec.generate_audio, spec.return_last_frame)
        with self.stock_lock:
            if key not in self.stock:
                width, height = STOCK_SIZE[spec.aspect_ratio]
                small = replace(spec, width=width, height=height, prompt="stock", watermark=False)
                folder = self.config.data_dir / "stock" / "-".join(map(str, key)).replace(":", "x")
                folder.mkdir(parents=True, exist_ok=True)
                self.stock[key] = render.render(small, render.Inputs(), 0, folder)
            return self.stock[key]

    def reset_stats(self) -> None:
        self.stats: dict[str, Any] = {
            "creates_total": 0,
            "creates_by_prompt": {},
            "accepted_total": 0,
            "accepted_by_prompt": {},
            "polls_total": 0,
            "polls_by_task": {},
            "downloads_total": 0,
            "connections_total": 0,
            "cdn_requests_total": 0,
            "redirects_total": 0,
            "purged_total": 0,
        }

    def roll(self, name: str) -> bool:
        rate = float(self.faults.get(name, 0) or 0)
        with self.lock:
            return rate > 0 and self.random.random() < rate

    def finishes_after(self, task: Task) -> float:
        """Seconds from creation to the upstream finish (queue wait plus run time)."""
        return (QUEUE_SECONDS + task.run_seconds) / self.config.speed

    def not_visible_yet(self, task: Task, now: float) -> bool:
        """Right after a create the query endpoint does not know the task yet."""
        seconds = float(self.faults.get("poll_not_exist_after_create_seconds", 0) or 0)
        return now - task.created < seconds / self.config.speed

    def purge(self, now: float) -> None:
        """Forget tasks the retention period after they ended, files included, as the
        provider does after about 7 days (docs/provider.md, "Retention")."""
        cutoff = now - self.config.retention_seconds
        with self.lock:
            old = [
                t
                for t in self.tasks.values()
                if t.rendered.is_set()
                and max(t.created + self.finishes_after(t), t.rendered_at) < cutoff
            ]
            for task in old:
                del self.tasks[task.id]
                self.by_token.pop(task.token, None)
                self.stats["purged_total"] += 1
        for task in old:
            if task.folder is not None:
                shutil.rmtree(task.folder, ignore_errors=True)

    def report(self, task: Task, now: float) -> Report:
        elapsed = now - task.created
        queued = QUEUE_SECONDS / self.config.speed
        done_at = self.finishes_after(task)
        if elapsed < queued:
            return Report("queued", 0)
        running = elapsed < done_at or not task.rendered.is_set()
        if running or (task.outcome == "expire" and self.dialect == "gateway"):
            # Gateways often leave an upstream "expired" unmapped: the task sits running.
            fraction = min(0.99, (elapsed - queued) / max(done_at - queued, 1e-6))
            progress = 30 if not running else [10, 30, 50, 70, 90][min(4, int(fraction * 5))]
            return Report("running", progress)
        if task.completed_at is None:
            # The real finish (or when a late render ended), not when someone looked.
            task.completed_at = max(task.created + done_at, task.rendered_at)
        if task.outcome == "expire":
            return Report("expired", 100, error=("TaskExpired", "The task expired before it ran."))
        if task.render_error or task.outcome != "ok":
            code, suffix = MODERATION.get(task.outcome, ("InternalServiceError", ""))
            message = (
                "The generated content may contain sensitive content."
                if task.outcome in MODERATION
                else "The service failed to render."
            )
            if self.dialect != "gateway":
                code += suffix
            return Report("failed", 100, error=(code, message))
        if task.withhold_url:
            task.withhold_url = False
            return Report("completed", 100)
        host = self.public_url() if task.redirect or not self.cdn_url else self.cdn_url
        base = f"{host}/files/{task.token}"
        last_frame = f"{base}/last_frame.png" if task.last_frame else ""
        return Report("completed", 100, f"{base}/video.mp4", last_frame)

    def public_url(self) -> str:
        return self.config.public_url.rstrip("/")

    def body(self, task: Task, now: float) -> dict[str, Any]:
        """The query answer in the configured dialect."""
        report = self.report(task, now)
        if self.dialect == "gateway":
            return _gateway(task, report)
        record = _ark(task, report, now)
        if self.dialect == "ark":
            return record
        # A gateway relaying Ark: an envelope, progress as "50%", the error as one string.
        record["progress"] = f"{report.progress}%"
        if report.error:
            record["error"] = f"{report.error[0]}: {report.error[1]}"
        return {"code": "success", "message": "", "data": record}


def _usage(task: Task) -> dict[str, int]:
    tokens = task.usage_tokens or 0
    return {"completion_tokens": tokens, "total_tokens": tokens}


def _gateway(task: Task, report: Report) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": task.id,
        "task_id": task.id,
        "object": "video.generation.job",
        "model": task.spec.model,
        "created_at": int(task.created),
        "status": {"running": "in_progress"}.get(report.phase, report.phase),
        "progress": report.progress,
    }
    if report.error:
        body["error"] = {"code": report.error[0], "message": report.error[1]}
    if report.phase == "completed":
        body["completed_at"] = int(task.completed_at or 0)
        body["video_url"] = report.video_url or None
        if report.last_frame_url:
            body["last_frame_url"] = report.last_frame_url
        if task.usage_tokens is not None:
            body["usage"] = _usage(task)
    return body


def _ark(task: Task, report: Report, now: float) -> dict[str, Any]:
    """Volcengine Ark's own task record (docs/provider.md, "Dialects")."""
    record: dict[str, Any] = {
        "id": task.id,
        "model": task.spec.model,
        "status": {"completed": "succeeded"}.get(report.phase, report.phase),
        "created_at": int(task.created),
        "updated_at": int(task.completed_at or now),
        "seed": task.seed,
        "ratio": task.spec.aspect_ratio,
        "duration": task.spec.duration,
    }
    if report.error:
        record["error"] = {"code": report.error[0], "message": report.error[1]}
    if report.phase == "completed":
        content = {"video_url": report.video_url} if report.video_url else {}
        if report.last_frame_url:
            content["last_frame_url"] = report.last_frame_url
        record["content"] = content
        if task.usage_tokens is not None:
            record["usage"] = _usage(task)
    return record
