"""Real processes for the integration tests: redis-server, the simulator and a Celery worker,
each on a free loopback port, started and stopped by the fixtures in conftest.py."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
SIM_KEY = "sk-test-key-e2e"  # the only key the test simulator accepts


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(check: Callable[[], bool], timeout: float, what: str, interval: float = 0.1) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except Exception:  # noqa: S110 - not up yet
            pass
        time.sleep(interval)
    raise TimeoutError(f"timed out after {timeout}s waiting for {what}")


class Proc:
    """A child process in its own process group, with its output in a log file."""

    def __init__(self, name: str, args: list[str], env: dict[str, str], log_dir: Path) -> None:
        self.name = name
        self.log_path = log_dir / f"{name}.log"
        self._log = self.log_path.open("ab")
        self.popen = subprocess.Popen(
            args,
            cwd=ROOT,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def alive(self) -> bool:
        return self.popen.poll() is None

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 15) -> None:
        if self.alive():
            try:
                os.killpg(self.popen.pid, sig)
                self.popen.wait(timeout)
            except (subprocess.TimeoutExpired, ProcessLookupError):
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait(5)
        self._log.close()

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")


def start_redis(log_dir: Path, port: int | None = None) -> tuple[Proc, str]:
    """A private, empty redis-server (on ``port``, or a free one)."""
    port = port or free_port()
    proc = Proc(
        f"redis-{port}",
        [
            "redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ],
        dict(os.environ),
        log_dir,
    )
    import redis

    wait_for(lambda: redis.Redis(port=port).ping(), 10, "redis-server")
    return proc, f"redis://127.0.0.1:{port}/0"


def start_simulator(log_dir: Path, **env_overrides: str) -> tuple[Proc, str]:
    port = free_port()
    env = {**os.environ, "SIMULATOR_SPEED": "60", "SIMULATOR_API_KEY": SIM_KEY, **env_overrides}
    proc = Proc(
        f"simulator-{port}",
        [sys.executable, "-m", "simulator", "--host", "127.0.0.1", "--port", str(port)],
        env,
        log_dir,
    )
    url = f"http://127.0.0.1:{port}"
    wait_for(lambda: requests.get(f"{url}/_sim/stats", timeout=1).ok, 20, "the simulator")
    return proc, url


def worker_env(*, database_url: str, redis_url: str, seedance_url: str, media_root: str) -> dict:
    from django.conf import settings

    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "studio.settings_test",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "SEEDANCE_BASE_URL": seedance_url,
        "SEEDANCE_API_KEY": SIM_KEY,
        "MEDIA_ROOT": media_root,
        # The same key as this process, so URLs signed by the worker verify in the web tier.
        "SECRET_KEY": settings.SECRET_KEY,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DEBUG": "0",
        "SEEDANCE_POLL_MIN_SECONDS": "0.3",
        "SEEDANCE_POLL_MAX_SECONDS": "1",
        "SEEDANCE_SWEEP_SECONDS": "2",
        # Results come from the simulator on loopback over http (a local stand-in for the
        # provider's CDN); production refuses both.
        "SEEDANCE_RESULT_ALLOW_LOOPBACK": "1",
        # Webhook retries a test can wait for (production starts at 10 s).
        "WEBHOOK_RETRY_SECONDS": "0.5",
    }


def start_worker(
    log_dir: Path,
    env: dict[str, str],
    name: str = "worker",
    *,
    queues: str = "",
    concurrency: int = 2,
) -> Proc:
    """A Celery worker; ``queues`` as for ``-Q`` (the exporter: "exports"), else the
    default queue, as the Procfile's ``worker``."""
    proc = Proc(
        name,
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "studio",
            "worker",
            "--loglevel",
            "INFO",
            "--concurrency",
            str(concurrency),
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
            "-n",
            f"{name}-{free_port()}@%h",
            *(["-Q", queues] if queues else []),
        ],
        env,
        log_dir,
    )
    wait_for(lambda: "ready." in proc.output() or not proc.alive(), 60, "the celery worker")
    if not proc.alive():
        raise RuntimeError(f"celery worker died:\n{proc.output()[-3000:]}")
    return proc


def database_url_for_current_test_db() -> str:
    """The DATABASE_URL of the test database pytest-django created, for subprocesses."""
    from django.db import connection

    cfg = connection.settings_dict
    if cfg["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{cfg['NAME']}"
    user = cfg.get("USER") or ""
    auth = f"{user}:{cfg['PASSWORD']}@" if cfg.get("PASSWORD") else (f"{user}@" if user else "")
    host = cfg.get("HOST") or "127.0.0.1"
    port = cfg.get("PORT") or 5432
    return f"postgres://{auth}{host}:{port}/{cfg['NAME']}"


def point_celery_at(app, url: str) -> None:
    """Make this process's Celery app publish to ``url`` (a private test redis-server)."""
    from kombu import pools

    app.conf.broker_url = url
    # Celery and kombu cache connection and producer pools per broker; start afresh.
    app._pool = None
    app.amqp._producer_pool = None
    pools.reset()
