"""Read-side queries for the gallery: filters, search and keyset pages, in a constant
number of SQL queries whatever the page size."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import connection
from django.db.models import Q, QuerySet
from django.http import QueryDict
from django.utils import timezone

from generations.models import TERMINAL, Generation, Status, shared_at

PAGE_SIZE = 24
LIVE_BATCH = 48  # cards in one live-refresh response at most
# What a gallery card shows (templates/generations/gallery.html#card_html). Loading only
# these skips the file, upstream and bookkeeping columns of every row on every page.
CARD_FIELDS = (
    "id",
    "user_id",
    "mode",
    "model",
    "prompt",
    "duration",
    "aspect_ratio",
    "estimated_cost",
    "starred",
    "shared_until",
    "group",
    "status",
    "progress",
    "error_message",
    "created_at",
    "updated_at",
    "finished_at",
)
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
    return queryset.only(*CARD_FIELDS).order_by("-created_at", "-id")


@dataclass(frozen=True)
class Page:
    """One keyset page of cards. ``html_key`` names its HTML by every card's id, last
    change and share state; it is empty while a card runs (its text changes with time)."""

    queryset: QuerySet[Generation]
    ids: list[Any]
    next_cursor: str
    html_key: str

    def cards(self) -> QuerySet[Generation]:
        """The cards themselves: read (and even built) only when the page's HTML is not in
        the fragment cache; a template calls this."""
        return self.queryset.filter(pk__in=self.ids)


def page(queryset: QuerySet[Generation], cursor: str) -> Page:
    """One keyset page after ``cursor`` ("<microseconds>_<id>"), and the next cursor."""
    if cursor:
        try:
            micros, _, pk = cursor.partition("_")
            created = _EPOCH + int(micros) * _MICRO
            queryset = queryset.filter(Q(created_at__lt=created) | Q(created_at=created, id__lt=pk))
        except (ValueError, TypeError):
            pass
    rows = list(
        queryset.values_list("pk", "created_at", "updated_at", "status", "shared_until")[
            : PAGE_SIZE + 1
        ]
    )
    now = timezone.now()
    keys = [(pk, c, u, st, shared_at(until, now)) for pk, c, u, st, until in rows[:PAGE_SIZE]]
    next_cursor = ""
    if len(rows) > PAGE_SIZE:
        pk, created_at = keys[-1][:2]
        next_cursor = f"{(created_at - _EPOCH) // _MICRO}_{pk}"
    finished = all(status in TERMINAL for _, _, _, status, _ in keys)
    html_key = ""
    if keys and finished:
        html_key = hashlib.sha256(repr((keys, next_cursor)).encode()).hexdigest()
    return Page(queryset, [row[0] for row in keys], next_cursor, html_key)


def running_count(user: Any) -> int:
    return Generation.objects.filter(
        user=user, status__in=[Status.QUEUED, Status.SUBMITTING, Status.RUNNING, Status.SAVING]
    ).count()
