"""Production settings: Django's deployment checks pass, and a missing secret fails loudly."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.support import ROOT

PRODUCTION = {
    "DJANGO_SETTINGS_MODULE": "studio.settings",
    "DEBUG": "0",
    "SECRET_KEY": "k" * 20 + "Zx9!q2Lm8#Rt5$Wv1&Yb7*Nc3^Hd6@Jf4%",
    "ALLOWED_HOSTS": "studio.example.com",
    "CSRF_TRUSTED_ORIGINS": "https://studio.example.com",
    "DATABASE_URL": "sqlite:////tmp/deploy-check.sqlite3",
    "SEEDANCE_BASE_URL": "https://gateway.example.com",
    "SEEDANCE_API_KEY": "sk-live-example",
    "STUDIO_PUBLIC_URL": "https://studio.example.com",
}


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    # What the test settings put in this process's environment must not reach production.
    dropped = {
        "DEBUG",
        "SECRET_KEY",
        "ALLOWED_HOSTS",
        "DJANGO_ALLOW_ASYNC_UNSAFE",
        "REDIS_URL",
        "SEEDANCE_RESULT_ALLOW_LOOPBACK",
    }
    clean = {k: v for k, v in os.environ.items() if k not in dropped}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_check_deploy_passes_with_production_settings():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_missing_secret_key_stops_the_process():
    env = {k: v for k, v in PRODUCTION.items() if k != "SECRET_KEY"}
    result = manage("check", env=env)
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_missing_allowed_hosts_stops_the_process():
    env = {k: v for k, v in PRODUCTION.items() if k != "ALLOWED_HOSTS"}
    result = manage("check", env=env)
    assert result.returncode != 0
    assert "ALLOWED_HOSTS must be set" in result.stderr
