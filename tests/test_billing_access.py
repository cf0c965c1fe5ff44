"""Matrix rows for the billing routes (``billing:*``).

The usage report and the budgets page are about the member's current workspace, so the
outsider gets their own (empty) one: 200. Changing budgets takes "manage" (admin, owner);
a POST with no data re-renders the form (200) for those who may, and 403 for the others.
Clearing a budget of a workspace the user is not in is 404."""

from __future__ import annotations

from billing.models import Budget
from tests.access_matrix import LOGIN, Route, World, everyone, ladder
from workspaces.access import ABILITIES


def may(role: str, ability: str) -> bool:
    return role in ABILITIES and ability in ABILITIES[role]


def budget_set_if_allowed(world: World, role: str, response) -> None:
    made = Budget.objects.filter(workspace=world.workspace, project=world.other_project)
    assert made.exists() == may(role, "manage"), role


def cleared_if_allowed(world: World, role: str, response) -> None:
    gone = not Budget.objects.filter(pk=world.budget.pk).exists()
    assert gone == may(role, "manage"), role


def csv_of_the_period(world: World, role: str, response) -> None:
    if role == "anonymous":
        return
    assert response.body.decode().startswith("created_at_utc,member,project"), role


ROUTES = [
    Route("billing:usage", everyone(200, anonymous=LOGIN)),
    Route("billing:usage_csv", everyone(200, anonymous=LOGIN), check=csv_of_the_period),
    Route("billing:budgets", everyone(200, anonymous=LOGIN)),
    Route(
        "billing:budget_set",
        ladder("manage", 200, outsider=200),
        method="POST",
        label="no data: the form again",
    ),
    # The outsider's form offers only their own projects: the team's is a field error.
    Route(
        "billing:budget_set",
        ladder("manage", 302, outsider=200),
        method="POST",
        data=lambda w: {
            "project": w.other_project.pk,
            "amount": "50",
            "alert_percent": "80",
            "hard_stop": "on",
        },
        check=budget_set_if_allowed,
    ),
    Route(
        "billing:budget_clear",
        ladder("manage", 302),
        method="POST",
        kwargs=lambda w: {"pk": w.budget.pk},
        check=cleared_if_allowed,
    ),
]
