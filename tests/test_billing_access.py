"""Who may use the billing routes. ``ROUTES`` is the table the route × role matrix test
imports: (url name, method, kwargs builder, {role: status}). The builders take the
``Team`` of tests.billing_support with a budget of its workspace as ``team.budget``.

The usage report and the budgets page are about the member's current workspace, so an
outsider gets their own (empty) one: 200. Changing budgets takes "manage" (admin, owner);
a POST with no data re-renders the form (200) for those who may, and 403 for the others.
Clearing a budget of a workspace the user is not in is 404.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from billing.models import Budget
from tests.billing_support import login_to, make_team

ROLES = ("owner", "admin", "editor", "reviewer", "viewer", "outsider")
EVERYONE = dict.fromkeys(ROLES, 200)
MANAGERS_ONLY = {"owner": 200, "admin": 200, "editor": 403, "reviewer": 403, "viewer": 403}


def _none(team) -> dict:
    return {}


def _budget(team) -> dict:
    return {"pk": team.budget.pk}


ROUTES = [
    ("billing:usage", "GET", _none, EVERYONE),
    ("billing:usage_csv", "GET", _none, EVERYONE),
    ("billing:budgets", "GET", _none, EVERYONE),
    ("billing:budget_set", "POST", _none, {**MANAGERS_ONLY, "outsider": 200}),
    (
        "billing:budget_clear",
        "POST",
        _budget,
        {**MANAGERS_ONLY, "owner": 302, "admin": 302, "outsider": 404},
    ),
]


@pytest.mark.django_db
@pytest.mark.parametrize("name, method, kwargs, answers", ROUTES, ids=[r[0] for r in ROUTES])
@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_the_expected_answer(client, name, method, kwargs, answers, role):
    team = make_team()
    team.budget = Budget.objects.create(workspace=team.workspace, amount=Decimal(10))
    login_to(client, team.users[role], team.workspace)
    url = reverse(name, kwargs=kwargs(team))
    response = client.get(url) if method == "GET" else client.post(url)
    assert response.status_code == answers[role]
    if name == "billing:budget_clear":
        assert Budget.objects.filter(pk=team.budget.pk).exists() == (answers[role] != 302)


@pytest.mark.django_db
def test_anonymous_users_are_sent_to_log_in(client):
    for name, method, _, _ in ROUTES:
        url = reverse(name, kwargs={"pk": 1} if name == "billing:budget_clear" else {})
        response = client.get(url) if method == "GET" else client.post(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
