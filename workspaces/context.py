"""The header's workspace: the current membership, what it may do, and the switcher's
choices. All lazy: a page that never shows them, or an anonymous visitor, costs no query,
and the three come from the one query ``workspaces.access.member`` makes anyway."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from workspaces import access


def workspace(request: HttpRequest) -> dict[str, object]:
    def signed_in() -> bool:
        return request.user.is_authenticated

    return {
        "current_member": SimpleLazyObject(lambda: access.member(request) if signed_in() else None),
        "current_can": SimpleLazyObject(
            lambda: access.current(request)[1] if signed_in() else access.Can("")
        ),
        "workspace_choices": lambda: access.choices(request) if signed_in() else [],
    }
