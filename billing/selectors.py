"""Reads for the budgets page, the studio's alert banner and the usage report.

The report sums ``SpendDay`` rows (a handful per day) with one GROUP BY in SQL, so a month
of a busy workspace costs the same few small queries as a quiet one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Case, CharField, F, QuerySet, Sum, When
from django.db.models.functions import Cast
from django.utils import timezone

from billing.ledger import ZERO
from billing.models import Budget, Dimension, SpendDay
from billing.services import alert_text, month_of
from studiolib import tiers
from workspaces.models import Project, Workspace

SUMS = ("clips", "estimated", "settled_clips", "settled", "spend")


def alerts(workspace: Workspace) -> list[str]:
    """The budgets of the workspace that set off their alert this month, as sentences for
    the studio's banner. No query unless one alerted this month (``budget_alert_month``)."""
    month = month_of(timezone.now())
    if workspace.budget_alert_month != month[0]:
        return []
    workspace_id = workspace.pk
    alerted = list(
        Budget.objects.filter(workspace_id=workspace_id, alerted_month=month[0]).select_related(
            "project"
        )
    )
    if not alerted:
        return []
    used = month_spend(workspace_id, month)
    return [
        alert_text(budget=b, used=used.get(str(b.project_id) if b.project_id else "", ZERO))
        for b in alerted
    ]


def month_spend(workspace_id: Any, month: tuple[date, date]) -> dict[str, Decimal]:
    """This month's spend of the workspace (key "") and of each project (its id), in one
    grouped query."""
    rows = (
        SpendDay.objects.filter(
            workspace_id=workspace_id,
            dimension__in=(Dimension.ALL, Dimension.PROJECT),
            day__gte=month[0],
            day__lt=month[1],
        )
        .values("key")
        .annotate(total=Sum("spend"))
    )
    return {row["key"]: row["total"] for row in rows}


@dataclass
class BudgetRow:
    budget: Budget
    used: Decimal

    @property
    def percent(self) -> int:
        return int(self.used / self.budget.amount * 100) if self.budget.amount else 100


def budget_rows(budgets: QuerySet[Budget], workspace_id: Any) -> list[BudgetRow]:
    found = list(budgets.select_related("project").order_by("project__name"))
    used = month_spend(workspace_id, month_of(timezone.now())) if found else {}
    return [BudgetRow(b, used.get(str(b.project_id) if b.project_id else "", ZERO)) for b in found]


@dataclass
class Line:
    """One row of the report: a day, member, project or tier and its sums."""

    label: str
    clips: int = 0
    estimated: Decimal = ZERO
    settled_clips: int = 0
    settled: Decimal = ZERO
    spend: Decimal = ZERO

    @property
    def unsettled(self) -> Decimal:
        """The part of the spend that is still an estimate."""
        return self.spend - self.settled


@dataclass
class Report:
    start: date
    end: date
    total: Line
    days: list[Line] = field(default_factory=list)
    members: list[Line] = field(default_factory=list)
    projects: list[Line] = field(default_factory=list)
    tiers: list[Line] = field(default_factory=list)

    def chart_data(self) -> dict[str, Any]:
        """What static/js/usage.js draws (money as floats with cents)."""

        def series(lines: list[Line]) -> dict[str, list]:
            return {
                "labels": [line.label for line in lines],
                "settled": [round(float(line.settled), 2) for line in lines],
                "estimated": [round(float(line.unsettled), 2) for line in lines],
            }

        return {
            "days": series(self.days),
            "members": series(self.members),
            "projects": series(self.projects),
            "tiers": series(self.tiers),
        }


def _line(label: str, row: dict[str, Any]) -> Line:
    return Line(label, **{name: row[name] or 0 for name in SUMS})


def usage(rows: QuerySet[SpendDay], *, start: date, end: date) -> Report:
    """Spend from ``start`` to ``end`` (inclusive, UTC days) of the workspace whose
    ``SpendDay`` rows are ``rows`` (from ``workspaces.access.scope``), in one grouped query:
    the workspace's rows per day, the others per dimension and key."""
    group = Case(
        When(dimension=Dimension.ALL, then=Cast("day", CharField())),
        default=F("key"),
        output_field=CharField(),
    )
    grouped: dict[str, list[dict[str, Any]]] = {d: [] for d in Dimension.values}
    for row in (
        rows.filter(day__gte=start, day__lte=end)
        .values("dimension", group=group)
        .annotate(**{name: Sum(name) for name in SUMS})
        .order_by()
    ):
        grouped[row["dimension"]].append(row)
    by_day = {date.fromisoformat(row["group"][:10]): row for row in grouped[Dimension.ALL]}
    days = []
    day = start
    while day <= end:
        row = by_day.get(day)
        days.append(_line(f"{day:%Y-%m-%d}", row) if row else Line(f"{day:%Y-%m-%d}"))
        day += timedelta(days=1)
    total = Line("Total")
    for line in days:
        for name in SUMS:
            setattr(total, name, getattr(total, name) + getattr(line, name))
    return Report(
        start=start,
        end=end,
        total=total,
        days=days,
        members=_named(grouped[Dimension.MEMBER], _member_names),
        projects=_named(grouped[Dimension.PROJECT], _project_names),
        tiers=_named(grouped[Dimension.TIER], _tier_names),
    )


def _named(rows: list[dict[str, Any]], names) -> list[Line]:
    """Most spend first (then by key, so equal spends keep one order)."""
    rows = sorted(rows, key=lambda row: (-(row["spend"] or 0), row["group"]))
    labels = names([row["group"] for row in rows])
    return [_line(labels.get(row["group"], row["group"]), row) for row in rows]


def _member_names(keys: list[str]) -> dict[str, str]:
    ids = [int(k) for k in keys if k.isdigit()]
    found = get_user_model().objects.filter(pk__in=ids).values_list("pk", "username")
    return {"": "(removed user)"} | {str(pk): name for pk, name in found}


def _project_names(keys: list[str]) -> dict[str, str]:
    return {
        str(pk): name for pk, name in Project.objects.filter(pk__in=keys).values_list("pk", "name")
    }


def _tier_names(keys: list[str]) -> dict[str, str]:
    return {k: tiers.TIERS_BY_MODEL[k].label for k in keys if k in tiers.TIERS_BY_MODEL}
