"""``{% budget_alerts workspace_id as alerts %}`` for the studio's alert banner."""

from __future__ import annotations

from typing import Any

from django import template

from billing import selectors

register = template.Library()


@register.simple_tag
def budget_alerts(workspace_id: Any) -> list[str]:
    return selectors.alerts(workspace_id) if workspace_id else []
