"""System checks fire on configuration mistakes, and the shipped configurations pass."""

from __future__ import annotations

import subprocess
import sys

import pytest
from django.core import checks
from django.core.management import call_command

from generations import scheduling
from studio.checks import check_broker_timing, check_proxies, check_upstream
from tests.support import ROOT
from tests.test_deploy import PRODUCTION, manage


def ids(found) -> set[str]:
    return {message.id for message in found}


@pytest.fixture
def production(settings):
    settings.DEBUG = False
    settings.SEEDANCE_API_KEY = "sk-live-example"
    settings.SEEDANCE_BASE_URL = "https://gateway.example.com"
    settings.STUDIO_PUBLIC_URL = "https://studio.example.com"
    settings.USE_S3 = False
    settings.SEEDANCE_RESULT_ALLOW_LOOPBACK = False
    return settings


def test_a_production_configuration_passes(production):
    assert check_upstream() == []
    assert check_broker_timing() == []
    assert check_proxies() == []


@pytest.mark.parametrize(
    ("setting", "value", "check_id"),
    [
        ("SEEDANCE_API_KEY", "sk-local-simulator", "studio.W001"),
        ("SEEDANCE_BASE_URL", "http://127.0.0.1:8001", "studio.W002"),
        ("SEEDANCE_BASE_URL", "http://localhost:8001", "studio.W002"),
        ("SEEDANCE_BASE_URL", "http://[::1]:8001", "studio.W002"),
        ("STUDIO_PUBLIC_URL", "http://127.0.0.1:8000", "studio.W003"),
        ("SEEDANCE_RESULT_ALLOW_LOOPBACK", True, "studio.W004"),
    ],
)
def test_local_upstream_settings_warn_with_debug_off(production, setting, value, check_id):
    setattr(production, setting, value)
    found = check_upstream()
    assert ids(found) == {check_id}
    assert all(message.hint for message in found)
    production.DEBUG = True  # make run: the simulator is the point
    assert check_upstream() == []


def test_a_public_url_on_loopback_is_fine_with_s3(production):
    production.STUDIO_PUBLIC_URL = "http://127.0.0.1:8000"
    production.USE_S3 = True  # references go to the provider as presigned S3 links
    assert check_upstream() == []


def test_countdowns_must_stay_below_the_visibility_timeout(production, monkeypatch):
    production.CELERY_TASK_TIME_LIMIT = 3000  # 300 s countdown + 3000 s > 3600 / 2
    assert ids(check_broker_timing()) == {"studio.E001"}
    production.CELERY_TASK_TIME_LIMIT = 600
    monkeypatch.setattr(scheduling, "MAX_COUNTDOWN", 1500.0)
    assert ids(check_broker_timing()) == {"studio.E001"}


def test_the_visibility_timeout_is_set_once(production):
    production.CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 43200}
    assert ids(check_broker_timing()) == {"studio.E002"}


def test_a_negative_proxy_count_is_an_error(production):
    production.STUDIO_TRUSTED_PROXY_COUNT = -1
    assert ids(check_proxies()) == {"studio.E003"}


def test_the_checks_are_registered_and_the_test_settings_pass(db):
    call_command("check", fail_level="WARNING")  # raises SystemCheckError otherwise
    assert {check_upstream, check_broker_timing, check_proxies} <= set(
        checks.registry.registry.get_checks()
    )


def test_manage_check_reports_the_simulator_key_in_production():
    env = {k: v for k, v in PRODUCTION.items() if k != "SEEDANCE_API_KEY"}
    result = manage("check", "--deploy", env=env)
    assert "studio.W001" in result.stdout + result.stderr


def test_make_run_settings_pass_the_checks():
    """make run: DEBUG on, the simulator, no other environment."""
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--fail-level", "WARNING"],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "DEBUG": "1", "DJANGO_SETTINGS_MODULE": "studio.settings"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
