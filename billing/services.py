"""Budgets: the check every submission passes, and the admins' changes to them.

``check_and_record`` runs inside the transaction that creates the clips (one call for a
whole "Make all formats" batch), so the clips and their ledger entries commit together or
not at all. It locks the workspace row first: submissions to one workspace are checked one
after another, and two of them can never both fit in the last dollars of a budget.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Case, DecimalField, F, Q, Subquery, Sum, When
from django.db.models.functions import Coalesce

from billing import ledger
from billing.models import Budget, Dimension, SpendDay
from workspaces.models import Membership, Project, Role, Workspace
from workspaces.services import audit

log = logging.getLogger("billing")
SPEND = DecimalField(max_digits=14, decimal_places=4)


class BudgetExceeded(Exception):
    """A clear sentence for the member: which budget, how much is used, when it resets."""


class BudgetError(Exception):
    """Why a budget change was refused."""


def month_of(moment: datetime) -> tuple[date, date]:
    """The UTC month containing ``moment``: its first day and the next month's first day."""
    first = ledger.utc_day(moment).replace(day=1)
    return first, (first + timedelta(days=32)).replace(day=1)


def spent(*, workspace_id: Any, project_id: Any, month: tuple[date, date]) -> Decimal:
    """This month's spend of the workspace (``project_id`` None) or of one project."""
    rows = SpendDay.objects.filter(workspace_id=workspace_id, day__gte=month[0], day__lt=month[1])
    if project_id is None:
        rows = rows.filter(dimension=Dimension.ALL, key="")
    else:
        rows = rows.filter(dimension=Dimension.PROJECT, key=str(project_id))
    return rows.aggregate(total=Sum("spend"))["total"] or ledger.ZERO


def _month_sum(workspace_id: Any, dimension: str, key: str, month: tuple[date, date]) -> Coalesce:
    """``spent`` as a subquery, so the budgets and their spend come in one query."""
    rows = SpendDay.objects.filter(
        workspace_id=workspace_id,
        day__gte=month[0],
        day__lt=month[1],
        dimension=dimension,
        key=key,
    )
    total = rows.values("workspace_id").annotate(total=Sum("spend")).values("total")
    return Coalesce(Subquery(total), ledger.ZERO, output_field=SPEND)


def _money(amount: Decimal) -> str:
    return f"${amount:,.2f}"


def check_and_record(
    *,
    workspace_id: Any,
    project_id: Any,
    user: Any,
    entries: list[tuple[Any, str, Decimal]],
    now: datetime,
) -> list[str]:
    """Refuse the clips in ``entries`` (generation_id, model, estimate) with
    ``BudgetExceeded`` if they would pass a hard-stop budget; else record them in the ledger.
    Returns the soft alerts this submission set off (also shown by ``selectors.alerts`` and
    emailed to the workspace's admins once per budget and month). Call it inside the
    transaction that creates the clips."""
    spending = {
        "workspace_id": workspace_id,
        "project_id": project_id,
        "member_id": getattr(user, "pk", user),
        "entries": entries,
        "now": now,
    }
    # The entries before the lock (rows of their own); the lock is held by one submission
    # of the workspace at a time, so only the budget read and the daily sums wait for it.
    ledger.write_entries(**spending)
    Workspace.objects.select_for_update().filter(pk=workspace_id).first()
    month = month_of(now)
    budgets = list(
        Budget.objects.filter(workspace_id=workspace_id)
        .filter(Q(project__isnull=True) | Q(project_id=project_id))
        .select_related("project")
        # Read after the lock above, in a statement of its own: the sums are current.
        .annotate(
            used=Case(
                When(project__isnull=True, then=_month_sum(workspace_id, Dimension.ALL, "", month)),
                default=_month_sum(workspace_id, Dimension.PROJECT, str(project_id), month),
            )
        )
        # Project budgets first: the nearer limit is the one a member can act on.
        .order_by(F("project").asc(nulls_last=True))
    )
    cost = sum((estimate for _, _, estimate in entries), ledger.ZERO)
    totals = [budget.used for budget in budgets]
    for budget, used in zip(budgets, totals, strict=True):
        if budget.hard_stop and used + cost > budget.amount:
            what = f"These {len(entries)} videos" if len(entries) > 1 else "This video"
            raise BudgetExceeded(
                f"{what} (~{_money(cost)}) would pass the {budget.name} budget of "
                f"{_money(budget.amount)} this month ({_money(used)} used) by "
                f"{_money(used + cost - budget.amount)}. "
                f"It resets {month[1]:%Y-%m-%d} 00:00 UTC; an admin can raise it on the "
                "Budgets page."
            )
    notices = [
        _alert(budget=budget, used=used + cost, month=month[0], actor=user)
        for budget, used in zip(budgets, totals, strict=True)
        if used + cost >= budget.alert_at and budget.alerted_month != month[0]
    ]
    ledger.count_in_days(**spending)
    return [notice for notice in notices if notice]


def alert_text(*, budget: Budget, used: Decimal) -> str:
    over = used > budget.amount
    return (
        f"The {budget.name} budget is {'over' if over else 'at'} "
        f"{used / budget.amount * 100 if budget.amount else 100:.0f}% this month: "
        f"{_money(used)} of {_money(budget.amount)}."
        + ("" if budget.hard_stop else " It does not stop new videos.")
    )


def _alert(*, budget: Budget, used: Decimal, month: date, actor: Any) -> str:
    """Mark the budget alerted for ``month`` (compare-and-set: once per month) and, if this
    call did it, audit it and email the admins once the submission commits."""
    marked = (
        Budget.objects.filter(pk=budget.pk).exclude(alerted_month=month).update(alerted_month=month)
    )
    if not marked:
        return ""
    Workspace.objects.filter(pk=budget.workspace_id).update(budget_alert_month=month)
    text = alert_text(budget=budget, used=used)
    audit(workspace=budget.workspace_id, actor=actor, action="budget.alert", summary=text)
    transaction.on_commit(lambda: _email_admins(budget=budget, text=text))
    return text


def _email_admins(*, budget: Budget, text: str) -> None:
    recipients = list(
        Membership.objects.filter(
            workspace_id=budget.workspace_id, role__in=(Role.OWNER, Role.ADMIN)
        )
        .exclude(user__email="")
        .values_list("user__email", flat=True)
    )
    if not recipients:
        return
    workspace = Workspace.objects.get(pk=budget.workspace_id)
    try:
        send_mail(
            f"Budget alert: {workspace.name}",
            f"{text}\n\nYou get this once per budget and month because you manage "
            f"{workspace.name} in Seedance Studio.",
            None,
            recipients,
        )
    except Exception:  # the alert is recorded and shown in the app; mail is a courtesy
        log.exception("budget alert email for workspace=%s not sent", budget.workspace_id)


def budget_set(
    *,
    workspace: Workspace,
    actor: Any,
    project: Project | None,
    amount: Decimal,
    alert_percent: int,
    hard_stop: bool,
) -> Budget:
    """Create or change the workspace's (or a project's) budget. A changed amount or alert
    threshold may alert again this month."""
    if project is not None and project.workspace_id != workspace.pk:
        raise BudgetError("That project belongs to another workspace.")
    values = {"amount": amount, "alert_percent": alert_percent, "hard_stop": hard_stop}
    try:
        with transaction.atomic():
            budget, created = Budget.objects.select_for_update().get_or_create(
                workspace=workspace, project=project, defaults=values
            )
            if not created:
                if (budget.amount, budget.alert_percent) != (amount, alert_percent):
                    values["alerted_month"] = None
                Budget.objects.filter(pk=budget.pk).update(**values)
                budget.refresh_from_db()
            audit(
                workspace=workspace,
                actor=actor,
                action="budget.set",
                summary=f"Set the {budget.name} budget to {_money(amount)} a month, alert at "
                f"{alert_percent}%, {'hard stop' if hard_stop else 'alert only'}",
            )
    except IntegrityError:
        raise BudgetError("That budget was just changed by someone else; try again.") from None
    return budget


def budget_clear(*, budget: Budget, actor: Any) -> bool:
    with transaction.atomic():
        deleted, _ = Budget.objects.filter(pk=budget.pk).delete()
        if deleted:
            audit(
                workspace=budget.workspace_id,
                actor=actor,
                action="budget.clear",
                summary=f"Removed the {budget.name} budget",
            )
    return bool(deleted)


def settle(*, generation_id: Any, cost: Decimal) -> bool:
    """Record a clip's real cost once known (0 for a failure that was never sent)."""
    return ledger.settle(generation_id=generation_id, cost=cost)
