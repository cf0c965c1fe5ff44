"""Writing the ledger and keeping its daily sums (``SpendDay``) in step.

Every change to an entry changes the four daily rows it counts in by the same amounts, in
the same transaction, with ``F()`` increments (one row-level update each, so concurrent
settlements never lose one another's additions). New daily rows are only made while the
workspace row is locked (``billing.services.check_and_record``), so two creators never race.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import F
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
    """Write one entry per (generation_id, model, estimate). Call it with the workspace row
    locked (it may create daily rows)."""
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
    sums: dict[tuple[str, str], list] = defaultdict(lambda: [0, ZERO])
    for _, model, estimate in entries:
        for key in keys_of(member_id=member_id, project_id=project_id, model=model):
            sums[key][0] += 1
            sums[key][1] += estimate
    day = utc_day(now)
    for (dimension, key), (clips, estimated) in sums.items():
        found = SpendDay.objects.filter(
            workspace_id=workspace_id, day=day, dimension=dimension, key=key
        )
        changed = found.update(
            clips=F("clips") + clips,
            estimated=F("estimated") + estimated,
            spend=F("spend") + estimated,
        )
        if not changed:
            SpendDay.objects.create(
                workspace_id=workspace_id,
                day=day,
                dimension=dimension,
                key=key,
                clips=clips,
                estimated=estimated,
                spend=estimated,
            )


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
        day = utc_day(entry.created_at)
        for dimension, key in keys_of(
            member_id=entry.member_id, project_id=entry.project_id, model=entry.model
        ):
            SpendDay.objects.filter(
                workspace_id=entry.workspace_id, day=day, dimension=dimension, key=key
            ).update(**change)
    return True
