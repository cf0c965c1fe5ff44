"""Ledger entries for the clips made before the ledger, so the usage report covers history.

Each clip gets its estimate, its settled cost where one was recorded, and 0 for a clip that
ended before it was ever sent (the studio told its maker "You were not charged"). The daily
sums are then built from those entries with grouped queries.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import migrations
from django.db.models import Count, Q, Sum
from django.db.models.functions import Coalesce, TruncDate

BATCH = 2000


def forwards(apps, schema_editor):
    Generation = apps.get_model("generations", "Generation")
    LedgerEntry = apps.get_model("billing", "LedgerEntry")
    SpendDay = apps.get_model("billing", "SpendDay")
    batch = []
    columns = (
        "pk", "workspace_id", "project_id", "user_id", "model", "created_at",
        "estimated_cost", "settled_cost", "charged", "status", "finished_at",
    )
    for row in Generation.objects.order_by("created_at").values_list(*columns).iterator(BATCH):
        pk, workspace, project, user, model, created, estimate, settled, charged, status, ended = row
        if settled is None and charged == "no" and status in ("failed", "cancelled"):
            settled = Decimal(0)
        batch.append(
            LedgerEntry(
                workspace_id=workspace,
                project_id=project,
                member_id=user,
                generation_id=pk,
                model=model,
                created_at=created,
                estimated=estimate,
                settled=settled,
                settled_at=ended if settled is not None else None,
            )
        )
        if len(batch) >= BATCH:
            LedgerEntry.objects.bulk_create(batch)
            batch = []
    LedgerEntry.objects.bulk_create(batch)

    SpendDay.objects.all().delete()
    # Named apart from the entry's own columns, which the sums read.
    sums = {
        "sum_clips": Count("pk"),
        "sum_estimated": Sum("estimated"),
        "sum_settled_clips": Count("pk", filter=Q(settled__isnull=False)),
        "sum_settled": Coalesce(Sum("settled"), Decimal(0)),
        "sum_spend": Sum(Coalesce("settled", "estimated")),
    }
    entries = LedgerEntry.objects.annotate(day=TruncDate("created_at"))
    for dimension, field in (
        ("all", None), ("member", "member_id"), ("project", "project_id"), ("tier", "model")
    ):
        group = ["workspace_id", "day"] + ([field] if field else [])
        rows = entries.values(*group).annotate(**sums).order_by()
        SpendDay.objects.bulk_create(
            (
                SpendDay(
                    workspace_id=row["workspace_id"],
                    day=row["day"],
                    dimension=dimension,
                    key=str(row[field] or "") if field else "",
                    **{name.removeprefix("sum_"): row[name] for name in sums},
                )
                for row in rows.iterator(BATCH)
            ),
            batch_size=BATCH,
        )


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0001_initial"),
        ("generations", "0009_workspace_required"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
