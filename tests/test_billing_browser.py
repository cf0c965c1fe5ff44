"""The usage page in real Chromium: the vendored chart library and the page's script load
under the strict CSP and draw every chart, with no console error or CSP violation."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.utils import timezone

from billing.services import check_and_record
from tests.billing_support import CLIP, PRICE
from tests.browser import login
from tests.factories import UserFactory
from tests.test_browser_console import RECORD_VIOLATIONS
from workspaces.services import default_project, personal_workspace

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_usage_charts_draw_under_the_csp(live_server, browser):
    owner = UserFactory()
    project = default_project(personal_workspace(owner))  # where the session starts
    with transaction.atomic():  # as generation_create calls it: it locks the workspace row
        check_and_record(
            workspace_id=project.workspace_id,
            project_id=project.pk,
            user=owner,
            entries=[("00000000-0000-0000-0000-000000000001", CLIP["model"], PRICE)],
            now=timezone.now(),
        )
    context = browser.new_context()
    context.add_init_script(RECORD_VIOLATIONS)
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda msg: msg.type == "error" and problems.append(msg.text))
    page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    login(page, live_server.url, owner.username, "correct horse battery")
    page.goto(f"{live_server.url}/usage/")
    page.wait_for_function("() => document.documentElement.dataset.chartsDrawn === '1'")
    drawn = page.evaluate(
        "() => [...document.querySelectorAll('canvas[data-chart]')]"
        ".map(c => c.chart && c.chart.data.labels.length)"
    )
    assert drawn[0] >= 28 and drawn[1:] == [1, 1, 1]  # every day of the month; one each
    assert page.get_by_text("Seedance 2.0 · 480p").count() >= 1
    assert page.evaluate("window.__violations") == []
    assert problems == []
    context.close()
