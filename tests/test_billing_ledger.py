"""The ledger's daily sums stay exact when they are written in few statements: a batch
whose rows partly exist, a single clip (one UPDATE for its four rows), and the seed's bulk
history, checked against the entries themselves."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from billing import ledger
from billing.models import LedgerEntry, SpendDay
from generations.models import Generation
from tests.billing_support import make_team
from workspaces.models import Workspace

pytestmark = pytest.mark.django_db

HD = "seedance2.0-720p"
SD = "seedance2.0-480p"
DAY = datetime(2031, 3, 3, 12, tzinfo=UTC)


def truth() -> dict[tuple, tuple]:
    """Every daily row the entries imply, summed from the entries one by one."""
    sums: dict[tuple, list] = {}
    for entry in LedgerEntry.objects.all():
        keys = ledger.keys_of(
            member_id=entry.member_id, project_id=entry.project_id, model=entry.model
        )
        for dimension, key in keys:
            row = sums.setdefault(
                (str(entry.workspace_id), ledger.utc_day(entry.created_at), dimension, key),
                [0, Decimal(0)],
            )
            row[0] += 1
            row[1] += entry.estimated
    return {k: (clips, estimated) for k, (clips, estimated) in sums.items()}


def daily_rows() -> dict[tuple, tuple]:
    return {
        (str(r.workspace_id), r.day, r.dimension, r.key): (r.clips, r.estimated)
        for r in SpendDay.objects.all()
        if r.clips or r.estimated
    }


def record(team, user, project, entries, now=DAY):
    with transaction.atomic():
        Workspace.objects.select_for_update().filter(pk=team.workspace.pk).first()
        ledger.record(
            workspace_id=team.workspace.pk,
            project_id=project.pk,
            member_id=user.pk,
            entries=entries,
            now=now,
        )


def gid(n: int) -> str:
    return f"00000000-0000-0000-0000-{n:012d}"


def test_a_batch_whose_daily_rows_partly_exist_sums_exactly(settings):
    team = make_team()
    editor, admin = team.users["editor"], team.users["admin"]
    record(team, editor, team.general, [(gid(1), SD, Decimal("0.50"))])
    # Existing rows (all, editor, SD) and new ones (client, HD), with three increments.
    record(
        team,
        editor,
        team.client,
        [(gid(2), SD, Decimal("1.25")), (gid(3), HD, Decimal("2.00")), (gid(4), HD, Decimal(3))],
    )
    record(team, admin, team.client, [(gid(5), HD, Decimal("0.75"))])
    assert daily_rows() == truth()
    assert len(daily_rows()) == 1 + 2 + 2 + 2  # all; 2 members, 2 projects, 2 tiers


def test_one_clip_adds_to_its_four_existing_daily_rows_in_one_update():
    team = make_team()
    editor = team.users["editor"]
    record(team, editor, team.general, [(gid(1), SD, Decimal("0.50"))])
    with CaptureQueriesContext(connection) as ctx:
        record(team, editor, team.general, [(gid(2), SD, Decimal("0.70"))])
    writes = [q["sql"].split()[0] for q in ctx.captured_queries]
    assert writes.count("UPDATE") == 1 and writes.count("INSERT") == 1, writes
    assert daily_rows() == truth()


def test_settling_moves_the_four_daily_rows_together():
    team = make_team()
    editor, admin = team.users["editor"], team.users["admin"]
    record(team, editor, team.general, [(gid(1), SD, Decimal("0.50"))])
    record(team, admin, team.client, [(gid(2), HD, Decimal("0.70"))])
    assert ledger.settle(generation_id=gid(1), cost=Decimal("0.20"))
    rows = SpendDay.objects.filter(settled_clips=1)
    assert rows.count() == 4  # all, member, project General, tier SD
    assert rows.filter(dimension="all").get().spend == Decimal("0.90")
    assert set(rows.exclude(dimension="all").values_list("spend", flat=True)) == {Decimal("0.20")}


def test_the_seed_writes_the_ledger_in_bulk_with_exact_daily_sums(tmp_path, settings):
    settings.MEDIA_ROOT = str(tmp_path)
    seed = {
        "user": "seedy",
        "members": 3,
        "projects": 4,
        "days": 3,
        "stdout": io.StringIO(),
    }
    call_command("seed_generations", count=120, **seed)
    clips = Generation.objects.filter(user__username__startswith="seedy")
    assert LedgerEntry.objects.count() == clips.count() == 120
    assert set(LedgerEntry.objects.values_list("generation_id", flat=True)) == set(
        clips.values_list("pk", flat=True)
    )
    assert daily_rows() == truth()
    # Seeding again adds to the daily rows that exist and creates the rest.
    call_command("seed_generations", count=50, **seed)
    assert LedgerEntry.objects.count() == 170
    assert daily_rows() == truth()
