"""Liveness and readiness for load balancers and orchestrators.

``GET /healthz`` is liveness: the process answers, nothing else is touched, so a slow
database or provider never gets a healthy web process restarted. ``GET /readyz`` is
readiness: the database, the broker, storage and the provider's acceptance of our key,
200 when every critical check passes and 503 otherwise. Answers name each component
"ok", "degraded" or "failing" with a plain message, never an exception's type or text
(they can carry hosts, paths or credentials).

Both are answered by ``HealthCheckMiddleware`` ahead of the host check and the HTTPS
redirect, so a load balancer probing a backend's address over plain HTTP gets them.
A new check is a ``Check`` in ``readiness_checks()``; ``critical=False`` makes a failure
"degraded" (reported, still 200), e.g. "the provider refused our polls recently".
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import redis
from django.conf import settings
from django.core.files.storage import default_storage
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from generations.selectors import provider_problem_summary
from studiolib.seedance import SeedanceClient

logger = logging.getLogger(__name__)

HEALTH_PATHS = frozenset({"/healthz", "/readyz"})
# The provider check makes a request upstream: a load balancer probing every few seconds
# from every web process must not turn into a stream of provider calls.
PROVIDER_CHECK_SECONDS = 30.0


class Failing(Exception):
    """Raised by a check, with the message shown to whoever reads the readiness answer."""


@dataclass(frozen=True)
class Check:
    name: str
    run: Callable[[], None]  # returns when fine; raises ``Failing`` or anything else
    failing_message: str  # shown when ``run`` raised something other than ``Failing``
    critical: bool = True


def _database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def _broker() -> None:
    client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1)
    try:
        client.ping()
    finally:
        client.close()


def _storage() -> None:
    default_storage.exists("healthz-probe")


_provider_cache: dict[tuple[str, str], tuple[float, str]] = {}
_provider_lock = threading.Lock()


def _provider() -> None:
    key = (settings.SEEDANCE_BASE_URL, settings.SEEDANCE_API_KEY)
    with _provider_lock:
        checked_at, problem = _provider_cache.get(key, (-PROVIDER_CHECK_SECONDS, ""))
    if time.monotonic() - checked_at >= PROVIDER_CHECK_SECONDS:
        client = SeedanceClient(*key, timeout=(2.0, 3.0))
        try:
            problem = "" if client.key_accepted() else "the provider refused our API key"
        except Exception:
            problem = "the provider cannot be reached"
        with _provider_lock:
            _provider_cache[key] = (time.monotonic(), problem)
    if problem:
        raise Failing(problem)


def _polls() -> None:
    """Sent generations whose polls the provider refuses or leaves unanswered (a rotated
    key, a spent quota): they run and bill on, but the studio cannot see them finish."""
    problem = provider_problem_summary()
    if problem is not None:
        raise Failing(
            f"{problem.generations} running generation(s), since "
            f"{problem.since:%Y-%m-%d %H:%M} UTC: {problem.message}"
        )


def readiness_checks() -> list[Check]:
    return [
        Check("database", _database, "the database cannot be reached"),
        Check("broker", _broker, "the broker (Redis) cannot be reached"),
        Check("storage", _storage, "media storage cannot be read"),
        Check("provider", _provider, "the provider cannot be checked"),
        Check("polls", _polls, "the generations' polls cannot be checked", critical=False),
    ]


def run_checks(checks: Sequence[Check]) -> tuple[bool, dict[str, object]]:
    """Run ``checks``; return whether the service is ready and the JSON body."""
    components: dict[str, dict[str, str]] = {}
    ready, degraded = True, False
    for check in checks:
        try:
            check.run()
        except Failing as exc:
            message = str(exc)
        except Exception:
            # Logged for operators; the answer itself carries only the plain message.
            logger.exception("readiness check %s failed", check.name)
            message = check.failing_message
        else:
            components[check.name] = {"status": "ok", "message": ""}
            continue
        components[check.name] = {
            "status": "failing" if check.critical else "degraded",
            "message": message,
        }
        ready = ready and not check.critical
        degraded = True
    status = "ok" if not degraded else ("degraded" if ready else "failing")
    return ready, {"status": status, "components": components}


@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness: this process serves requests. No database, broker or network call."""
    return JsonResponse({"status": "ok"})


@never_cache
@require_safe
def readyz(request: HttpRequest) -> JsonResponse:
    ready, body = run_checks(readiness_checks())
    return JsonResponse(body, status=200 if ready else 503)
