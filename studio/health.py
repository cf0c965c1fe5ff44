"""``GET /healthz``: the state of the database, the broker and storage; 200 only when all
are up, so a load balancer or orchestrator can act on it."""

from __future__ import annotations

import redis
from django.conf import settings
from django.core.files.storage import default_storage
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET


def _check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def _check_broker() -> None:
    client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1)
    try:
        client.ping()
    finally:
        client.close()


def _check_storage() -> None:
    default_storage.exists("healthz-probe")


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    checks = {"database": _check_database, "broker": _check_broker, "storage": _check_storage}
    state: dict[str, str] = {}
    for name, check in checks.items():
        try:
            check()
            state[name] = "ok"
        except Exception as exc:  # any failure means "down"; the type helps operators
            state[name] = f"down ({type(exc).__name__})"
    healthy = all(value == "ok" for value in state.values())
    return JsonResponse(
        {"status": "ok" if healthy else "degraded", **state}, status=200 if healthy else 503
    )
