"""The route × role matrix's vocabulary. Each app's access tests describe their routes as a
list of ``Route`` rows in a module-level ``ROUTES`` of a ``tests/test_*_access.py`` module;
``tests/test_route_matrix.py`` walks every row with every role and the guard test fails for
any URL name no row covers.

A row is keyed by its URL name, so renaming a route (say from ``generations:`` to
``sharing:``) means renaming the row's ``name`` and nothing else.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from workspaces.access import ABILITIES

# Who walks each route: the five member roles of the team workspace, a signed-in user who
# belongs only to their own personal workspace, and nobody signed in.
MEMBER_ROLES = ("owner", "admin", "editor", "reviewer", "viewer")
ROLES = (*MEMBER_ROLES, "outsider", "anonymous")

# An expected answer: an HTTP status, or LOGIN for "302 to the login page".
LOGIN = "login"
Expected = int | str


@dataclass
class World:
    """What every row can point at. The team workspace is the current workspace of each of
    its members' sessions; the outsider's current workspace is their personal one.

    ``clip`` is a finished clip made by the editor with real video, poster and last-frame
    files; ``running`` is an unfinished one; ``share`` is a live share link of ``clip``;
    ``reference`` is an image reference of ``clip``; ``outsider_clip`` lives in the
    outsider's personal workspace (members of the team get 404 for it).

    For the team pages: ``target`` is one more editor's membership for the role, remove
    and transfer routes to act on; ``invitation`` is an open invitation (as an editor) and
    ``invite_token`` its link's token; ``budget`` is the workspace's monthly budget.
    """

    workspace: Any
    users: dict[str, Any]
    memberships: dict[str, Any]
    project: Any
    other_project: Any
    clip: Any
    running: Any
    share: Any
    reference: Any
    outsider_workspace: Any
    outsider_clip: Any
    target: Any
    invitation: Any
    invite_token: str
    budget: Any
    # --- webhooks (issue 15, C): an endpoint of the team workspace -----------------------
    webhook: Any
    # --- campaigns: a batch of the team whose one cell is ``clip``, and a recipe saved by
    # the editor ------------------------------------------------------------------------
    batch: Any = None
    recipe: Any = None
    # --- brand kits and exports: the team's kit (with a logo) and a finished export of
    # ``clip`` with its mp4, .srt and .vtt in storage --------------------------------------
    brand_kit: Any = None
    export: Any = None


Builder = Callable[[World], dict]
Check = Callable[[World, str, Any], None]


def _nothing(world: World) -> dict:
    return {}


@dataclass(frozen=True)
class Route:
    """One request and the exact answer each role gets.

    ``kwargs`` builds the URL's kwargs and ``data`` the query (GET) or form body (POST) from
    the world; builders may create objects they need. A row whose ``fresh`` is true (by
    default every non-GET) gets a new world for each role, so one role's change never
    decides another's answer. ``check(world, role, response)`` may assert more (nothing
    created, a control hidden); ``headers`` are extra request headers such as
    ``{"HX-Request": "true"}``. ``label`` tells two rows of one URL name apart.
    """

    name: str
    expect: Mapping[str, Expected]
    method: str = "GET"
    kwargs: Builder = _nothing
    data: Builder = _nothing
    headers: Mapping[str, str] = field(default_factory=dict)
    check: Check | None = None
    fresh: bool | None = None
    label: str = ""

    def __post_init__(self) -> None:
        missing = set(ROLES) - set(self.expect)
        extra = set(self.expect) - set(ROLES)
        if missing or extra:
            raise ValueError(f"{self.id}: expect must name exactly {ROLES}")
        if self.fresh is None:
            object.__setattr__(self, "fresh", self.method.upper() != "GET")

    @property
    def id(self) -> str:
        suffix = f" [{self.label}]" if self.label else ""
        return f"{self.method.upper()} {self.name}{suffix}"


def ladder(
    ability: str,
    ok: Expected,
    *,
    denied: Expected = 403,
    outsider: Expected = 404,
    anonymous: Expected = LOGIN,
) -> dict[str, Expected]:
    """Expected answers for a route that needs ``ability`` in the team workspace: ``ok`` for
    the roles that have it, ``denied`` for the others."""
    answers: dict[str, Expected] = {
        role: ok if ability in ABILITIES[role] else denied for role in MEMBER_ROLES
    }
    return {**answers, "outsider": outsider, "anonymous": anonymous}


def everyone(status: Expected, *, anonymous: Expected | None = None) -> dict[str, Expected]:
    """The same answer for every role (public pages; a signed-in user's own pages when
    ``anonymous=LOGIN``)."""
    answers: dict[str, Expected] = dict.fromkeys(ROLES, status)
    if anonymous is not None:
        answers["anonymous"] = anonymous
    return answers
