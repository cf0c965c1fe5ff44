"""Issue 14 end to end, in Debian Chromium with the real pipeline (this process as the web
tier, a Celery worker, Redis and the simulator): the owner makes a team workspace and a
project and invites an editor and a viewer by email; the editor accepts in a second browser
context, sees the owner's clip, generates into the project, and the clip appears and
finishes live in the owner's open gallery; the viewer has no New video form and a forced
POST is refused with nothing created; the usage page shows the editor's spend.

The live server runs in this process (a thread), so the invitation emails land in the
locmem outbox; each link is taken from the email sent to that person.
"""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import expect

from generations import services
from generations.forms import form_for
from generations.models import Generation, Status
from tests.browser import login
from tests.factories import UserFactory
from workspaces.models import Membership, Project, Workspace

pytestmark = [pytest.mark.e2e, pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CLIP = {
    "mode": "text",
    "model": "seedance2.0-480p",
    "duration": 5,
    "aspect_ratio": "16:9",
}
LIVE_WAIT_MS = 60_000


def finished(pk, timeout: float = 90) -> Generation:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        generation = Generation.objects.get(pk=pk)
        if generation.is_finished:
            return generation
        time.sleep(0.25)
    raise AssertionError(f"generation {pk} still {generation.status} after {timeout}s")


def invite(page, base: str, email: str, role: str, outbox: list) -> str:
    """Invite ``email`` on the Team page; the link from the email that was sent."""
    page.goto(f"{base}/team/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Role").select_option(label=role)
    page.get_by_role("button", name="Invite").click()
    expect(page.get_by_text(f"Invitation emailed to {email}")).to_be_visible()
    sent = [m for m in outbox if m.to == [email]]
    assert len(sent) == 1, [m.to for m in outbox]
    return re.search(r"Accept: (\S+)", sent[0].body).group(1)


def join(browser, base: str, user, link: str, workspace: str):
    """``user`` logs in in a browser context of their own and accepts ``link``."""
    context = browser.new_context()
    page = context.new_page()
    login(page, base, user.username, "correct horse battery")
    page.goto(link)
    expect(page.get_by_role("heading", name=f"Join {workspace}")).to_be_visible()
    page.get_by_role("button", name="Accept").click()
    page.wait_for_url(f"{base}/")
    expect(page.get_by_text(f"Welcome to {workspace}.")).to_be_visible()
    return context, page


def test_a_team_invites_shares_generates_and_sees_its_spend(
    stack, live_server, browser, mailoutbox
):
    base = live_server.url
    owner = UserFactory(username="olivia", email="olivia@example.com")
    editor = UserFactory(username="tomas", email="tomas@example.com")
    viewer = UserFactory(username="vera", email="vera@example.com")

    # The owner makes a team workspace and a client project in the browser.
    owner_context = browser.new_context()
    owner_page = owner_context.new_page()
    login(owner_page, base, owner.username, "correct horse battery")
    owner_page.goto(f"{base}/workspaces/new/")
    owner_page.get_by_label("Name").fill("Northwind Agency")
    owner_page.get_by_role("button", name="Create workspace").click()
    owner_page.wait_for_url(f"{base}/")
    workspace = Workspace.objects.get(name="Northwind Agency")
    owner_page.goto(f"{base}/team/projects/")
    owner_page.get_by_label("New project").fill("Spring Campaign")
    owner_page.get_by_role("button", name="Create project").click()
    expect(owner_page.get_by_text("Project Spring Campaign created.")).to_be_visible()
    spring = Project.objects.get(workspace=workspace, name="Spring Campaign")

    # The owner's own clip, made and finished by the worker before anyone joins.
    mine = services.generation_create(
        user=owner, data={**CLIP, "prompt": "Olivia's lighthouse at dusk"}, workspace=workspace
    )
    assert finished(mine.pk).status == Status.SUCCEEDED

    editor_link = invite(owner_page, base, editor.email, "Editor", mailoutbox)
    viewer_link = invite(owner_page, base, viewer.email, "Viewer", mailoutbox)

    # The editor accepts in a second context and sees the team's gallery.
    editor_context, editor_page = join(browser, base, editor, editor_link, workspace.name)
    assert Membership.objects.get(workspace=workspace, user=editor).role == "editor"
    expect(editor_page.locator(f"#card-{mine.pk}")).to_contain_text("Olivia's lighthouse")

    # With the owner's gallery open (nothing running in it), the editor generates into the
    # project; the owner sees the clip appear and finish through the live refresh alone.
    owner_page.goto(f"{base}/")
    expect(owner_page.locator(f"#card-{mine.pk}")).to_be_visible()
    editor_page.locator("#new-form").get_by_label("Project").select_option(label="Spring Campaign")
    editor_page.locator("#id_prompt").fill("Tomas's kite over the dunes")
    editor_page.locator("#new-form input[name=model][value='seedance2.0-480p']").check()
    editor_page.locator("#generate").click()
    made = editor_page.locator("#gallery article.card", has_text="Tomas's kite")
    expect(made).to_be_visible()
    theirs = Generation.objects.get(user=editor)
    assert (theirs.workspace_id, theirs.project_id) == (workspace.pk, spring.pk)
    card = owner_page.locator(f"#card-{theirs.pk}")
    expect(card).to_contain_text("Tomas's kite", timeout=LIVE_WAIT_MS)
    expect(card).to_have_attribute("data-status", "succeeded", timeout=LIVE_WAIT_MS)
    theirs = finished(theirs.pk)
    assert theirs.status == Status.SUCCEEDED and theirs.settled_cost is not None

    # The viewer sees the clips but has no New video form, and a forced POST is refused.
    viewer_context, viewer_page = join(browser, base, viewer, viewer_link, workspace.name)
    expect(viewer_page.locator(f"#card-{theirs.pk}")).to_be_visible()
    expect(viewer_page.locator("form#new-form")).to_have_count(0)
    expect(viewer_page.locator("#generate")).to_have_count(0)
    expect(viewer_page.get_by_text("Ask an admin for the editor role")).to_be_visible()
    forced = {**CLIP, "duration": "5", "prompt": "Vera sneaks one in", "project": str(spring.pk)}
    projects = Project.objects.filter(workspace=workspace)
    clips = Generation.objects.filter(workspace=workspace)
    # The same fields make a valid form: the refusal is the role's, not bad input.
    assert form_for("text")(forced, clips=clips, projects=projects).is_valid()
    token = viewer_page.locator("input[name=csrfmiddlewaretoken]").first.input_value()
    before = Generation.objects.count()
    response = viewer_page.request.post(
        f"{base}/generations/create/",
        form={**forced, "csrfmiddlewaretoken": token},
        headers={"Referer": f"{base}/"},
    )
    assert response.status == 403
    assert Generation.objects.count() == before
    assert not Generation.objects.filter(user=viewer).exists()

    # The usage page names the editor with what their clip cost.
    owner_page.goto(f"{base}/usage/")
    members = owner_page.locator(
        "table.report", has=owner_page.locator("caption", has_text="Per member")
    )
    row = members.locator("tr", has=owner_page.get_by_role("rowheader", name="tomas"))
    expect(row.locator("td").nth(0)).to_have_text("1")
    expect(row.locator("td").nth(1)).to_have_text(f"${theirs.cost:.2f}")
    assert theirs.cost > 0

    for context in (viewer_context, editor_context, owner_context):
        context.close()
