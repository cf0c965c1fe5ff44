"""Budgets: the hard stop, the soft alert (once a month, in the app and by email), batches
all or nothing, settlement, and the budgets page."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import ROUND_CEILING, Decimal

import pytest
from django.db.models import Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from billing import selectors
from billing.models import Budget, Dimension, LedgerEntry, SpendDay
from billing.services import BudgetExceeded, check_and_record, month_of, settle
from generations.models import Generation, Status
from generations.services import generation_cancel, generation_create, library
from generations.services.lifecycle import fail
from studiolib import errors
from tests.billing_support import CLIP, PRICE, login_to, make_team
from workspaces.models import AuditEntry, Workspace

pytestmark = pytest.mark.django_db

NO_USER_LIMITS = {
    "STUDIO_MAX_IN_FLIGHT": 0,
    "STUDIO_MAX_PER_MINUTE": 0,
    "STUDIO_MAX_SPEND_PER_DAY": 0,
    "STUDIO_MAX_SPEND_PER_MONTH": 0,
}


@pytest.fixture
def team(settings, no_broker):
    for name, value in NO_USER_LIMITS.items():
        setattr(settings, name, value)
    return make_team()


def create(team, project=None, user="editor"):
    return generation_create(
        user=team.users[user],
        data=CLIP,
        workspace=team.workspace,
        project=project or team.general,
    )


def budget(team, amount, project=None, **kw):
    """A budget of ``amount`` rounded up to whole cents (as the database keeps it)."""
    amount = Decimal(amount).quantize(Decimal("0.01"), rounding=ROUND_CEILING)
    return Budget.objects.create(workspace=team.workspace, project=project, amount=amount, **kw)


def test_a_hard_stop_refuses_the_clip_that_would_pass_it_and_creates_nothing(team):
    budget(team, PRICE * 2)
    create(team)
    create(team)
    with pytest.raises(BudgetExceeded) as refused:
        create(team)
    message = str(refused.value)
    assert "workspace budget of $0.76" in message
    assert f"(${PRICE * 2:.2f} used)" in message
    resets = month_of(datetime.now(UTC))[1]
    assert f"It resets {resets:%Y-%m-%d} 00:00 UTC" in message
    assert Generation.objects.count() == 2
    assert LedgerEntry.objects.count() == 2


def test_a_project_budget_limits_only_its_project(team):
    budget(team, PRICE, project=team.client)
    create(team, project=team.client)
    with pytest.raises(BudgetExceeded, match="project Client A budget"):
        create(team, project=team.client)
    create(team, project=team.general)  # the other project has no budget
    assert Generation.objects.filter(project=team.client).count() == 1


def test_an_alert_only_budget_lets_spend_pass_it(team):
    budget(team, PRICE, hard_stop=False)
    create(team)
    create(team)
    assert Generation.objects.count() == 2


def test_settled_cost_and_uncharged_failures_free_the_budget(team):
    budget(team, PRICE * 2)
    first = create(team)
    second = create(team)
    # Cancelled before it was sent: "You were not charged", and the ledger says 0.
    assert generation_cancel(generation=second)
    assert LedgerEntry.objects.get(generation_id=second.pk).settled == 0
    create(team)
    with pytest.raises(BudgetExceeded):
        create(team)
    # A lower settled cost than the estimate makes room too.
    settle(generation_id=first.pk, cost=PRICE / 2)
    with pytest.raises(BudgetExceeded):
        create(team)
    settle(generation_id=first.pk, cost=Decimal(0))
    create(team)


def test_a_failure_never_sent_settles_at_zero_and_a_sent_one_keeps_its_estimate(team):
    never_sent = create(team)
    sent = create(team)
    Generation.objects.filter(pk=sent.pk).update(status=Status.RUNNING, submit_attempts=1)
    reason = errors.Reason("provider_refused", "Refused. You were not charged.", "no")
    assert fail(never_sent.pk, (Status.QUEUED,), reason)
    assert fail(sent.pk, (Status.RUNNING,), reason)
    assert LedgerEntry.objects.get(generation_id=never_sent.pk).settled == 0
    assert LedgerEntry.objects.get(generation_id=sent.pk).settled is None


def test_settling_is_idempotent_and_keeps_the_daily_sums_exact(team):
    clips = [create(team, project=p) for p in (team.general, team.client, team.client)]
    assert settle(generation_id=clips[0].pk, cost=Decimal("0.25"))
    assert not settle(generation_id=clips[0].pk, cost=Decimal("0.25"))
    assert settle(generation_id=clips[0].pk, cost=Decimal("0.30"))  # corrected later
    settle(generation_id=clips[1].pk, cost=Decimal(0))
    assert not settle(generation_id="00000000-0000-0000-0000-000000000000", cost=Decimal(1))
    entries = LedgerEntry.objects.all()
    truth = entries.aggregate(spend=Sum(Coalesce("settled", "estimated")), settled=Sum("settled"))
    for dimension in Dimension.values:
        sums = SpendDay.objects.filter(dimension=dimension).aggregate(
            spend=Sum("spend"), settled=Sum("settled")
        )
        assert sums == truth, dimension
    assert truth["spend"] == Decimal("0.30") + PRICE
    row = SpendDay.objects.get(dimension=Dimension.PROJECT, key=str(team.client.pk))
    assert (row.clips, row.settled_clips, row.spend) == (2, 1, PRICE)


def test_the_soft_alert_fires_once_a_month_in_the_app_and_by_email(
    team, mailoutbox, django_capture_on_commit_callbacks
):
    budget(team, Decimal("1.50"), alert_percent=50)
    entry = [("00000000-0000-0000-0000-00000000000{}", CLIP["model"], PRICE)]
    march = datetime(2031, 3, 10, tzinfo=UTC)

    def spend(n: int, now: datetime) -> list[str]:
        with django_capture_on_commit_callbacks(execute=True):
            return check_and_record(
                workspace_id=team.workspace.pk,
                project_id=team.general.pk,
                user=team.users["editor"],
                entries=[(entry[0][0].format(n), entry[0][1], entry[0][2])],
                now=now,
            )

    assert spend(1, march) == []
    notice = spend(2, march)  # 50% reached
    assert notice == ["The workspace budget is at 50% this month: $0.75 of $1.50."]
    assert len(mailoutbox) == 1
    assert sorted(mailoutbox[0].to) == ["admin@example.com", "owner@example.com"]
    assert "The workspace budget is at 50%" in mailoutbox[0].body
    assert spend(3, march) == []  # already alerted this month
    assert len(mailoutbox) == 1
    assert AuditEntry.objects.filter(action="budget.alert").count() == 1
    assert spend(4, datetime(2031, 4, 2, tzinfo=UTC)) == []  # April starts from zero
    assert spend(5, datetime(2031, 4, 3, tzinfo=UTC)) != []  # and alerts again at 50%
    assert len(mailoutbox) == 2


def test_the_studio_page_shows_the_alert_banner(client, team):
    budget(team, Decimal("0.75"), alert_percent=50)
    login_to(client, team.users["viewer"], team.workspace)
    assert "budget-alerts" not in client.get("/").content.decode()
    create(team)
    page = client.get("/").content.decode()
    assert "The workspace budget is at 50% this month" in page
    workspace = Workspace.objects.get(pk=team.workspace.pk)
    # The alert marks the workspace's month, which is what lets the banner read budgets.
    assert workspace.budget_alert_month == month_of(timezone.now())[0]
    assert selectors.alerts(workspace) == [
        "The workspace budget is at 50% this month: $0.38 of $0.75."
    ]


def test_make_all_formats_is_checked_once_and_all_or_nothing(team):
    budget(team, PRICE * 2)  # two of the three fit, so none may be made
    with pytest.raises(BudgetExceeded, match="These 3 videos"):
        library.generation_all_formats(
            user=team.users["editor"], data=CLIP, references=[], workspace=team.workspace
        )
    assert Generation.objects.count() == 0
    assert LedgerEntry.objects.count() == 0
    Budget.objects.update(amount=PRICE * 3 + 1)
    made = library.generation_all_formats(
        user=team.users["editor"], data=CLIP, references=[], workspace=team.workspace
    )
    assert LedgerEntry.objects.filter(generation_id__in=[g.pk for g in made]).count() == 3
    assert SpendDay.objects.get(dimension=Dimension.ALL).clips == 3


def test_the_studio_form_shows_the_budget_refusal(client, team):
    budget(team, Decimal("0.10"))
    login_to(client, team.users["editor"], team.workspace)
    response = client.post("/generations/create/", CLIP, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert "would pass the workspace budget of $0.10" in response.content.decode()
    assert Generation.objects.count() == 0


def test_run_again_shows_the_budget_refusal(client, team):
    clip = create(team)
    budget(team, PRICE)
    login_to(client, team.users["editor"], team.workspace)
    response = client.post(f"/generations/{clip.pk}/rerun/", follow=True)
    assert "would pass the workspace budget" in response.content.decode()
    assert Generation.objects.count() == 1


# --- the budgets page --------------------------------------------------------------------


def test_an_admin_sets_changes_and_clears_budgets_with_an_audit_trail(client, team):
    login_to(client, team.users["admin"], team.workspace)
    response = client.post(
        "/budgets/set", {"amount": "100", "alert_percent": "75", "hard_stop": "on"}
    )
    assert response.status_code == 302
    response = client.post(
        "/budgets/set", {"project": team.client.pk, "amount": "20.50", "alert_percent": "90"}
    )
    assert response.status_code == 302
    project_budget = Budget.objects.get(project=team.client)
    assert (project_budget.amount, project_budget.hard_stop) == (Decimal("20.50"), False)
    client.post("/budgets/set", {"amount": "150", "alert_percent": "75", "hard_stop": "on"})
    assert Budget.objects.get(project=None).amount == 150
    page = client.get("/budgets/").content.decode()
    assert "Project Client A" in page and "$150.00" in page
    client.post(f"/budgets/{project_budget.pk}/clear")
    assert not Budget.objects.filter(pk=project_budget.pk).exists()
    actions = AuditEntry.objects.filter(action__startswith="budget.")
    assert sorted(actions.values_list("action", flat=True)) == [
        "budget.clear",
        *["budget.set"] * 3,
    ]


@pytest.mark.parametrize(
    "data, field",
    [
        ({"amount": "-1", "alert_percent": "80"}, "amount"),
        ({"amount": "abc", "alert_percent": "80"}, "amount"),
        ({"amount": "1e30", "alert_percent": "80"}, "amount"),
        ({"amount": "10", "alert_percent": "0"}, "alert_percent"),
        ({"amount": "10", "alert_percent": "80", "project": "not-a-uuid"}, "project"),
    ],
)
def test_bad_budget_input_gets_a_field_error_and_saves_nothing(client, team, data, field):
    login_to(client, team.users["owner"], team.workspace)
    response = client.post("/budgets/set", data)
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not Budget.objects.exists()


def test_a_project_of_another_workspace_is_refused(client, team, other_user):
    from workspaces.services import default_project, personal_workspace

    foreign = default_project(personal_workspace(other_user))
    login_to(client, team.users["owner"], team.workspace)
    response = client.post(
        "/budgets/set", {"amount": "10", "alert_percent": "80", "project": foreign.pk}
    )
    assert "project" in response.context["form"].errors
    assert not Budget.objects.exists()


def test_members_below_admin_read_budgets_but_cannot_change_them(client, team):
    budget(team, Decimal(5))
    login_to(client, team.users["editor"], team.workspace)
    page = client.get("/budgets/").content.decode()
    assert "Whole workspace" in page and "Save budget" not in page
    assert client.post("/budgets/set", {"amount": "1", "alert_percent": "80"}).status_code == 403
    assert Budget.objects.get().amount == 5
