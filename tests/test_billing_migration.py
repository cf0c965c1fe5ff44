"""The data migration gives clips made before the ledger their entries and daily sums."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from billing.models import Dimension, LedgerEntry, SpendDay
from tests.factories import GenerationFactory


@pytest.mark.django_db(transaction=True)
def test_existing_clips_get_ledger_entries():
    executor = MigrationExecutor(connection)
    executor.migrate([("billing", "0001_initial")])
    saved = GenerationFactory(estimated_cost=Decimal("1.0"), settled_cost=Decimal("0.7"))
    GenerationFactory(user=saved.user, estimated_cost=Decimal("2.0"))
    GenerationFactory(user=saved.user, estimated_cost=Decimal("3.0"), status="failed", charged="no")
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate([("billing", "0002_ledger_from_history")])
    assert LedgerEntry.objects.count() == 3
    assert sorted(LedgerEntry.objects.values_list("estimated", "settled")) == [
        (Decimal("1.0"), Decimal("0.7")),
        (Decimal("2.0"), None),
        (Decimal("3.0"), Decimal(0)),
    ]
    day = SpendDay.objects.get(dimension=Dimension.ALL)
    assert (day.clips, day.estimated, day.settled_clips, day.settled, day.spend) == (
        3,
        Decimal("6.0"),
        2,
        Decimal("0.7"),
        Decimal("2.7"),
    )
    member = SpendDay.objects.get(dimension=Dimension.MEMBER)
    assert member.key == str(saved.user_id) and member.spend == Decimal("2.7")
