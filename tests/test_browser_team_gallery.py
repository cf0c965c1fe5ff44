"""The shared gallery in real Chromium: a teammate's clip appears in an open tab through its
one live refresh (an outsider's tab never shows it), and a viewer's page hides every editor
control of the cards every member shares from the cache."""

from __future__ import annotations

from importlib import import_module

import pytest
from django.conf import settings as django_settings

from generations.models import Generation, Status
from tests.browser import login
from tests.factories import UserFactory
from tests.test_browser_studio import PASSWORD, finished
from workspaces import access
from workspaces.models import Membership, Role
from workspaces.services import default_project, personal_workspace

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DRAG = """thumb => { const evt = new DragEvent('dragstart',
  {bubbles: true, cancelable: true, dataTransfer: new DataTransfer()});
  thumb.dispatchEvent(evt); return evt.defaultPrevented; }"""


def member(workspace, role):
    who = UserFactory()
    Membership.objects.create(workspace=workspace, user=who, role=role)
    return who


def open_gallery(browser, base_url: str, who, workspace=None):
    """A tab of ``who`` on the gallery of ``workspace`` (the session's current one)."""
    context = browser.new_context(viewport={"width": 1366, "height": 768})
    page = context.new_page()
    page.errors = []
    page.on("console", lambda m: m.type == "error" and page.errors.append(m.text))
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    login(page, base_url, who.username, PASSWORD)
    if workspace is not None:
        key = next(c["value"] for c in context.cookies() if c["name"] == "sessionid")
        store = import_module(django_settings.SESSION_ENGINE).SessionStore(session_key=key)
        store[access.SESSION_KEY] = str(workspace.pk)
        store.save()
        page.goto(f"{base_url}/")
    return context, page


def running(user, workspace, count, prompt):
    project = default_project(workspace)
    return Generation.objects.bulk_create(
        [
            Generation(
                user=user,
                workspace=workspace,
                project=project,
                model="seedance2.0-480p",
                prompt=f"{prompt} {i}",
                duration=5,
                aspect_ratio="16:9",
                seed=i,
                status=Status.RUNNING,
                progress=10,
            )
            for i in range(count)
        ]
    )


def test_a_teammates_clip_appears_in_an_open_tab_with_one_request_per_interval(
    live_server, browser, user, other_user, local_media, settings
):
    settings.STUDIO_LIVE_REFRESH_SECONDS = 1  # idle tabs ask every 4 s
    workspace = personal_workspace(user)
    editor = member(workspace, Role.EDITOR)
    owner_context, owner_tab = open_gallery(browser, live_server.url, user)
    outsider_context, outsider_tab = open_gallery(browser, live_server.url, other_user)
    live: list[int] = []
    owner_tab.on("request", lambda r: "/generations/live/" in r.url and live.append(1))

    made = running(editor, workspace, 1, "Teammate's teaser")[0]
    card = owner_tab.locator(f"#card-{made.pk}")
    card.wait_for(timeout=10_000)  # an idle tab still asks, slowly
    assert "by " + editor.username in card.inner_text()

    # Now many members run many clips: still one request per interval from this tab.
    for _ in range(3):
        running(member(workspace, Role.EDITOR), workspace, 10, "busy")
    owner_tab.wait_for_timeout(1500)
    live.clear()
    owner_tab.wait_for_timeout(6000)
    # Every second at most (a busy machine may answer slower), never once per clip or member.
    assert 2 <= len(live) <= 7, live
    Generation.objects.filter(pk=made.pk).update(status=Status.FAILED, error_message="Nope.")
    owner_tab.locator(f"#card-{made.pk}[data-status=failed]").wait_for(timeout=5000)

    assert outsider_tab.locator(f"#card-{made.pk}").count() == 0
    outsider_tab.reload()
    assert outsider_tab.locator("article.card").count() == 0
    assert owner_tab.errors == [] and outsider_tab.errors == []
    owner_context.close()
    outsider_context.close()


@pytest.mark.parametrize("role", [Role.VIEWER, Role.EDITOR])
def test_a_viewer_sees_no_editor_control_on_the_shared_cards(
    live_server, browser, user, local_media, role
):
    workspace = personal_workspace(user)
    clip = finished(user, "Owner's finished clip")
    failed = running(user, workspace, 1, "Owner's failed clip")[0]
    Generation.objects.filter(pk=failed.pk).update(status=Status.FAILED, error_message="Nope.")
    who = member(workspace, role)
    context, page = open_gallery(browser, live_server.url, who, workspace)
    editor = role == Role.EDITOR
    assert page.locator(".studio.read-only").count() == (0 if editor else 1)
    assert page.locator(f"#card-{clip.pk} button.star").is_visible() == editor
    assert page.locator(f"#card-{failed.pk} button.rerun").is_visible() == editor
    assert page.locator("#bulk-form button[value=delete]").count() == int(editor)
    assert page.locator("#bulk-form button[value=move]").count() == int(editor)
    assert page.locator("#bulk-form button[value=download]").is_visible()
    assert page.locator(f"#card-{clip.pk} .thumb").evaluate(DRAG) == (not editor)

    page.locator(f"#card-{clip.pk} .thumb").click()
    assert page.locator("#viewer").evaluate("d => d.open")
    page.keyboard.press("f")
    page.wait_for_timeout(500)
    clip.refresh_from_db()
    assert clip.starred == editor
    assert page.errors == []
    context.close()
