"""Twenty members submit at the same moment against a budget that fits seven clips: exactly
seven are created and the budget is never passed. Real threads, each with its own database
connection (run it with DATABASE_URL pointing at PostgreSQL for row locks; SQLite's
IMMEDIATE transactions serialise writers and must give the same answer)."""

from __future__ import annotations

import threading
from decimal import ROUND_CEILING, Decimal

import pytest
from django.db import connection
from django.db.models import Sum

from billing.models import Budget, LedgerEntry
from billing.services import BudgetExceeded
from generations.models import Generation
from generations.services import generation_create
from tests.billing_support import CLIP, PRICE, make_team
from tests.factories import UserFactory
from workspaces.models import Membership, Role

THREADS = 20
FITS = 7


@pytest.mark.django_db(transaction=True)
def test_a_burst_of_submissions_never_passes_the_budget(settings, no_broker):
    settings.STUDIO_MAX_SPEND_PER_DAY = 0
    settings.STUDIO_MAX_SPEND_PER_MONTH = 0
    team = make_team()
    members = [UserFactory() for _ in range(THREADS)]
    Membership.objects.bulk_create(
        [Membership(workspace=team.workspace, user=u, role=Role.EDITOR) for u in members]
    )
    amount = (PRICE * FITS).quantize(Decimal("0.01"), rounding=ROUND_CEILING)
    assert PRICE * FITS <= amount < PRICE * (FITS + 1)
    Budget.objects.create(workspace=team.workspace, amount=amount)
    start = threading.Barrier(THREADS)
    outcomes: list[str] = []

    def submit(user) -> None:
        try:
            start.wait()
            generation_create(user=user, data=CLIP, workspace=team.workspace, project=team.client)
            outcomes.append("created")
        except BudgetExceeded:
            outcomes.append("refused")
        except Exception as exc:  # reported by the assertion below
            outcomes.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=submit, args=(u,)) for u in members]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sorted(outcomes) == ["created"] * FITS + ["refused"] * (THREADS - FITS)
    assert Generation.objects.filter(workspace=team.workspace).count() == FITS
    spent = LedgerEntry.objects.aggregate(total=Sum("estimated"))["total"]
    assert spent == PRICE * FITS <= amount
    assert len(no_broker) == FITS
