"""``{% review_panel g can %}`` (a clip's review on its page) and ``{% inbox_count %}`` (the
header's unread count, also sent out of band by the live requests), rendered by this app
so the generations app needs nothing of it."""

from __future__ import annotations

from django import template
from django.template.loader import render_to_string
from django.utils.safestring import SafeString

from sharing.review import unread_count
from sharing.review_views import panel_context
from workspaces import access

register = template.Library()


@register.simple_tag(takes_context=True)
def review_panel(context: template.Context, generation: object, can: object) -> SafeString:
    request = context["request"]
    return render_to_string(
        "sharing/review.html#review_panel",
        panel_context(request, generation, can),
        request=request,
    )


@register.simple_tag(takes_context=True)
def inbox_count(context: template.Context, oob: bool = False) -> SafeString:
    request = context["request"]
    user = request.user
    mine = access.choices(request) if user.is_authenticated else None
    return render_to_string(
        "sharing/review.html#inbox_count",
        {"unread": unread_count(user, mine), "oob": oob},
        request=request,
    )


@register.filter
def timecode(seconds: float | None) -> str:
    """Seconds as m:ss (h:mm:ss past an hour), the way players show the playhead."""
    whole = int(seconds or 0)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02}:{secs:02}" if hours else f"{minutes:02}:{secs:02}"
