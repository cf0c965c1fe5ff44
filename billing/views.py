"""Budgets (admins change them, every member reads them) and the usage report.

Every member of a workspace sees its usage report: the spend is the team's, and knowing
how much is left is what lets an editor plan. Only admins and the owner change budgets.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from billing import selectors, services
from billing.forms import BudgetForm, PeriodForm
from billing.models import Budget, LedgerEntry, SpendDay
from workspaces import access
from workspaces.models import Project

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def midnight(day: date, plus_days: int = 0) -> datetime:
    """The start of a UTC day, for a range the ledger's (workspace, created_at) index serves."""
    return datetime.combine(day + timedelta(days=plus_days), time.min, tzinfo=UTC)


def _budgets_page(request: HttpRequest, form: BudgetForm, status: int = 200) -> HttpResponse:
    member, can = access.current(request)
    budgets, _ = access.scope(request, Budget)
    context = {
        "member": member,
        "can": can,
        "form": form,
        "rows": selectors.budget_rows(budgets, member.workspace_id),
    }
    return render(request, "billing/budgets.html", context, status=status)


@login_required
@require_GET
def budgets(request: HttpRequest) -> HttpResponse:
    projects, _ = access.scope(request, Project)
    return _budgets_page(request, BudgetForm(projects=projects))


@login_required
@require_POST
def budget_set(request: HttpRequest) -> HttpResponse:
    member, can = access.current(request)
    access.require(can, "manage")
    projects, _ = access.scope(request, Project)
    form = BudgetForm(request.POST, projects=projects)
    if form.is_valid():
        try:
            services.budget_set(workspace=member.workspace, actor=request.user, **form.cleaned_data)
        except services.BudgetError as exc:
            form.add_error(None, str(exc))
        else:
            return redirect("billing:budgets")
    return _budgets_page(request, form)


@login_required
@require_POST
def budget_clear(request: HttpRequest, pk: int) -> HttpResponse:
    budget = access.get_for(request, Budget, "manage", pk=pk)
    services.budget_clear(budget=budget, actor=request.user)
    return redirect("billing:budgets")


@login_required
@require_GET
def usage(request: HttpRequest) -> HttpResponse:
    member, can = access.current(request)
    form = PeriodForm(request.GET)
    start, end = form.period()
    rows, _ = access.scope(request, SpendDay)
    report = selectors.usage(rows, start=start, end=end)
    context = {"member": member, "can": can, "form": form, "report": report}
    context["chart_data"] = report.chart_data()
    return render(request, "billing/usage.html", context)


def safe_cell(value: Any) -> Any:
    """A spreadsheet runs a cell that starts like a formula: make such text plain."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


class _Echo:
    def write(self, value: str) -> str:
        return value


@login_required
@require_GET
def usage_csv(request: HttpRequest) -> StreamingHttpResponse:
    """Every ledger entry of the period, one per clip, streamed from a server-side cursor."""
    start, end = PeriodForm(request.GET).period()
    entries, _ = access.scope(request, LedgerEntry)
    rows = (
        entries.filter(created_at__gte=midnight(start), created_at__lt=midnight(end, 1))
        .order_by("created_at", "pk")
        .values_list(
            "created_at",
            "member__username",
            "project__name",
            "model",
            "estimated",
            "settled",
            "generation_id",
        )
    )
    writer = csv.writer(_Echo())

    def lines() -> Iterator[str]:
        yield writer.writerow(
            [
                "created_at_utc",
                "member",
                "project",
                "tier",
                "estimated_usd",
                "settled_usd",
                "generation_id",
            ]
        )
        for created, member, project, model, estimated, settled, generation_id in rows.iterator(
            chunk_size=2000
        ):
            yield writer.writerow(
                [
                    created.strftime("%Y-%m-%d %H:%M:%S"),
                    safe_cell(member or "(removed user)"),
                    safe_cell(project),
                    safe_cell(model),
                    estimated,
                    "" if settled is None else settled,
                    generation_id,
                ]
            )

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="usage-{start}-to-{end}.csv"'
    response["X-Content-Type-Options"] = "nosniff"
    return response
