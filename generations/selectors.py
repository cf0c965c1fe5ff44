"""Read-side queries for the gallery: filters, search and keyset pages, in a constant
number of SQL queries whatever the page size."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import connection
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import QueryDict
from django.utils import timezone

from generations.models import Generation, ShareLink, Status

PAGE_SIZE = 24
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICRO = timedelta(microseconds=1)


@dataclass(frozen=True)
class Filters:
    status: str = ""
    mode: str = ""
    model: str = ""
    aspect_ratio: str = ""
    date_from: str = ""
    date_to: str = ""
    q: str = ""
    starred: bool = False

    @classmethod
    def from_query(cls, query: QueryDict) -> Filters:
        return cls(
            status=query.get("status", ""),
            mode=query.get("mode", ""),
            model=query.get("model", ""),
            aspect_ratio=query.get("aspect_ratio", ""),
            date_from=query.get("date_from", ""),
            date_to=query.get("date_to", ""),
            q=query.get("q", "").strip()[:200],
            starred=query.get("starred") in {"1", "on", "true"},
        )

    @property
    def active(self) -> bool:
        return any(vars(self).values())


def live_share_subquery(now: datetime | None = None) -> Exists:
    now = now or timezone.now()
    return Exists(
        ShareLink.objects.filter(generation=OuterRef("pk"), revoked_at__isnull=True).filter(
            Q(expires_at__isnull=True) | Q(expires_at__gt=now)
        )
    )


def _search(queryset: QuerySet[Generation], text: str) -> QuerySet[Generation]:
    if connection.vendor == "postgresql":
        from django.contrib.postgres.search import SearchQuery, SearchVector

        return queryset.annotate(_search=SearchVector("prompt", config="simple")).filter(
            _search=SearchQuery(text, config="simple", search_type="websearch")
        )
    # SQLite fallback: every word must appear in the prompt.
    for word in text.split():
        queryset = queryset.filter(prompt__icontains=word)
    return queryset


def _parse_date(value: str) -> datetime | None:
    try:
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    except ValueError:
        return None


def gallery(user: Any, filters: Filters) -> QuerySet[Generation]:
    queryset = Generation.objects.filter(user=user)
    for field in ("status", "mode", "model", "aspect_ratio"):
        value = getattr(filters, field)
        if value:
            queryset = queryset.filter(**{field: value})
    if filters.starred:
        queryset = queryset.filter(starred=True)
    start, end = _parse_date(filters.date_from), _parse_date(filters.date_to)
    if start:
        queryset = queryset.filter(created_at__gte=start)
    if end:
        queryset = queryset.filter(created_at__lt=end + timedelta(days=1))
    if filters.q:
        queryset = _search(queryset, filters.q)
    return queryset.annotate(shared=live_share_subquery()).order_by("-created_at", "-id")


def page(queryset: QuerySet[Generation], cursor: str) -> tuple[list[Generation], str]:
    """One keyset page after ``cursor`` ("<microseconds>_<id>"), and the next cursor."""
    if cursor:
        try:
            micros, _, pk = cursor.partition("_")
            created = _EPOCH + int(micros) * _MICRO
            queryset = queryset.filter(Q(created_at__lt=created) | Q(created_at=created, id__lt=pk))
        except (ValueError, TypeError):
            pass
    rows = list(queryset[: PAGE_SIZE + 1])
    items = rows[:PAGE_SIZE]
    next_cursor = ""
    if len(rows) > PAGE_SIZE:
        last = items[-1]
        next_cursor = f"{(last.created_at - _EPOCH) // _MICRO}_{last.pk}"
    return items, next_cursor


def running_count(user: Any) -> int:
    return Generation.objects.filter(
        user=user, status__in=[Status.QUEUED, Status.SUBMITTING, Status.RUNNING, Status.SAVING]
    ).count()
