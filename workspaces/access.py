"""The one access path. Every view and service that touches a member's data asks here:
``get`` returns an object together with what the member may do with it (404 when the
user is not a member of its workspace), ``scope`` returns the current workspace's rows.
Nothing else filters by user or workspace.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

from django.core.exceptions import PermissionDenied
from django.db.models import F, Model, QuerySet
from django.http import Http404, HttpRequest

from workspaces.models import Membership, Role

M = TypeVar("M", bound=Model)

# What each role may do; each role can do everything of the roles below it.
_LADDER = [
    (Role.VIEWER, {"view", "download"}),
    (Role.REVIEWER, {"comment", "approve"}),
    (Role.EDITOR, {"generate", "share", "edit"}),
    (Role.ADMIN, {"manage", "delete_any", "audit"}),
    (Role.OWNER, {"transfer"}),
]
ABILITIES: dict[str, frozenset[str]] = {}
_sofar: set[str] = set()
for _role, _more in _LADDER:
    _sofar |= _more
    ABILITIES[_role] = frozenset(_sofar)
ALL_ABILITIES = ABILITIES[Role.OWNER]
SESSION_KEY = "workspace_id"


@dataclass(frozen=True)
class Can:
    """What a member may do, readable in templates as ``can.generate``."""

    role: str

    def __getattr__(self, ability: str) -> bool:
        if ability not in ALL_ABILITIES:
            raise AttributeError(ability)
        return ability in ABILITIES.get(self.role, frozenset())

    def __contains__(self, ability: str) -> bool:
        return ability in ABILITIES.get(self.role, frozenset())


def workspace_path(model: type[Model]) -> str:
    """How a model reaches its workspace: the model's ``WORKSPACE_PATH`` (``""`` for the
    workspace itself)."""
    return model.WORKSPACE_PATH  # type: ignore[attr-defined]


def _prefix(model: type[Model]) -> str:
    path = workspace_path(model)
    return f"{path}__" if path else ""


def get(request: HttpRequest, model: type[M], **lookup: Any) -> tuple[M, Can]:
    """The object matching ``lookup`` in any workspace the user belongs to, and what they
    may do with it; 404 for everyone else (an outsider learns nothing of its existence)."""
    if not request.user.is_authenticated:
        raise Http404
    prefix = _prefix(model)
    found = (
        model._default_manager.filter(**lookup, **{f"{prefix}memberships__user": request.user})
        .annotate(member_role=F(f"{prefix}memberships__role"))
        .first()
    )
    if found is None:
        raise Http404
    return found, Can(found.member_role)


def get_for(request: HttpRequest, model: type[M], ability: str, **lookup: Any) -> M:
    """``get`` and ``require`` in one: the object, or 404/403."""
    found, can = get(request, model, **lookup)
    require(can, ability)
    return found


def require(can: Can, ability: str) -> None:
    if ability not in can:
        raise PermissionDenied(f"Your role may not {ability.replace('_', ' ')} here.")


def member(request: HttpRequest) -> Membership:
    """The user's membership of the current workspace (the one chosen in this session, else
    their personal one, made on first use). Cached for the request, together with all of the
    user's memberships: one query gives both, so the header's switcher costs none."""
    cached = getattr(request, "studio_member", None)
    if cached is not None:
        return cached
    from workspaces.services import personal_workspace

    chosen = request.session.get(SESSION_KEY)
    mine = list(memberships(request))
    found = next((m for m in mine if str(m.workspace_id) == chosen), None) if chosen else None
    if found is None:
        found = next((m for m in mine if m.workspace.personal and m.role == Role.OWNER), None)
    if found is None:  # the first visit: the personal workspace is made now
        workspace = personal_workspace(request.user)
        mine = list(memberships(request))
        found = next(m for m in mine if m.workspace_id == workspace.pk)
    if chosen != str(found.workspace_id):
        request.session[SESSION_KEY] = str(found.workspace_id)
    request.studio_member = found
    request.studio_memberships = mine
    return found


def choices(request: HttpRequest) -> list[Membership]:
    """The user's memberships for the workspace switcher (personal first, then by name),
    from the same query as ``member``."""
    mine = getattr(request, "studio_memberships", None)
    if mine is None:
        mine = request.studio_memberships = list(memberships(request))
    return sorted(
        mine,
        key=lambda m: (not m.workspace.personal, m.workspace.name.lower()),
    )


def current(request: HttpRequest) -> tuple[Membership, Can]:
    found = member(request)
    return found, Can(found.role)


def scope(request: HttpRequest, model: type[M]) -> tuple[QuerySet[M], Can]:
    """The current workspace's rows of ``model`` and what the member may do with them."""
    found, can = current(request)
    prefix = _prefix(model)
    key = f"{prefix}pk" if not prefix else f"{prefix}id"
    return model._default_manager.filter(**{key: found.workspace_id}), can


def memberships(request: HttpRequest) -> QuerySet[Membership]:
    """The user's own memberships, for the workspace switcher."""
    return Membership.objects.filter(user=request.user).select_related("workspace")


def switch_to(request: HttpRequest, workspace_id: Any) -> Membership:
    """Make ``workspace_id`` the session's current workspace (404 unless a member)."""
    found = (
        Membership.objects.select_related("workspace")
        .filter(workspace_id=workspace_id, user=request.user)
        .first()
    )
    if found is None:
        raise Http404
    request.session[SESSION_KEY] = str(found.workspace_id)
    request.studio_member = found
    return found


def rows(request: HttpRequest, model: type[M], workspace_id: Any) -> QuerySet[M]:
    """The rows of ``model`` in one workspace of the user's (none if not a member): for
    pages about an object of a workspace other than the current one."""
    prefix = _prefix(model)
    return model._default_manager.filter(
        **{
            f"{prefix}id" if prefix else "pk": workspace_id,
            f"{prefix}memberships__user": request.user,
        }
    )
