"""``{% export_panel g can %}``: the Export panel on a clip's page, rendered by this app so
the generations app needs nothing of it."""

from __future__ import annotations

from django import template
from django.template.loader import render_to_string
from django.utils.safestring import SafeString

from exports.views import panel_context

register = template.Library()


@register.simple_tag(takes_context=True)
def export_panel(context: template.Context, generation: object, can: object) -> SafeString:
    request = context["request"]
    return render_to_string(
        "exports/panel.html#export_panel", panel_context(generation, can), request=request
    )
