from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import connection
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from generations.models import UNFINISHED, Generation, ShareLink

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICRO = timedelta(microseconds=1)


def get_generation_for_user(request: HttpRequest, pk: object) -> Generation:
    """The one owner-scoped lookup: a generation of the logged-in user, or 404."""
    return get_object_or_404(Generation, pk=pk, user=request.user)


def get_share_for_user(request: HttpRequest, pk: object, link_id: object) -> ShareLink:
    return get_object_or_404(
        ShareLink, pk=link_id, generation__pk=pk, generation__user=request.user
    )


def micros(moment: datetime) -> int:
    return (moment - _EPOCH) // _MICRO


def from_micros(value: int) -> datetime:
    return _EPOCH + value * _MICRO


# The live token and whether anything runs, in one statement. Plain SQL because this is
# the most frequent request there is (every open gallery asks every 2.5 s), and building
# it through the ORM cost more than running it. Both parts are index lookups
# (gen_user_updated, gen_user_status), whatever the size of the history.
_LIVE_SQL = """
SELECT (SELECT MAX(updated_at) FROM {table} WHERE user_id = %s),
       EXISTS (SELECT 1 FROM {table} WHERE user_id = %s AND status IN ({statuses}))
"""


def live_context(request: HttpRequest) -> dict[str, object]:
    """The live-refresh token: the newest change among this user's generations."""
    sql = _LIVE_SQL.format(
        table=connection.ops.quote_name(Generation._meta.db_table),
        statuses=", ".join(["%s"] * len(UNFINISHED)),
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [request.user.pk, request.user.pk, *UNFINISHED])
        latest, active = cursor.fetchone()
    if isinstance(latest, str):  # SQLite hands back text
        latest = parse_datetime(latest)
    if latest is not None and timezone.is_naive(latest):
        latest = timezone.make_aware(latest, UTC)
    return {
        # Integer microseconds: exact, and safe in a URL without escaping.
        "live_version": micros(latest) if latest else 0,
        "live_active": bool(active),
        "live_seconds": settings.STUDIO_LIVE_REFRESH_SECONDS,
    }
