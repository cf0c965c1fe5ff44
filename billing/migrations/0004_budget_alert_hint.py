"""Fill ``Workspace.budget_alert_month`` from the budgets that already alerted, so a banner
that shows today keeps showing after the upgrade."""

from django.db import migrations
from django.db.models import Max


def fill(apps, schema_editor):
    Budget = apps.get_model("billing", "Budget")
    Workspace = apps.get_model("workspaces", "Workspace")
    latest = (
        Budget.objects.exclude(alerted_month=None)
        .values("workspace_id")
        .annotate(month=Max("alerted_month"))
    )
    for row in latest:
        Workspace.objects.filter(pk=row["workspace_id"]).update(budget_alert_month=row["month"])


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0003_spendday_indexes"),
        ("workspaces", "0003_hints"),
    ]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
