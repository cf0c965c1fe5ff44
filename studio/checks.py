"""System checks: configuration mistakes caught when the studio starts (``manage.py
check``, ``migrate`` and ``runserver`` run them), each with an id and a hint."""

from __future__ import annotations

import ipaddress
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register

SIMULATOR_KEY = "sk-local-simulator"


def _is_loopback(url: str) -> bool:
    host = (urlsplit(url).hostname or "").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@register(Tags.compatibility)
def check_upstream(app_configs: Any = None, **kwargs: Any) -> list[Warning]:
    """With DEBUG off the studio is meant to be real: the local simulator's key or address
    there means every generation goes nowhere, or the provider cannot fetch references."""
    if settings.DEBUG:
        return []
    found = []
    if settings.SEEDANCE_API_KEY == SIMULATOR_KEY:
        found.append(
            Warning(
                "SEEDANCE_API_KEY is the local simulator's key while DEBUG is off.",
                hint="Set SEEDANCE_API_KEY to your provider key.",
                id="studio.W001",
            )
        )
    if _is_loopback(settings.SEEDANCE_BASE_URL):
        found.append(
            Warning(
                f"SEEDANCE_BASE_URL ({settings.SEEDANCE_BASE_URL}) is a loopback address "
                "while DEBUG is off.",
                hint="Set SEEDANCE_BASE_URL to the provider's gateway.",
                id="studio.W002",
            )
        )
    if not settings.USE_S3 and _is_loopback(settings.STUDIO_PUBLIC_URL):
        found.append(
            Warning(
                f"STUDIO_PUBLIC_URL ({settings.STUDIO_PUBLIC_URL}) is a loopback address "
                "while DEBUG is off and media is stored locally: the provider cannot fetch "
                "reference files from it.",
                hint="Set STUDIO_PUBLIC_URL to the studio's public https address.",
                id="studio.W003",
            )
        )
    if settings.SEEDANCE_RESULT_ALLOW_LOOPBACK:
        found.append(
            Warning(
                "SEEDANCE_RESULT_ALLOW_LOOPBACK is on while DEBUG is off: result links may "
                "point at this machine's own ports over plain http.",
                hint="Unset SEEDANCE_RESULT_ALLOW_LOOPBACK; only the local simulator needs it.",
                id="studio.W004",
            )
        )
    return found


@register(Tags.compatibility)
def check_broker_timing(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    """Redis redelivers a message not acknowledged within its visibility timeout; a
    countdown or a running task that long would run twice (a poll is harmless, a paid
    submit is not), so both together stay below half of it."""
    from generations.scheduling import MAX_COUNTDOWN

    found = []
    timeout = settings.REDIS_VISIBILITY_TIMEOUT
    longest = MAX_COUNTDOWN + settings.CELERY_TASK_TIME_LIMIT
    if longest >= timeout / 2:
        found.append(
            Error(
                f"The longest countdown plus the task time limit ({longest:.0f} s) is not "
                f"below half the broker's visibility timeout ({timeout} s).",
                hint="Lower CELERY_TASK_TIME_LIMIT or raise REDIS_VISIBILITY_TIMEOUT.",
                id="studio.E001",
            )
        )
    transport = settings.CELERY_BROKER_TRANSPORT_OPTIONS.get("visibility_timeout")
    if transport != timeout:
        found.append(
            Error(
                f"CELERY_BROKER_TRANSPORT_OPTIONS' visibility_timeout ({transport}) differs "
                f"from REDIS_VISIBILITY_TIMEOUT ({timeout}).",
                hint="Set the timeout once, in REDIS_VISIBILITY_TIMEOUT.",
                id="studio.E002",
            )
        )
    return found


@register(Tags.security)
def check_proxies(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    if settings.STUDIO_TRUSTED_PROXY_COUNT < 0:
        return [
            Error(
                "STUDIO_TRUSTED_PROXY_COUNT is negative.",
                hint="Use 0 (no proxy) or the number of proxies in front of the studio.",
                id="studio.E003",
            )
        ]
    return []
