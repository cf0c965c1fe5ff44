"""Every team route answered for each role: owner, admin, editor, reviewer, viewer and an
outsider. ``ROUTES`` is a table (url name, method, kwargs builder, {role: status}) so the
route × role matrix can import it.

Routes about the current workspace (no object in the URL) answer an outsider about their
own personal workspace: a session naming the team falls back to it, so they never reach
the team (``test_an_outsider_never_reaches_the_team``)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.factories import Team
from workspaces.invites import token_for

ROLES = ("owner", "admin", "editor", "reviewer", "viewer", "outsider")


def _all(status: int, **others: int) -> dict[str, int]:
    return {role: others.get(role, status) for role in ROLES}


def _managers(yes: int, outsider: int) -> dict[str, int]:
    """Owner and admin may; editor, reviewer and viewer get 403."""
    return _all(403, owner=yes, admin=yes, outsider=outsider)


def _none(team: Team) -> dict:
    return {}


ROUTES = [
    ("workspaces:create", "get", _none, _all(200)),
    ("workspaces:create", "post", _none, _all(200)),  # no name: the form again
    ("workspaces:switch", "post", lambda t: {"pk": t.workspace.pk}, _all(302, outsider=404)),
    ("workspaces:settings", "get", _none, _all(200)),
    ("workspaces:leave", "post", _none, _all(302)),
    ("workspaces:invite", "post", _none, _managers(200, outsider=200)),  # no role: the form
    (
        "workspaces:invite_revoke",
        "post",
        lambda t: {"pk": t.invitation.pk},
        _managers(302, outsider=404),
    ),
    (
        "workspaces:member_role",
        "post",
        lambda t: {"pk": t.target.pk},
        _managers(302, outsider=404),
    ),
    (
        "workspaces:member_remove",
        "post",
        lambda t: {"pk": t.target.pk},
        _managers(302, outsider=404),
    ),
    (
        "workspaces:transfer",
        "post",
        lambda t: {"pk": t.target.pk},
        _all(403, owner=302, outsider=404),
    ),
    ("workspaces:projects", "get", _none, _all(200)),
    ("workspaces:project_create", "post", _none, _managers(302, outsider=302)),
    (
        "workspaces:project_rename",
        "post",
        lambda t: {"pk": t.project.pk},
        _managers(302, outsider=404),
    ),
    (
        "workspaces:project_archive",
        "post",
        lambda t: {"pk": t.project.pk},
        _managers(302, outsider=404),
    ),
    ("workspaces:audit", "get", _none, _managers(200, outsider=200)),
    ("workspaces:accept", "get", lambda t: {"token": token_for(t.invitation)}, _all(200)),
    ("workspaces:accept", "post", lambda t: {"token": token_for(t.invitation)}, _all(302)),
]


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    ("name", "method", "kwargs", "expected"),
    ROUTES,
    ids=[f"{name}-{method}" for name, method, _, _ in ROUTES],
)
def test_each_role_gets_the_exact_answer(client, role, name, method, kwargs, expected):
    team = Team()
    team.login(client, role)
    response = getattr(client, method)(reverse(name, kwargs=kwargs(team)))
    assert response.status_code == expected[role]


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["workspaces:settings", "workspaces:projects"])
def test_an_outsider_never_reaches_the_team(client, name):
    team = Team(name="Secret client")
    team.login(client, "outsider")
    body = client.get(reverse(name)).content.decode()
    assert "Secret client" not in body
    assert team.users["owner"].get_username() not in body


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted({row[0] for row in ROUTES}))
def test_signed_out_visitors_are_sent_to_log_in(client, name):
    team = Team()
    kwargs = next(row[2] for row in ROUTES if row[0] == name)(team)
    response = client.get(reverse(name, kwargs=kwargs))
    assert response.status_code in (302, 405)
    if response.status_code == 302:
        assert response["Location"].startswith(reverse("login"))
