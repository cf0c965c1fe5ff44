"""Settings for the test suite (pyproject.toml names this module for pytest).

Production settings (DEBUG off) with what only tests may have: a fixed secret, local
hosts, plain HTTP, fast password hashing, and their own Redis database number so they
never touch a running studio's queue. Subprocesses the tests start (Celery workers,
gunicorn) are given this module explicitly (tests/support.py).
"""

from __future__ import annotations

import os

os.environ.setdefault("SECRET_KEY", "insecure-test-key-never-use-in-production")
os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/15")
# The simulator the tests run serves results on loopback, over plain http.
os.environ.setdefault("SEEDANCE_RESULT_ALLOW_LOOPBACK", "1")

from studio.settings import *  # noqa: E402, F403

# The test client and the live server speak plain HTTP.
SECURE_PROXY_SSL_HEADER = None
SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SECURE_HSTS_SECONDS = 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = False
SECURE_HSTS_PRELOAD = False

# Fast hashing keeps user fixtures cheap.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# The tests run against the local simulator on purpose (studio/checks.py).
SILENCED_SYSTEM_CHECKS = ["studio.W001", "studio.W002", "studio.W003", "studio.W004"]
