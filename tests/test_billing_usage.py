"""The usage report: exact sums on a known ledger, the CSV export, and the strict CSP."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.contrib.staticfiles import finders

from billing.services import check_and_record, settle
from tests.billing_support import login_to, make_team
from workspaces.models import Project
from workspaces.services import default_project, personal_workspace

pytestmark = pytest.mark.django_db

HD = "seedance2.0-720p"
SD = "seedance2.0-480p"


def at(day: int, month: int = 3) -> datetime:
    return datetime(2031, month, day, 12, tzinfo=UTC)


@pytest.fixture
def ledger(other_user):
    """March 2031: editor 2 clips (one settled lower, one failed unsent), admin 1 unsettled;
    plus spend outside the period and in another workspace, which must not count."""
    team = make_team()
    editor, admin = team.users["editor"], team.users["admin"]
    ws = team.workspace.pk

    def spend(gid: int, user, project, model, estimate, now):
        check_and_record(
            workspace_id=project.workspace_id,
            project_id=project.pk,
            user=user,
            entries=[(f"00000000-0000-0000-0000-{gid:012d}", model, Decimal(estimate))],
            now=now,
        )
        return f"00000000-0000-0000-0000-{gid:012d}"

    settle(generation_id=spend(1, editor, team.general, SD, "1.00", at(3)), cost=Decimal("0.80"))
    spend(2, admin, team.client, HD, "2.00", at(3))
    settle(generation_id=spend(3, editor, team.client, SD, "1.50", at(5)), cost=Decimal(0))
    spend(4, editor, team.general, SD, "5.00", at(28, month=2))
    spend(5, editor, team.general, SD, "7.00", at(1, month=4))
    foreign = default_project(personal_workspace(other_user))
    spend(6, other_user, foreign, SD, "9.00", at(3))
    assert ws == team.general.workspace_id
    return team


def lines(report_lines):
    return {
        line.label: (line.clips, line.estimated, line.settled, line.spend) for line in report_lines
    }


def test_the_report_sums_are_exact(client, ledger):
    login_to(client, ledger.users["viewer"], ledger.workspace)
    response = client.get("/usage/", {"start": "2031-03-01", "end": "2031-03-31"})
    assert response.status_code == 200
    report = response.context["report"]
    total = report.total
    assert (total.clips, total.estimated, total.settled_clips, total.settled, total.spend) == (
        3,
        Decimal("4.50"),
        2,
        Decimal("0.80"),
        Decimal("2.80"),
    )
    assert total.unsettled == Decimal("2.00")
    editor, admin = ledger.users["editor"].username, ledger.users["admin"].username
    assert lines(report.members) == {
        admin: (1, Decimal("2.00"), Decimal(0), Decimal("2.00")),
        editor: (2, Decimal("2.50"), Decimal("0.80"), Decimal("0.80")),
    }
    assert [line.label for line in report.members] == [admin, editor]  # most spend first
    assert lines(report.projects) == {
        "Client A": (2, Decimal("3.50"), Decimal(0), Decimal("2.00")),
        "General": (1, Decimal("1.00"), Decimal("0.80"), Decimal("0.80")),
    }
    assert lines(report.tiers) == {
        "Seedance 2.0 · 720p": (1, Decimal("2.00"), Decimal(0), Decimal("2.00")),
        "Seedance 2.0 · 480p": (2, Decimal("2.50"), Decimal("0.80"), Decimal("0.80")),
    }
    assert len(report.days) == 31
    assert lines([report.days[2], report.days[4], report.days[5]]) == {
        "2031-03-03": (2, Decimal("3.00"), Decimal("0.80"), Decimal("2.80")),
        "2031-03-05": (1, Decimal("1.50"), Decimal(0), Decimal(0)),
        "2031-03-06": (0, Decimal(0), Decimal(0), Decimal(0)),
    }
    chart = response.context["chart_data"]
    assert chart["members"] == {
        "labels": [admin, editor],
        "settled": [0.0, 0.8],
        "estimated": [2.0, 0.0],
    }


def test_the_period_defaults_to_this_month_and_bad_dates_say_why(client, ledger):
    login_to(client, ledger.users["owner"], ledger.workspace)
    report = client.get("/usage/").context["report"]
    now = datetime.now(UTC)
    assert (report.start.year, report.start.month, report.start.day) == (now.year, now.month, 1)
    for query, error in (
        ({"start": "2031-03-31", "end": "2031-03-01"}, "ends before it starts"),
        ({"start": "2030-01-01", "end": "2031-03-01"}, "at most a year"),
        ({"start": "yesterday"}, "Enter a valid date"),
    ):
        response = client.get("/usage/", query)
        assert response.status_code == 200
        assert error in response.content.decode()


def test_the_csv_lists_every_entry_of_the_period_safely(client, ledger):
    Project.objects.filter(pk=ledger.client.pk).update(name="=HYPERLINK(evil)")
    login_to(client, ledger.users["editor"], ledger.workspace)
    response = client.get("/usage.csv", {"start": "2031-03-01", "end": "2031-03-31"})
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert (
        response["Content-Disposition"]
        == 'attachment; filename="usage-2031-03-01-to-2031-03-31.csv"'
    )
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0] == [
        "created_at_utc",
        "member",
        "project",
        "tier",
        "estimated_usd",
        "settled_usd",
        "generation_id",
    ]
    body = [row[1:6] for row in rows[1:]]
    editor, admin = ledger.users["editor"].username, ledger.users["admin"].username
    assert body == [
        [editor, "General", SD, "1.0000", "0.8000"],
        [admin, "'=HYPERLINK(evil)", HD, "2.0000", ""],
        [editor, "'=HYPERLINK(evil)", SD, "1.5000", "0.0000"],
    ]


def test_the_usage_page_has_no_inline_script_and_its_scripts_exist(client, ledger):
    login_to(client, ledger.users["viewer"], ledger.workspace)
    response = client.get("/usage/")
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    html = response.content.decode()
    scripts = re.findall(r"<script([^>]*)>", html)
    assert scripts, "the page loads its scripts"
    for attributes in scripts:
        assert 'src="' in attributes or 'type="application/json"' in attributes, attributes
    assert " style=" not in html and "<style" not in html
    for path in re.findall(r'<script[^>]*src="/static/([^"]+)"', html):
        assert finders.find(path), path
    assert "chart-4.6.1.umd.min.js" in html and "js/usage.js" in html


def test_the_report_costs_the_same_queries_however_many_clips(client, ledger):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            response = client.get("/usage/", {"start": "2031-03-01", "end": "2031-03-31"})
            assert response.status_code == 200
        return len(ctx.captured_queries)

    login_to(client, ledger.users["owner"], ledger.workspace)
    few = queries()
    projects = [Project.objects.create(workspace=ledger.workspace, name=f"P{n}") for n in range(5)]
    for n in range(200):
        check_and_record(
            workspace_id=ledger.workspace.pk,
            project_id=projects[n % 5].pk,
            user=ledger.users[("owner", "admin", "editor")[n % 3]],
            entries=[(f"10000000-0000-0000-0000-{n:012d}", (SD, HD)[n % 2], Decimal("0.5"))],
            now=at(1 + n % 28),
        )
    assert queries() == few


def test_the_table_rows_round_like_floatformat_and_escape_names():
    from django.template.defaultfilters import floatformat

    from billing.selectors import Line
    from billing.templatetags.billing import money, report_rows

    for value in ("0.125", "0.005", "1234.5", "-0.001", "0", "2.675", "99.995"):
        assert money(Decimal(value)) == f"${floatformat(Decimal(value), 2)}", value
    html = report_rows(
        [Line("<b>Tom & Jerry</b>", 3, Decimal("1.005"), 1, Decimal("0.5"), Decimal("1.5"))]
    )
    assert "&lt;b&gt;Tom &amp; Jerry&lt;/b&gt;" in html and "<b>" not in html
    cells = re.findall(r"<td[^>]*>(.*?)</td>", html)
    assert cells == ["3", "$1.50", "$0.50 <small>(1)</small>", "$1.00", "$1.01"]
