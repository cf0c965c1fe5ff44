"""Fixtures. Integration fixtures start real processes (redis-server, the simulator, a Celery
worker) on free loopback ports; nothing here talks to anything outside this machine."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.test.utils import override_settings

from tests import support
from tests.browser import browser  # noqa: F401 - a fixture, registered by import
from tests.factories import UserFactory
from tests.inprocess import sim  # noqa: F401 - a fixture, registered by import

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs a loop


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture
def other_user(db):
    return UserFactory()


@pytest.fixture
def local_media(settings, tmp_path) -> Path:
    """Local file storage in a fresh folder for this test; returns the folder."""
    root = tmp_path / "media"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(root), "base_url": None},
        },
    }
    return root


@pytest.fixture
def clean_tmp(tmp_path, monkeypatch) -> Path:
    """Point temporary files at an empty folder so leftovers can be counted."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


@pytest.fixture
def no_broker(monkeypatch) -> list:
    """Record what would be published instead of publishing it."""
    from generations import scheduling

    published: list = []
    monkeypatch.setattr(scheduling, "publish", lambda pk, action, delay: published.append(pk))
    return published


@pytest.fixture
def published(monkeypatch) -> list:
    """Record the (name, args) of every task published by name instead of publishing it."""
    from generations import scheduling

    sent: list = []
    monkeypatch.setattr(
        scheduling, "publish_task", lambda name, *args, **kw: sent.append((name, args)) or True
    )
    return sent


@pytest.fixture(scope="session")
def proc_logs(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("proc-logs")


@pytest.fixture(scope="session")
def redis_url(proc_logs) -> Iterator[str]:
    """A private redis-server; the in-process Celery app publishes to it."""
    from studio.celery import app

    proc, url = support.start_redis(proc_logs)
    previous = app.conf.broker_url
    support.point_celery_at(app, url)
    yield url
    support.point_celery_at(app, previous)
    proc.stop()


@pytest.fixture(scope="session")
def simulator_url(proc_logs) -> Iterator[str]:
    proc, url = support.start_simulator(proc_logs)
    yield url
    proc.stop()


@pytest.fixture(scope="session")
def media_root(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("media")


@pytest.fixture(scope="session")
def stack(
    django_db_setup,
    django_db_blocker,
    redis_url,
    simulator_url,
    media_root,
    proc_logs,
    live_server,
):
    """The whole pipeline: this process (web) + a real Celery worker + Redis + simulator.

    Tests using it need ``transactional_db`` so the worker sees committed rows.
    """
    overrides = override_settings(
        SEEDANCE_BASE_URL=simulator_url,
        SEEDANCE_API_KEY=support.SIM_KEY,
        SEEDANCE_RESULT_HOSTS=["127.0.0.1", "localhost"],
        STUDIO_PUBLIC_URL=live_server.url,
        REDIS_URL=redis_url,
        MEDIA_ROOT=media_root,
        STORAGES={
            "default": {
                "BACKEND": "django.core.files.storage.FileSystemStorage",
                "OPTIONS": {"location": str(media_root), "base_url": None},
            },
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        },
    )
    overrides.enable()
    with django_db_blocker.unblock():
        database_url = support.database_url_for_current_test_db()
    env = support.worker_env(
        database_url=database_url,
        redis_url=redis_url,
        seedance_url=simulator_url,
        media_root=str(media_root),
    )
    # The worker builds reference URLs; the simulator fetches them from the live server.
    env["STUDIO_PUBLIC_URL"] = live_server.url
    worker = support.start_worker(proc_logs, env)
    yield {"worker": worker, "env": env, "simulator": simulator_url, "redis": redis_url}
    worker.stop()
    overrides.disable()


@pytest.fixture
def exporter(stack, proc_logs) -> Iterator[support.Proc]:
    """The ``exports`` queue's worker (the Procfile's ``exporter``) beside the stack's;
    per test, so a test can show what happens before it starts."""
    env = {**stack["env"], "EXPORT_LEASE_SECONDS": "30"}
    worker = support.start_worker(proc_logs, env, "exporter", queues="exports", concurrency=1)
    yield worker
    worker.stop()


@pytest.fixture
def sim_stats(simulator_url):
    import requests

    def read() -> dict:
        return requests.get(f"{simulator_url}/_sim/stats", timeout=5).json()

    return read
