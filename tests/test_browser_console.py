"""The browser console stays clean under the strict Content-Security-Policy: live card
swaps, every mode of the form, the detail page and the share page, with no console error
and no ``securitypolicyviolation`` event."""

from __future__ import annotations

import pytest

from generations.models import Mode
from tests.browser import login

pytestmark = [pytest.mark.browser, pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# Runs before any page script: records every CSP violation the page meets.
RECORD_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__violations.push(e.violatedDirective + " " + (e.blockedURI || "inline") + " "
    + (e.sourceFile || "") + ":" + (e.lineNumber || ""));
});
"""


def test_the_console_stays_clean_through_a_whole_session(stack, live_server, browser, user):
    context = browser.new_context()
    context.add_init_script(RECORD_VIOLATIONS)
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda msg: msg.type == "error" and problems.append(msg.text))
    page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))

    def check(where: str) -> None:
        violations = page.evaluate("window.__violations || []")
        assert problems == [] and violations == [], (where, problems, violations)

    login(page, live_server.url, user.username, "correct horse battery")
    form = page.locator("#new-form")
    for n in range(3):
        form.get_by_label("Prompt").fill(f"Console test {n}: a kite over dunes")
        form.get_by_role("button", name="Generate").click()
        page.locator(f"#gallery article.card:has-text('Console test {n}')").wait_for()
    page.wait_for_function(
        "() => document.querySelectorAll('#gallery article.card[data-status=succeeded]')"
        ".length >= 3",
        timeout=150_000,
    )
    check("after three live card swaps")

    for _, label in [*Mode.choices[1:], Mode.choices[0]]:
        page.locator("#new-form").get_by_label(label, exact=True).check()
        page.wait_for_load_state("networkidle")
    check("after switching through every mode")

    page.locator("#gallery article.card[data-status=succeeded] a.title").first.click()
    page.locator("#share-panel").wait_for()
    # Chromium's form autofill leaves an empty style attribute on inputs (seen in make run
    # after logging in); htmx must not copy it onto swapped-in elements, which CSP blocks.
    page.evaluate(
        """document.querySelectorAll("input, select").forEach(e => {
            e.style.color = "red";
            e.style.color = "";
        })"""
    )
    page.locator("#share-panel").get_by_role("button", name="Create share link").click()
    share_url = page.locator("#share-panel input[readonly]").first.input_value()
    check("on the detail page")

    page.goto(share_url)
    page.locator("video").wait_for()
    page.wait_for_load_state("networkidle")
    check("on the share page")
    page.goto(share_url + "embed")
    page.locator("video").wait_for()
    check("on the embed page")
    context.close()
