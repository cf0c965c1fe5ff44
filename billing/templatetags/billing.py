"""``{% budget_alerts workspace_id as alerts %}`` for the studio's alert banner, and the
usage report's table rows."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django import template
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from billing import selectors

register = template.Library()

CENT = Decimal("0.01")
ROW = (
    '<tr><th scope="row">{}</th><td class="num">{}</td><td class="num">{}</td>'
    '<td class="num">{} <small>({})</small></td><td class="num">{}</td>'
    '<td class="num">{}</td></tr>'
)


@register.simple_tag
def budget_alerts(workspace: Any) -> list[str]:
    return selectors.alerts(workspace) if workspace else []


def money(amount: Decimal) -> str:
    """Dollars with cents, rounded half up as ``floatformat:2`` rounds (never "-0.00")."""
    cents = Decimal(amount).quantize(CENT, rounding=ROUND_HALF_UP)
    return f"${cents if cents else abs(cents)}"


@register.filter
def report_rows(lines: list[selectors.Line]) -> SafeString:
    """The rows of one usage table. Built here, not with template tags: a month's report has
    about a hundred rows of four sums of money each, and resolving and formatting those one
    template variable at a time was most of the page's time. The label is the only text
    that is not ours (a member's or a project's name): it is escaped, the rest are numbers."""
    return mark_safe(  # noqa: S308 - every cell is escaped or a number formatted here
        "\n".join(
            ROW.format(
                escape(line.label),
                line.clips,
                money(line.spend),
                money(line.settled),
                line.settled_clips,
                money(line.unsettled),
                money(line.estimated),
            )
            for line in lines
        )
    )
