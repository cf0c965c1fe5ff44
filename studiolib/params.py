"""Query and form parameters read outside Django forms, parsed in one place.

The rule is the same everywhere: a value that does not parse, or lies outside what the
database and ``datetime`` can hold, is treated as absent (the gallery shows no filter, the
live refresh starts from zero, bulk actions skip it). No parameter can reach a query or a
conversion that raises, so hostile input never becomes a server error.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta

# Far enough from both ends that "the day after" and time-zone shifts stay representable.
_FIRST_DAY = date(1970, 1, 1)
_LAST_DAY = date(9998, 12, 31)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MAX_MICROS = (datetime(9999, 1, 1, tzinfo=UTC) - _EPOCH) // timedelta(microseconds=1)


def text(value: str | None, *, max_length: int) -> str:
    """Free text without NUL characters (PostgreSQL refuses them in any string)."""
    return (value or "").replace("\x00", "").strip()[:max_length]


def choice(value: str | None, allowed: Iterable[str]) -> str:
    return value if value and value in set(allowed) else ""


def iso_date(value: str | None) -> str:
    """A calendar date ``YYYY-MM-DD`` the filters can use, or ""."""
    try:
        day = date.fromisoformat(value or "")
    except ValueError:
        return ""
    return day.isoformat() if _FIRST_DAY <= day <= _LAST_DAY else ""


def micros(value: str | None) -> int:
    """A live-refresh token (microseconds since the epoch), or 0 when it is not one."""
    try:
        number = int(value or "")
    except ValueError:
        return 0
    return number if 0 <= number <= MAX_MICROS else 0


def uuid_or_none(value: object) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def uuids(values: Iterable[object]) -> list[uuid.UUID]:
    """The ids among ``values`` (bulk actions): anything else names no clip and is skipped."""
    return [parsed for value in values if (parsed := uuid_or_none(value)) is not None]


def cursor(value: str | None) -> tuple[int, uuid.UUID] | None:
    """A gallery cursor ``<microseconds>_<id>``, or None (the first page)."""
    stamp, _, raw_pk = (value or "").partition("_")
    pk = uuid_or_none(raw_pk) if raw_pk else None
    if pk is None or not (stamp.isascii() and stamp.isdigit()) or len(stamp) > 20:
        return None
    number = int(stamp)
    return (number, pk) if number <= MAX_MICROS else None
