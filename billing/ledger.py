"""Writing the ledger and keeping its daily sums (``SpendDay``) in step.

Every change to an entry changes the four daily rows it counts in by the same amounts, in
the same transaction, with ``F()`` increments (row-level updates, so concurrent settlements
never lose one another's additions), in one statement for the rows sharing an increment.
New daily rows are only made while the workspace row is locked
(``billing.services.check_and_record``), so two creators never race.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from billing.models import Dimension, LedgerEntry, SpendDay

ZERO = Decimal(0)


def utc_day(moment: datetime) -> date:
    return moment.astimezone(UTC).date()


def keys_of(*, member_id: Any, project_id: Any, model: str) -> list[tuple[str, str]]:
    """The daily rows (dimension, key) that one entry counts in."""
    return [
        (Dimension.ALL, ""),
        (Dimension.MEMBER, str(member_id) if member_id else ""),
        (Dimension.PROJECT, str(project_id)),
        (Dimension.TIER, model),
    ]


def record(
    *,
    workspace_id: Any,
    project_id: Any,
    member_id: Any,
    entries: list[tuple[Any, str, Decimal]],
    now: datetime,
) -> None:
    """Write one entry per (generation_id, model, estimate) and count it in the daily sums.
    Call it with the workspace row locked (it may create daily rows)."""
    write_entries(
        workspace_id=workspace_id,
        project_id=project_id,
        member_id=member_id,
        entries=entries,
        now=now,
    )
    count_in_days(
        workspace_id=workspace_id,
        project_id=project_id,
        member_id=member_id,
        entries=entries,
        now=now,
    )


def write_entries(
    *,
    workspace_id: Any,
    project_id: Any,
    member_id: Any,
    entries: list[tuple[Any, str, Decimal]],
    now: datetime,
) -> None:
    """The entries alone: new rows of their own, so no lock is needed to write them."""
    LedgerEntry.objects.bulk_create(
        [
            LedgerEntry(
                workspace_id=workspace_id,
                project_id=project_id,
                member_id=member_id,
                generation_id=generation_id,
                model=model,
                created_at=now,
                estimated=estimate,
            )
            for generation_id, model, estimate in entries
        ]
    )


def count_in_days(
    *,
    workspace_id: Any,
    project_id: Any,
    member_id: Any,
    entries: list[tuple[Any, str, Decimal]],
    now: datetime,
) -> None:
    """Add the entries to the daily sums. Call it with the workspace row locked."""
    sums: dict[tuple[str, str], list] = defaultdict(lambda: [0, ZERO])
    for _, model, estimate in entries:
        for key in keys_of(member_id=member_id, project_id=project_id, model=model):
            sums[key][0] += 1
            sums[key][1] += estimate
    add_to_days(workspace_id=workspace_id, day=utc_day(now), sums=sums)


def add_to_days(*, workspace_id: Any, day: date, sums: dict[tuple[str, str], list]) -> None:
    """Add (clips, estimated) to each daily row (dimension, key) of ``sums``: one UPDATE per
    distinct increment (a single clip's four rows share one), then one INSERT for the rows
    that did not exist yet. Call it with the workspace row locked (see ``record``)."""
    by_change: dict[tuple[int, Decimal], list[tuple[str, str]]] = defaultdict(list)
    for key, (clips, estimated) in sums.items():
        by_change[(clips, estimated)].append(key)
    missing = 0
    # The increment that includes the workspace row first: see ``_update``.
    for (clips, estimated), keys in sorted(
        by_change.items(), key=lambda item: (Dimension.ALL, "") not in item[1]
    ):
        missing += len(keys) - _update(
            workspace_id,
            day,
            keys,
            clips=F("clips") + clips,
            estimated=F("estimated") + estimated,
            spend=F("spend") + estimated,
        )
    if not missing:
        return
    found = set(_rows(workspace_id, day, list(sums)).values_list("dimension", "key"))
    _create_days(
        workspace_id,
        {(day, *pair): counts for pair, counts in sums.items() if pair not in found},
    )


def record_history(*, entries: list[LedgerEntry]) -> None:
    """Write many past entries of one workspace at once (seeding): one bulk insert of the
    entries, and each daily row they count in added to or created once. Call it with the
    workspace row locked (it may create daily rows)."""
    if not entries:
        return
    workspace_id = entries[0].workspace_id
    LedgerEntry.objects.bulk_create(entries, batch_size=2000)
    sums: dict[tuple[date, str, str], list] = defaultdict(lambda: [0, ZERO])
    for entry in entries:
        day = utc_day(entry.created_at)
        keys = keys_of(member_id=entry.member_id, project_id=entry.project_id, model=entry.model)
        for dimension, key in keys:
            sums[(day, dimension, key)][0] += 1
            sums[(day, dimension, key)][1] += entry.estimated
    existing = SpendDay.objects.filter(
        workspace_id=workspace_id, day__in={day for day, _, _ in sums}
    )
    changed = []
    for row in existing:
        found = sums.pop((row.day, row.dimension, row.key), None)
        if found is not None:
            row.clips, row.estimated = F("clips") + found[0], F("estimated") + found[1]
            row.spend = F("spend") + found[1]
            changed.append(row)
    SpendDay.objects.bulk_update(changed, ["clips", "estimated", "spend"], batch_size=500)
    _create_days(workspace_id, sums)


def _create_days(workspace_id: Any, sums: dict[tuple[date, str, str], list]) -> None:
    """New daily rows, one per (day, dimension, key) of ``sums`` with its (clips,
    estimated); their spend starts at the estimate."""
    SpendDay.objects.bulk_create(
        [
            SpendDay(
                workspace_id=workspace_id,
                day=day,
                dimension=dimension,
                key=key,
                clips=clips,
                estimated=estimated,
                spend=estimated,
            )
            for (day, dimension, key), (clips, estimated) in sums.items()
        ],
        batch_size=2000,
    )


def _rows(workspace_id: Any, day: date, keys: list[tuple[str, str]]) -> QuerySet[SpendDay]:
    """The daily rows of these (dimension, key) pairs."""
    match = Q()
    for dimension, key in keys:
        match |= Q(dimension=dimension, key=key)
    return SpendDay.objects.filter(match, workspace_id=workspace_id, day=day)


def _update(workspace_id: Any, day: date, keys: list[tuple[str, str]], **change: Any) -> int:
    """Apply ``change`` to the daily rows of ``keys`` in one statement that locks them in
    (dimension, key) order, so the workspace row ("all") is always locked first: a creator
    and a settlement touching the same day queue on it instead of deadlocking."""
    rows = _rows(workspace_id, day, keys)
    locked = rows.order_by("dimension", "key").select_for_update().values("pk")
    return rows.filter(pk__in=locked).update(**change)


def settle(*, generation_id: Any, cost: Decimal) -> bool:
    """Record what a clip really cost (0 for a failure that was never sent). Settling again
    with another amount moves the sums by the difference; the same amount changes nothing.
    Returns whether anything changed (False too for a clip with no entry)."""
    cost = Decimal(cost)
    with transaction.atomic():
        entry = LedgerEntry.objects.select_for_update().filter(generation_id=generation_id).first()
        if entry is None or entry.settled == cost:
            return False
        before = entry.settled
        LedgerEntry.objects.filter(pk=entry.pk).update(settled=cost, settled_at=timezone.now())
        change = {
            "settled": F("settled") + (cost - (before or ZERO)),
            "spend": F("spend") + (cost - (entry.estimated if before is None else before)),
        }
        if before is None:
            change["settled_clips"] = F("settled_clips") + 1
        keys = keys_of(member_id=entry.member_id, project_id=entry.project_id, model=entry.model)
        _update(entry.workspace_id, utc_day(entry.created_at), keys, **change)
    return True
